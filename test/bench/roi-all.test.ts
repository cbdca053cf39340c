/** `npm run bench:roi-all` (src/bench/roi-all.ts) end to end on a tiny workload, both modes. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packagePath } from '../../src/paths.js';
import { readJson, runNode, tempDir } from '../helpers.js';

const SCRIPT = packagePath('dist', 'src', 'bench', 'roi-all.js');

test('bench:roi-all runs end to end on a tiny session: every method timed, ratios, agreement with MNE; bad options exit 2', () => {
  const out = tempDir();
  const r = runNode(SCRIPT, ['--rounds', '1', '--samples', '4000', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| eeg-parallel --roi all \| /);
  assert.match(r.stdout, /--roi all's frontal ROI vs the frontal run bitwise equal/);
  const result = readJson(join(out, 'bench-roi-all.json'));
  assert.deepEqual(Object.keys(result.summary), [
    'eeg-parallel --roi frontal',
    'eeg-parallel --roi all',
    'eeg-parallel --roi all --preset lab-report --n-freqs 20',
    'Python/MNE, 32 channels, sequential',
    'Python/MNE, 32 channels, 2 processes',
  ]);
  for (const [name, s] of Object.entries<{ seconds: number[]; peakRssBytes: number[] }>(result.summary)) {
    assert.equal(s.seconds.length, 1, name);
    assert.ok(s.seconds[0]! > 0 && s.peakRssBytes[0]! > 0, name);
  }
  assert.ok(result.ratios.allOverFrontal.paired > 0 && result.ratios.pythonOverAll.ofMedians > 0);
  assert.ok(result.agreement.frontalVsMne <= 1e-9, String(result.agreement.frontalVsMne));
  assert.ok(result.agreement.allElectrodeMeanVsMne <= 1e-9, String(result.agreement.allElectrodeMeanVsMne));
  assert.equal(result.agreement.allFrontalVsFrontal, 0);
  for (const bad of [['--rounds', '0'], ['--round', '1'], ['--samples', 'x']]) {
    assert.equal(runNode(SCRIPT, bad).status, 2, bad.join(' '));
  }
});

test('bench:roi-all --analyze-all times analyze-all --preset lab-report and removes the file it made', () => {
  const out = tempDir();
  const file = join(tempDir(), 'lab.pkl');
  const r = runNode(SCRIPT, ['--analyze-all', '--rats', '1', '--sessions-per-rat', '1', '--runs', '1', '--samples', '4000', '--file', file, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| 1 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ h \| \d+ \|/);
  const result = readJson(join(out, 'bench-analyze-all.json'));
  assert.equal(result.seconds.length, 1);
  assert.ok(result.sessionsPerSecond > 0 && result.peakRssBytes[0] > 0);
  assert.equal(result.projectedLabHours, 306 / result.sessionsPerSecond / 3600);
  assert.ok(!existsSync(file) && !existsSync(`${file}.eegidx.json`));
});
