/**
 * Normalisation of event windows (docs/method.md §3.4, §8.1): the session-wide z-score, the lab's
 * pre-event baseline z-score, and MNE's `mne.baseline.rescale` modes. Each channel's raw power
 * windows are normalised on their own; the ROI window is then the mean of its channels.
 *
 * Every mode is written as `z = (w − offset[f]) / scale[f]` per (group of events, frequency row),
 * except the baseline modes other than `mean`/`zscore`, whose rows are rescaled in place; the ROI
 * sum then adds `(z − 0) / 1`. The additions use the kernel's addZRows, the same operation as the
 * session-z path, so a channel's contribution has the same bits whichever path adds it.
 */
import { STD_FLOOR } from '../compute/channel-power.js';
import { InvalidParameterError } from '../errors.js';

export type NormalizeMode = 'session-z' | 'pre-event' | 'baseline';
export const NORMALIZE_MODES: readonly NormalizeMode[] = ['session-z', 'pre-event', 'baseline'];

/** The modes of MNE 1.3 `mne.baseline.rescale`. */
export type BaselineMode = 'mean' | 'ratio' | 'logratio' | 'percent' | 'zscore' | 'zlogratio';
export const BASELINE_MODES: readonly BaselineMode[] = ['mean', 'ratio', 'logratio', 'percent', 'zscore', 'zlogratio'];

/** How event windows are normalised. */
export type Normalization =
  | { mode: 'session-z' }
  | { mode: 'pre-event'; baseline: readonly [number, number] }
  | { mode: 'baseline'; baseline: readonly [number, number]; baselineMode: BaselineMode };

export const DEFAULT_BASELINE: readonly [number, number] = [-1.0, -0.5];

/** Options as a user gives them; see {@link resolveNormalization}. */
export interface NormalizationOptions {
  /** Default `session-z`. */
  normalize?: NormalizeMode;
  /** [b0, b1], s relative to the event, both included (default [−1.0, −0.5]). */
  baseline?: readonly [number, number];
  /** For `baseline` (default `zscore`). */
  baselineMode?: BaselineMode;
}

/**
 * Validates the normalisation options.
 *
 * @throws InvalidParameterError for an unknown mode, a baseline mode without `baseline`, or an
 *   interval with b0 > b1
 */
export function resolveNormalization(options: NormalizationOptions): Normalization {
  const mode = options.normalize ?? 'session-z';
  if (!NORMALIZE_MODES.includes(mode)) {
    throw new InvalidParameterError(`normalisation '${String(mode)}' is unknown; expected one of ${NORMALIZE_MODES.join(', ')}`);
  }
  if (options.baselineMode !== undefined && mode !== 'baseline') {
    throw new InvalidParameterError(`a baseline mode ('${options.baselineMode}') needs --normalize baseline, not ${mode}`);
  }
  if (mode === 'session-z') return { mode };
  const baseline = options.baseline ?? DEFAULT_BASELINE;
  const [b0, b1] = baseline;
  if (!Number.isFinite(b0) || !Number.isFinite(b1) || b0 > b1) {
    throw new InvalidParameterError(`baseline ${b0},${b1} is not an interval; expected B0,B1 with B0 <= B1, in seconds`);
  }
  if (mode === 'pre-event') return { mode, baseline: [b0, b1] };
  const baselineMode = options.baselineMode ?? 'zscore';
  if (!BASELINE_MODES.includes(baselineMode)) {
    throw new InvalidParameterError(`baseline mode '${String(baselineMode)}' is unknown; expected one of ${BASELINE_MODES.join(', ')}`);
  }
  return { mode, baseline: [b0, b1], baselineMode };
}

/**
 * The window samples whose time lies in [t0, t1], both included: [first, end) — MNE's
 * `imin = first index with times >= t0`, `imax = last index with times <= t1, + 1`.
 *
 * @throws InvalidParameterError when the interval leaves the window or holds no sample
 */
export function samplesWithin(windowTimes: Float64Array, [t0, t1]: readonly [number, number], what: string): { first: number; end: number } {
  const n = windowTimes.length;
  const lo = windowTimes[0]!;
  const hi = windowTimes[n - 1]!;
  if (t0 < lo || t1 > hi) {
    throw new InvalidParameterError(`${what} ${t0},${t1} s is outside the event window (${lo} to ${hi} s)`);
  }
  let first = 0;
  while (first < n && windowTimes[first]! < t0) first++;
  let end = n;
  while (end > 0 && windowTimes[end - 1]! > t1) end--;
  if (first >= end) throw new InvalidParameterError(`${what} ${t0},${t1} s holds no sample of the event window`);
  return { first, end };
}

/** A group of consecutive windows (one events kind and size) of a channel's windows buffer. */
export interface WindowSpan {
  /** First window. */
  start: number;
  /** Number of windows. */
  count: number;
}

/** Per group, per frequency row: z = (w − offset) / scale. */
export interface GroupScaling {
  /** Shape (n_groups, n_freqs). */
  offset: Float64Array;
  scale: Float64Array;
}

/**
 * Normalises one channel's raw power windows, shape (n_windows, n_freqs, window_samples), group
 * by group: returns the per-group offset and scale of the z-score form, after rescaling the rows
 * in place where the mode is not of that form.
 *
 * @param channelMean the channel's whole-session mean power per frequency, shape (n_freqs,)
 * @param channelStd its whole-session std (floored), shape (n_freqs,)
 * @param baseline the baseline samples of a window ({@link samplesWithin}); unused for session-z
 */
export function normalizeChannelWindows(
  windows: Float64Array,
  nFreqs: number,
  windowSamples: number,
  groups: readonly WindowSpan[],
  channelMean: Float64Array,
  channelStd: Float64Array,
  normalization: Normalization,
  baseline: { first: number; end: number } | null,
): GroupScaling {
  const offset = new Float64Array(groups.length * nFreqs);
  const scale = new Float64Array(groups.length * nFreqs);
  const rowAt = (w: number, f: number): number => (w * nFreqs + f) * windowSamples;
  groups.forEach((group, g) => {
    const o = offset.subarray(g * nFreqs, (g + 1) * nFreqs);
    const s = scale.subarray(g * nFreqs, (g + 1) * nFreqs);
    if (normalization.mode === 'session-z') {
      o.set(channelMean);
      s.set(channelStd);
      return;
    }
    const { first, end } = baseline!;
    if (normalization.mode === 'pre-event') {
      // b_e = the baseline mean of each event's row; m, s = mean and std (ddof 0) of b_e over the group.
      for (let f = 0; f < nFreqs; f++) {
        const b = new Float64Array(group.count);
        for (let e = 0; e < group.count; e++) b[e] = rowMean(windows, rowAt(group.start + e, f) + first, end - first);
        const m = mean(b);
        o[f] = m;
        s[f] = Math.max(Math.sqrt(mean(b.map((x) => (x - m) * (x - m)))), STD_FLOOR);
      }
      return;
    }
    // baseline: MNE rescale of each event's rows on their own; the sum then adds them as they are.
    s.fill(1);
    for (let e = 0; e < group.count; e++) {
      for (let f = 0; f < nFreqs; f++) rescaleRow(windows.subarray(rowAt(group.start + e, f), rowAt(group.start + e, f) + windowSamples), first, end, normalization.baselineMode);
    }
  });
  return { offset, scale };
}

/** MNE 1.3 `rescale` of one row in place, with the baseline samples [first, end). */
function rescaleRow(row: Float64Array, first: number, end: number, mode: BaselineMode): void {
  const mu = rowMean(row, first, end - first);
  switch (mode) {
    case 'mean':
      for (let t = 0; t < row.length; t++) row[t] = row[t]! - mu;
      return;
    case 'ratio':
      for (let t = 0; t < row.length; t++) row[t] = row[t]! / mu;
      return;
    case 'logratio':
      for (let t = 0; t < row.length; t++) row[t] = Math.log10(row[t]! / mu);
      return;
    case 'percent':
      for (let t = 0; t < row.length; t++) row[t] = (row[t]! - mu) / mu;
      return;
    case 'zscore': {
      const sd = rowStd(row, first, end - first, mu);
      for (let t = 0; t < row.length; t++) row[t] = (row[t]! - mu) / sd;
      return;
    }
    case 'zlogratio': {
      for (let t = 0; t < row.length; t++) row[t] = Math.log10(row[t]! / mu);
      const sd = rowStd(row, first, end - first, rowMean(row, first, end - first));
      for (let t = 0; t < row.length; t++) row[t] = row[t]! / sd;
      return;
    }
  }
}

function rowMean(values: Float64Array, at: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[at + i]!;
  return sum / n;
}

function rowStd(values: Float64Array, at: number, n: number, mu: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (values[at + i]! - mu) ** 2;
  return Math.sqrt(sum / n);
}

function mean(values: Float64Array): number {
  return rowMean(values, 0, values.length);
}
