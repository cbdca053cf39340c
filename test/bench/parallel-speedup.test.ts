/** `npm run bench:parallel` (src/bench/parallel-speedup.ts) end to end on a tiny workload. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { packagePath } from '../../src/paths.js';
import { readJson, runNode, tempDir } from '../helpers.js';

test('bench:parallel runs end to end on a tiny workload: paired ratios, ceiling samples, bitwise equality; bad options exit 2', () => {
  const script = packagePath('dist', 'src', 'bench', 'parallel-speedup.js');
  const out = tempDir();
  const r = runNode(script, ['--rounds', '2', '--channels', '2', '--samples', '3000', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| frequencies\/threads\/j2 \| .* \| yes \|/);
  const result = readJson(join(out, 'bench-parallel.json'));
  assert.deepEqual(Object.keys(result.methods), ['sequential', 'frequencies/threads/j2', 'channels/threads/j2']);
  for (const [name, m] of Object.entries<{ seconds: number[]; pairedSpeedups: number[] | null; bitwiseEqual: boolean; peakRssBytes: number }>(result.methods)) {
    assert.equal(m.seconds.length, 2, name);
    assert.equal(m.pairedSpeedups === null, name === 'sequential', name);
    assert.ok(m.bitwiseEqual && m.peakRssBytes > 0, name);
  }
  assert.equal(result.machine.parallelCeiling.samples.length, 2);
  for (const bad of [['--channels', '33'], ['--rounds', '0'], ['--sample', '10']]) {
    assert.equal(runNode(script, bad).status, 2, bad.join(' '));
  }
});
