/**
 * The data model: one recording session (docs/method.md §2) as typed arrays, as every reader
 * produces it and every analysis consumes it.
 */
import { ChannelRangeError } from '../errors.js';

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
  /** ITI-matched control event times, s, shape (n_iti,), when the session has them. */
  itiPeakTimes?: Float64Array;
  /** ITI control event sizes (1, 2, 3), shape (n_iti,), when the session has them. */
  itiSizes?: Float64Array;
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

/** A size as it appears in file names and result keys: `1` for 1.0, `1.5`, `m1` for −1. */
export function sizeLabel(size: number): string {
  return Number.isInteger(size) ? String(size) : String(size).replace('-', 'm');
}
