/**
 * The analysis options of the CLI (src/cli/analysis-options.ts): presets, explicit options over
 * them, every resolved parameter in results.json, and bad values as one line, exit 2, nothing
 * written.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readJson, runCli, tempDir } from '../helpers.js';

/** The shared two-second-window session of the analysis fixtures (32 channels, NM and ITI events). */
const SESSION = join('test', 'fixtures', 'mne', 'analysis', 'sessions', 'main');

describe('presets and the options over them', () => {
  test('--preset lab-report resolves to the published configuration; explicit options override it', () => {
    const out = join(tempDir(), 'lab');
    const r = runCli(['analyze-session', '--data', SESSION, '--session', '0', '--preset', 'lab-report', '--n-freqs', '8', '--no-plots', '--output-dir', out]);
    assert.equal(r.status, 0, r.stderr);
    const p = readJson(join(out, 'results.json')).parameters;
    assert.equal(p.freqs.length, 8, '--n-freqs overrides the preset');
    assert.deepEqual([p.freqs[0], p.freqs.at(-1)], [3, 7]);
    assert.deepEqual(p.n_cycles, Array(8).fill(5));
    assert.equal(p.window_duration, 2);
    assert.deepEqual([p.normalize, p.baseline, p.baseline_mode], ['pre-event', [-1, -0.5], null]);
    assert.deepEqual([p.theta_band, p.theta_window, p.events, p.electrodes], [[3, 7], [-0.2, 0], ['nm', 'iti'], true]);
    for (const f of ['theta_summary.csv', 'electrode_theta.csv', join('roi_frontal', 'nm_size_1_windows.npy'), join('roi_visual', 'iti_size_2_mean.npy'), join('roi_e2', 'nm_minus_iti_size_1_mean.npy')]) {
      assert.ok(existsSync(join(out, f)), f);
    }
  });
});

describe('bad values → one line, exit 2, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown normalisation', ['--roi', 'frontal', '--normalize', 'zz'], /--normalize: 'zz' is not one of session-z, pre-event, baseline/],
    ['an unknown baseline mode', ['--roi', 'frontal', '--normalize', 'baseline', '--baseline-mode', 'zz'], /--baseline-mode: 'zz' is not one of mean, ratio/],
    ['a baseline outside the window', ['--roi', 'frontal', '--normalize', 'pre-event', '--window', '1.0', '--baseline=-1.0,-0.5'], /baseline -1,-0.5 s is outside the event window/],
    ['a baseline with no sample', ['--roi', 'frontal', '--normalize', 'pre-event', '--window', '2.0', '--baseline=-0.5012,-0.5011'], /holds no sample of the event window/],
    ['an empty theta band', ['--roi', 'frontal', '--theta-band', '20,30'], /theta band 20,30 Hz holds none of the frequencies/],
    ['a theta window outside the window', ['--roi', 'frontal', '--theta-window=-0.9,0'], /theta window -0.9,0 s is outside the event window/],
    ['unknown events', ['--roi', 'frontal', '--events', 'nm,xx'], /--events: 'xx' is not one of nm, iti/],
    ['an unknown preset', ['--preset', 'zz'], /--preset: 'zz' is unknown; expected one of lab-report/],
    ['all among other ROIs', ['--roi', 'all,frontal'], /'all' already holds every ROI/],
    ['--freqs with --freq-range', ['--roi', 'frontal', '--freqs', '4,5', '--freq-range', '3,8'], /give either --freqs or --freq-range/],
    ['a baseline mode without baseline normalisation', ['--roi', 'frontal', '--baseline-mode', 'ratio'], /needs --normalize baseline/],
  ];
  for (const [what, args, message] of cases) {
    test(what, () => {
      const out = join(tempDir(), 'never');
      const r = runCli(['analyze-session', '--data', SESSION, '--session', '0', '--no-plots', ...args, '--output-dir', out]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!existsSync(out), 'nothing written');
    });
  }
});
