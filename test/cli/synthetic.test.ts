/** The `synthetic` command (src/cli/synthetic.ts): a seeded session directory that analyze-session reads. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readJson, runCli, tempDir } from '../helpers.js';

test('synthetic writes a seeded session directory that analyze-session reads', () => {
  const a = join(tempDir(), 's');
  const b = join(tempDir(), 's');
  for (const dir of [a, b]) {
    const r = runCli(['synthetic', '--output-dir', dir, '--seed', '3', '--channels', '32', '--samples', '8000', '--events', '6', '--theta-bursts']);
    assert.equal(r.status, 0, r.stderr);
  }
  for (const f of ['eeg.npy', 'eeg_time.npy', 'nm_peak_times.npy', 'nm_sizes.npy', 'meta.json']) {
    assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f}: same seed, same bytes`);
  }
  const out = join(tempDir(), 'out');
  const r = runCli(['analyze-session', '--data', a, '--session', '0', '--roi', 'frontal', '--output-dir', out, '--no-plots']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readJson(join(out, 'results.json')).roi.channels, [20, 21, 23, 24]);
});
