/**
 * The analysis options of the CLI (src/cli/analysis-options.ts): presets, explicit options over
 * them, every resolved parameter in results.json, and bad values as one line, exit 2, nothing
 * written.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readNpyFloat64 } from '../../src/index.js';
import { readJson, runCli, runPython, skipWithoutMne, syntheticLabFile, tempDir } from '../helpers.js';

const skipNoMne = skipWithoutMne();

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
    for (const f of ['theta_summary.csv', 'electrode_theta.csv', join('roi_frontal', 'nm_size_1_windows.npy'), join('roi_visual', 'iti_size_2_mean.npy'), join('roi_e2', 'nm_minus_iti_size_2_mean.npy')]) {
      assert.ok(existsSync(join(out, f)), f);
    }
    // ITI size 1 has 2 events: fewer than the 3 that pre-event needs by default.
    assert.equal(p.min_events, 3);
    assert.ok(!existsSync(join(out, 'roi_e2', 'iti_size_1_mean.npy')));
  });
});

describe('bad values → one line, exit 2, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown normalisation', ['--roi', 'frontal', '--normalize', 'zz'], /--normalize: 'zz' is not one of session-z, pre-event, pre-event-channel, baseline/],
    ['an unknown baseline mode', ['--roi', 'frontal', '--normalize', 'baseline', '--baseline-mode', 'zz'], /--baseline-mode: 'zz' is not one of mean, ratio/],
    ['a baseline outside the window', ['--roi', 'frontal', '--normalize', 'pre-event', '--window', '1.0', '--baseline=-1.0,-0.5'], /baseline -1,-0.5 s is outside the event window/],
    ['a baseline with no sample', ['--roi', 'frontal', '--normalize', 'pre-event', '--window', '2.0', '--baseline=-0.5012,-0.5011'], /holds no sample of the event window/],
    ['an empty theta band', ['--roi', 'frontal', '--theta-band', '20,30'], /theta band 20,30 Hz holds none of the frequencies/],
    ['a theta window outside the window', ['--roi', 'frontal', '--theta-window=-0.9,0'], /theta window -0.9,0 s is outside the event window/],
    ['unknown events', ['--roi', 'frontal', '--events', 'nm,xx'], /--events: 'xx' is not one of nm, iti/],
    ['an unknown preset', ['--preset', 'zz'], /--preset: 'zz' is unknown; expected one of lab-report/],
    ['all among other ROIs', ['--roi', 'all,frontal'], /'all' already holds every ROI/],
    ['--freqs with --freq-range', ['--roi', 'frontal', '--freqs', '4,5', '--freq-range', '3,8'], /give either --freqs, --freqs-file or --freq-range\/--n-freqs, not several/],
    ['a misspelled ROI in a list', ['--roi', 'frontal,hippocampus,pfc'], /--roi: unknown ROI 'pfc'; known ROIs: frontal, motor/],
    ['an electrode outside 1–32 in a list', ['--roi', '2,33'], /--roi: electrode 33 is outside 1–32/],
    ['--min-events below what pre-event needs', ['--roi', 'frontal', '--normalize', 'pre-event', '--min-events', '1'], /--min-events 1 is too low for --normalize pre-event; expected an integer >= 2/],
    ['--min-events not an integer', ['--roi', 'frontal', '--min-events', '2.5'], /--min-events: '2.5' must be an integer >= 1/],
    ['a missing frequency file', ['--roi', 'frontal', '--freqs-file', 'no/such/file.txt'], /cannot read 'no\/such\/file.txt': no such file/],
    ['--freqs-file with --n-freqs', ['--roi', 'frontal', '--freqs-file', SESSION + '/meta.json', '--n-freqs', '5'], /--n-freqs makes a geomspace grid; it cannot be combined with --freqs-file/],
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

describe("the lab's frequencies", () => {
  /** float32(45 · 2^(−k/48)), k = 0 … 263, as numpy computes and writes them (the lab's frequencies.txt layout). */
  const labTableFile = (): string => {
    const path = join(tempDir(), 'frequencies.txt');
    runPython('import sys, numpy as np; np.savetxt(sys.argv[1], (45 * 2.0 ** (-np.arange(264) / 48)).astype(np.float32))', [path]);
    return path;
  };
  /** The lab's rule (get_frequencies(3, 7, file)), in numpy: in [3, 7], plus the nearest below and above. */
  const labSelection = (file: string): number[] =>
    JSON.parse(
      runPython(
        [
          'import sys, json, numpy as np',
          'f = np.sort(np.loadtxt(sys.argv[1]))',
          'inside = f[(f >= 3) & (f <= 7)]; below = f[f < 3][-1:]; above = f[f > 7][:1]',
          'print(json.dumps([float(x) for x in np.concatenate([below, inside, above])]))',
        ].join('\n'),
        [file],
      ),
    ) as number[];

  test("--preset lab-report analyses the 61 frequencies of the lab's code bit for bit (numpy's geomspace between the selection's ends), recorded in results.json and freqs.npy", { skip: skipNoMne }, () => {
    const selection = labSelection(labTableFile());
    assert.equal(selection.length, 61);
    assert.deepEqual([selection[0], selection[60]], [2.9797399044036865, 7.087055683135986]);
    const expected = JSON.parse(runPython(`import json, numpy as np; print(json.dumps([float(x) for x in np.geomspace(${selection[0]}, ${selection[60]}, 61)]))`)) as number[];
    const out = join(tempDir(), 'lab');
    const r = runCli(['analyze-session', '--data', SESSION, '--session', '0', '--preset', 'lab-report', '--roi', 'frontal', '--no-plots', '--output-dir', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readJson(join(out, 'results.json')).parameters.freqs, expected);
    assert.deepEqual(Array.from(readNpyFloat64(join(out, 'freqs.npy'), { minDims: 1, maxDims: 1 }).data), expected);
    // The table's own values differ from the analysed grid by < 1e-7 relative.
    assert.ok(selection.every((f, i) => Math.abs(f - expected[i]!) < 1e-7 * f && (i === 0 || i === 60 || f !== expected[i])));
  });

  test('--freqs-file with --freq-range selects by the lab\'s rule; alone it takes every value, ascending', { skip: skipNoMne }, () => {
    const file = labTableFile();
    const dir = tempDir();
    const run = (name: string, args: string[]): number[] => {
      const r = runCli(['analyze-session', '--data', SESSION, '--session', '0', '--roi', 'frontal', '--no-plots', '--freqs-file', file, ...args, '--output-dir', join(dir, name)]);
      assert.equal(r.status, 0, r.stderr);
      return readJson(join(dir, name, 'results.json')).parameters.freqs as number[];
    };
    assert.deepEqual(run('band', ['--freq-range', '3,7', '--window', '2']), labSelection(file));
    const all = run('all', []);
    assert.equal(all.length, 264);
    assert.ok(all.every((f, i) => i === 0 || f > all[i - 1]!), 'ascending');
    assert.equal(all[263], 45);
  });

  test('a frequency file with a bad line is one line naming it, exit 2', () => {
    const file = join(tempDir(), 'bad.txt');
    writeFileSync(file, '4.5\n\n5.5\nfive\n');
    const out = join(tempDir(), 'never');
    const r = runCli(['analyze-session', '--data', SESSION, '--session', '0', '--roi', 'frontal', '--freqs-file', file, '--output-dir', out]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /line 4: 'five' is not a frequency; expected one number > 0 \(Hz\) per line/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(!existsSync(out));
  });
});

describe('--min-events', () => {
  const base = ['analyze-session', '--data', SESSION, '--session', '0', '--roi', 'frontal', '--normalize', 'pre-event', '--events', 'nm,iti', '--freq-range', '3,7', '--n-freqs', '4', '--n-cycles', '5', '--window', '2', '--no-plots'];

  test('under pre-event (default 3): a group of 2 events is left out of the files, listed in results.json, and warned about once', () => {
    const out = join(tempDir(), 'out');
    const r = runCli([...base, '--output-dir', out]);
    assert.equal(r.status, 0, r.stderr);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('warning'));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0]!, /^eeg-parallel: warning: 1 events group with fewer than 3 events left out \(iti size 1: 2\); listed under excluded_groups in /);
    const json = readJson(join(out, 'results.json'));
    assert.deepEqual(json.excluded_groups.map((g: { events: string; size: number; n_events: number }) => [g.events, g.size, g.n_events]), [['iti', 1, 2]]);
    assert.match(json.excluded_groups[0].reason, /2 events, fewer than the 3 required \(--min-events, pre-event\)/);
    assert.equal(json.parameters.min_events, 3);
    assert.ok(!existsSync(join(out, 'iti_size_1_mean.npy')) && !existsSync(join(out, 'nm_minus_iti_size_1_mean.npy')));
    assert.ok(existsSync(join(out, 'iti_size_2_mean.npy')) && existsSync(join(out, 'nm_minus_iti_size_2_mean.npy')));
  });

  test('--min-events 2 keeps it, without a warning; a minimum no NM size meets fails the session', () => {
    const out = join(tempDir(), 'out');
    const r = runCli([...base, '--min-events', '2', '--output-dir', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
    assert.ok(existsSync(join(out, 'iti_size_1_mean.npy')));
    const never = join(tempDir(), 'never');
    const high = runCli([...base, '--min-events', '4', '--output-dir', never]);
    assert.equal(high.status, 2, high.stderr);
    assert.match(high.stderr, /no NM size has the 4 valid events required \(--min-events\): size 1: 3, size 2: 3, size 3: 3/);
  });

  test("analyze-rat: the groups are left out of the rat's pooled means, and warned about once for the whole rat", () => {
    const pkl = syntheticLabFile(['9151', '9151', '9151'], 12_000, 7);
    const out = join(tempDir(), 'rat');
    const r = runCli(['analyze-rat', '--data', pkl, '--rat', '9151', '--roi', 'frontal', '--normalize', 'pre-event', '--freq-range', '4,8', '--n-freqs', '3', '--window', '1', '--baseline=-0.5,-0.25', '--theta-window=0,0.3', '--no-plots', '--output-dir', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => l.includes('warning')).length, 1, r.stderr);
    const rat = readJson(join(out, 'results.json'));
    assert.ok(rat.excluded_groups.length > 0, 'seven events in three sizes leave a group below 3');
    for (const [label, size] of Object.entries(rat.sizes) as [string, { n_events: number; sessions: number[] }][]) {
      const sessions = (rat.sessions_analysed as { index: number }[]).map((s) => readJson<{ session_index: number; sizes: Record<string, { n_events: number }> }>(join(out, `session_${s.index}`, 'results.json')));
      const kept: [number, number][] = sessions.flatMap((s) => (s.sizes[label] === undefined ? [] : [[s.session_index, s.sizes[label].n_events] as [number, number]]));
      assert.deepEqual(size.sessions, kept.map(([i]) => i), `size ${label}: the sessions that kept it`);
      assert.equal(size.n_events, kept.reduce((n, [, k]) => n + k, 0), `size ${label}: events`);
      assert.ok(kept.every(([, k]) => k >= 3));
    }
  });
});
