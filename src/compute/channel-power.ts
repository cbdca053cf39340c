/**
 * The unit of work of every strategy: Morlet power of one channel for a set of frequency rows,
 * reduced on the fly to per-row statistics and, as asked, the full power rows and/or the event
 * windows. It touches only typed arrays, so it runs unchanged in the main thread, in a worker
 * thread (on SharedArrayBuffers) or in a child process.
 *
 * Determinism: each (channel, frequency) row is computed by the same block sequence whatever
 * other rows share the job, so any split of rows into jobs gives bitwise identical rows.
 */
import { streamMorletPower, type WaveletBank } from '../dsp/convolve.js';
import { morletKernel, releaseLargeKernel } from '../dsp/kernel.js';

/** Floor of the z-score's standard deviation (docs/method.md §3.4). */
export const STD_FLOOR = 1e-12;

/** Where the event windows are, in samples. */
export interface WindowPositions {
  /** First sample of each window, shape (n_windows,). */
  starts: Int32Array;
  /** Samples per window. */
  windowSamples: number;
}

/**
 * Output buffers of one channel for the frequency rows [first, first + count) of the bank, compact
 * over those rows (row r is frequency first + r; with all rows these are the full outputs).
 */
export interface ChannelOutputs {
  /** Per-row mean of the power over time, shape (count,). */
  mean: Float64Array;
  /** Per-row population std of the power (floored at 1e-12), shape (count,). */
  std: Float64Array;
  /** Power rows, shape (count, n_times), or null when not needed. */
  power: Float64Array | null;
  /** Raw power in event windows, shape (n_windows, count, window_samples), or null. */
  windows: Float64Array | null;
}

/**
 * Computes the frequency rows [first, first + count) of one channel into `out`.
 *
 * Statistics are two-pass per block (computed by the kernel with the power), merged across
 * blocks with Chan et al.'s pairwise update — numerically as stable as numpy's two-pass
 * `mean`/`std` without keeping the whole row in memory.
 *
 * With `onRow`, the rows are streamed one after another and `onRow(r, power)` receives each row's
 * power, shape (n_times,), as soon as the row and its statistics are final — a view of
 * `out.power` when the power is kept, otherwise of the kernel's power row, reused for the next row.
 *
 * @param signal the channel, shape (n_times,), n_times = bank.nTimes
 */
export function computeChannelRows(
  signal: Float64Array,
  bank: WaveletBank,
  first: number,
  count: number,
  out: ChannelOutputs,
  positions: WindowPositions | null,
  onRow?: (r: number, power: Float64Array) => void,
): void {
  const nTimes = bank.nTimes;
  const n = new Float64Array(count);
  const mean = new Float64Array(count);
  const m2 = new Float64Array(count);
  const { windows } = out;
  const kernel = morletKernel();
  const inKernelRow = onRow !== undefined && out.power === null;
  if (inKernelRow) {
    kernel.prepare(bank);
    kernel.reserveRoiRows(nTimes, 0);
  }
  let kernelRow: Float64Array | null = null;
  const starts = positions?.starts;
  const windowSamples = positions?.windowSamples ?? 0;
  const freqIndices = Int32Array.from({ length: count }, (_, r) => first + r);
  streamMorletPower(
    signal,
    bank,
    freqIndices,
    (f, start, block, blockCount, blockMean, blockM2) => {
      const r = f - first;
      // Chan's merge of the block's (n, mean, M2) into the row's running statistics.
      const nA = n[r]!;
      const total = nA + blockCount;
      const delta = blockMean - mean[r]!;
      mean[r] = mean[r]! + (delta * blockCount) / total;
      m2[r] = m2[r]! + blockM2 + (delta * delta * nA * blockCount) / total;
      n[r] = total;

      // Row by row (onRow): a fresh view of the kernel's row per row, as its memory may have grown.
      if (inKernelRow && start === 0) kernelRow = kernel.powerRowView(nTimes);
      const row = kernelRow ?? out.power?.subarray(r * nTimes, (r + 1) * nTimes);
      row?.set(block.subarray(0, blockCount), start);
      if (windows !== null && starts !== undefined) {
        const end = start + blockCount;
        for (let w = 0; w < starts.length; w++) {
          const ws = starts[w]!;
          const lo = Math.max(ws, start);
          const hi = Math.min(ws + windowSamples, end);
          if (lo < hi) {
            windows.set(block.subarray(lo - start, hi - start), (w * count + r) * windowSamples + (lo - ws));
          }
        }
      }
      if (total === nTimes) {
        out.mean[r] = mean[r]!;
        out.std[r] = Math.max(Math.sqrt(m2[r]! / nTimes), STD_FLOOR);
        if (onRow !== undefined) onRow(r, row!);
      }
    },
    onRow !== undefined,
  );
}

/** Outputs of the frequency rows [first, first + count) of several channels, compact over the rows. */
export interface RowBatchOutputs {
  /**
   * Per channel, in ROI order: its (count,) statistics and its kept power rows, shape
   * (count, n_times), or null when the power is not kept.
   */
  channels: Pick<ChannelOutputs, 'mean' | 'std' | 'power'>[];
  /**
   * ROI mean of the channels' z-scores, or null. `sum` has shape (n_groups, nRows, rowLength) —
   * one group of n_times for full power, n_windows groups of window_samples for event windows —
   * and the batch's rows are its rows [firstRow, firstRow + count), zero on entry: the run's
   * whole output (a worker thread writes its rows in place) or a compact buffer of the batch.
   */
  roi: { source: 'power' | 'windows'; sum: Float64Array; nRows: number; firstRow: number } | null;
}

/**
 * Computes the frequency rows [first, first + count) of every channel, in ROI order, adding each
 * channel's z-scores to the ROI sum as soon as each row is final — so, unless the power is kept,
 * one power row is held at a time — the last channel's addition dividing by their number. This
 * is the whole sequential path (all rows) and one task of the `frequencies` strategy (a batch of
 * rows); the order of additions is the same either way.
 *
 * @param signals the channels in ROI order, each shape (n_times,)
 */
export function computeRowBatch(
  signals: readonly Float64Array[],
  bank: WaveletBank,
  first: number,
  count: number,
  out: RowBatchOutputs,
  positions: WindowPositions | null,
  hooks: RowBatchHooks = {},
): void {
  const roi = out.roi;
  const nTimes = bank.nTimes;
  const kernel = morletKernel();
  const rowLength = roi?.source === 'power' ? nTimes : (positions?.windowSamples ?? 0);
  // The batch's rows of the ROI sum, one contiguous (count, rowLength) view per group.
  const roiRows =
    roi === null
      ? []
      : Array.from({ length: roi.source === 'power' ? 1 : positions!.starts.length }, (_, g) => {
          const at = (g * roi.nRows + roi.firstRow) * rowLength;
          return roi.sum.subarray(at, at + count * rowLength);
        });
  // Full power: the batch's ROI rows are summed in kernel memory (no copies per row) and copied
  // to `roi.sum` once at the end — unless they would not fit there, in which case each row is
  // added to `roi.sum` through the kernel's chunked copies (the same operations, so the same bits).
  const inKernel = roi?.source === 'power' && count * nTimes <= (hooks.kernelRoiLimit ?? KERNEL_ROI_LIMIT);
  if (inKernel) {
    kernel.prepare(bank);
    kernel.reserveRoiRows(nTimes, count * nTimes);
  }
  // Every sample of every window is written for each channel (windows lie inside the recording).
  const windows = positions === null ? null : new Float64Array(positions.starts.length * count * positions.windowSamples);
  for (let c = 0; c < signals.length; c++) {
    hooks.onChannelStart?.(c);
    const kept = out.channels[c]!;
    const channel: ChannelOutputs = { ...kept, windows };
    const divisor = roiDivisor(c, signals.length);
    const addRow =
      roi?.source !== 'power'
        ? undefined
        : inKernel
          ? (r: number, power: Float64Array) => kernel.addZRowResident(r * nTimes, power, kept.mean[r]!, kept.std[r]!, divisor)
          : (r: number, power: Float64Array) => accumulateZRow(roiRows[0]!, r, power, kept.mean, kept.std, divisor);
    computeChannelRows(signals[c]!, bank, first, count, channel, positions, addRow);
    if (roi?.source === 'windows') accumulateZRows(roi.sum, windows!, kept.mean, kept.std, rowLength, divisor, roi.nRows, roi.firstRow);
    hooks.onChannelDone?.(c, channel);
  }
  if (inKernel) {
    roiRows[0]!.set(kernel.roiView(count * nTimes));
    releaseLargeKernel();
  }
}

/**
 * Most ROI values a batch sums in kernel memory (2^27 values = 1 GiB; wasm32 memory ends at
 * 4 GiB); bigger batches add each row to the output directly.
 */
export const KERNEL_ROI_LIMIT = 2 ** 27;

/** What {@link computeRowBatch} reports, and how it sums. */
export interface RowBatchHooks {
  /** Called with a channel's position before its rows are computed. */
  onChannelStart?: (position: number) => void;
  /**
   * Called with a channel's position and outputs once its rows are final: its statistics and raw
   * event windows (reused for the next channel).
   */
  onChannelDone?: (position: number, outputs: ChannelOutputs) => void;
  /** Most ROI values summed in kernel memory (default {@link KERNEL_ROI_LIMIT}). */
  kernelRoiLimit?: number;
}

/**
 * Rows [first, first + count) of channel `c` in a buffer of shape (n_channels, nRows, size): a view.
 * Statistics have size 1, power rows size n_times; a compact buffer holding only a batch has
 * nRows = count and first = 0.
 */
export function rowsOfChannel(all: Float64Array, c: number, nRows: number, first: number, count: number, size: number): Float64Array {
  const at = (c * nRows + first) * size;
  return all.subarray(at, at + count * size);
}

/**
 * `sum[r, t] = (sum[r, t] + (power[t] − mean[r]) / std[r]) / divisor` for one row r of a
 * (rows, n_times) sum, with n_times = power.length: a single row of {@link accumulateZRows}.
 */
export function accumulateZRow(sum: Float64Array, r: number, power: Float64Array, mean: Float64Array, std: Float64Array, divisor = 1): void {
  const n = power.length;
  morletKernel().addZRows(sum.subarray(r * n, (r + 1) * n), power, mean.subarray(r, r + 1), std.subarray(r, r + 1), n, divisor);
}

/**
 * Copies rows held compactly, shape (n_groups, count, rowLength), to the rows
 * [first, first + count) of a full buffer of shape (n_groups, n_freqs, rowLength).
 */
export function scatterRows(full: Float64Array, compact: Float64Array, nFreqs: number, first: number, count: number, rowLength: number): void {
  const group = count * rowLength;
  for (let g = 0; g * group < compact.length; g++) {
    full.set(compact.subarray(g * group, (g + 1) * group), (g * nFreqs + first) * rowLength);
  }
}

/**
 * Adds one channel's z-scores to the ROI sum:
 * `acc[g, accFirst + r, t] = (acc[g, accFirst + r, t] + (values[g, r, t] − mean[r]) / std[r]) / divisor`,
 * `values` of shape (n_groups, n_rows, rowLength) with n_rows = mean.length, `acc` of shape
 * (n_groups, accRows, rowLength): full power is one group of n_times samples, event windows are
 * n_windows groups of window_samples. Channels must be added in ROI order (numpy sums the stacked
 * z-scores along the channel axis in order, then divides by n_roi); every path uses this one
 * function, with `divisor` = {@link roiDivisor}.
 */
export function accumulateZRows(
  acc: Float64Array,
  values: Float64Array,
  mean: Float64Array,
  std: Float64Array,
  rowLength: number,
  divisor = 1,
  accRows = mean.length,
  accFirst = 0,
): void {
  const group = mean.length * rowLength;
  const kernel = morletKernel();
  for (let off = 0, at = accFirst * rowLength; off < values.length; off += group, at += accRows * rowLength) {
    kernel.addZRows(acc.subarray(at, at + group), values.subarray(off, off + group), mean, std, rowLength, divisor);
  }
}

/**
 * The divisor with which the channel at ROI `position` (of `nRoi`) is added: 1, and n_roi for the
 * last channel, whose addition then also turns the sum into the mean — dividing, as numpy's
 * `mean` does, rather than multiplying by 1/n, in the same pass instead of one of its own.
 */
export function roiDivisor(position: number, nRoi: number): number {
  return position === nRoi - 1 ? nRoi : 1;
}
