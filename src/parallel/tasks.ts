/**
 * Messages between the main thread and workers. Everything is typed arrays and plain data, so the
 * same messages serve worker threads (views over SharedArrayBuffers: zero copies) and child
 * processes (copied by the IPC channel's structured clone).
 */
import type { WaveletBank } from '../dsp/convolve.js';
import type { WindowLayout } from '../analysis/channel-power.js';
import type { SharedRoiSum } from '../analysis/roi-sum.js';
import type { AnalysisOptions, SessionAnalysis } from '../analysis/session.js';
import type { SessionRef } from '../io/session-refs.js';

/** One (channel, frequency batch) job. */
export interface ChannelRowsTask {
  /** Human-readable unit of work, reported if the worker dies ("channel 3, frequency rows 0–4"). */
  label: string;
  bank: WaveletBank;
  /** The channel, shape (n_times,). */
  signal: Float64Array;
  /** Rows to compute, indices into bank.freqs. */
  freqIndices: Int32Array;
  layout: WindowLayout | null;
  /** Whether full power rows are needed (kept, or reduced to the ROI mean). */
  wantPower: boolean;
  /**
   * Threads only (null for processes, whose reply carries the rows instead): where the worker
   * writes in place. `mean`/`std` are the channel's (n_freqs,) views; `keptPower` its
   * (n_freqs, n_times) view of the kept per-channel power, or null; `windows` the task's
   * (n_windows, n_freqs, window_samples) buffer of event windows, or null.
   */
  shared: {
    mean: Float64Array;
    std: Float64Array;
    keptPower: Float64Array | null;
    windows: Float64Array | null;
    /**
     * ROI reduction of full power rows to add this channel's rows to, in turn; null when there
     * is none (no ROI, or the ROI mean of windows, which the main thread reduces).
     */
    roi: { sum: SharedRoiSum; batch: number; position: number } | null;
  } | null;
}

/** Reply of a process worker: the task's rows only, compacted in `freqIndices` order. */
export interface ChannelRowsReply {
  /** Shape (n_batch,). */
  mean: Float64Array;
  /** Shape (n_batch,). */
  std: Float64Array;
  /** Power rows in `freqIndices` order, shape (n_batch, n_times), or null. */
  power: Float64Array | null;
  /** Shape (n_windows, n_batch, window_samples) or null. */
  windows: Float64Array | null;
}

/** A batch of whole sessions (`sessions` strategy), analysed one after another in a worker. */
export interface SessionTask {
  /** "session 3" or "sessions 3, 4". */
  label: string;
  sessions: SessionRef[];
  /** Analysis options; the strategy inside a worker is always sequential. */
  options: AnalysisOptions;
}

/** Outcome of one session: the analysis, or the user-facing error that stopped it. */
export type SessionOutcome =
  | { index: number; ok: true; analysis: SessionAnalysis }
  | { index: number; ok: false; code: string; message: string };

/** A user-facing error thrown in a worker, sent back as data to keep its class. */
export interface WorkerErrorReply {
  workerError: { code: string; message: string };
}

/** Worker method names. */
export const METHOD_CHANNEL_ROWS = 'channelRows';
export const METHOD_SESSIONS = 'sessions';
