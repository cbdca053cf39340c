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

/** Floor of the z-score's standard deviation (SPEC 3.4). */
export const STD_FLOOR = 1e-12;

/** Output buffers of one channel; rows are indexed by the bank's frequency index. */
export interface ChannelOutputs {
  /** Per-frequency mean of the power over time, shape (n_freqs,). */
  mean: Float64Array;
  /** Per-frequency population std of the power (floored at 1e-12), shape (n_freqs,). */
  std: Float64Array;
  /**
   * Full power rows, shape (n_rows, n_times), or null when not needed. Row of frequency f is
   * `powerRowOf[f]` (so a worker computing a batch of frequencies holds only those rows), or f
   * itself when `powerRowOf` is null.
   */
  power: Float64Array | null;
  powerRowOf: Int32Array | null;
  /** Raw power in event windows, shape (n_windows, n_freqs, window_samples), or null. */
  windows: Float64Array | null;
}

/** Frequency index → row in a compact buffer holding only `rows` (−1 elsewhere). */
export function compactRowMap(rows: ArrayLike<number>, nFreqs: number): Int32Array {
  const rowOf = new Int32Array(nFreqs).fill(-1);
  for (let r = 0; r < rows.length; r++) rowOf[rows[r]!] = r;
  return rowOf;
}

/** Where the event windows are, in samples. */
export interface WindowLayout {
  /** First sample of each window, shape (n_windows,). */
  starts: Int32Array;
  /** Samples per window. */
  windowSamples: number;
}

/**
 * Computes rows `freqIndices` of one channel into `out`.
 *
 * Statistics are two-pass per block (computed by the kernel with the power), merged across
 * blocks with Chan et al.'s pairwise update — numerically as stable as numpy's two-pass
 * `mean`/`std` without keeping the whole row in memory.
 *
 * @param signal the channel, shape (n_times,), n_times = bank.nTimes
 */
export function computeChannelRows(
  signal: Float64Array,
  bank: WaveletBank,
  freqIndices: ArrayLike<number>,
  out: ChannelOutputs,
  layout: WindowLayout | null,
): void {
  const nTimes = bank.nTimes;
  const nFreqs = bank.freqs.length;
  const count = new Float64Array(nFreqs);
  const mean = new Float64Array(nFreqs);
  const m2 = new Float64Array(nFreqs);
  const { power, powerRowOf, windows } = out;
  const starts = layout?.starts;
  const windowSamples = layout?.windowSamples ?? 0;
  streamMorletPower(signal, bank, freqIndices, (f, start, block, n, blockMean, blockM2) => {
    // Chan's merge of the block's (n, mean, M2) into the row's running statistics.
    const nA = count[f]!;
    const total = nA + n;
    const delta = blockMean - mean[f]!;
    mean[f] = mean[f]! + (delta * n) / total;
    m2[f] = m2[f]! + blockM2 + (delta * delta * nA * n) / total;
    count[f] = total;

    if (power !== null) power.set(block.subarray(0, n), (powerRowOf === null ? f : powerRowOf[f]!) * nTimes + start);
    if (windows !== null && starts !== undefined) {
      const end = start + n;
      for (let w = 0; w < starts.length; w++) {
        const ws = starts[w]!;
        const lo = Math.max(ws, start);
        const hi = Math.min(ws + windowSamples, end);
        if (lo < hi) {
          windows.set(block.subarray(lo - start, hi - start), (w * nFreqs + f) * windowSamples + (lo - ws));
        }
      }
    }
  });
  for (let r = 0; r < freqIndices.length; r++) {
    const f = freqIndices[r]!;
    out.mean[f] = mean[f]!;
    out.std[f] = Math.max(Math.sqrt(m2[f]! / nTimes), STD_FLOOR);
  }
}

/**
 * Adds one channel's z-scores to the ROI sum for the frequency rows `freqIndices`:
 * `acc[g, f, t] += (values[g, row(f), t] − mean[f]) / std[f]`, where acc has shape
 * (n_groups, n_freqs, rowLength): full power is one group of n_times samples, event windows are
 * n_windows groups of window_samples; `valueRowOf` maps f to its row in `values` (identity when
 * null). Channels must be added in ROI order (numpy sums the stacked z-scores along the channel
 * axis in order); every path uses this one function.
 */
export function accumulateZRows(
  acc: Float64Array,
  values: Float64Array,
  mean: Float64Array,
  std: Float64Array,
  nFreqs: number,
  rowLength: number,
  freqIndices: ArrayLike<number>,
  valueRowOf: Int32Array | null,
): void {
  const nGroups = acc.length / (nFreqs * rowLength);
  const valueRows = valueRowOf === null ? nFreqs : values.length / (nGroups * rowLength);
  for (let g = 0; g < nGroups; g++) {
    for (let r = 0; r < freqIndices.length; r++) {
      const f = freqIndices[r]!;
      const m = mean[f]!;
      const s = std[f]!;
      const off = (g * nFreqs + f) * rowLength;
      const src = (g * valueRows + (valueRowOf === null ? f : valueRowOf[f]!)) * rowLength;
      addZRow(acc.subarray(off, off + rowLength), values.subarray(src, src + rowLength), m, s);
    }
  }
}

/** acc[t] += (values[t] − mean) / std: one row, as its own small function so it stays monomorphic. */
function addZRow(acc: Float64Array, values: Float64Array, mean: number, std: number): void {
  for (let t = 0; t < acc.length; t++) acc[t] = acc[t]! + (values[t]! - mean) / std;
}

/**
 * Turns the ROI sum into the mean for the rows `freqIndices` (shape as in
 * {@link accumulateZRows}). Divides, as numpy's `mean` does, rather than multiplying by 1/n.
 */
export function divideRows(acc: Float64Array, n: number, nFreqs: number, rowLength: number, freqIndices: ArrayLike<number>): void {
  const nGroups = acc.length / (nFreqs * rowLength);
  for (let g = 0; g < nGroups; g++) {
    for (let r = 0; r < freqIndices.length; r++) {
      const off = (g * nFreqs + freqIndices[r]!) * rowLength;
      for (let t = off, end = off + rowLength; t < end; t++) acc[t] = acc[t]! / n;
    }
  }
}
