/**
 * The numerics of the cluster-based permutation one-sample test (docs/method.md §8.3), equal to
 * MNE 1.3 `permutation_cluster_1samp_test` with the default `stat_fun`, `adjacency=None`,
 * `t_power=1`, `step_down_p=0`, `out_type='mask'`. Pure functions on Float64Arrays, no I/O; the
 * runner (permutation-runs.ts) and the handler module (permutation-tasks.ts) build on them.
 *
 * Data X is C-ordered (n_observations, n_freqs, n_times); the lattice is (n_freqs, n_times).
 *
 * Bitwise equality with numpy. Every statistic is computed by the same floating-point operations
 * in the same order as numpy 1.24 does them, so the t maps, cluster masses and H0 equal MNE's bit
 * for bit (checked against the fixtures):
 * - `np.mean(X, axis=0)` and `np.var(X, axis=0, ddof=1)` reduce over a non-contiguous axis: the
 *   observations are added one after another, starting from 0.
 * - `np.sum(x[c])` of a cluster's values (a contiguous 1-D array in row-major order) is numpy's
 *   pairwise summation within blocks of 8192 elements (the ufunc buffer size), the blocks'
 *   sums added one after another, starting from 0 ({@link numpySum}).
 * - `scipy.ndimage.label` numbers the clusters in the order in which a row-major scan first meets
 *   them.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { InvalidParameterError } from '../errors.js';

/** Which clusters count: 0 both signs (|mass|), 1 positive, −1 negative. */
export type Tail = -1 | 0 | 1;

/** The data's shape: observations (rats) and the (frequency, time) lattice. */
export interface ClusterShape {
  nObservations: number;
  nFreqs: number;
  nTimes: number;
}

/**
 * The default number of permutations: at least 2^13, so that 14 observations with tail 0 (the
 * lab's 14 rats) are tested exactly (docs/method.md §8.3, step 5). MNE's own default is 1024.
 */
export const DEFAULT_N_PERMUTATIONS = 10_000;

/** The default Monte-Carlo seed (MNE's default, None, is not reproducible). */
export const DEFAULT_SEED = 0;

/** numpy's ufunc buffer size: `np.sum` adds pairwise within blocks of this many elements. */
const NUMPY_BUFSIZE = 8192;
/** numpy's pairwise-summation block (PW_BLOCKSIZE). */
const PW_BLOCKSIZE = 128;

/** numpy's `pairwise_sum_DOUBLE` over a[start, start + n). */
function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[start]!;
    let r1 = a[start + 1]!;
    let r2 = a[start + 2]!;
    let r3 = a[start + 3]!;
    let r4 = a[start + 4]!;
    let r5 = a[start + 5]!;
    let r6 = a[start + 6]!;
    let r7 = a[start + 7]!;
    const end8 = n - (n % 8);
    let i = 8;
    for (; i < end8; i += 8) {
      const p = start + i;
      r0 += a[p]!;
      r1 += a[p + 1]!;
      r2 += a[p + 2]!;
      r3 += a[p + 3]!;
      r4 += a[p + 4]!;
      r5 += a[p + 5]!;
      r6 += a[p + 6]!;
      r7 += a[p + 7]!;
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/**
 * `np.sum` of the contiguous float64 values a[start, end), bit for bit: pairwise within blocks
 * of 8192, the blocks added in order to 0.
 */
export function numpySum(a: Float64Array, start = 0, end = a.length): number {
  let sum = 0;
  for (let b = start; b < end; b += NUMPY_BUFSIZE) sum += pairwiseSum(a, b, Math.min(NUMPY_BUFSIZE, end - b));
  return sum;
}

/**
 * One-sample t maps of X (n × nVars, C order) with each observation's row multiplied by a sign:
 * MNE's `ttest_1samp_no_p(X * signs)` (sigma = 0), `mean / sqrt(var_ddof1 / n)`. X is transposed
 * once, so that each point's n values are contiguous for every permutation.
 */
export class SignFlipTMap {
  readonly n: number;
  readonly nVars: number;
  /** X transposed, (nVars × n). */
  private readonly columns: Float64Array;
  private readonly sign: Float64Array;

  constructor(X: Float64Array, n: number, nVars: number) {
    this.n = n;
    this.nVars = nVars;
    this.columns = new Float64Array(n * nVars);
    for (let i = 0; i < n; i++) for (let j = 0; j < nVars; j++) this.columns[j * n + i] = X[i * nVars + j]!;
    this.sign = new Float64Array(n);
  }

  /**
   * The t map of the pattern at `signs[offset…offset+n)` (1 keeps an observation, 0 flips it:
   * MNE's orders), or of the data as they are for `signs` null.
   */
  compute(signs: Uint8Array | null, offset: number, out: Float64Array): Float64Array {
    const { n, nVars, columns, sign } = this;
    // x·(±1) is exact, as numpy's X * signs.
    for (let i = 0; i < n; i++) sign[i] = signs === null || signs[offset + i] !== 0 ? 1 : -1;
    const ddof1 = n - 1;
    let j = 0;
    // Four points at a time: four independent addition chains keep the FPU busy (one chain is
    // latency-bound); each point's operations and their order are unchanged.
    for (; j + 4 <= nVars; j += 4) {
      const b0 = j * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < n; i++) {
        const g = sign[i]!;
        s0 += columns[b0 + i]! * g;
        s1 += columns[b1 + i]! * g;
        s2 += columns[b2 + i]! * g;
        s3 += columns[b3 + i]! * g;
      }
      const m0 = s0 / n;
      const m1 = s1 / n;
      const m2 = s2 / n;
      const m3 = s3 / n;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let i = 0; i < n; i++) {
        const g = sign[i]!;
        const d0 = columns[b0 + i]! * g - m0;
        const d1 = columns[b1 + i]! * g - m1;
        const d2 = columns[b2 + i]! * g - m2;
        const d3 = columns[b3 + i]! * g - m3;
        a0 += d0 * d0;
        a1 += d1 * d1;
        a2 += d2 * d2;
        a3 += d3 * d3;
      }
      out[j] = m0 / Math.sqrt(a0 / ddof1 / n);
      out[j + 1] = m1 / Math.sqrt(a1 / ddof1 / n);
      out[j + 2] = m2 / Math.sqrt(a2 / ddof1 / n);
      out[j + 3] = m3 / Math.sqrt(a3 / ddof1 / n);
    }
    for (; j < nVars; j++) {
      const b = j * n;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += columns[b + i]! * sign[i]!;
      const mean = sum / n;
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const d = columns[b + i]! * sign[i]! - mean;
        acc += d * d;
      }
      out[j] = mean / Math.sqrt(acc / ddof1 / n);
    }
    return out;
  }
}

/** The observed t map of X (n × nVars, C order): MNE's `ttest_1samp_no_p(X)`. */
export function tMap(X: Float64Array, n: number, nVars: number): Float64Array {
  return new SignFlipTMap(X, n, nVars).compute(null, 0, new Float64Array(nVars));
}

/** Point categories of the labelling. */
const NONE = 0;
const POSITIVE = 1;
const NEGATIVE = 2;

/** Scratch buffers of the cluster labelling, for one lattice; reuse them across permutations. */
export class ClusterWorkspace {
  readonly nFreqs: number;
  readonly nTimes: number;
  /** Per point: NONE, POSITIVE or NEGATIVE. */
  readonly category: Uint8Array;
  /** Per point: its provisional label, then its cluster (0-based, positives first), or −1. */
  readonly label: Int32Array;
  /** Union-find parents of the provisional labels (1-based). */
  private readonly parent: Int32Array;
  private readonly labelCategory: Uint8Array;
  private readonly final: Int32Array;
  private readonly counts: Int32Array;
  private readonly offsets: Int32Array;
  /** The clusters' t values, grouped by cluster, each in row-major order. */
  private readonly gathered: Float64Array;
  /** Masses of the clusters of the last {@link labelClusters} call. */
  readonly sums: Float64Array;
  /** Clusters of the last {@link labelClusters} call: positive ones, then negative ones. */
  nPositive = 0;
  nNegative = 0;

  constructor(nFreqs: number, nTimes: number) {
    const size = nFreqs * nTimes;
    this.nFreqs = nFreqs;
    this.nTimes = nTimes;
    this.category = new Uint8Array(size);
    this.label = new Int32Array(size);
    this.parent = new Int32Array(size + 1);
    this.labelCategory = new Uint8Array(size + 1);
    this.final = new Int32Array(size + 1);
    this.counts = new Int32Array(size);
    this.offsets = new Int32Array(size + 1);
    this.gathered = new Float64Array(size);
    this.sums = new Float64Array(size);
  }

  private find(l: number): number {
    const parent = this.parent;
    while (parent[l] !== l) {
      parent[l] = parent[parent[l]!]!; // path halving
      l = parent[l]!;
    }
    return l;
  }

  /**
   * Finds the clusters of `t` (MNE `_find_clusters`): the points with t > threshold (tail 0, 1)
   * and, separately, t < −threshold (tail 0) or t < threshold (tail −1), joined to their
   * frequency and time neighbours of the same sign (scipy.ndimage.label's default structure).
   * Afterwards `label[p]` is point p's cluster or −1, clusters numbered positives first then
   * negatives, each in scan order, and `sums` holds their masses (the sums of their t values).
   *
   * @returns the number of clusters
   */
  labelClusters(t: Float64Array, threshold: number, tail: Tail): number {
    const { nFreqs, nTimes, category, label, parent, labelCategory } = this;
    const upper = tail === -1 ? Infinity : threshold;
    const lower = tail === 0 ? -threshold : tail === -1 ? threshold : -Infinity;
    let next = 1;
    for (let f = 0, p = 0; f < nFreqs; f++) {
      for (let k = 0; k < nTimes; k++, p++) {
        const v = t[p]!;
        const c = v > upper ? POSITIVE : v < lower ? NEGATIVE : NONE;
        category[p] = c;
        if (c === NONE) {
          label[p] = 0;
          continue;
        }
        const left = k > 0 && category[p - 1] === c ? label[p - 1]! : 0;
        const up = f > 0 && category[p - nTimes] === c ? label[p - nTimes]! : 0;
        if (left === 0 && up === 0) {
          parent[next] = next;
          labelCategory[next] = c;
          label[p] = next++;
        } else if (left !== 0 && up !== 0) {
          const a = this.find(left);
          const b = this.find(up);
          // The smaller provisional label, met first in the scan, stays the root.
          if (a < b) parent[b] = a;
          else parent[a] = b;
          label[p] = Math.min(a, b);
        } else {
          label[p] = left !== 0 ? left : up;
        }
      }
    }
    // Clusters in the order of their roots = of their first point in the scan; positives first.
    const final = this.final;
    let nClusters = 0;
    for (const c of [POSITIVE, NEGATIVE]) {
      for (let l = 1; l < next; l++) if (parent[l] === l && labelCategory[l] === c) final[l] = nClusters++;
      if (c === POSITIVE) this.nPositive = nClusters;
    }
    this.nNegative = nClusters - this.nPositive;
    const size = nFreqs * nTimes;
    const counts = this.counts;
    counts.fill(0, 0, nClusters);
    for (let p = 0; p < size; p++) {
      if (category[p] === NONE) {
        label[p] = -1;
      } else {
        const cluster = final[this.find(label[p]!)]!;
        label[p] = cluster;
        counts[cluster]!++;
      }
    }
    // Masses: each cluster's values gathered in scan order (numpy's x[c]), then np.sum.
    const offsets = this.offsets;
    offsets[0] = 0;
    for (let c = 0; c < nClusters; c++) offsets[c + 1] = offsets[c]! + counts[c]!;
    const fill = counts; // reused as write positions
    for (let c = 0; c < nClusters; c++) fill[c] = offsets[c]!;
    const gathered = this.gathered;
    for (let p = 0; p < size; p++) {
      const cluster = label[p]!;
      if (cluster >= 0) gathered[fill[cluster]!++] = t[p]!;
    }
    for (let c = 0; c < nClusters; c++) this.sums[c] = numpySum(gathered, offsets[c]!, offsets[c + 1]!);
    return nClusters;
  }

  /** The mask of cluster `c` of the last labelling, (n_freqs × n_times), 1 inside. */
  mask(c: number): Uint8Array {
    const mask = new Uint8Array(this.nFreqs * this.nTimes);
    for (let p = 0; p < mask.length; p++) if (this.label[p] === c) mask[p] = 1;
    return mask;
  }
}

/** A cluster of the observed t map. */
export interface FoundCluster {
  /** (n_freqs × n_times), 1 inside the cluster. */
  mask: Uint8Array;
  /** Sum of the cluster's t values (signed). */
  sumT: number;
}

/** The clusters of a t map (positive ones first, each in scan order), with masks. */
export function findClusters(t: Float64Array, nFreqs: number, nTimes: number, threshold: number, tail: Tail): FoundCluster[] {
  const workspace = new ClusterWorkspace(nFreqs, nTimes);
  const n = workspace.labelClusters(t, threshold, tail);
  return Array.from({ length: n }, (_, c) => ({ mask: workspace.mask(c), sumT: workspace.sums[c]! }));
}

/**
 * A permutation's statistic (MNE `_do_1samp_permutations`): the mass of largest absolute value,
 * signed, the first one on ties (np.argmax); 0 without clusters.
 */
export function maxAbsMass(sums: Float64Array, nClusters: number): number {
  let best = 0;
  let bestAbs = -1;
  for (let c = 0; c < nClusters; c++) {
    const a = Math.abs(sums[c]!);
    if (a > bestAbs) {
      bestAbs = a;
      best = sums[c]!;
    }
  }
  return best;
}

/** H0's first entry, from the observed masses: max |mass| (tail 0), max (tail 1), min (tail −1). */
export function observedStatistic(sums: readonly number[], tail: Tail): number {
  if (tail === 1) return Math.max(...sums);
  if (tail === -1) return Math.min(...sums);
  return Math.max(...sums.map(Math.abs));
}

/**
 * The clusters' p-values (MNE `_pval_from_histogram`): the fraction of H0 at least as extreme,
 * `mean(|H0| ≥ |c|)` (tail 0), `mean(H0 ≥ c)` (tail 1), `mean(H0 ≤ c)` (tail −1).
 */
export function clusterPValues(sums: readonly number[], h0: Float64Array, tail: Tail): number[] {
  return sums.map((c) => {
    let count = 0;
    if (tail === 1) for (const h of h0) count += h >= c ? 1 : 0;
    else if (tail === -1) for (const h of h0) count += h <= c ? 1 : 0;
    else for (const h of h0) count += Math.abs(h) >= Math.abs(c) ? 1 : 0;
    return count / h0.length;
  });
}

/** Bits of a sign pattern: tail 0 fixes the first observation (flipped), so n − 1; else n. */
function patternBits(n: number, tail: Tail): number {
  return n - (tail === 0 ? 1 : 0);
}

/**
 * Whether the test enumerates every sign pattern (MNE: `2^(n − (tail == 0)) − 1 < n_permutations`).
 */
export function isExact(n: number, tail: Tail, nPermutations: number): boolean {
  return nPermutations >= 2 ** patternBits(n, tail);
}

/** The number of sign patterns (MNE's `max_perms`): 2^(n−1) − 1 for tail 0, 2^n − 1 otherwise. */
export function patternCount(n: number, tail: Tail): number {
  return 2 ** patternBits(n, tail) - 1;
}

/**
 * Writes sign pattern `index` (0-based, < 2^53 − 1) into out[offset…offset+n): MNE's
 * `bin_perm_rep(n)[index + 1]`, the binary digits of index + 1 with the first observation most
 * significant; 1 keeps an observation, 0 flips it.
 */
export function writePattern(n: number, index: number, out: Uint8Array, offset: number): void {
  let v = index + 1;
  for (let i = n - 1; i >= 0; i--) {
    const bit = v % 2;
    out[offset + i] = bit;
    v = (v - bit) / 2;
  }
}

/**
 * `count` distinct sign patterns drawn at random without replacement from the test's set (the
 * patterns that exact enumeration would use), from `seed` alone: (count × n), 1 keeps, 0 flips.
 * The pattern indices are a uniformly random ordered sample (a sparse Fisher–Yates shuffle on
 * pure-rand's xoroshiro128+). Not numpy's stream: MNE's draws are not reproduced.
 */
export function drawPatterns(n: number, tail: Tail, count: number, seed: number): Uint8Array {
  const out = new Uint8Array(count * n);
  const rng = xoroshiro128plus(seed);
  const bits = patternBits(n, tail);
  if (bits <= 53) {
    const total = patternCount(n, tail);
    if (count > total) throw new Error(`drawPatterns: ${count} patterns asked of ${total}`);
    const moved = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const j = uniformInt(rng, i, total - 1);
      const picked = moved.get(j) ?? j;
      moved.set(j, moved.get(i) ?? i);
      moved.delete(i);
      writePattern(n, picked, out, i * n);
    }
    return out;
  }
  // More observations than a safe integer holds: random bits, duplicates and "flip all" redrawn.
  const seen = new Set<string>();
  for (let i = 0; i < count; ) {
    const pattern = new Uint8Array(n);
    for (let k = n - bits; k < n; k++) pattern[k] = uniformInt(rng, 0, 1);
    const key = pattern.join('');
    if (pattern.every((b) => b === 0) || seen.has(key)) continue;
    seen.add(key);
    out.set(pattern, i++ * n);
  }
  return out;
}

/** The default threshold (MNE `_check_fun`): the t quantile at p = 0.05 (two-tailed for tail 0). */
export function defaultThreshold(n: number, tail: Tail, ppf: (p: number, df: number) => number): number {
  const threshold = -ppf(0.05 / (tail === 0 ? 2 : 1), n - 1);
  return tail === -1 ? -threshold : threshold;
}

/**
 * Checks the data and the test's parameters.
 *
 * @throws InvalidParameterError for a bad shape, fewer than 3 observations, a length mismatch,
 *   non-finite data, a bad tail, a threshold of the wrong sign, or bad permutation count or seed
 */
export function validateClusterTest(
  X: Float64Array,
  shape: ClusterShape,
  options: { threshold?: number; tail?: number; nPermutations?: number; seed?: number },
): void {
  const { nObservations: n, nFreqs, nTimes } = shape;
  for (const [name, v] of [
    ['nObservations', n],
    ['nFreqs', nFreqs],
    ['nTimes', nTimes],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InvalidParameterError(`${name} must be an integer >= 1, got ${v}`);
  }
  if (n < 3) throw new InvalidParameterError(`the cluster test needs at least 3 observations, got ${n}`);
  if (!(X instanceof Float64Array)) throw new InvalidParameterError('X must be a Float64Array');
  if (X.length !== n * nFreqs * nTimes) {
    throw new InvalidParameterError(
      `X has ${X.length} values; shape (${n}, ${nFreqs}, ${nTimes}) needs ${n * nFreqs * nTimes}`,
    );
  }
  for (let i = 0; i < X.length; i++) {
    if (!Number.isFinite(X[i]!)) {
      const perObservation = nFreqs * nTimes;
      const o = Math.floor(i / perObservation);
      const f = Math.floor((i % perObservation) / nTimes);
      throw new InvalidParameterError(
        `X has a non-finite value (${X[i]}) at observation ${o}, frequency ${f}, time ${i % nTimes}; expected finite data`,
      );
    }
  }
  const tail = options.tail ?? 0;
  if (tail !== 0 && tail !== 1 && tail !== -1) throw new InvalidParameterError(`tail must be -1, 0 or 1, got ${tail}`);
  const threshold = options.threshold;
  if (threshold !== undefined) {
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
      throw new InvalidParameterError(`threshold must be a finite number, got ${threshold}`);
    }
    if (tail === -1 ? !(threshold < 0) : !(threshold > 0)) {
      throw new InvalidParameterError(
        `threshold ${threshold} has the wrong sign for tail ${tail}: it must be ${tail === -1 ? 'negative' : 'positive'}`,
      );
    }
  }
  const nPermutations = options.nPermutations ?? DEFAULT_N_PERMUTATIONS;
  if (!Number.isSafeInteger(nPermutations) || nPermutations < 1) {
    throw new InvalidParameterError(`the number of permutations must be an integer >= 1, got ${nPermutations}`);
  }
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new InvalidParameterError(`seed must be an integer, got ${seed}`);
}
