/**
 * The cross-rat statistics (src/analysis/rat-stats.ts) on in-memory rats: the contrasts of each
 * ROI and the rats entering each (only rats having every term), X assembled as the rats' maps (NM
 * − ITI, size 3 − size 1 paired per rat) — each test equal to permutationClusterTest on X built by
 * hand —, the theta t tests and trend against SciPy / numpy, skipped tests, and the errors.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { MIN_RATS, ratStatistics, validateStatsRats, type StatsRat, type ThetaSizeTest, type ThetaTrendTest } from '../../src/analysis/rat-stats.js';
import { thetaOf, thetaSelection } from '../../src/analysis/theta.js';
import type { EventKind } from '../../src/analysis/events.js';
import { InvalidParameterError, lstsqSlope, permutationClusterTest, shutdownPools, ttest1samp } from '../../src/index.js';
import { assertBitwiseEqual, runPython } from '../helpers.js';

after(() => shutdownPools());

const N_FREQS = 4;
const N_TIMES = 12;
const FREQS = Float64Array.from([3, 4.5, 6, 9]);
const TIMES = Float64Array.from({ length: N_TIMES }, (_, i) => -0.55 + 0.1 * i);

/** A seeded uniform generator in [0, 1) (xorshift32). */
function uniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** A rat's mean map: noise plus a blob after the event growing with the NM size (none for ITI). */
function map(rand: () => number, events: EventKind, size: number): Float64Array {
  const m = new Float64Array(N_FREQS * N_TIMES);
  for (let f = 0; f < N_FREQS; f++) {
    for (let t = 0; t < N_TIMES; t++) {
      const blob = events === 'nm' && f >= 1 && f <= 2 && t >= 6 ? 0.8 * size : 0;
      m[f * N_TIMES + t] = blob + (rand() - 0.5) * 1.2;
    }
  }
  return m;
}

type GroupSpec = readonly (readonly [EventKind, number])[];
const ALL: GroupSpec = [['nm', 1], ['nm', 2], ['nm', 3], ['iti', 1], ['iti', 2], ['iti', 3]];

function rat(id: string, seed: number, groups: GroupSpec = ALL, rois: readonly string[] = ['frontal']): StatsRat {
  const rand = uniform(seed);
  return {
    ratId: id,
    freqs: FREQS,
    windowTimes: TIMES,
    rois: rois.map((key) => ({ key, label: key, groups: groups.map(([events, size]) => ({ events, size, mean: map(rand, events, size) })) })),
    electrodes: null,
  };
}

const THETA = thetaSelection(FREQS, TIMES, [3, 7], [0.05, 0.45]);

const groupOf = (r: StatsRat, roi: string, events: EventKind, size: number): Float64Array =>
  r.rois.find((x) => x.key === roi)!.groups.find((g) => (g.events ?? 'nm') === events && g.size === size)!.mean;

describe('ratStatistics: contrasts and their rats', () => {
  // r4 lacks ITI size 2, r5 NM size 3; ITI size 3 only r1 and r2 have.
  const rats = [
    rat('r1', 1),
    rat('r2', 2),
    rat('r3', 3, ALL.filter(([e, s]) => !(e === 'iti' && s === 3))),
    rat('r4', 4, ALL.filter(([e, s]) => !(e === 'iti' && (s === 2 || s === 3)))),
    rat('r5', 5, ALL.filter(([e, s]) => !(e === 'nm' && s === 3) && !(e === 'iti' && s === 3))),
  ];

  test('per ROI: size_<s>, nm-iti_size_<s>, size_3-size_1, in that order, each over the rats having every term', async () => {
    const stats = await ratStatistics(rats, THETA);
    assert.deepEqual(
      stats.tests.map((t) => [t.events, t.contrast, t.rats.join(',')]),
      [
        ['nm', 'size_1', 'r1,r2,r3,r4,r5'],
        ['nm', 'size_2', 'r1,r2,r3,r4,r5'],
        ['nm', 'size_3', 'r1,r2,r3,r4'],
        ['nm-iti', 'nm-iti_size_1', 'r1,r2,r3,r4,r5'],
        ['nm-iti', 'nm-iti_size_2', 'r1,r2,r3,r5'],
        ['nm', 'size_3-size_1', 'r1,r2,r3,r4'],
      ],
    );
    // ITI size 3: r1 and r2 only: its NM − ITI contrast and its theta test are skipped.
    assert.deepEqual(
      stats.skipped.map((s) => [s.kind, s.events, s.contrast, s.nRats]),
      [
        ['cluster', 'nm-iti', 'nm-iti_size_3', 2],
        ['theta', 'iti', 'size_3', 2],
        ['theta', 'iti', 'trend', 2],
      ],
    );
    assert.match(stats.skipped[0]!.reason, /only 2 rats have both nm size 3 and iti size 3; at least 3 needed/);
    assert.equal(stats.tail, 0);
    assert.deepEqual(stats.rats, ['r1', 'r2', 'r3', 'r4', 'r5']);
  });

  test('each test is permutationClusterTest on the rats\' maps (differences paired per rat), bit for bit', async () => {
    const options = { nPermutations: 12, seed: 4 };
    const stats = await ratStatistics(rats, null, options);
    const size = N_FREQS * N_TIMES;
    for (const t of stats.tests) {
      const rows = t.rats.map((id) => {
        const r = rats.find((x) => x.ratId === id)!;
        const s = Number(t.contrast.replace(/^.*_/, ''));
        if (t.events === 'nm-iti') return groupOf(r, 'frontal', 'nm', s).map((v, j) => v - groupOf(r, 'frontal', 'iti', s)[j]!);
        if (t.contrast === 'size_3-size_1') return groupOf(r, 'frontal', 'nm', 3).map((v, j) => v - groupOf(r, 'frontal', 'nm', 1)[j]!);
        return groupOf(r, 'frontal', 'nm', s);
      });
      const X = new Float64Array(rows.length * size);
      rows.forEach((row, i) => X.set(row, i * size));
      const expected = await permutationClusterTest(X, { nObservations: rows.length, nFreqs: N_FREQS, nTimes: N_TIMES }, options);
      assertBitwiseEqual(t.result.tObs, expected.tObs, `${t.contrast}: t map`);
      assertBitwiseEqual(t.result.h0, expected.h0, `${t.contrast}: H0`);
      assert.deepEqual(t.result.clusters, expected.clusters, `${t.contrast}: clusters`);
      assert.equal(t.result.exact, expected.exact);
      const mean = new Float64Array(size);
      for (const row of rows) for (let j = 0; j < size; j++) mean[j] = mean[j]! + row[j]!;
      assertBitwiseEqual(t.mean, mean.map((v) => v / rows.length), `${t.contrast}: mean`);
    }
    assert.ok(stats.tests.some((t) => t.result.clusters.length > 0), 'some test has clusters');
    assert.equal(stats.theta.length, 0, 'no theta selection: no theta test');
  });

  test('the options reach every test: threshold, tail, Monte-Carlo permutations', async () => {
    const stats = await ratStatistics(rats, null, { threshold: -1.5, tail: -1, nPermutations: 10, seed: 1 });
    for (const t of stats.tests) {
      assert.equal(t.result.threshold, -1.5);
      assert.equal(t.result.nPermutations, 10);
      assert.equal(t.result.exact, false);
      for (const c of t.result.clusters) assert.ok(c.sumT < 0, 'tail −1: negative clusters only');
    }
    assert.equal(stats.tail, -1);
  });

  test('several ROIs, one of them only in some rats', async () => {
    const many = [rat('a', 11, ALL, ['frontal', 'motor']), rat('b', 12, ALL, ['frontal', 'motor']), rat('c', 13, ALL, ['frontal']), rat('d', 14, ALL, ['frontal', 'motor'])];
    const stats = await ratStatistics(many, THETA, { nPermutations: 8 });
    assert.deepEqual([...new Set(stats.tests.map((t) => t.roi))], ['frontal', 'motor']);
    for (const t of stats.tests) assert.deepEqual(t.rats, t.roi === 'frontal' ? ['a', 'b', 'c', 'd'] : ['a', 'b', 'd']);
    assert.equal(stats.tests.length, 14);
    assert.equal(stats.theta.length, 16);
  });
});

describe('ratStatistics: theta tests', () => {
  const rats = [1, 2, 3, 4, 5, 6].map((i) => rat(`r${i}`, 20 + i, i === 6 ? ALL.filter(([e, s]) => !(e === 'nm' && s === 2)) : ALL));

  test('per events kind and size the t test of the rats\' theta, then the trend of their slopes (SciPy, numpy)', async () => {
    const stats = await ratStatistics(rats, THETA, { nPermutations: 4 });
    assert.deepEqual(
      stats.theta.map((t) => [t.events, t.contrast, t.rats.length]),
      [
        ['nm', 'size_1', 6],
        ['nm', 'size_2', 5],
        ['nm', 'size_3', 6],
        ['nm', 'trend', 5],
        ['iti', 'size_1', 6],
        ['iti', 'size_2', 6],
        ['iti', 'size_3', 6],
        ['iti', 'trend', 6],
      ],
    );
    for (const t of stats.theta) {
      if (t.kind === 'size') {
        const values = t.rats.map((id) => thetaOf(groupOf(rats.find((r) => r.ratId === id)!, 'frontal', t.events, t.size), N_TIMES, THETA));
        assert.deepEqual(t.values, values);
        assert.deepEqual({ t: t.t, df: t.df, p: t.p }, ttest1samp(Float64Array.from(values)));
      } else {
        const slopes = t.rats.map((id) => {
          const r = rats.find((x) => x.ratId === id)!;
          return lstsqSlope(Float64Array.from([1, 2, 3]), Float64Array.from([1, 2, 3], (s) => thetaOf(groupOf(r, 'frontal', t.events, s), N_TIMES, THETA)));
        });
        assert.deepEqual(t.slopes, slopes);
        assert.deepEqual(t.sizes, [1, 2, 3]);
      }
    }
    const nmTrend = stats.theta.find((t): t is ThetaTrendTest => t.kind === 'trend' && t.events === 'nm')!;
    assert.ok(nmTrend.mean > 0.3 && nmTrend.p < 0.01, `NM theta grows with size: slope ${nmTrend.mean}, p ${nmTrend.p}`);

    // SciPy and numpy on the same theta values.
    const sizeTests = stats.theta.filter((t): t is ThetaSizeTest => t.kind === 'size');
    const trends = stats.theta.filter((t): t is ThetaTrendTest => t.kind === 'trend');
    const thetas = trends.map((t) => t.rats.map((id) => [1, 2, 3].map((s) => thetaOf(groupOf(rats.find((r) => r.ratId === id)!, 'frontal', t.events, s), N_TIMES, THETA))));
    const out = JSON.parse(
      runPython(
        `import json, sys, numpy as np, scipy.stats as st
d = json.load(sys.stdin)
sizes = [list(st.ttest_1samp(np.array(v), 0)) for v in d['values']]
trends = []
for rows in d['thetas']:
    b = np.array([np.polyfit([1, 2, 3], r, 1)[0] for r in rows])
    trends.append([list(b), list(st.ttest_1samp(b, 0)), float(b.mean()), float(b.std(ddof=1) / np.sqrt(len(b)))])
print(json.dumps({'sizes': sizes, 'trends': trends}))`,
        [],
        { input: JSON.stringify({ values: sizeTests.map((t) => t.values), thetas }) },
      ),
    ) as { sizes: [number, number][]; trends: [number[], [number, number], number, number][] };
    sizeTests.forEach((t, i) => {
      const [tt, p] = out.sizes[i]!;
      assert.ok(Math.abs(t.t - tt) <= 1e-12 * Math.abs(tt), `${t.events} ${t.contrast}: t ${t.t} vs SciPy ${tt}`);
      assert.ok(Math.abs(t.p - p) <= 1e-9 * p + 1e-15, `${t.events} ${t.contrast}: p ${t.p} vs SciPy ${p}`);
    });
    trends.forEach((t, i) => {
      const [b, [tt, p], mean, se] = out.trends[i]!;
      t.slopes.forEach((s, k) => assert.ok(Math.abs(s - b[k]!) <= 1e-12 * Math.max(1, Math.abs(b[k]!)), `slope ${s} vs numpy ${b[k]}`));
      assert.ok(Math.abs(t.t - tt) <= 1e-9 * Math.abs(tt), `${t.events} trend: t ${t.t} vs SciPy ${tt}`);
      assert.ok(Math.abs(t.p - p) <= 1e-8 * p + 1e-15, `${t.events} trend: p ${t.p} vs SciPy ${p}`);
      assert.ok(Math.abs(t.mean - mean) <= 1e-12 && Math.abs(t.se - se) <= 1e-12, 'mean and SE of the slopes');
    });
  });
});

describe('ratStatistics: errors before any test', () => {
  const three = [rat('a', 1), rat('b', 2), rat('c', 3)];

  test('fewer than 3 rats', async () => {
    assert.equal(MIN_RATS, 3);
    await assert.rejects(ratStatistics(three.slice(0, 2), THETA), /statistics need at least 3 rats \(rats are the observations\), got 2/);
  });

  test('a rat analysed with other frequencies or windows, a mean of the wrong length, a non-finite value, a rat twice', async () => {
    const otherFreqs = { ...rat('d', 4), freqs: Float64Array.from([3, 4.5, 6, 10]) };
    await assert.rejects(ratStatistics([...three, otherFreqs], THETA), /rat d was analysed with other frequencies than rat a/);
    const otherTimes = { ...rat('d', 4), windowTimes: TIMES.subarray(1) };
    await assert.rejects(ratStatistics([...three, otherTimes], THETA), /rat d was analysed with other windows than rat a/);
    const short = rat('d', 4);
    (short.rois[0]!.groups[1] as { mean: Float64Array }).mean = new Float64Array(N_FREQS * N_TIMES - 1);
    await assert.rejects(ratStatistics([...three, short], THETA), /rat d, ROI frontal, nm size 2: the mean has 47 values, expected n_freqs × window_samples = 4 × 12/);
    const nan = rat('d', 4);
    nan.rois[0]!.groups[4]!.mean[13] = NaN;
    await assert.rejects(ratStatistics([...three, nan], THETA), /rat d, ROI frontal, iti size 2: the mean has a non-finite value \(NaN\) at frequency 1, time 1/);
    assert.throws(() => validateStatsRats([...three, rat('a', 9)]), /rat a is given twice/);
  });

  test('a threshold of the wrong sign for the tail', async () => {
    await assert.rejects(ratStatistics(three, THETA, { threshold: 2, tail: -1 }), InvalidParameterError);
    await assert.rejects(ratStatistics(three, THETA, { threshold: -2 }), /threshold -2 has the wrong sign for tail 0: it must be positive/);
  });
});
