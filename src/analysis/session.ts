/**
 * Single-session analysis (docs/method.md §3.6): ROI channels → z-scored ROI power → event windows by NM size.
 */
import { createWaveletBank } from '../dsp/convolve.js';
import { planEventWindows, windowSizes, type EventWindow, type InvalidEvent, type WindowPlan } from './events.js';
import { resolveRoi, type ResolvedRoi, type RoiSpec, type RoiTables } from './roi.js';
import type { ParallelOptions } from '../compute/options.js';
import { planRun, type RunPlan } from '../compute/plan.js';
import { sizeLabel, sessionSfreq, type SessionData } from '../model/session-data.js';
import { frequencyCount, resolveTfrParams, roiProblem, roiSpectrogram, roiWindows, validateRoiChannels, type TfrOptions } from './roi-spectrogram.js';
import { validateSessionData } from './session-checks.js';

export const DEFAULT_WINDOW_DURATION = 1.0;

/** Options of a session (and rat) analysis. */
export interface AnalysisOptions extends TfrOptions, ParallelOptions {
  /** The ROI: a name from the ROI map, electrode numbers, or channel indices. */
  roi: RoiSpec;
  /** Event window length, s (default 1.0). */
  windowDuration?: number;
  /** Keep the full ROI power (n_freqs, n_times) in the result (default false: windows only). */
  saveRoiPower?: boolean;
  /** ROI map and electrode table (default: the lab's, shipped in data/). */
  tables?: RoiTables;
}

/** The windows of one NM size. */
export interface SizeWindows {
  /** NM size, e.g. 1. */
  size: number;
  /** File-name label (`1` for 1.0). */
  label: string;
  /** Number of valid windows. */
  nEvents: number;
  /** Indices of the contributing events in the session's event list. */
  validEvents: number[];
  /** Z-scored ROI power per event, shape (n_events, n_freqs, window_samples). */
  windows: Float64Array;
  /** Mean over events, shape (n_freqs, window_samples). */
  mean: Float64Array;
}

/** Result of {@link analyzeSession}. */
export interface SessionAnalysis {
  ratId: string;
  sessionDate: string;
  /** Index of the session in its file, when known. */
  sessionIndex: number | null;
  /** [n_channels, n_times] of the recording. */
  eegShape: [number, number];
  /** Hz. */
  sfreq: number;
  roi: ResolvedRoi;
  /** Hz, shape (n_freqs,). */
  freqs: Float64Array;
  /** Shape (n_freqs,). */
  nCycles: Float64Array;
  zeroMean: boolean;
  /** s. */
  windowDuration: number;
  windowSamples: number;
  /** s, shape (window_samples,). */
  windowTimes: Float64Array;
  /** One entry per size with ≥ 1 valid window, sizes ascending. */
  sizes: SizeWindows[];
  invalidEvents: InvalidEvent[];
  /** Per ROI channel mean power, shape (n_roi, n_freqs). */
  channelMean: Float64Array;
  /** Per ROI channel power std (floored), shape (n_roi, n_freqs). */
  channelStd: Float64Array;
  /** Z-scored ROI power, shape (n_freqs, n_times), only with `saveRoiPower`. */
  roiPower: Float64Array | null;
  /** Wall time of the compute step, s. */
  computeSeconds: number;
}

/**
 * The valid windows grouped by size, sizes ascending, each group in input order: the order the
 * ROI windows are computed in, so that each size's windows are one contiguous slice (no copies).
 */
export function windowsBySize(plan: WindowPlan): EventWindow[][] {
  return windowSizes(plan.windows).map((size) => plan.windows.filter((w) => w.size === size));
}

/**
 * Splits ROI windows (n_windows, n_freqs, W), computed in the order of `groups`
 * ({@link windowsBySize}), into per-size views. Per-size means follow numpy: the sum over events
 * in order, divided by the count.
 */
export function groupWindowsBySize(groups: readonly EventWindow[][], windows: Float64Array, nFreqs: number, windowSamples: number): SizeWindows[] {
  const per = nFreqs * windowSamples;
  let at = 0;
  return groups.map((members) => {
    const group = windows.subarray(at * per, (at + members.length) * per);
    at += members.length;
    const mean = new Float64Array(per);
    for (let k = 0; k < members.length; k++) {
      for (let j = 0; j < per; j++) mean[j] = mean[j]! + group[k * per + j]!;
    }
    for (let j = 0; j < per; j++) mean[j] = mean[j]! / members.length;
    const size = members[0]!.size;
    return { size, label: sizeLabel(size), nEvents: members.length, validEvents: members.map((w) => w.index), windows: group, mean };
  });
}

/**
 * The run plan of one session's analysis: its ROI channels, frequencies and samples.
 *
 * @param nRoiChannels channels of the resolved ROI
 * @param nTimes samples per channel
 */
export function planSessionRun(nRoiChannels: number, nTimes: number, options: AnalysisOptions): RunPlan {
  return planRun(roiProblem(nRoiChannels, frequencyCount(options), nTimes, options.saveRoiPower ? 'roiPower' : 'windows'), options);
}

/**
 * Analyses one session: ROI → z-scored ROI power → windows per NM size.
 *
 * @param plan how it runs; by default planned from `options` for this session
 * @throws RoiError / ChannelRangeError / NonFiniteDataError / SessionDataError / EventWindowError /
 *   InvalidParameterError — see docs/method.md §3.6 for the cases
 */
export async function analyzeSession(
  session: SessionData,
  options: AnalysisOptions,
  sessionIndex: number | null = null,
  plan?: RunPlan,
): Promise<SessionAnalysis> {
  validateSessionData(session);
  const sfreq = sessionSfreq(session);
  const roi = resolveRoi(options.roi, session.ratId, options.tables);
  const params = resolveTfrParams(options, sfreq);
  const windowDuration = options.windowDuration ?? DEFAULT_WINDOW_DURATION;
  const runPlan = plan ?? planSessionRun(roi.channels.length, session.nTimes, options);
  const windowPlan = planEventWindows(session.eegTime, session.nmPeakTimes, session.nmSizes, windowDuration, sfreq);
  validateRoiChannels(session, roi.channels);

  const started = performance.now();
  const bank = createWaveletBank(params, session.nTimes);
  const nFreqs = params.freqs.length;
  const groups = windowsBySize(windowPlan);
  const positions = { starts: Int32Array.from(groups.flat(), (w) => w.start), windowSamples: windowPlan.windowSamples };
  let windows: Float64Array;
  let roiPower: Float64Array | null = null;
  let channelMean: Float64Array;
  let channelStd: Float64Array;
  if (options.saveRoiPower) {
    const spec = await roiSpectrogram(session, roi.channels, bank, false, runPlan);
    roiPower = spec.roiPower;
    ({ channelMean, channelStd } = spec);
    windows = sliceWindows(roiPower, session.nTimes, nFreqs, positions.starts, positions.windowSamples);
  } else {
    ({ windows, channelMean, channelStd } = await roiWindows(session, roi.channels, bank, positions, runPlan));
  }
  const computeSeconds = (performance.now() - started) / 1000;

  return {
    ratId: session.ratId,
    sessionDate: session.sessionDate,
    sessionIndex,
    eegShape: [session.nChannels, session.nTimes],
    sfreq,
    roi,
    freqs: params.freqs,
    nCycles: params.nCycles,
    zeroMean: params.zeroMean,
    windowDuration,
    windowSamples: windowPlan.windowSamples,
    windowTimes: windowPlan.windowTimes,
    sizes: groupWindowsBySize(groups, windows, nFreqs, windowPlan.windowSamples),
    invalidEvents: windowPlan.invalid,
    channelMean,
    channelStd,
    roiPower,
    computeSeconds,
  };
}

/** Copies windows out of a (n_freqs, n_times) matrix into (n_windows, n_freqs, W). */
export function sliceWindows(
  power: Float64Array,
  nTimes: number,
  nFreqs: number,
  starts: Int32Array,
  windowSamples: number,
): Float64Array {
  const out = new Float64Array(starts.length * nFreqs * windowSamples);
  starts.forEach((s, w) => {
    for (let f = 0; f < nFreqs; f++) {
      out.set(power.subarray(f * nTimes + s, f * nTimes + s + windowSamples), (w * nFreqs + f) * windowSamples);
    }
  });
  return out;
}
