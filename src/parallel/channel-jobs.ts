/**
 * Per-channel work under the `sequential`, `channels` and `frequencies` strategies.
 *
 * The work is (channel × frequency batch) tasks: one batch of all rows for sequential and
 * `channels`, batches of `batchSize` rows for `frequencies`. Each task computes its rows'
 * statistics and, as asked, keeps the power rows and/or reduces them into the ROI mean.
 *
 * Threads: the signals, the wavelet spectra, the statistics, the kept power, the event windows
 * and the ROI sum all live in SharedArrayBuffers; a worker reads its channel and writes its rows
 * in place. Full power rows are added to the ROI sum by the workers themselves, in channel order
 * (roi-sum.ts), so no row is copied or held longer than its task; event windows are small, so a
 * worker leaves them in its task's buffer and the main thread adds them in channel order — a
 * worker that finishes early then starts its next channel instead of waiting for its turn.
 * Processes: a task's signal is copied to the child and its rows copied back; the main thread
 * reduces them in order.
 */
import { compactRowMap, computeChannelRows, type ChannelOutputs, type WindowLayout } from '../analysis/channel-power.js';
import { abortRoiSum, OrderedRoiSum, type RoiSumLayout, type SharedRoiSum } from '../analysis/roi-sum.js';
import type { WaveletBank } from '../dsp/convolve.js';
import type { ResolvedParallelOptions } from './options.js';
import { poolFor } from './pool.js';
import { METHOD_CHANNEL_ROWS, type ChannelRowsReply, type ChannelRowsTask } from './tasks.js';

/** What to compute for each channel. */
export interface ChannelJobs {
  /** One entry per channel, each shape (n_times,). */
  signals: readonly Float64Array[];
  /** Display names of the channels, for error messages ("channel 20"). */
  names: readonly string[];
  bank: WaveletBank;
  layout: WindowLayout | null;
  /** Kept per-channel power, shape (n_channels, n_freqs, n_times), or null. */
  keptPower: Float64Array | null;
  /** ROI reduction of the channels' z-scores, or null (plain power, as `tfr`). */
  roi: { source: 'power' | 'windows' } | null;
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

export type ChannelStrategyOptions = ResolvedParallelOptions & { strategy: 'sequential' | 'channels' | 'frequencies' };

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

/** Frequency batches of `size` rows: [0..size), [size..2·size), … */
export function frequencyBatches(nFreqs: number, size: number): Int32Array[] {
  const batches: Int32Array[] = [];
  for (let lo = 0; lo < nFreqs; lo += size) {
    batches.push(Int32Array.from({ length: Math.min(size, nFreqs - lo) }, (_, i) => lo + i));
  }
  return batches;
}

/** Default `frequencies` batch: one channel's rows split evenly over the workers. */
export function defaultFrequencyBatch(nFreqs: number, jobs: number): number {
  return Math.max(1, Math.ceil(nFreqs / jobs));
}

/**
 * Runs all channel jobs. Every strategy, backend, job count and batch size gives bitwise
 * identical results. On a task error, stops dispatching, lets running tasks settle and rejects
 * with the first error (a dead worker is a WorkerCrashError naming the channel and rows).
 */
export async function runChannelJobs(jobs: ChannelJobs, options: ChannelStrategyOptions): Promise<ChannelJobsResult> {
  const { bank, layout } = jobs;
  const nFreqs = bank.freqs.length;
  const nTimes = bank.nTimes;
  const nChannels = jobs.signals.length;
  const parallel = options.strategy !== 'sequential';
  const threads = parallel && options.backend === 'threads';
  const batchRows = options.strategy === 'frequencies' ? (options.batchSize ?? defaultFrequencyBatch(nFreqs, options.jobs)) : nFreqs;
  const batches = frequencyBatches(nFreqs, Math.min(batchRows, nFreqs));
  const nWindows = layout?.starts.length ?? 0;
  const windowSize = nWindows * nFreqs * (layout?.windowSamples ?? 0);
  const channelPowerSize = nFreqs * nTimes;
  const wantPower = jobs.keptPower !== null || jobs.roi?.source === 'power';

  const channelMean = float64(nChannels * nFreqs, threads);
  const channelStd = float64(nChannels * nFreqs, threads);
  const keptPower = jobs.keptPower === null ? null : threads ? toShared(jobs.keptPower) : jobs.keptPower;
  let roiLayout: RoiSumLayout | null = null;
  let roiMean: Float64Array | null = null;
  if (jobs.roi !== null) {
    const source = jobs.roi.source;
    roiLayout = { nRoi: nChannels, nFreqs, rowLength: source === 'power' ? nTimes : layout!.windowSamples, source };
    roiMean = float64(source === 'power' ? channelPowerSize : windowSize, threads);
  }
  const workersAddPower = threads && roiLayout?.source === 'power';
  const ordered = roiLayout !== null && !workersAddPower ? new OrderedRoiSum(roiMean!, roiLayout, batches) : null;
  const sharedSum: SharedRoiSum | null =
    roiLayout !== null && workersAddPower
      ? {
          ...roiLayout,
          sum: roiMean!,
          turns: new Int32Array(new SharedArrayBuffer(batches.length * 4)),
          control: new Int32Array(new SharedArrayBuffer(4)),
        }
      : null;

  const viewOf = (all: Float64Array | null, c: number, size: number): Float64Array | null =>
    all === null ? null : all.subarray(c * size, (c + 1) * size);

  if (!parallel) {
    // The reference path: one channel at a time, all rows, in ROI order, on this thread.
    let scratch: Float64Array | null = null;
    for (let c = 0; c < nChannels; c++) {
      const out: ChannelOutputs = {
        mean: channelMean.subarray(c * nFreqs, (c + 1) * nFreqs),
        std: channelStd.subarray(c * nFreqs, (c + 1) * nFreqs),
        power: viewOf(keptPower, c, channelPowerSize) ?? (wantPower ? (scratch ??= new Float64Array(channelPowerSize)) : null),
        powerRowOf: null,
        windows: layout === null ? null : new Float64Array(windowSize),
      };
      computeChannelRows(jobs.signals[c]!, bank, batches[0]!, out, layout);
      ordered?.add(c, 0, out);
    }
    ordered?.assertComplete();
    return { channelMean, channelStd, roiMean, keptPower };
  }

  const pool = poolFor(options);
  const signals = threads ? jobs.signals.map(toShared) : jobs.signals;
  // Tasks in flight: at most one per worker (so every task whose turn another waits for is
  // running), and few enough that their power rows fit the memory budget.
  const perTaskBytes = (wantPower ? Math.min(batchRows, nFreqs) * nTimes : windowSize) * BYTES;
  const maxInFlight = Math.max(1, Math.min(options.jobs, Math.floor(options.maxMemoryBytes / Math.max(perTaskBytes, 1))));

  const runTask = async (c: number, b: number): Promise<void> => {
    const rows = batches[b]!;
    const label = rows.length === nFreqs ? jobs.names[c]! : `${jobs.names[c]}, frequency rows ${rows[0]}–${rows[rows.length - 1]}`;
    const mean = channelMean.subarray(c * nFreqs, (c + 1) * nFreqs);
    const std = channelStd.subarray(c * nFreqs, (c + 1) * nFreqs);
    const sharedWindows = threads && layout !== null ? float64(windowSize, true) : null;
    const task: ChannelRowsTask = {
      label,
      bank,
      signal: signals[c]!,
      freqIndices: rows,
      layout,
      wantPower,
      shared: threads
        ? {
            mean,
            std,
            keptPower: viewOf(keptPower, c, channelPowerSize),
            windows: sharedWindows,
            roi: sharedSum === null ? null : { sum: sharedSum, batch: b, position: c },
          }
        : null,
    };
    const reply = await pool.run<ChannelRowsReply | null>(METHOD_CHANNEL_ROWS, task, label);
    if (reply === null) {
      // Threads: everything is in place; only the windows' ROI sum is left to this thread.
      ordered?.add(c, b, { mean, std, power: null, powerRowOf: null, windows: sharedWindows });
      return;
    }
    const kept = viewOf(keptPower, c, channelPowerSize);
    const out: ChannelOutputs = {
      mean,
      std,
      // Reduced rows stay in the reply's compact layout; kept rows go to their place.
      power: kept ?? reply.power,
      powerRowOf: kept === null ? compactRowMap(rows, nFreqs) : null,
      windows: reply.windows === null ? null : new Float64Array(windowSize),
    };
    scatterReply(reply, out, rows, nFreqs, nTimes, nWindows, layout?.windowSamples ?? 0, kept !== null);
    ordered?.add(c, b, out);
  };

  let failure: unknown = null;
  const running = new Set<Promise<void>>();
  let wake: (() => void) | null = null;
  dispatch: for (let c = 0; c < nChannels; c++) {
    for (let b = 0; b < batches.length; b++) {
      while (failure === null && running.size >= maxInFlight) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== null) break dispatch;
      const p: Promise<void> = runTask(c, b)
        .catch((e: unknown) => {
          failure ??= e;
          if (sharedSum !== null) abortRoiSum(sharedSum);
        })
        .finally(() => {
          running.delete(p);
          wake?.();
          wake = null;
        });
      running.add(p);
    }
  }
  await Promise.all(running);
  if (failure !== null) throw failure;
  ordered?.assertComplete();
  return { channelMean, channelStd, roiMean, keptPower };
}

/** Copies a process worker's compact statistics, windows and kept power rows into place. */
function scatterReply(
  reply: ChannelRowsReply,
  out: ChannelOutputs,
  rows: Int32Array,
  nFreqs: number,
  nTimes: number,
  nWindows: number,
  windowSamples: number,
  keepPower: boolean,
): void {
  const n = rows.length;
  rows.forEach((f, r) => {
    out.mean[f] = reply.mean[r]!;
    out.std[f] = reply.std[r]!;
    if (keepPower && out.power !== null && reply.power !== null) {
      out.power.set(reply.power.subarray(r * nTimes, (r + 1) * nTimes), f * nTimes);
    }
    if (out.windows !== null && reply.windows !== null) {
      for (let w = 0; w < nWindows; w++) {
        const src = (w * n + r) * windowSamples;
        out.windows.set(reply.windows.subarray(src, src + windowSamples), (w * nFreqs + f) * windowSamples);
      }
    }
  });
}
