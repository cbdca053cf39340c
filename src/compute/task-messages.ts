/**
 * The messages of the channel tasks (channel-tasks.ts): what a task is handed and what it
 * replies. Everything is typed arrays and plain data, so the same messages serve worker threads
 * (views over SharedArrayBuffers: zero copies) and child processes (copied by the IPC channel's
 * structured clone).
 */
import type { WaveletBank } from '../dsp/wavelet-bank.js';
import type { WindowPositions } from './channel-power.js';
import type { SharedRoiSum } from './roi-sum.js';

/** `channels` strategy: every frequency row of one channel. */
export interface ChannelTask {
  /** Human-readable unit of work, reported if the worker dies ("channel 3"). */
  label: string;
  bank: WaveletBank;
  /** The channel, shape (n_times,). */
  signal: Float64Array;
  /** The bank's frequency rows to compute, [first, first + count); the outputs hold these rows only. */
  first: number;
  count: number;
  positions: WindowPositions | null;
  /** Processes: whether the reply carries the power rows (kept, or reduced by the main thread). */
  wantPower: boolean;
  /**
   * Threads only (null for processes, whose reply carries the rows instead): where the worker
   * writes in place. `mean`/`std` are the channel's (count,) views; `keptPower` its
   * (count, n_times) view of the kept per-channel power, or null; `windows` the task's
   * (n_windows, count, window_samples) buffer of event windows, or null.
   */
  shared: {
    mean: Float64Array;
    std: Float64Array;
    keptPower: Float64Array | null;
    windows: Float64Array | null;
    /**
     * ROI reduction of full power rows to add this channel's rows to, row by row in turn; null
     * when there is none (no ROI, or the ROI mean of windows, which the main thread reduces).
     */
    roi: { sum: SharedRoiSum; position: number } | null;
  } | null;
}

/** Reply of a process worker to a {@link ChannelTask}, over the task's rows. */
export interface ChannelReply {
  /** Shape (count,). */
  mean: Float64Array;
  std: Float64Array;
  /** Shape (count, n_times), or null. */
  power: Float64Array | null;
  /** Shape (n_windows, count, window_samples), or null. */
  windows: Float64Array | null;
}

/**
 * `frequencies` strategy: the frequency rows [first, first + count) of every channel, in ROI
 * order, reduced to the ROI mean inside the task (see `computeRowBatch`).
 */
export interface RowBatchTask {
  /** "frequency rows 0–9"; a crash report prefixes the channel being computed. */
  label: string;
  /** Display names of the channels, for fault reports ("channel 20"). */
  names: string[];
  bank: WaveletBank;
  /** The channels in ROI order, each shape (n_times,). */
  signals: Float64Array[];
  first: number;
  count: number;
  positions: WindowPositions | null;
  /** Whether the channels' power rows are kept (returned or written in place). */
  keepPower: boolean;
  /** What the ROI mean is taken of, or null (no ROI, as `tfr`). */
  roi: 'power' | 'windows' | null;
  /**
   * Threads only: the run's outputs, written in place at this batch's rows. They hold the bank
   * rows [firstRow, firstRow + nRows) (all rows unless the run computes a range of them):
   * statistics (n_channels, nRows), kept power (n_channels, nRows, n_times) or null, the ROI sum
   * (nRows, n_times) or (n_windows, nRows, window_samples) or null. `progress[0]` is the position
   * of the channel being computed (read if the worker dies).
   */
  shared: {
    mean: Float64Array;
    std: Float64Array;
    keptPower: Float64Array | null;
    roiSum: Float64Array | null;
    firstRow: number;
    nRows: number;
    progress: Int32Array;
  } | null;
}

/** Reply of a process worker to a {@link RowBatchTask}, compact over the batch's rows. */
export interface RowBatchReply {
  /** Shape (n_channels, count). */
  mean: Float64Array;
  std: Float64Array;
  /** Shape (n_channels, count, n_times), or null. */
  power: Float64Array | null;
  /** ROI mean, shape (count, n_times) or (n_windows, count, window_samples), or null. */
  roiSum: Float64Array | null;
}

/** Progress event of a process worker: the position of the channel it starts. */
export interface ProgressEvent {
  position: number;
}
