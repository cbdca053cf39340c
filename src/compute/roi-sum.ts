/**
 * The ROI mean of z-scores when each channel is computed by its own task (the `channels`
 * strategy): channel k is added only after channels 0…k−1, whatever order the tasks finish in,
 * and the last channel's addition divides by n_roi — the same order of operations as
 * `computeRowBatch` (channel-power.ts), hence bitwise identical results. Two ways to enforce the order:
 * - {@link addChannelToRoiSum} on one thread, as the channels' results come back in channel order
 *   (event windows, and processes);
 * - {@link addRowInTurn}: in worker threads on a shared sum, taking turns row by row with Atomics
 *   (full power, so that no channel's rows wait in a buffer).
 */
import { accumulateZRow, accumulateZRows, roiDivisor, type ChannelOutputs } from './channel-power.js';

/** Shape of the ROI reduction; the sum has shape (n_groups, n_freqs, rowLength). */
export interface RoiSumShape {
  nRoi: number;
  /** Samples per row: n_times (full power) or window_samples (windows). */
  rowLength: number;
  /** Which output of a channel is reduced. */
  source: 'power' | 'windows';
}

/** Adds the channel at ROI `position` to the sum: its power or windows, z-scored, in ROI order. */
export function addChannelToRoiSum(sum: Float64Array, shape: RoiSumShape, position: number, outputs: ChannelOutputs): void {
  const values = shape.source === 'power' ? outputs.power : outputs.windows;
  if (values === null) throw new Error(`channel outputs have no ${shape.source}`);
  accumulateZRows(sum, values, outputs.mean, outputs.std, shape.rowLength, roiDivisor(position, shape.nRoi));
}

/** Shared state of a worker-side reduction of full power rows. */
export interface SharedRoiSum {
  nRoi: number;
  /** Shape (n_freqs, n_times), SharedArrayBuffer. */
  sum: Float64Array;
  /** Per frequency row: the ROI position whose turn it is to add that row (SharedArrayBuffer). */
  turns: Int32Array;
  /** [0] = 1 once the run is aborted: waiting workers give up (SharedArrayBuffer). */
  control: Int32Array;
}

/** A zero-filled shared reduction of `nRoi` channels' (n_freqs, n_times) power into `sum`. */
export function sharedRoiSum(sum: Float64Array, nRoi: number, nFreqs: number): SharedRoiSum {
  const shared = (n: number) => new Int32Array(new SharedArrayBuffer(n * Int32Array.BYTES_PER_ELEMENT));
  return { nRoi, sum, turns: shared(nFreqs), control: shared(1) };
}

/** Thrown in a worker waiting for its turn after the run was aborted. */
export class RoiSumAborted extends Error {}

/**
 * In a worker: waits until it is channel `position`'s turn for frequency row `r`, adds the row's
 * z-scores (`power`, shape (n_times,); the channel's row statistics `mean[r]`, `std[r]`) and
 * passes the turn on. Taking turns row by row, a worker holds one row at a time and waits only
 * while the previous channel finishes that row. Deadlock-free because tasks are dispatched in
 * channel order and never more than there are workers, so every earlier channel is running or done.
 */
export function addRowInTurn(shared: SharedRoiSum, position: number, r: number, power: Float64Array, mean: Float64Array, std: Float64Array): void {
  const { turns, control, nRoi } = shared;
  for (let turn = Atomics.load(turns, r); turn !== position; turn = Atomics.load(turns, r)) {
    if (Atomics.load(control, 0) !== 0) throw new RoiSumAborted('ROI reduction aborted');
    Atomics.wait(turns, r, turn, 200);
  }
  accumulateZRow(shared.sum, r, power, mean, std, roiDivisor(position, nRoi));
  Atomics.store(turns, r, position + 1);
  Atomics.notify(turns, r);
}

/** Aborts a shared reduction: wakes every waiting worker so it gives up. */
export function abortRoiSum(shared: SharedRoiSum): void {
  Atomics.store(shared.control, 0, 1);
  for (let r = 0; r < shared.turns.length; r++) Atomics.notify(shared.turns, r);
}
