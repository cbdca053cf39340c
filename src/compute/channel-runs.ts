/**
 * Per-channel work under the `sequential`, `channels` and `frequencies` strategies.
 *
 * - `sequential`: every row of every channel, in ROI order, on this thread (`computeRowBatch`).
 * - `frequencies`: one task per batch of `batchSize` frequency rows, each computing its rows of
 *   every channel in ROI order and reducing them to its rows of the ROI mean itself — the same
 *   additions in the same order as sequential, and no task ever waits for another.
 * - `channels`: one task per channel (all rows, so every block's signal FFT serves every
 *   frequency). The ROI mean is then added across tasks in ROI order (roi-sum.ts): by the workers
 *   themselves for full power rows, taking turns row by row as each row finishes (so a worker
 *   holds one row), and by the main thread for event windows (small: a worker that finishes early
 *   starts its next channel instead of waiting for its turn).
 *
 * Threads: the signals, the wavelet spectra, the statistics, the kept power, the event windows
 * and the ROI sum all live in SharedArrayBuffers; a worker reads its channels and writes its rows
 * in place. Processes: a task's signals are copied to the child and its rows copied back.
 */
import type { WaveletBank } from '../dsp/wavelet-bank.js';
import { sharedPool, type ComputePool } from '../engine/pool.js';
import { runAllBounded, runBounded } from '../engine/schedule.js';
import { computeRowBatch, rowsOfChannel, scatterRows, type ChannelOutputs, type WindowPositions } from './channel-power.js';
import { CHANNEL_TASK, ROW_BATCH_TASK } from './channel-tasks.js';
import type { RunPlan } from './plan.js';
import { abortRoiSum, addChannelToRoiSum, sharedRoiSum, type RoiSumShape } from './roi-sum.js';
import type { ChannelReply, ChannelTask, ProgressEvent, RowBatchReply, RowBatchTask } from './task-messages.js';

/** What to compute for each channel. */
export interface ChannelJobs {
  /** One entry per channel, each shape (n_times,). */
  signals: readonly Float64Array[];
  /** Display names of the channels, for error messages ("channel 20"). */
  names: readonly string[];
  bank: WaveletBank;
  windowPositions: WindowPositions | null;
  /** Kept per-channel power, shape (n_channels, n_freqs, n_times), or null. */
  keptPower: Float64Array | null;
  /** ROI reduction of the channels' z-scores, or null (plain power, as `tfr`). */
  roi: { source: 'power' | 'windows' } | null;
  /**
   * The bank's frequency rows to compute, [first, first + count) (default all of them). Every
   * output below then holds those rows only: read `count` for n_freqs in its shape. Each row is
   * computed by the same operations whatever rows a run holds, so a run in pieces of rows gives
   * the bits of one run of all rows (the `tfr` output larger than memory, analysis/tfr.ts).
   */
  rows?: { first: number; count: number };
  /**
   * Called for each channel, in channel order, with its statistics (n_freqs,) and raw event
   * windows (n_windows, n_freqs, window_samples), which may be reused after the call: for
   * reductions of the caller's own (sequential and `channels` plans only: planRun refuses
   * `frequencies` for such a problem).
   */
  onChannel?: (position: number, outputs: ChannelOutputs) => void;
}

/** What {@link runChannelJobs} produces. */
export interface ChannelJobsResult {
  /** Per channel, shape (n_channels, n_freqs). */
  channelMean: Float64Array;
  channelStd: Float64Array;
  /** ROI mean, shape (n_freqs, n_times) or (n_windows, n_freqs, window_samples); null without ROI. */
  roiMean: Float64Array | null;
  /** The kept power, filled (a shared copy of `keptPower` under threads), or null. */
  keptPower: Float64Array | null;
}

const BYTES = Float64Array.BYTES_PER_ELEMENT;

function float64(length: number, shared: boolean): Float64Array {
  return new Float64Array(shared ? new SharedArrayBuffer(length * BYTES) : new ArrayBuffer(length * BYTES));
}

/** The same values in a SharedArrayBuffer (no copy when they already are). */
export function toShared(data: Float64Array): Float64Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const copy = float64(data.length, true);
  copy.set(data);
  return copy;
}

/** Everything a run shares between its tasks. */
interface Run {
  jobs: ChannelJobs;
  plan: RunPlan;
  /** The plan's pool. */
  pool: ComputePool;
  threads: boolean;
  /** The channels, shared under threads. */
  signals: readonly Float64Array[];
  /** The bank rows the run computes, [firstRow, firstRow + nRows). */
  firstRow: number;
  nRows: number;
  channelMean: Float64Array;
  channelStd: Float64Array;
  keptPower: Float64Array | null;
  roiMean: Float64Array | null;
  /** Values of one channel's event windows, (n_windows, n_freqs, window_samples); 0 without windows. */
  windowSize: number;
}

/**
 * Runs all channel jobs. Every strategy, backend, job count and batch size gives bitwise
 * identical results. On a task error, stops dispatching, lets running tasks settle and rejects
 * with the first error (a dead worker is a WorkerCrashError naming the channel and rows).
 */
export async function runChannelJobs(jobs: ChannelJobs, plan: RunPlan): Promise<ChannelJobsResult> {
  const { bank, windowPositions: positions } = jobs;
  const nTimes = bank.nTimes;
  const nChannels = jobs.signals.length;
  const { first: firstRow, count: nRows } = jobs.rows ?? { first: 0, count: bank.freqs.length };
  if (plan.strategy === 'sessions') throw new Error('runChannelJobs: a sessions plan runs whole sessions, not channels');
  if (!Number.isInteger(firstRow) || !Number.isInteger(nRows) || firstRow < 0 || nRows < 1 || firstRow + nRows > bank.freqs.length) {
    throw new Error(`runChannelJobs: rows [${firstRow}, ${firstRow + nRows}) are not rows of a bank of ${bank.freqs.length} frequencies`);
  }
  const parallel = plan.strategy !== 'sequential';
  const threads = parallel && plan.backend === 'threads';
  const source = jobs.roi?.source ?? null;
  const windowSize = positions === null ? 0 : positions.starts.length * nRows * positions.windowSamples;

  const channelMean = float64(nChannels * nRows, threads);
  const channelStd = float64(nChannels * nRows, threads);
  const keptPower = jobs.keptPower === null ? null : threads ? toShared(jobs.keptPower) : jobs.keptPower;
  if (keptPower !== null && keptPower.length !== nChannels * nRows * nTimes) {
    throw new Error(`runChannelJobs: kept power of ${keptPower.length} values for ${nChannels} × ${nRows} × ${nTimes}`);
  }
  const roiMean = source === null ? null : float64(source === 'power' ? nRows * nTimes : windowSize, threads);

  if (!parallel) {
    // The reference path: every row of every channel, in ROI order, on this thread.
    computeRowBatch(
      jobs.signals,
      bank,
      firstRow,
      nRows,
      {
        channels: jobs.signals.map((_, c) => ({
          mean: rowsOfChannel(channelMean, c, nRows, 0, nRows, 1),
          std: rowsOfChannel(channelStd, c, nRows, 0, nRows, 1),
          power: keptPower === null ? null : rowsOfChannel(keptPower, c, nRows, 0, nRows, nTimes),
        })),
        roi: source === null ? null : { source, sum: roiMean!, nRows, firstRow: 0 },
      },
      positions,
      jobs.onChannel === undefined ? {} : { onChannelDone: jobs.onChannel },
    );
    return { channelMean, channelStd, roiMean, keptPower };
  }

  const run: Run = {
    jobs,
    plan,
    pool: sharedPool(plan.pool!),
    threads,
    signals: threads ? jobs.signals.map(toShared) : jobs.signals,
    firstRow,
    nRows,
    channelMean,
    channelStd,
    keptPower,
    roiMean,
    windowSize,
  };
  if (plan.strategy === 'frequencies') {
    await runRowBatches(run, plan.batchSize!);
  } else {
    await runChannels(run);
  }
  return { channelMean, channelStd, roiMean, keptPower };
}

/** The plan's per-task time limit as the pool takes it. */
export function taskLimit(plan: Pick<RunPlan, 'taskTimeoutSeconds'>): { timeoutMs?: number } {
  return plan.taskTimeoutSeconds === null ? {} : { timeoutMs: plan.taskTimeoutSeconds * 1000 };
}

/** Tasks in flight: at most one per worker, and few enough that their rows fit the memory budget. */
function maxInFlight(run: Run, perTaskBytes: number): number {
  return Math.max(1, Math.min(run.plan.jobs, Math.floor(run.plan.maxMemoryBytes / Math.max(perTaskBytes, 1))));
}

/** The `frequencies` strategy: one task per batch of `batchRows` rows of every channel. */
async function runRowBatches(run: Run, batchRows: number): Promise<void> {
  const { jobs, threads, channelMean, channelStd, keptPower, roiMean, firstRow, nRows } = run;
  const { bank, windowPositions: positions } = jobs;
  const nTimes = bank.nTimes;
  const nChannels = jobs.signals.length;
  const source = jobs.roi?.source ?? null;
  const rowLength = source === 'power' ? nTimes : (positions?.windowSamples ?? 0);
  const nBatches = Math.ceil(nRows / batchRows);
  // Held by a task beyond the run's outputs: one channel's reduced power rows and its windows;
  // a process also holds copies of the signals and of everything it returns.
  const rowsBytes = batchRows * nTimes * BYTES;
  const windowsBytes = (positions?.starts.length ?? 0) * batchRows * (positions?.windowSamples ?? 0) * BYTES;
  const perTaskBytes =
    (source === 'power' && keptPower === null ? rowsBytes : 0) +
    windowsBytes +
    (threads
      ? 0
      : nChannels * (nTimes * BYTES + (keptPower === null ? 0 : rowsBytes)) + (source === 'power' ? rowsBytes : 0) + windowsBytes);

  const batches = Array.from({ length: nBatches }, (_, b) => b);
  await runAllBounded(batches, { maxInFlight: maxInFlight(run, perTaskBytes) }, async (b) => {
    const first = firstRow + b * batchRows;
    const count = Math.min(batchRows, firstRow + nRows - first);
    const label = `frequency rows ${first}–${first + count - 1}`;
    const progress = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)).fill(-1);
    let position = -1; // processes: from progress events
    const task: RowBatchTask = {
      label,
      names: [...jobs.names],
      bank,
      signals: [...run.signals],
      first,
      count,
      positions,
      keepPower: keptPower !== null,
      roi: source,
      shared: threads ? { mean: channelMean, std: channelStd, keptPower, roiSum: roiMean, firstRow, nRows, progress } : null,
    };
    const crashLabel = (): string => {
      const at = threads ? Atomics.load(progress, 0) : position;
      return at < 0 ? label : `${jobs.names[at]}, ${label}`;
    };
    const reply = await run.pool.run<RowBatchReply | null>(ROW_BATCH_TASK, task, {
      ...taskLimit(run.plan),
      label: crashLabel,
      onEvent: (event) => {
        position = (event as ProgressEvent).position;
      },
    });
    if (reply === null) return; // threads: everything is in place
    // The reply is compact over the batch's rows, (n_channels, count, …); the run's outputs hold
    // its rows from firstRow on.
    const at = first - firstRow;
    for (let c = 0; c < nChannels; c++) {
      rowsOfChannel(channelMean, c, nRows, at, count, 1).set(rowsOfChannel(reply.mean, c, count, 0, count, 1));
      rowsOfChannel(channelStd, c, nRows, at, count, 1).set(rowsOfChannel(reply.std, c, count, 0, count, 1));
      if (keptPower !== null && reply.power !== null) {
        rowsOfChannel(keptPower, c, nRows, at, count, nTimes).set(rowsOfChannel(reply.power, c, count, 0, count, nTimes));
      }
    }
    if (roiMean !== null && reply.roiSum !== null) scatterRows(roiMean, reply.roiSum, nRows, at, count, rowLength);
  });
}

/** The `channels` strategy: one task per channel, all rows; the ROI mean is added in ROI order. */
async function runChannels(run: Run): Promise<void> {
  const { jobs, threads, channelMean, channelStd, keptPower, roiMean, windowSize, firstRow, nRows } = run;
  const { bank, windowPositions: positions } = jobs;
  const nTimes = bank.nTimes;
  const source = jobs.roi?.source ?? null;
  const channelPowerSize = nRows * nTimes;
  const wantPower = keptPower !== null || source === 'power';
  let roiShape: RoiSumShape | null = null;
  if (source !== null) roiShape = { nRoi: jobs.signals.length, rowLength: source === 'power' ? nTimes : positions!.windowSamples, source };
  // Under threads the workers add full power rows to a shared sum themselves, taking ROI turns
  // (roi-sum.ts; the plan keeps the calling thread out of such runs).
  const workersAddPower = threads && source === 'power';
  const addWindows = roiShape !== null && !workersAddPower ? roiShape : null;
  const sharedSum = workersAddPower ? sharedRoiSum(roiMean!, jobs.signals.length, nRows) : null;
  // At most one task per worker also keeps the turns deadlock-free: every task whose turn
  // another waits for is running. Under threads a task holds one power row (reduced row by row)
  // or its windows; a process holds the channel's rows.
  const perTaskBytes = (threads ? (wantPower ? nTimes : 0) + windowSize : wantPower ? channelPowerSize : windowSize) * BYTES;

  // Threads: a channel's windows buffer is used again once its channel is reduced, since fresh
  // memory pays a page fault per page on its first write, expensive on virtual machines
  // (docs/performance.md, "Fresh memory"), and a 32-channel run would pay it for every channel
  // (19 MiB each with 59 frequencies, 100 events and 2 s windows). Every task writes every value
  // of its buffer.
  const freeWindows: Float64Array[] = [];
  const channels = jobs.signals.map((_, c) => c);
  // Results come back in channel order: the ROI mean of windows is added in ROI order here.
  const outputs = runBounded(
    channels,
    {
      maxInFlight: maxInFlight(run, perTaskBytes),
      onFailure: () => {
        if (sharedSum !== null) abortRoiSum(sharedSum);
      },
    },
    async (c): Promise<ChannelOutputs> => {
      const label = jobs.names[c]!;
      const mean = rowsOfChannel(channelMean, c, nRows, 0, nRows, 1);
      const std = rowsOfChannel(channelStd, c, nRows, 0, nRows, 1);
      const kept = keptPower === null ? null : rowsOfChannel(keptPower, c, nRows, 0, nRows, nTimes);
      const sharedWindows = threads && positions !== null ? (freeWindows.pop() ?? float64(windowSize, true)) : null;
      const task: ChannelTask = {
        label,
        bank,
        signal: run.signals[c]!,
        first: firstRow,
        count: nRows,
        positions,
        wantPower,
        shared: threads
          ? { mean, std, keptPower: kept, windows: sharedWindows, roi: sharedSum === null ? null : { sum: sharedSum, position: c } }
          : null,
      };
      const reply = await run.pool.run<ChannelReply | null>(CHANNEL_TASK, task, { label: () => label, ...taskLimit(run.plan) });
      // Threads: everything is in place; only the windows' ROI sum is left to this thread.
      if (reply === null) return { mean, std, power: null, windows: sharedWindows };
      mean.set(reply.mean);
      std.set(reply.std);
      if (kept !== null && reply.power !== null) kept.set(reply.power);
      return { mean, std, power: reply.power, windows: reply.windows };
    },
  );
  let position = 0;
  for await (const out of outputs) {
    if (addWindows !== null) addChannelToRoiSum(roiMean!, addWindows, position, out);
    jobs.onChannel?.(position, out);
    if (threads && out.windows !== null) freeWindows.push(out.windows);
    position++;
  }
}
