/**
 * The statistics' files (src/results/stats-files.ts): stats.json's fields, the t maps, means and
 * cluster masks as numpy reads them, figures listed, and a rerun that removes the files of an
 * earlier run it does not write again (and nothing else).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ratStatistics, type StatsRat } from '../../src/analysis/rat-stats.js';
import { thetaSelection } from '../../src/analysis/theta.js';
import { readNpyFloat64, shutdownPools } from '../../src/index.js';
import type { FigureSet } from '../../src/plot/render.js';
import { STATS_FILE, statsJson, testStem, writeStatsResults, type StatsContext } from '../../src/results/stats-files.js';
import { assertBitwiseEqual, readJson, runPython, tempDir } from '../helpers.js';

after(() => shutdownPools());

const FREQS = Float64Array.from([4, 5, 6]);
const TIMES = Float64Array.from({ length: 10 }, (_, i) => -0.45 + 0.1 * i);

function rats(n: number, effect: number): StatsRat[] {
  let s = 7;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  return Array.from({ length: n }, (_, i) => ({
    ratId: String(100 + i),
    freqs: FREQS,
    windowTimes: TIMES,
    rois: [
      {
        key: 'frontal',
        label: 'frontal',
        groups: ([['nm', 1], ['nm', 3], ['iti', 1]] as const).map(([events, size]) => ({
          events,
          size,
          mean: Float64Array.from({ length: 30 }, (_, j) => (events === 'nm' && j % 10 >= 5 ? effect * size : 0) + rand()),
        })),
      },
    ],
    electrodes: null,
  }));
}

const fakeFigure = (text: string): FigureSet => ({ png: Buffer.from(`png ${text}`), svg: `<svg>${text}</svg>`, width: 1, height: 1, plots: [] });

function context(figures: string[]): StatsContext {
  return {
    ratDirs: ['rat_100', 'rat_101'],
    parameters: { tail: 0, threshold: null, nPermutations: null, seed: 0, theta: thetaSelection(FREQS, TIMES, [4, 6], [0, 0.3]) },
    figures: figures.map((stem) => ({ stem, figure: fakeFigure(stem) })),
  };
}

describe('writeStatsResults', () => {
  test('stats.json and its .npy files (numpy-readable), figures; paths relative to the stats directory', async () => {
    const theta = thetaSelection(FREQS, TIMES, [4, 6], [0, 0.3]);
    const stats = await ratStatistics(rats(6, 1.5), theta);
    const dir = join(tempDir(), 'stats');
    const path = await writeStatsResults(dir, stats, context(['roi_frontal/nm_size_clusters', 'theta_bars']));
    assert.equal(path, join(dir, STATS_FILE));
    const json = readJson(path);
    assert.deepEqual(Object.keys(json), ['kind', 'version', 'rats', 'rat_directories', 'parameters', 'freqs_file', 'window_times_file', 'tests', 'theta', 'skipped', 'figures']);
    assert.deepEqual(json.parameters, { tail: 0, threshold: null, n_permutations: null, seed: 0, theta_band: [4, 6], theta_window: [0, 0.3] });
    assert.deepEqual(
      json.tests.map((t: any) => t.contrast),
      ['size_1', 'size_3', 'nm-iti_size_1', 'size_3-size_1'],
    );
    const first = json.tests[0];
    assert.deepEqual(Object.keys(first), ['roi', 'events', 'contrast', 'n_rats', 'rats', 'n_permutations', 'exact', 'seed', 'threshold', 't_obs_file', 'mean_file', 'clusters']);
    assert.equal(first.t_obs_file, 'roi_frontal/nm_size_1_t_obs.npy');
    assert.equal(json.tests[2].t_obs_file, 'roi_frontal/nm-iti_size_1_t_obs.npy');
    assert.equal(testStem(stats.tests[3]!), 'roi_frontal/nm_size_3-size_1');
    assert.deepEqual([first.n_rats, first.n_permutations, first.exact, first.seed], [6, 32, true, null]);
    stats.tests.forEach((t, i) => {
      const entry = json.tests[i];
      const tObs = readNpyFloat64(join(dir, entry.t_obs_file), { minDims: 2, maxDims: 2 });
      assert.deepEqual(tObs.shape, [3, 10]);
      assertBitwiseEqual(tObs.data, t.result.tObs, entry.t_obs_file);
      assertBitwiseEqual(readNpyFloat64(join(dir, entry.mean_file)).data, t.mean, entry.mean_file);
      assert.equal(entry.threshold, t.result.threshold);
      assert.equal(entry.clusters.length, t.result.clusters.length);
      entry.clusters.forEach((c: any, k: number) => {
        const cluster = t.result.clusters[k]!;
        assert.deepEqual([c.p_value, c.sum_t, c.n_points], [cluster.pValue, cluster.sumT, cluster.mask.reduce((a, b) => a + b, 0)]);
        assert.deepEqual(Array.from(readNpyFloat64(join(dir, c.mask_file)).data), Array.from(cluster.mask));
      });
    });
    assert.ok(stats.tests.some((t) => t.result.clusters.length > 0), 'some clusters written');
    assert.deepEqual(Object.keys(json.theta[0]), ['roi', 'events', 'contrast', 'size', 'n_rats', 'rats', 'theta', 'mean', 'se', 't', 'df', 'p']);
    assert.deepEqual(json.theta.map((t: any) => `${t.events} ${t.contrast}`), ['nm size_1', 'nm size_3', 'iti size_1']);
    assert.deepEqual(json.figures, ['roi_frontal/nm_size_clusters.png', 'roi_frontal/nm_size_clusters.svg', 'theta_bars.png', 'theta_bars.svg']);
    assert.equal(readFileSync(join(dir, 'theta_bars.svg'), 'utf8'), '<svg>theta_bars</svg>');

    // numpy reads every file stats.json names; the masks are 0/1.
    const checked = runPython(
      `import json, sys, os, numpy as np
d = sys.argv[1]; s = json.load(open(os.path.join(d, 'stats.json')))
f = np.load(os.path.join(d, s['freqs_file'])); w = np.load(os.path.join(d, s['window_times_file']))
n = 0
for t in s['tests']:
    assert np.load(os.path.join(d, t['t_obs_file'])).shape == (len(f), len(w))
    for c in t['clusters']:
        m = np.load(os.path.join(d, c['mask_file']))
        assert m.dtype == np.float64 and set(np.unique(m)) <= {0.0, 1.0} and m.sum() == c['n_points']
        n += 1
print(n)`,
      [dir],
    );
    assert.equal(Number(checked), stats.tests.reduce((a, t) => a + t.result.clusters.length, 0));
  });

  test('a rerun removes the files of the earlier stats.json it does not write again, and no other file', async () => {
    const dir = join(tempDir(), 'stats');
    const before = await ratStatistics(rats(6, 1.5), null);
    await writeStatsResults(dir, before, context(['roi_frontal/nm_size_clusters']));
    const earlier = readJson(join(dir, STATS_FILE));
    const masks: string[] = earlier.tests.flatMap((t: any) => t.clusters.map((c: any) => c.mask_file));
    assert.ok(masks.length > 0);
    writeFileSync(join(dir, 'notes.txt'), 'mine');

    const after = await ratStatistics(rats(6, 0), null, { threshold: 50 });
    await writeStatsResults(dir, after, context([]));
    const json = readJson(join(dir, STATS_FILE));
    assert.ok(json.tests.every((t: any) => t.clusters.length === 0), 'no cluster above t = 50');
    for (const m of masks) assert.ok(!existsSync(join(dir, m)), `${m} removed`);
    assert.ok(!existsSync(join(dir, 'roi_frontal/nm_size_clusters.png')), 'figure of the earlier run removed');
    for (const t of json.tests) assert.ok(existsSync(join(dir, t.t_obs_file)));
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
    assert.equal(json.parameters.threshold, null, 'as given in the context');
  });

  test('statsJson writes NaN statistics as null', async () => {
    // Every map 0: theta 0 for every rat, t = 0 / 0.
    const same = rats(3, 0).map((r) => ({ ...r, rois: [{ ...r.rois[0]!, groups: r.rois[0]!.groups.map((g) => ({ ...g, mean: new Float64Array(30) })) }] }));
    const stats = await ratStatistics(same, thetaSelection(FREQS, TIMES, [4, 6], [0, 0.3]));
    const json = JSON.parse(JSON.stringify(statsJson(stats, context([]))));
    assert.equal(json.theta[0].t, null);
    assert.equal(json.theta[0].p, null);
  });
});
