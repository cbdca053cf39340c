/**
 * The cluster-based permutation one-sample test (docs/method.md §8.3), equal to MNE 1.3
 * `permutation_cluster_1samp_test(X, threshold, n_permutations, tail, out_type='mask')`: the
 * observed clusters on this thread, then the sign patterns in batches of consecutive patterns,
 * sequentially (jobs 1) or as tasks on the engine's pool (permutation-tasks.ts).
 *
 * H0 is bitwise identical whatever the job count, backend or batch size: each pattern's statistic
 * is computed from X and that pattern alone by one function, the Monte-Carlo patterns are drawn
 * here from the seed before any split, and each batch's statistics are written at the batch's
 * place in pattern order. Threads share X (and the drawn patterns) through SharedArrayBuffers;
 * child processes receive copies.
 */
import { sharedPool, type Backend } from '../engine/pool.js';
import { poolOptionsFor, runAllBounded } from '../engine/schedule.js';
import {
  clusterPValues,
  defaultThreshold,
  drawPatterns,
  findClusters,
  isExact,
  observedStatistic,
  patternCount,
  tMap,
  validateClusterTest,
  DEFAULT_N_PERMUTATIONS,
  DEFAULT_SEED,
  type ClusterShape,
  type Tail,
} from './cluster-test.js';
import { resolveParallelOptions, warnAboveCores, type ResolvedParallelOptions } from './options.js';
import { maxClusterStatistics, PERMUTATION_TASK, type PatternRange, type PermutationTask } from './permutation-tasks.js';
import { tPpf } from './t-dist.js';

/** Options of {@link permutationClusterTest}. */
export interface ClusterTestOptions {
  /**
   * Cluster-forming threshold on t: positive for tail 0 and 1, negative for tail −1. Default: the
   * t quantile at p = 0.05 with n − 1 degrees of freedom (two-tailed for tail 0), as MNE.
   */
  threshold?: number;
  /** 0 (default): clusters of both signs, judged by |mass|; 1: positive only; −1: negative only. */
  tail?: Tail;
  /**
   * Permutations, the observed labelling included (default {@link DEFAULT_N_PERMUTATIONS}). When
   * at least 2^(n−1) (tail 0) or 2^n (tail ±1), every sign pattern is tested (exact) and this and
   * the seed are ignored.
   */
  nPermutations?: number;
  /** Seed of the Monte-Carlo draw (default {@link DEFAULT_SEED}). */
  seed?: number;
  /** Threads or processes computing permutations (default 1: sequential, on this thread). */
  jobs?: number;
  /** Default `threads`. */
  backend?: Backend;
  /** Sign patterns per task (default: the patterns split evenly over the jobs). */
  batchSize?: number;
}

/** A cluster of the observed t map. */
export interface ClusterTestCluster {
  /** (n_freqs × n_times), 1 inside the cluster. */
  mask: Uint8Array;
  /** Sum of the cluster's t values (signed). */
  sumT: number;
  /** Fraction of H0 at least as extreme. */
  pValue: number;
}

/** What {@link permutationClusterTest} returns. */
export interface ClusterTestResult {
  /** The observed t map, (n_freqs × n_times). */
  tObs: Float64Array;
  /** Positive clusters first, then negative ones, each in row-major scan order. */
  clusters: ClusterTestCluster[];
  /**
   * The observed statistic, then each permutation's, in pattern order. Empty when there is no
   * observed cluster (no permutation is run then).
   */
  h0: Float64Array;
  /** Length of H0 (also when there is no cluster and H0 is empty): the observed labelling and the patterns. */
  nPermutations: number;
  /** Whether every sign pattern was tested. */
  exact: boolean;
  threshold: number;
}

/**
 * Runs the test on X, C-ordered (n_observations, n_freqs, n_times).
 *
 * @throws InvalidParameterError for bad data, shape or options (validateClusterTest, and the
 *   parallel options)
 */
export async function permutationClusterTest(X: Float64Array, shape: ClusterShape, options: ClusterTestOptions = {}): Promise<ClusterTestResult> {
  validateClusterTest(X, shape, options);
  const parallel = resolveParallelOptions({
    jobs: options.jobs ?? 1,
    backend: options.backend ?? 'threads',
    ...(options.batchSize !== undefined && { batchSize: options.batchSize }),
  });
  const { nObservations: n, nFreqs, nTimes } = shape;
  const nVars = nFreqs * nTimes;
  const tail = options.tail ?? 0;
  const threshold = options.threshold ?? defaultThreshold(n, tail, tPpf);
  const requested = options.nPermutations ?? DEFAULT_N_PERMUTATIONS;
  const exact = isExact(n, tail, requested);
  const nPatterns = exact ? patternCount(n, tail) : requested - 1;

  const tObs = tMap(X, n, nVars);
  const found = findClusters(tObs, nFreqs, nTimes, threshold, tail);
  if (found.length === 0) return { tObs, clusters: [], h0: new Float64Array(0), nPermutations: nPatterns + 1, exact, threshold };

  const sums = found.map((c) => c.sumT);
  const h0 = new Float64Array(nPatterns + 1);
  h0[0] = observedStatistic(sums, tail);
  const signs = exact ? null : drawPatterns(n, tail, nPatterns, options.seed ?? DEFAULT_SEED);
  const task: Omit<PermutationTask, 'label' | 'patterns'> = { data: X, nObservations: n, nFreqs, nTimes, threshold, tail };
  await runPermutations(task, signs, nPatterns, parallel, h0.subarray(1));
  const pValues = clusterPValues(sums, h0, tail);
  return {
    tObs,
    clusters: found.map((c, i) => ({ mask: c.mask, sumT: c.sumT, pValue: pValues[i]! })),
    h0,
    nPermutations: nPatterns + 1,
    exact,
    threshold,
  };
}

function sharedCopy<T extends Float64Array | Uint8Array>(data: T, make: (buffer: SharedArrayBuffer) => T): T {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const copy = make(new SharedArrayBuffer(data.byteLength));
  copy.set(data);
  return copy;
}

/** Fills `out` with the statistics of the `nPatterns` patterns, in pattern order. */
async function runPermutations(
  task: Omit<PermutationTask, 'label' | 'patterns'>,
  signs: Uint8Array | null,
  nPatterns: number,
  parallel: ResolvedParallelOptions,
  out: Float64Array,
): Promise<void> {
  const n = task.nObservations;
  const range = (first: number, count: number, pick: (s: Uint8Array) => Uint8Array): PatternRange =>
    signs === null ? { kind: 'exact', first, count } : { kind: 'listed', first, count, signs: pick(signs) };
  if (parallel.jobs === 1 || nPatterns === 0) {
    out.set(maxClusterStatistics({ ...task, patterns: range(0, nPatterns, (s) => s) }));
    return;
  }
  warnAboveCores(parallel.jobs);
  const batch = Math.min(parallel.batchSize ?? Math.ceil(nPatterns / parallel.jobs), nPatterns);
  const nTasks = Math.ceil(nPatterns / batch);
  const threads = parallel.backend === 'threads';
  const data = threads ? sharedCopy(task.data, (b) => new Float64Array(b)) : task.data;
  const allSigns = signs !== null && threads ? sharedCopy(signs, (b) => new Uint8Array(b)) : signs;
  const pool = sharedPool(
    poolOptionsFor(
      {
        backend: parallel.backend,
        jobs: parallel.jobs,
        callerComputes: parallel.callerComputes,
        ...(parallel.workerHeapLimitMb !== null && { workerHeapLimitMb: parallel.workerHeapLimitMb }),
      },
      nTasks,
    ),
  );
  const batches = Array.from({ length: nTasks }, (_, b) => b);
  await runAllBounded(batches, { maxInFlight: parallel.jobs }, async (b) => {
    const first = b * batch;
    const count = Math.min(batch, nPatterns - first);
    const label = `sign patterns ${first}–${first + count - 1}`;
    // Threads: a view of the shared patterns; processes: a copy of this batch's only (a view
    // would carry its whole buffer).
    const patterns =
      allSigns === null
        ? range(first, count, (s) => s)
        : { kind: 'listed' as const, first, count, signs: threads ? allSigns.subarray(first * n, (first + count) * n) : allSigns.slice(first * n, (first + count) * n) };
    const reply = await pool.run<Float64Array>(PERMUTATION_TASK, { ...task, data, label, patterns } satisfies PermutationTask, { label: () => label });
    if (!(reply instanceof Float64Array) || reply.length !== count) throw new Error(`task ${label} returned ${reply?.length} statistics, expected ${count}`);
    out.set(reply, first);
  });
}
