/**
 * Normalisation of event windows (docs/method.md §3.4, §8.1): one table of modes, each described
 * by what it does to a channel's raw power windows before they are averaged into an ROI, and what
 * it does to the ROI's averaged windows afterwards.
 *
 * A channel step is written as `z = (w − offset[f]) / scale[f]` per (group of events, frequency
 * row), except MNE's baseline rescaling, whose rows are rescaled in place (the ROI sum then adds
 * `(z − 0) / 1`). The additions use the kernel's addZRows, the same operation as the session-z
 * path, so a channel's contribution has the same bits whichever path adds it. The ROI step
 * (the lab's pre-event z-score) works on the averaged windows in place.
 */
import { STD_FLOOR } from '../compute/channel-power.js';
import { InvalidParameterError } from '../errors.js';

/** The modes of MNE 1.3 `mne.baseline.rescale`. */
export type BaselineMode = 'mean' | 'ratio' | 'logratio' | 'percent' | 'zscore' | 'zlogratio';
export const BASELINE_MODES: readonly BaselineMode[] = ['mean', 'ratio', 'logratio', 'percent', 'zscore', 'zlogratio'];

/** What a mode does to each channel's raw power windows before its ROIs average them. */
type ChannelStep =
  /** (w − whole-session mean) / whole-session std, per frequency (§3.4). */
  | 'session-z'
  /** (w − m) / s with m, s the mean and std over the group's events of their baseline means. */
  | 'group-baseline-z'
  /** MNE `rescale` of each event's rows on their own. */
  | 'rescale';

/** One normalisation mode: what it computes, needs and is called. */
export interface NormalizeModeInfo {
  channelStep: ChannelStep;
  /** Applied to an ROI's (or electrode's) averaged windows: the group baseline z-score, or nothing. */
  roiStep: 'group-baseline-z' | null;
  /** Needs a baseline interval (`--baseline`). */
  baseline: boolean;
  /** Takes `--baseline-mode`. */
  baselineModes: boolean;
  /** Fewest events of a group whose statistics mean something (a std over events needs 2). */
  minEvents: number;
  /** Default `--min-events` (docs/method.md §8.1). */
  defaultMinEvents: number;
  /** One line for `--help` and the docs. */
  summary: string;
}

/** The normalisation modes (docs/method.md §8.1); a new mode is one entry here and its tests. */
export const NORMALIZE_MODE_INFO = {
  'session-z': {
    channelStep: 'session-z',
    roiStep: null,
    baseline: false,
    baselineModes: false,
    minEvents: 1,
    defaultMinEvents: 1,
    summary: "each channel's power z-scored over the whole session, then averaged over the ROI",
  },
  'pre-event': {
    channelStep: 'session-z',
    roiStep: 'group-baseline-z',
    baseline: true,
    baselineModes: false,
    minEvents: 2,
    defaultMinEvents: 3,
    summary: "the lab's: session-z ROI windows, z-scored against the events' baseline means (per events kind and size)",
  },
  'pre-event-channel': {
    channelStep: 'group-baseline-z',
    roiStep: null,
    baseline: true,
    baselineModes: false,
    minEvents: 2,
    defaultMinEvents: 3,
    summary: "each channel's raw windows z-scored against the events' baseline means, then averaged over the ROI",
  },
  baseline: {
    channelStep: 'rescale',
    roiStep: null,
    baseline: true,
    baselineModes: true,
    minEvents: 1,
    defaultMinEvents: 1,
    summary: "MNE rescale of each event's raw windows against its own baseline (--baseline-mode), then averaged over the ROI",
  },
} as const satisfies Record<string, NormalizeModeInfo>;

export type NormalizeMode = keyof typeof NORMALIZE_MODE_INFO;
export const NORMALIZE_MODES = Object.keys(NORMALIZE_MODE_INFO) as NormalizeMode[];

/** The mode's description. */
export function modeInfo(mode: NormalizeMode): NormalizeModeInfo {
  return NORMALIZE_MODE_INFO[mode];
}

/** How event windows are normalised (resolved and validated). */
export interface Normalization {
  mode: NormalizeMode;
  /** [b0, b1], s, both included; null for a mode without a baseline. */
  baseline: readonly [number, number] | null;
  /** For `baseline`; null otherwise. */
  baselineMode: BaselineMode | null;
  /** Groups (events kind and size of a session) with fewer events are left out. */
  minEvents: number;
}

export const DEFAULT_BASELINE: readonly [number, number] = [-1.0, -0.5];

/** Options as a user gives them; see {@link resolveNormalization}. */
export interface NormalizationOptions {
  /** Default `session-z`. */
  normalize?: NormalizeMode;
  /** [b0, b1], s relative to the event, both included (default [−1.0, −0.5]). */
  baseline?: readonly [number, number];
  /** For `baseline` (default `zscore`). */
  baselineMode?: BaselineMode;
  /**
   * Fewest events a group (events kind and size, per session) needs to be analysed; default the
   * mode's `defaultMinEvents`, never below its `minEvents`.
   */
  minEvents?: number;
}

/**
 * Validates the normalisation options (the one check of them: results.json is read back through
 * it too).
 *
 * @throws InvalidParameterError for an unknown mode, a baseline mode without `baseline`, an
 *   interval with b0 > b1, or a minimum of events below what the mode needs
 */
export function resolveNormalization(options: NormalizationOptions): Normalization {
  const mode = options.normalize ?? 'session-z';
  if (!NORMALIZE_MODES.includes(mode)) {
    throw new InvalidParameterError(`normalisation '${String(mode)}' is unknown; expected one of ${NORMALIZE_MODES.join(', ')}`);
  }
  const info = modeInfo(mode);
  if (options.baselineMode !== undefined && !info.baselineModes) {
    throw new InvalidParameterError(`a baseline mode ('${options.baselineMode}') needs --normalize baseline, not ${mode}`);
  }
  const minEvents = options.minEvents ?? info.defaultMinEvents;
  if (!Number.isInteger(minEvents) || minEvents < info.minEvents) {
    throw new InvalidParameterError(
      `--min-events ${minEvents} is too low for --normalize ${mode}; expected an integer >= ${info.minEvents}` +
        (info.minEvents > 1 ? ' (its baseline statistics are a std over events)' : ''),
    );
  }
  let baseline: readonly [number, number] | null = null;
  if (info.baseline) {
    const [b0, b1] = options.baseline ?? DEFAULT_BASELINE;
    if (!Number.isFinite(b0) || !Number.isFinite(b1) || b0 > b1) {
      throw new InvalidParameterError(`baseline ${b0},${b1} is not an interval; expected B0,B1 with B0 <= B1, in seconds`);
    }
    baseline = [b0, b1];
  }
  let baselineMode: BaselineMode | null = null;
  if (info.baselineModes) {
    baselineMode = options.baselineMode ?? 'zscore';
    if (!BASELINE_MODES.includes(baselineMode)) {
      throw new InvalidParameterError(`baseline mode '${String(baselineMode)}' is unknown; expected one of ${BASELINE_MODES.join(', ')}`);
    }
  }
  return { mode, baseline, baselineMode, minEvents };
}

/**
 * What the normalised values are, for figure and table titles: "z-score", "pre-event z-score
 * (baseline −1 to −0.5 s)", "baseline ratio (−1 to −0.5 s)". Takes the recorded parameters
 * (results.json `parameters`), so that a stored result is labelled as it was computed.
 */
export function normalizationLabel(parameters: { normalize?: unknown; baseline?: unknown; baseline_mode?: unknown }): string {
  const mode = parameters.normalize;
  const b = Array.isArray(parameters.baseline) ? ` (baseline ${(parameters.baseline as number[]).map((v) => String(v).replace('-', '−')).join(' to ')} s)` : '';
  if (mode === 'baseline') return `baseline ${String(parameters.baseline_mode)}${b}`;
  if (mode === 'pre-event' || mode === 'pre-event-channel') return `${mode} z-score${b}`;
  return 'z-score';
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
 * The channel step of a mode ({@link NormalizeModeInfo.channelStep}) on one channel's raw power
 * windows, shape (n_windows, n_freqs, window_samples), group by group: returns the per-group
 * offset and scale of the z-score form, after rescaling the rows in place where the step is not
 * of that form.
 *
 * @param channelMean the channel's whole-session mean power per frequency, shape (n_freqs,)
 * @param channelStd its whole-session std (floored), shape (n_freqs,)
 * @param baseline the baseline samples of a window ({@link samplesWithin}); null for session-z
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
  const step = modeInfo(normalization.mode).channelStep;
  groups.forEach((group, g) => {
    const o = offset.subarray(g * nFreqs, (g + 1) * nFreqs);
    const s = scale.subarray(g * nFreqs, (g + 1) * nFreqs);
    switch (step) {
      case 'session-z':
        o.set(channelMean);
        s.set(channelStd);
        return;
      case 'group-baseline-z':
        groupBaselineStats(windows, nFreqs, windowSamples, group, baseline!, o, s);
        return;
      case 'rescale':
        // MNE rescale of each event's rows on their own; the sum then adds them as they are.
        s.fill(1);
        for (let e = 0; e < group.count; e++) {
          for (let f = 0; f < nFreqs; f++) {
            const at = ((group.start + e) * nFreqs + f) * windowSamples;
            rescaleRow(windows.subarray(at, at + windowSamples), baseline!.first, baseline!.end, normalization.baselineMode!);
          }
        }
    }
  });
  return { offset, scale };
}

/**
 * The ROI step of a mode ({@link NormalizeModeInfo.roiStep}) on an ROI's averaged windows, shape
 * (n_windows, n_freqs, window_samples), in place, group by group: for the lab's pre-event mode,
 * Z_e = (R_e − m) / s with m, s the mean and std (ddof 0, floored) over the group's events of
 * their baseline means. Nothing for a mode without an ROI step.
 */
export function normalizeRoiWindows(
  windows: Float64Array,
  nFreqs: number,
  windowSamples: number,
  groups: readonly WindowSpan[],
  normalization: Normalization,
  baseline: { first: number; end: number } | null,
): void {
  if (modeInfo(normalization.mode).roiStep === null) return;
  const m = new Float64Array(nFreqs);
  const s = new Float64Array(nFreqs);
  for (const group of groups) {
    groupBaselineStats(windows, nFreqs, windowSamples, group, baseline!, m, s);
    for (let e = 0; e < group.count; e++) {
      for (let f = 0; f < nFreqs; f++) {
        const at = ((group.start + e) * nFreqs + f) * windowSamples;
        const mf = m[f]!;
        const sf = s[f]!;
        for (let t = at; t < at + windowSamples; t++) windows[t] = (windows[t]! - mf) / sf;
      }
    }
  }
}

/**
 * Per frequency row of a group of windows: b_e = the mean of event e's row over the baseline
 * samples; m = mean_e b_e and s = max(std_e b_e (ddof 0), 1e-12) into `mean` and `std`, shape
 * (n_freqs,).
 */
function groupBaselineStats(
  windows: Float64Array,
  nFreqs: number,
  windowSamples: number,
  group: WindowSpan,
  { first, end }: { first: number; end: number },
  mean: Float64Array,
  std: Float64Array,
): void {
  const b = new Float64Array(group.count);
  for (let f = 0; f < nFreqs; f++) {
    for (let e = 0; e < group.count; e++) b[e] = rowMean(windows, ((group.start + e) * nFreqs + f) * windowSamples + first, end - first);
    const m = rowMean(b, 0, b.length);
    mean[f] = m;
    std[f] = Math.max(rowStd(b, 0, b.length, m), STD_FLOOR);
  }
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
