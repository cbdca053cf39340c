/**
 * `eeg-parallel stats` (src/cli/stats.ts) on the output of `analyze-all` for six synthetic rats:
 * stats.json and its files, every cluster test equal to MNE 1.3's permutation_cluster_1samp_test
 * on the rats' mean .npy files, the Monte-Carlo mode reproducible by seed and independent of
 * --jobs and --backend, and bad input (too few rats, a missing or misshapen mean file, rats
 * analysed differently, bad options) exiting 2 with one line and writing nothing.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { encodeNpy, readNpyFloat64 } from '../../src/index.js';
import { MIN_PNG_WIDTH } from '../../src/plot/render.js';
import { assertBitwiseEqual, assertRowsClose, decode, readJson, runCli, runPython, skipWithoutMne, syntheticLabFile, tempDir } from '../helpers.js';

const skipNoMne = skipWithoutMne();

const RATS = ['9151', '9441', '9442', '9591', '10501', '10592'];
const N_FREQS = 6;
const WINDOW_SAMPLES = 200;

/** DIR of analyze-all for six synthetic rats (one 1-minute session each, ROI frontal, NM and ITI). */
let DIR = '';

before(() => {
  const pkl = syntheticLabFile(RATS, 12_000, 20);
  DIR = join(tempDir(), 'out');
  const r = runCli(['analyze-all', '--data', pkl, '--roi', 'frontal', '--events', 'nm,iti', '--n-freqs', String(N_FREQS), '--window', '1.0', '--no-plots', '--output-dir', DIR]);
  assert.equal(r.status, 0, r.stderr);
});

/** A copy of `n` rat directories of DIR (without their sessions) in a new directory. */
function copyRats(n: number): string {
  const out = tempDir();
  for (const rat of RATS.slice(0, n)) {
    cpSync(join(DIR, `rat_${rat}`), join(out, `rat_${rat}`), { recursive: true, filter: (src) => !/session_\d+$/.test(src) });
  }
  return out;
}

/** stats.json and every .npy file it names, read back. */
function readStats(dir: string): { json: any; files: Map<string, Float64Array> } {
  const json = readJson(join(dir, 'stats', 'stats.json'));
  const files = new Map<string, Float64Array>();
  for (const t of json.tests) {
    for (const f of [t.t_obs_file, t.mean_file, ...t.clusters.map((c: any) => c.mask_file)]) files.set(f, readNpyFloat64(join(dir, 'stats', f), { minDims: 2, maxDims: 2 }).data);
  }
  return { json, files };
}

function assertOneLineExit2(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^eeg-parallel: error: /);
  assert.match(r.stderr, pattern);
}

describe('eeg-parallel stats', () => {
  test('stats.json: the tests of every contrast, theta tests, files and figures', () => {
    const r = runCli(['stats', '--output-dir', DIR, '--jobs', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^6 rats: 7 cluster tests \(\d+ with a cluster p < 0\.05\), 8 theta tests/);
    assert.match(r.stderr, /ROI frontal nm size_3: 6 rats, \d+ clusters?, p = /);
    const { json } = readStats(DIR);
    assert.deepEqual(json.rats, RATS.slice().sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
    assert.deepEqual(json.rat_directories, json.rats.map((id: string) => `rat_${id}`));
    assert.deepEqual(
      json.tests.map((t: any) => `${t.events} ${t.contrast}`),
      ['nm size_1', 'nm size_2', 'nm size_3', 'nm-iti nm-iti_size_1', 'nm-iti nm-iti_size_2', 'nm-iti nm-iti_size_3', 'nm size_3-size_1'],
    );
    for (const t of json.tests) {
      assert.equal(t.roi, 'frontal');
      assert.deepEqual([t.n_rats, t.n_permutations, t.exact, t.seed], [6, 32, true, null]);
      assert.ok(Math.abs(t.threshold - 2.570581835636315) < 1e-12, `threshold ${t.threshold}: t quantile at 0.975, df 5`);
      for (const c of t.clusters) assert.deepEqual(Object.keys(c), ['p_value', 'sum_t', 'n_points', 'mask_file']);
    }
    // The theta bursts grow with the NM size: size 3 has a significant cluster (p = 1/32).
    const size3 = json.tests.find((t: any) => t.contrast === 'size_3');
    assert.ok(size3.clusters.some((c: any) => c.p_value === 1 / 32), JSON.stringify(size3.clusters));
    assert.deepEqual(
      json.theta.map((t: any) => `${t.events} ${t.contrast} ${t.n_rats}`),
      ['nm size_1 6', 'nm size_2 6', 'nm size_3 6', 'nm trend 6', 'iti size_1 6', 'iti size_2 6', 'iti size_3 6', 'iti trend 6'],
    );
    const nmTrend = json.theta.find((t: any) => t.events === 'nm' && t.contrast === 'trend');
    assert.ok(nmTrend.mean > 0 && nmTrend.p < 0.05, `NM theta trend: ${nmTrend.mean}, p ${nmTrend.p}`);
    assert.equal(nmTrend.df, 5);
    assert.deepEqual(json.skipped, []);
    assert.deepEqual(json.parameters, { tail: 0, threshold: null, n_permutations: null, seed: 0, theta_band: [3, 7], theta_window: [-0.2, 0] });
    assert.deepEqual(
      json.figures,
      ['roi_frontal/nm_size_clusters', 'roi_frontal/nm-iti_clusters', 'roi_frontal/nm_size_3-size_1_clusters', 'theta_bars'].flatMap((s) => [`${s}.png`, `${s}.svg`]),
    );
    for (const f of json.figures.filter((f: string) => f.endsWith('.png'))) assert.ok(decode(readFileSync(join(DIR, 'stats', f))).width >= MIN_PNG_WIDTH, f);
    assert.deepEqual(Array.from(readNpyFloat64(join(DIR, 'stats', json.freqs_file)).data), Array.from(readNpyFloat64(join(DIR, 'rat_9151', 'freqs.npy')).data));
    assert.equal(readNpyFloat64(join(DIR, 'stats', json.window_times_file)).data.length, WINDOW_SAMPLES);
  });

  test('every cluster test equals MNE 1.3 permutation_cluster_1samp_test on the rats\' mean files', { skip: skipNoMne }, () => {
    const r = runCli(['stats', '--output-dir', DIR, '--no-plots']);
    assert.equal(r.status, 0, r.stderr);
    const { json, files } = readStats(DIR);
    const mne = JSON.parse(
      runPython(
        `import json, os, sys, numpy as np, mne
d = sys.argv[1]; s = json.load(open(os.path.join(d, 'stats', 'stats.json')))
def mean(rat, events, size): return np.load(os.path.join(d, 'rat_' + rat, f'{events}_size_{size}_mean.npy'))
out = []
for t in s['tests']:
    c = t['contrast']
    if c == 'size_3-size_1': rows = [mean(r, 'nm', 3) - mean(r, 'nm', 1) for r in t['rats']]
    elif c.startswith('nm-iti'): rows = [mean(r, 'nm', c[-1]) - mean(r, 'iti', c[-1]) for r in t['rats']]
    else: rows = [mean(r, 'nm', c[-1]) for r in t['rats']]
    T, clusters, p, H0 = mne.stats.permutation_cluster_1samp_test(np.stack(rows), n_permutations=10000, tail=0, out_type='mask', seed=0, verbose=False)
    out.append({'t': T.ravel().tolist(), 'masks': [m.astype(int).ravel().tolist() for m in clusters], 'p': p.tolist()})
print(json.dumps(out))`,
        [DIR],
      ),
    ) as { t: number[]; masks: number[][]; p: number[] }[];
    assert.equal(mne.length, json.tests.length);
    json.tests.forEach((t: any, i: number) => {
      const ref = mne[i]!;
      const what = `${t.events} ${t.contrast}`;
      assertRowsClose(files.get(t.t_obs_file)!, ref.t, WINDOW_SAMPLES, 1e-9, `${what}: t map`);
      assert.equal(t.clusters.length, ref.masks.length, `${what}: clusters`);
      t.clusters.forEach((c: any, k: number) => assert.deepEqual(Array.from(files.get(c.mask_file)!), ref.masks[k], `${what}: mask ${k}`));
      assert.deepEqual(t.clusters.map((c: any) => c.p_value), ref.p, `${what}: p-values`);
    });
    assert.ok(json.tests.reduce((n: number, t: any) => n + t.clusters.length, 0) >= 7, 'clusters to compare');
  });

  test('Monte-Carlo: reproducible by seed, the same bits for every --jobs and --backend', () => {
    const run = (...args: string[]) => {
      const r = runCli(['stats', '--output-dir', DIR, '--no-plots', '--n-permutations', '20', ...args]);
      assert.equal(r.status, 0, r.stderr);
      return readStats(DIR);
    };
    const reference = run('--seed', '5', '--jobs', '1');
    for (const t of reference.json.tests) assert.deepEqual([t.n_permutations, t.exact, t.seed], [20, false, 5]);
    assert.equal(reference.json.parameters.n_permutations, 20);
    for (const args of [['--jobs', '3'], ['--jobs', '2', '--backend', 'processes'], ['--jobs', '1']]) {
      const other = run('--seed', '5', ...args);
      assert.deepEqual(other.json, reference.json, args.join(' '));
      for (const [f, data] of reference.files) assertBitwiseEqual(other.files.get(f)!, data, `${args.join(' ')}: ${f}`);
    }
    const pValues = (s: { json: any }) => s.json.tests.flatMap((t: any) => t.clusters.map((c: any) => c.p_value));
    assert.notDeepEqual(pValues(run('--seed', '6')), pValues(reference), 'another seed, other draws');
  });
});

describe('eeg-parallel stats: bad input exits 2 with one line and writes nothing', () => {
  test('fewer than 3 rats; no such directory', () => {
    const dir = copyRats(2);
    assertOneLineExit2(runCli(['stats', '--output-dir', dir]), /statistics need at least 3 complete rat results under '.*' \(rats are the observations\), found 2/);
    assert.ok(!existsSync(join(dir, 'stats')));
    assertOneLineExit2(runCli(['stats', '--output-dir', join(dir, 'missing')]), /does not exist/);
  });

  test('a missing or misshapen mean file, rats of other frequencies or normalisation: an earlier stats/ stays as it was', () => {
    const dir = copyRats(4);
    assert.equal(runCli(['stats', '--output-dir', dir, '--no-plots']).status, 0);
    const json = join(dir, 'stats', 'stats.json');
    const before = { mtime: statSync(json).mtimeMs, files: readdirSync(join(dir, 'stats', 'roi_frontal')).sort() };
    const unchanged = (): void => {
      assert.equal(statSync(json).mtimeMs, before.mtime, 'stats.json untouched');
      assert.deepEqual(readdirSync(join(dir, 'stats', 'roi_frontal')).sort(), before.files);
    };

    const victim = join(dir, 'rat_9591');
    const mean = join(victim, 'nm_size_2_mean.npy');
    const saved = readFileSync(mean);
    rmSync(mean);
    assertOneLineExit2(runCli(['stats', '--output-dir', dir]), /rat_9591.*nm_size_2_mean\.npy/);
    unchanged();

    writeFileSync(mean, encodeNpy(new Float64Array(N_FREQS * 100), [N_FREQS, 100]));
    assertOneLineExit2(runCli(['stats', '--output-dir', dir]), /rat 9591, ROI frontal, nm size 2: the mean has 600 values, expected n_freqs × window_samples = 6 × 200/);
    unchanged();
    writeFileSync(mean, saved);

    const freqs = join(victim, 'freqs.npy');
    const savedFreqs = readFileSync(freqs);
    writeFileSync(freqs, encodeNpy(Float64Array.from({ length: N_FREQS }, (_, i) => 3 + i), [N_FREQS]));
    assertOneLineExit2(runCli(['stats', '--output-dir', dir]), /rat 9591 was analysed with other frequencies than rat 9151/);
    unchanged();
    writeFileSync(freqs, savedFreqs);

    const results = join(victim, 'results.json');
    const savedResults = readFileSync(results, 'utf8');
    const edited = JSON.parse(savedResults);
    edited.parameters.normalize = 'pre-event';
    writeFileSync(results, JSON.stringify(edited));
    assertOneLineExit2(runCli(['stats', '--output-dir', dir]), /rat 9591 \(.*\) was analysed with normalize "pre-event", rat 9151 with "session-z"; cannot test them together/);
    unchanged();
    writeFileSync(results, savedResults);
    assert.equal(runCli(['stats', '--output-dir', dir, '--no-plots']).status, 0, 'whole again');
  });

  test('bad options', () => {
    const dir = copyRats(3);
    for (const [args, pattern] of [
      [['--tail', '2'], /--tail: '2' must be -1, 0 or 1/],
      [['--threshold', '-2'], /threshold -2 has the wrong sign for tail 0: it must be positive/],
      [['--tail', '-1', '--threshold', '2'], /threshold 2 has the wrong sign for tail -1: it must be negative/],
      [['--n-permutations', '0'], /--n-permutations: '0' must be an integer >= 1/],
      [['--seed', '1.5'], /--seed: '1\.5' must be an integer >= 0/],
      [['--jobs', '0'], /--jobs: '0' must be an integer >= 1/],
      [['--backend', 'gpu'], /--backend: 'gpu' is not one of threads, processes/],
    ] as const) {
      assertOneLineExit2(runCli(['stats', '--output-dir', dir, ...args]), pattern);
    }
    assert.ok(!existsSync(join(dir, 'stats')));
  });
});
