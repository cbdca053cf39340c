/**
 * The statistics core (src/compute/cluster-test.ts, permutation-tasks.ts, permutation-runs.ts,
 * ttest.ts): the cluster permutation test against MNE 1.3's golden files
 * (scripts/make_stats_fixtures.py), Monte-Carlo reproducibility, bitwise identity across job
 * counts, backends and batch sizes (fast-check), the t test and slope against SciPy / numpy, and
 * the parameter errors.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  InvalidParameterError,
  lstsqSlope,
  permutationClusterTest,
  readNpy,
  readNpyFloat64,
  shutdownPools,
  ttest1samp,
  type Backend,
  type ClusterShape,
  type ClusterTestOptions,
  type ClusterTestResult,
  type Tail,
} from '../../src/index.js';
import { drawPatterns, isExact, numpySum, patternCount, writePattern } from '../../src/compute/cluster-test.js';
import { tPpf } from '../../src/compute/t-dist.js';
import { assertBitwiseEqual, assertRowsClose, fixturePath, readJson } from '../helpers.js';

after(() => shutdownPools());

const STATS = fixturePath('mne', 'stats');

interface Case {
  name: string;
  params: any;
  X: Float64Array;
  shape: ClusterShape;
}

const CASES: Case[] = readdirSync(STATS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => {
    const params = readJson(`${STATS}/${d.name}/params.json`);
    return {
      name: d.name,
      params,
      X: readNpyFloat64(`${STATS}/${d.name}/X.npy`).data,
      shape: { nObservations: params.n_observations, nFreqs: params.n_freqs, nTimes: params.n_times },
    };
  });

function optionsOf(c: Case): ClusterTestOptions {
  return { tail: c.params.tail as Tail, nPermutations: c.params.n_permutations, ...(c.params.threshold !== null && { threshold: c.params.threshold }) };
}

function assertSameResult(actual: ClusterTestResult, expected: ClusterTestResult, what: string): void {
  assertBitwiseEqual(actual.tObs, expected.tObs, `${what}: t map`);
  assertBitwiseEqual(actual.h0, expected.h0, `${what}: H0`);
  assert.equal(actual.clusters.length, expected.clusters.length, `${what}: clusters`);
  actual.clusters.forEach((c, i) => {
    assert.deepEqual(c.mask, expected.clusters[i]!.mask, `${what}: mask ${i}`);
    assert.ok(Object.is(c.sumT, expected.clusters[i]!.sumT), `${what}: sum ${i}`);
    assert.ok(Object.is(c.pValue, expected.clusters[i]!.pValue), `${what}: p ${i}`);
  });
  assert.deepEqual(
    { n: actual.nPermutations, exact: actual.exact, threshold: actual.threshold },
    { n: expected.nPermutations, exact: expected.exact, threshold: expected.threshold },
  );
}

describe('permutationClusterTest against MNE 1.3 permutation_cluster_1samp_test', () => {
  test('the fixtures cover the cases the method needs', () => {
    const ns = new Set(CASES.map((c) => c.params.n_observations));
    for (const n of [3, 5, 8, 14]) assert.ok(ns.has(n), `a case with n = ${n}`);
    for (const tail of [-1, 0, 1]) assert.ok(CASES.some((c) => c.params.tail === tail && c.params.exact), `an exact case with tail ${tail}`);
    assert.ok(CASES.some((c) => c.params.n_h0 === 0), 'a case without clusters');
    assert.ok(CASES.some((c) => c.params.n_observations === 14 && c.params.n_h0 === 8192), 'the 14-rat exact case');
  });

  for (const c of CASES) {
    test(`${c.name}: ${c.params.description}`, async () => {
      const dir = `${STATS}/${c.name}`;
      const r = await permutationClusterTest(c.X, c.shape, optionsOf(c));
      const tExpected = readNpyFloat64(`${dir}/t_obs.npy`).data;
      assertRowsClose(r.tObs, tExpected, c.shape.nTimes, 1e-9, 't map');
      // Stronger than asked: the same operations in the same order as numpy, so the same bits.
      assertBitwiseEqual(r.tObs, tExpected, 't map');

      if (c.params.threshold === null) {
        // SciPy 1.10's t.ppf (cephes stdtrit) is accurate to ~2e-9 only; ours to 1e-15 (t-dist.ts).
        assert.ok(Math.abs(r.threshold - c.params.threshold_used) <= 1e-8 * Math.abs(c.params.threshold_used), `threshold ${r.threshold} vs ${c.params.threshold_used}`);
      } else {
        assert.equal(r.threshold, c.params.threshold);
      }
      assert.equal(r.exact, c.params.exact, 'exact');

      const masks = readNpy(`${dir}/masks.npy`);
      const nClusters = masks.shape[0]!;
      assert.equal(r.clusters.length, nClusters, 'number of clusters');
      const size = c.shape.nFreqs * c.shape.nTimes;
      r.clusters.forEach((cluster, i) => {
        assert.deepEqual(cluster.mask, (masks.data as Uint8Array).subarray(i * size, (i + 1) * size), `mask of cluster ${i}`);
      });
      const sums = readNpyFloat64(`${dir}/sums.npy`).data;
      assertBitwiseEqual(Float64Array.from(r.clusters, (k) => k.sumT), sums, 'cluster sums');

      if (nClusters === 0) {
        assert.equal(r.h0.length, 0, 'no cluster: no H0');
        return;
      }
      if (!c.params.exact) {
        assert.equal(r.nPermutations, c.params.n_permutations);
        assert.equal(r.h0.length, c.params.n_permutations);
        return; // MNE's numpy RandomState draws are not reproduced
      }
      assert.equal(r.nPermutations, c.params.n_h0);
      assertBitwiseEqual(r.h0, readNpyFloat64(`${dir}/H0.npy`).data, 'H0');
      assert.deepEqual(r.clusters.map((k) => k.pValue), Array.from(readNpyFloat64(`${dir}/p_values.npy`).data), 'p-values');
    });
  }

  test('the 14-rat exact case on 2 threads and 2 processes equals the sequential run', async () => {
    const c = CASES.find((k) => k.name === 'n14_tail0_exact')!;
    const sequential = await permutationClusterTest(c.X, c.shape, optionsOf(c));
    for (const backend of ['threads', 'processes'] as const) {
      assertSameResult(await permutationClusterTest(c.X, c.shape, { ...optionsOf(c), jobs: 2, backend }), sequential, backend);
    }
  });
});

/** Noise plus a positive and a negative blob, from a seed. */
function syntheticData(seed: number, shape: ClusterShape, amplitude: number): Float64Array {
  const { nObservations: n, nFreqs, nTimes } = shape;
  const X = new Float64Array(n * nFreqs * nTimes);
  let s = seed >>> 0 || 1;
  const uniform = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  for (let o = 0; o < n; o++) {
    for (let f = 0; f < nFreqs; f++) {
      for (let t = 0; t < nTimes; t++) {
        const noise = uniform() + uniform() + uniform() - 1.5;
        const up = Math.exp(-((f - nFreqs / 3) ** 2) / 2 - (t - nTimes / 3) ** 2 / (2 + nTimes));
        const down = Math.exp(-((f - (2 * nFreqs) / 3) ** 2) / 2 - (t - (2 * nTimes) / 3) ** 2 / (2 + nTimes));
        X[(o * nFreqs + f) * nTimes + t] = noise + amplitude * (up - down) * (0.5 + uniform());
      }
    }
  }
  return X;
}

describe('Monte-Carlo permutations', () => {
  const shape: ClusterShape = { nObservations: 12, nFreqs: 5, nTimes: 30 };
  const X = syntheticData(7, shape, 1.2);

  test('are reproducible by seed, and depend on it', async () => {
    const a = await permutationClusterTest(X, shape, { nPermutations: 300, seed: 11 });
    const b = await permutationClusterTest(X, shape, { nPermutations: 300, seed: 11 });
    const c = await permutationClusterTest(X, shape, { nPermutations: 300, seed: 12 });
    assert.ok(a.clusters.length > 0 && !a.exact);
    assert.equal(a.h0.length, 300);
    assertSameResult(b, a, 'same seed');
    assert.notDeepEqual(c.h0, a.h0, 'another seed draws other patterns');
    assertBitwiseEqual(c.tObs, a.tObs, 'the t map does not depend on the seed');
  });

  test('draw distinct patterns from the exact set, and approach the exact p-values', async () => {
    for (const tail of [0, 1, -1] as const) {
      const n = 7;
      const drawn = drawPatterns(n, tail, 60, 3);
      const keys = new Set<string>();
      for (let i = 0; i < 60; i++) {
        const p = drawn.subarray(i * n, (i + 1) * n);
        assert.ok(p.some((b) => b === 1), 'never "flip every observation"');
        if (tail === 0) assert.equal(p[0], 0, 'tail 0: the first observation is flipped');
        keys.add(p.join(''));
      }
      assert.equal(keys.size, 60, 'without replacement');
      // Asking for every pattern but one gives a shuffle of the whole set.
      const all = drawPatterns(n, tail, patternCount(n, tail), 5);
      const exact = new Uint8Array(all.length);
      for (let i = 0; i < patternCount(n, tail); i++) writePattern(n, i, exact, i * n);
      const rows = (a: Uint8Array) => Array.from({ length: a.length / n }, (_, i) => a.subarray(i * n, (i + 1) * n).join('')).sort();
      assert.deepEqual(rows(all), rows(exact), `tail ${tail}: the same set as the exact enumeration`);
    }
    const exact = await permutationClusterTest(X, shape, { nPermutations: 1 << 11 });
    const sampled = await permutationClusterTest(X, shape, { nPermutations: 1500, seed: 1 });
    assert.ok(exact.exact && !sampled.exact);
    exact.clusters.forEach((k, i) => assert.ok(Math.abs(k.pValue - sampled.clusters[i]!.pValue) < 0.06, `cluster ${i}: ${k.pValue} vs ${sampled.clusters[i]!.pValue}`));
  });

  test('more observations than a safe integer has bits: distinct random patterns', () => {
    const n = 70;
    const drawn = drawPatterns(n, 0, 200, 9);
    const keys = new Set(Array.from({ length: 200 }, (_, i) => drawn.subarray(i * n, (i + 1) * n).join('')));
    assert.equal(keys.size, 200);
    for (let i = 0; i < 200; i++) assert.equal(drawn[i * n], 0);
  });

  test('exact mode starts at 2^(n-1) permutations for tail 0 and 2^n for tail ±1', () => {
    assert.equal(isExact(14, 0, 8191), false);
    assert.equal(isExact(14, 0, 8192), true);
    assert.equal(isExact(14, 1, 8192), false);
    assert.equal(isExact(14, -1, 16384), true);
  });
});

describe('bitwise identical for every job count, backend and batch size', () => {
  const problem = fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    nObservations: fc.integer({ min: 3, max: 9 }),
    nFreqs: fc.integer({ min: 1, max: 5 }),
    nTimes: fc.integer({ min: 1, max: 40 }),
    amplitude: fc.double({ min: 0, max: 3, noNaN: true }),
    tail: fc.constantFrom<Tail>(-1, 0, 1),
    threshold: fc.option(fc.double({ min: 0.5, max: 4, noNaN: true }), { nil: undefined }),
    mode: fc.constantFrom('exact', 'montecarlo'),
    permSeed: fc.integer({ min: 0, max: 1000 }),
  });
  const config = fc.record({
    jobs: fc.constantFrom(1, 2, 3),
    backend: fc.constantFrom<Backend>('threads', 'processes'),
    batchSize: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  });

  test('fast-check: results equal the sequential run byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(problem, config, async (p, par) => {
        const shape = { nObservations: p.nObservations, nFreqs: p.nFreqs, nTimes: p.nTimes };
        const X = syntheticData(p.seed, shape, p.amplitude);
        const options: ClusterTestOptions = {
          tail: p.tail,
          seed: p.permSeed,
          nPermutations: p.mode === 'exact' ? 2 ** p.nObservations : Math.max(2, patternCount(p.nObservations, p.tail) >> 1),
          ...(p.threshold !== undefined && { threshold: p.tail === -1 ? -p.threshold : p.threshold }),
        };
        const sequential = await permutationClusterTest(X, shape, options);
        const parallel = await permutationClusterTest(X, shape, { ...options, ...par });
        assertSameResult(parallel, sequential, JSON.stringify(par));
      }),
      { numRuns: 50, seed: 20260321 },
    );
  });

  test('the observed statistic and each pattern keep their place whatever the batch size', async () => {
    const shape: ClusterShape = { nObservations: 8, nFreqs: 4, nTimes: 20 };
    const X = syntheticData(3, shape, 2);
    const reference = await permutationClusterTest(X, shape, { tail: 0 });
    assert.ok(reference.exact && reference.h0.length === 128 && reference.clusters.length > 0);
    for (const batchSize of [1, 5, 64, 127, 500]) {
      for (const jobs of [2, 3]) {
        assertSameResult(await permutationClusterTest(X, shape, { tail: 0, jobs, batchSize }), reference, `jobs ${jobs}, batch ${batchSize}`);
      }
    }
  });
});

describe('ttest1samp and lstsqSlope against SciPy / numpy', () => {
  const close = (a: number, b: number, rtol: number, what: string) =>
    assert.ok(Math.abs(a - b) <= rtol * Math.abs(b), `${what}: ${a} vs ${b} (rel ${Math.abs(a - b) / Math.abs(b)})`);

  test('scipy.stats.ttest_1samp(values, 0), two-sided', () => {
    for (const c of readJson(`${STATS}/ttest_1samp.json`)) {
      const r = ttest1samp(Float64Array.from(c.values));
      close(r.t, c.t, 1e-12, `t of ${c.values.length} values`);
      close(r.p, c.p, 1e-12, `p of ${c.values.length} values`);
      assert.equal(r.df, c.df);
    }
  });

  test('numpy.polyfit(xs, ys, 1)[0]', () => {
    for (const c of readJson(`${STATS}/polyfit_slope.json`)) {
      close(lstsqSlope(Float64Array.from(c.xs), Float64Array.from(c.ys)), c.slope, 1e-12, `slope over ${c.xs.length} points`);
    }
    assert.equal(lstsqSlope(Float64Array.of(1, 2, 3), Float64Array.of(0.5, 9, 2.5)), 1);
  });

  test('the t quantile (default thresholds) to 1e-14 of the true value (mpmath, 40 digits)', () => {
    // SciPy 1.10's t.ppf gives -2.1318467813362907 for (0.05, 4): 2e-9 off (t-dist.ts).
    const truth = [
      [0.025, 2, -4.302652729749464],
      [0.05, 4, -2.1318467863266504],
      [0.025, 7, -2.3646242515927853],
      [0.025, 13, -2.1603686564627926],
      [0.05, 13, -1.770933395986873],
      [0.025, 29, -2.0452296421327043],
    ] as const;
    for (const [p, df, x] of truth) close(tPpf(p, df), x, 1e-14, `t.ppf(${p}, ${df})`);
  });

  test('numpySum: pairwise within blocks of 8192, as np.sum', () => {
    const a = Float64Array.from({ length: 20_000 }, (_, i) => Math.sin(i) * 1e3 + 1 / (i + 1));
    let sequential = 0;
    for (const v of a.subarray(0, 7)) sequential += v;
    assert.equal(numpySum(a, 0, 7), sequential, 'below 8 values: in order');
    assert.equal(numpySum(a), numpySum(a, 0, 8192) + numpySum(a, 8192, 16384) + numpySum(a, 16384));
  });

  test('errors', () => {
    assert.throws(() => ttest1samp(Float64Array.of(1)), InvalidParameterError);
    assert.throws(() => ttest1samp(Float64Array.of(1, NaN, 2)), InvalidParameterError);
    assert.throws(() => lstsqSlope(Float64Array.of(1, 2), Float64Array.of(1)), InvalidParameterError);
    assert.throws(() => lstsqSlope(Float64Array.of(2, 2), Float64Array.of(1, 3)), InvalidParameterError);
  });
});

describe('permutationClusterTest: parameter errors', () => {
  const shape: ClusterShape = { nObservations: 4, nFreqs: 2, nTimes: 3 };
  const X = syntheticData(1, shape, 1);
  const rejects = (x: Float64Array, s: ClusterShape, options: ClusterTestOptions, pattern: RegExp) =>
    assert.rejects(permutationClusterTest(x, s, options), (e: unknown) => e instanceof InvalidParameterError && pattern.test(e.message));

  test('fewer than 3 observations', () => rejects(X.subarray(0, 12), { ...shape, nObservations: 2 }, {}, /at least 3 observations, got 2/));
  test('shape mismatch', () => rejects(X, { ...shape, nTimes: 4 }, {}, /X has 24 values; shape \(4, 2, 4\) needs 32/));
  test('bad shape', () => rejects(X, { ...shape, nFreqs: 0 }, {}, /nFreqs must be an integer >= 1/));
  test('non-finite data', async () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const Y = X.slice();
      Y[17] = bad;
      await rejects(Y, shape, {}, /non-finite value .* at observation 2, frequency 1, time 2/);
    }
  });
  test('bad tail', () => rejects(X, shape, { tail: 2 as Tail }, /tail must be -1, 0 or 1, got 2/));
  test('threshold of the wrong sign', async () => {
    await rejects(X, shape, { tail: 0, threshold: -2 }, /wrong sign for tail 0: it must be positive/);
    await rejects(X, shape, { tail: 1, threshold: 0 }, /wrong sign for tail 1/);
    await rejects(X, shape, { tail: -1, threshold: 2 }, /wrong sign for tail -1: it must be negative/);
    await rejects(X, shape, { threshold: NaN }, /finite number/);
  });
  test('bad permutation count, seed, jobs or batch size', async () => {
    await rejects(X, shape, { nPermutations: 0 }, /permutations must be an integer >= 1/);
    await rejects(X, shape, { nPermutations: 10.5 }, /permutations must be an integer >= 1/);
    await rejects(X, shape, { nPermutations: 8, seed: 0.5 }, /seed must be an integer/);
    await rejects(X, shape, { jobs: 0 }, /jobs must be an integer >= 1/);
    await rejects(X, shape, { jobs: 2, batchSize: 0 }, /batch size must be an integer >= 1/);
  });
});
