/**
 * The ROI mean of z-scores, accumulated in ROI channel order for every element, whatever order
 * the work finishes in — the reason every strategy gives bitwise identical results.
 *
 * Work is split into frequency batches (all rows in one batch for the `channels` and sequential
 * paths). For each batch, channel k is added only after channels 0…k−1; the last channel's
 * addition also divides the batch's rows by n_roi. Two ways to enforce the order:
 * - {@link OrderedRoiSum}: on one thread, buffering early arrivals (sequential and processes);
 * - {@link addInTurn}: in worker threads on a shared sum, taking turns with Atomics.
 */
import { accumulateZRows, divideRows, type ChannelOutputs } from './channel-power.js';

/** Shape of the ROI reduction. */
export interface RoiSumLayout {
  nRoi: number;
  nFreqs: number;
  /** Samples per row: n_times (full power) or window_samples (windows). */
  rowLength: number;
  /** Which output of a channel is reduced. */
  source: 'power' | 'windows';
}

function valuesOf(outputs: ChannelOutputs, source: 'power' | 'windows'): Float64Array {
  const values = source === 'power' ? outputs.power : outputs.windows;
  if (values === null) throw new Error(`channel outputs have no ${source}`);
  return values;
}

function addRows(sum: Float64Array, layout: RoiSumLayout, position: number, rows: ArrayLike<number>, outputs: ChannelOutputs): void {
  const valueRowOf = layout.source === 'power' ? outputs.powerRowOf : null;
  accumulateZRows(sum, valuesOf(outputs, layout.source), outputs.mean, outputs.std, layout.nFreqs, layout.rowLength, rows, valueRowOf);
  if (position === layout.nRoi - 1) divideRows(sum, layout.nRoi, layout.nFreqs, layout.rowLength, rows);
}

/** Single-threaded ordered accumulation; early arrivals wait in a buffer. */
export class OrderedRoiSum {
  private readonly next: Int32Array;
  private readonly pending: Map<number, ChannelOutputs>[];

  /**
   * @param sum output, shape (n_groups, n_freqs, rowLength), zero-filled
   * @param batches the frequency rows of each batch
   */
  constructor(
    readonly sum: Float64Array,
    private readonly layout: RoiSumLayout,
    private readonly batches: readonly Int32Array[],
  ) {
    this.next = new Int32Array(batches.length);
    this.pending = batches.map(() => new Map());
  }

  /** Channel `position`'s rows of `batch` are final in `outputs` (any order, once each). */
  add(position: number, batch: number, outputs: ChannelOutputs): void {
    const waiting = this.pending[batch]!;
    waiting.set(position, outputs);
    for (let o = waiting.get(this.next[batch]!); o !== undefined; o = waiting.get(this.next[batch]!)) {
      waiting.delete(this.next[batch]!);
      addRows(this.sum, this.layout, this.next[batch]!, this.batches[batch]!, o);
      this.next[batch]!++;
    }
  }

  /** Throws unless every channel of every batch was added. */
  assertComplete(): void {
    const missing = this.next.findIndex((n) => n !== this.layout.nRoi);
    if (missing >= 0) throw new Error(`ROI sum incomplete: batch ${missing} has ${this.next[missing]} of ${this.layout.nRoi} channels`);
  }
}

/** Shared state of a worker-side ROI reduction. */
export interface SharedRoiSum extends RoiSumLayout {
  /** Shape (n_groups, n_freqs, rowLength), SharedArrayBuffer. */
  sum: Float64Array;
  /** Per batch: the ROI position whose turn it is to add (SharedArrayBuffer). */
  turns: Int32Array;
  /** [0] = 1 once the run is aborted: waiting workers give up (SharedArrayBuffer). */
  control: Int32Array;
}

/** Thrown in a worker waiting for its turn after the run was aborted. */
export class RoiSumAborted extends Error {}

/**
 * In a worker: waits until it is channel `position`'s turn for `batch`, adds its rows, and passes
 * the turn on. Deadlock-free because tasks are dispatched in channel order and never more than
 * there are workers, so every earlier channel is running or done.
 */
export function addInTurn(shared: SharedRoiSum, batch: number, position: number, rows: ArrayLike<number>, outputs: ChannelOutputs): void {
  for (let turn = Atomics.load(shared.turns, batch); turn !== position; turn = Atomics.load(shared.turns, batch)) {
    if (Atomics.load(shared.control, 0) !== 0) throw new RoiSumAborted('ROI reduction aborted');
    Atomics.wait(shared.turns, batch, turn, 200);
  }
  addRows(shared.sum, shared, position, rows, outputs);
  Atomics.store(shared.turns, batch, position + 1);
  Atomics.notify(shared.turns, batch);
}

/** Aborts a shared reduction: wakes every waiting worker so it gives up. */
export function abortRoiSum(shared: SharedRoiSum): void {
  Atomics.store(shared.control, 0, 1);
  for (let b = 0; b < shared.turns.length; b++) Atomics.notify(shared.turns, b);
}
