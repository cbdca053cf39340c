/**
 * One recording session (SPEC 2) as typed arrays, and its validation.
 */
import { morletKernel } from '../dsp/kernel.js';
import { ChannelRangeError, NonFiniteDataError, SessionDataError } from '../errors.js';

/** The lab's sampling rate, used when a session does not carry its own. */
export const DEFAULT_SFREQ = 200;

/** A multichannel recording as one float64 matrix. */
export interface EegMatrix {
  /** Channels in the recording (rows of the EEG matrix). */
  nChannels: number;
  /** Samples per channel. */
  nTimes: number;
  /**
   * EEG, shape (rows, n_times), C order. Holds all `nChannels` rows, or only the rows listed in
   * `loadedChannels` (a reader that fetched just the ROI channels).
   */
  eeg: Float64Array;
  /** When set, row r of `eeg` is recording channel `loadedChannels[r]`. */
  loadedChannels?: readonly number[];
  /** Sampling rate, Hz (default {@link DEFAULT_SFREQ}). */
  sfreq?: number;
}

/** One session. Arrays are float64; times in seconds; EEG in the recording's units (µV). */
export interface SessionData extends EegMatrix {
  /** Subject id, digits (e.g. "10501"). */
  ratId: string;
  /** Session date as recorded (e.g. "070419"). */
  sessionDate: string;
  /** Sample times, s, shape (n_times,), strictly increasing. */
  eegTime: Float64Array;
  /** Near-mistake peak-velocity times, s, shape (n_events,). */
  nmPeakTimes: Float64Array;
  /** Near-mistake sizes (1, 2, 3), shape (n_events,). */
  nmSizes: Float64Array;
  /** Source file of the session, if known. */
  filePath?: string;
}

/** The sampling rate of a session, Hz. */
export function sessionSfreq(session: EegMatrix): number {
  return session.sfreq ?? DEFAULT_SFREQ;
}

/**
 * One channel of a session, shape (n_times,), a view (no copy).
 * @throws ChannelRangeError when the recording has no such channel or it was not loaded
 */
export function channelSamples(session: EegMatrix, channel: number): Float64Array {
  if (!Number.isInteger(channel) || channel < 0 || channel >= session.nChannels) {
    throw new ChannelRangeError(
      `channel index ${channel} is out of range: the recording has ${session.nChannels} channels ` +
        `(valid 0–${session.nChannels - 1})`,
    );
  }
  const row = session.loadedChannels === undefined ? channel : session.loadedChannels.indexOf(channel);
  if (row < 0) {
    throw new ChannelRangeError(`channel ${channel} was not loaded for this session (loaded: ${session.loadedChannels!.join(',')})`);
  }
  return session.eeg.subarray(row * session.nTimes, (row + 1) * session.nTimes);
}

/**
 * Checks the shapes and the time axis of a session.
 * @throws SessionDataError for eeg/eeg_time length mismatch, non-finite or non-increasing times,
 *   or an EEG buffer whose size does not match its shape
 */
export function validateSessionData(session: SessionData): void {
  const { nChannels, nTimes, eeg, eegTime } = session;
  if (!Number.isInteger(nChannels) || nChannels < 1 || !Number.isInteger(nTimes) || nTimes < 1) {
    throw new SessionDataError(`eeg shape (${nChannels}, ${nTimes}) is invalid; expected (n_channels >= 1, n_times >= 1)`);
  }
  const rows = session.loadedChannels?.length ?? nChannels;
  if (eeg.length !== rows * nTimes) {
    throw new SessionDataError(`eeg holds ${eeg.length} values; expected ${rows} rows × ${nTimes} samples`);
  }
  if (eegTime.length !== nTimes) {
    throw new SessionDataError(
      `eeg_time has ${eegTime.length} samples but eeg has ${nTimes}; expected one time per EEG sample`,
    );
  }
  // The scans run in the WebAssembly kernel: fast even before V8 would optimise a loop here.
  const i = morletKernel().firstNotIncreasing(eegTime);
  if (i >= 0) {
    const t = eegTime[i]!;
    if (!Number.isFinite(t)) throw new SessionDataError(`eeg_time[${i}] is ${t}; expected finite times in seconds`);
    throw new SessionDataError(`eeg_time is not strictly increasing at sample ${i} (${eegTime[i - 1]} then ${t})`);
  }
  if (session.nmPeakTimes.length !== session.nmSizes.length) {
    throw new SessionDataError(
      `nm_peak_times has ${session.nmPeakTimes.length} events but nm_sizes has ${session.nmSizes.length}`,
    );
  }
}

/**
 * Throws NonFiniteDataError naming the first channel (in the order given) and sample holding NaN/±Inf.
 * @param channels recording channel indices to check
 */
export function assertFiniteChannels(session: EegMatrix, channels: readonly number[]): void {
  for (const c of channels) {
    const x = channelSamples(session, c);
    const i = morletKernel().firstNonFinite(x);
    if (i >= 0) throw new NonFiniteDataError(c, i, x[i]!);
  }
}
