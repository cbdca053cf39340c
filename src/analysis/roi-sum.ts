/**
 * The ROI mean of z-scores when each channel is computed by its own task (the `channels`
 * strategy): channel k is added only after channels 0…k−1, whatever order the tasks finish in,
 * and the last channel's addition divides by n_roi — the same order of operations as
 * `computeRowBatch` (channel-power.ts), hence bitwise identical results. Two ways to enforce the order:
 * - {@link OrderedRoiSum}: on one thread, buffering early arrivals (event windows, and processes);
 * - {@link addInTurn}: in worker threads on a shared sum, taking turns with Atomics (full power,
 *   so that no channel's 16 MB of rows waits in a buffer).
 */
import { accumulateZRows, divideRows, type ChannelOutputs } from './channel-power.js';

/** Shape of the ROI reduction; the sum has shape (n_groups, n_freqs, rowLength). */
export interface RoiSumLayout {
  nRoi: number;
  /** Samples per row: n_times (full power) or window_samples (windows). */
  rowLength: number;
  /** Which output of a channel is reduced. */
  source: 'power' | 'windows';
}

function addChannel(sum: Float64Array, layout: RoiSumLayout, position: number, outputs: ChannelOutputs): void {
  const values = layout.source === 'power' ? outputs.power : outputs.windows;
  if (values === null) throw new Error(`channel outputs have no ${layout.source}`);
  accumulateZRows(sum, values, outputs.mean, outputs.std, layout.rowLength);
  if (position === layout.nRoi - 1) divideRows(sum, layout.nRoi);
}

/** Single-threaded ordered accumulation; early arrivals wait in a buffer. */
export class OrderedRoiSum {
  private next = 0;
  private readonly pending = new Map<number, ChannelOutputs>();

  /** @param sum output, zero-filled */
  constructor(
    readonly sum: Float64Array,
    private readonly layout: RoiSumLayout,
  ) {}

  /** Channel `position`'s rows (all frequencies) are final in `outputs` (any order, once each). */
  add(position: number, outputs: ChannelOutputs): void {
    this.pending.set(position, outputs);
    for (let o = this.pending.get(this.next); o !== undefined; o = this.pending.get(this.next)) {
      this.pending.delete(this.next);
      addChannel(this.sum, this.layout, this.next, o);
      this.next++;
    }
  }

  /** Throws unless every channel was added. */
  assertComplete(): void {
    if (this.next !== this.layout.nRoi) throw new Error(`ROI sum incomplete: ${this.next} of ${this.layout.nRoi} channels`);
  }
}

/** Shared state of a worker-side ROI reduction. */
export interface SharedRoiSum extends RoiSumLayout {
  /** Shape (n_groups, n_freqs, rowLength), SharedArrayBuffer. */
  sum: Float64Array;
  /** [0]: the ROI position whose turn it is to add; [1] = 1 once the run is aborted (SharedArrayBuffer). */
  control: Int32Array;
}

const TURN = 0;
const ABORTED = 1;

/** A zero-filled shared reduction of `layout` into `sum`. */
export function sharedRoiSum(sum: Float64Array, layout: RoiSumLayout): SharedRoiSum {
  return { ...layout, sum, control: new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) };
}

/** Thrown in a worker waiting for its turn after the run was aborted. */
export class RoiSumAborted extends Error {}

/**
 * In a worker: waits until it is channel `position`'s turn, adds its rows, and passes the turn
 * on. Deadlock-free because tasks are dispatched in channel order and never more than there are
 * workers, so every earlier channel is running or done.
 */
export function addInTurn(shared: SharedRoiSum, position: number, outputs: ChannelOutputs): void {
  for (let turn = Atomics.load(shared.control, TURN); turn !== position; turn = Atomics.load(shared.control, TURN)) {
    if (Atomics.load(shared.control, ABORTED) !== 0) throw new RoiSumAborted('ROI reduction aborted');
    Atomics.wait(shared.control, TURN, turn, 200);
  }
  addChannel(shared.sum, shared, position, outputs);
  Atomics.store(shared.control, TURN, position + 1);
  Atomics.notify(shared.control, TURN);
}

/** Aborts a shared reduction: wakes every waiting worker so it gives up. */
export function abortRoiSum(shared: SharedRoiSum): void {
  Atomics.store(shared.control, ABORTED, 1);
  Atomics.notify(shared.control, TURN);
}
