/**
 * The permutation task, a handler module of the engine (engine/handlers.ts): the maximum cluster
 * statistic of each sign pattern in a contiguous range. Workers import it by its URL; the calling
 * thread runs the same function on the same buffers (and so does the sequential run), and each
 * pattern's statistic depends on that pattern alone, so the split never changes a bit of H0.
 */
import type { HandlerRef, TaskContext } from '../engine/handlers.js';
import { ClusterWorkspace, maxAbsMass, SignFlipTMap, writePattern, type Tail } from './cluster-test.js';

/** The sign patterns of a task: a range of the exact enumeration, or patterns drawn beforehand. */
export type PatternRange =
  /** Patterns first … first + count − 1 of MNE's enumeration (cluster-test.ts `writePattern`). */
  | { kind: 'exact'; first: number; count: number }
  /** `count` patterns, (count × n_observations), 1 keeps an observation and 0 flips it. */
  | { kind: 'listed'; first: number; count: number; signs: Uint8Array };

/** A batch of sign patterns to test. */
export interface PermutationTask {
  /** "sign patterns 0–4095". */
  label: string;
  /** X, (n_observations, n_freqs, n_times); a SharedArrayBuffer view under threads (not copied). */
  data: Float64Array;
  nObservations: number;
  nFreqs: number;
  nTimes: number;
  threshold: number;
  tail: Tail;
  patterns: PatternRange;
}

/**
 * Each pattern's statistic, in pattern order: the cluster mass of largest absolute value of the
 * sign-flipped data's t map (signed; 0 without a cluster), MNE `_do_1samp_permutations`.
 */
export function maxClusterStatistics(task: Omit<PermutationTask, 'label'>): Float64Array {
  const { data, nObservations: n, nFreqs, nTimes, threshold, tail, patterns } = task;
  const nVars = nFreqs * nTimes;
  const out = new Float64Array(patterns.count);
  const t = new Float64Array(nVars);
  const tMaps = new SignFlipTMap(data, n, nVars);
  const workspace = new ClusterWorkspace(nFreqs, nTimes);
  const signs = patterns.kind === 'listed' ? patterns.signs : new Uint8Array(n);
  for (let i = 0; i < patterns.count; i++) {
    let offset = i * n;
    if (patterns.kind === 'exact') {
      writePattern(n, patterns.first + i, signs, 0);
      offset = 0;
    }
    tMaps.compute(signs, offset, t);
    out[i] = maxAbsMass(workspace.sums, workspace.labelClusters(t, threshold, tail));
  }
  return out;
}

function maxClusterStats(task: PermutationTask, context: TaskContext): Float64Array {
  const corrupt = context.checkpoint(task.label);
  const out = maxClusterStatistics(task);
  if (corrupt) for (let i = 0; i < out.length; i++) out[i] = out[i]! * (1 + 1e-6);
  return out;
}

/** The handlers, by name. */
export const handlers = { maxClusterStats };

/** This module, as workers import it (bundled: a sibling entry of the worker, same name). */
export const PERMUTATION_TASK: HandlerRef = { module: new URL('./permutation-tasks.js', import.meta.url).href, name: 'maxClusterStats' };
