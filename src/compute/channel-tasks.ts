/**
 * The channel tasks, a handler module of the engine (engine/handlers.ts): workers import it by
 * its URL, and the calling thread runs the same functions on the same shared buffers, so where a
 * task runs never changes its bits. They only run the pure compute functions on the data they
 * are handed.
 */
import type { HandlerRef, TaskContext } from '../engine/handlers.js';
import { computeChannelRows, computeRowBatch, rowsOfChannel, type ChannelOutputs, type RowBatchOutputs } from './channel-power.js';
import { addRowInTurn } from './roi-sum.js';
import type { ChannelReply, ChannelTask, ProgressEvent, RowBatchReply, RowBatchTask } from './task-messages.js';

/** This module, as workers import it (bundled: a sibling entry of the worker, same name). */
const MODULE = new URL('./channel-tasks.js', import.meta.url).href;

function channel(task: ChannelTask, context: TaskContext): ChannelReply | null {
  const corrupt = context.checkpoint(task.label);
  const { first, count } = task;
  const nTimes = task.bank.nTimes;
  const shared = task.shared;
  const windowsSize = task.positions === null ? 0 : task.positions.starts.length * count * task.positions.windowSamples;
  const out: ChannelOutputs = {
    mean: shared?.mean ?? new Float64Array(count),
    std: shared?.std ?? new Float64Array(count),
    // Threads: only kept power is written out; reduced rows are added one by one as they finish.
    power: shared !== null ? shared.keptPower : task.wantPower ? new Float64Array(count * nTimes) : null,
    windows: task.positions === null ? null : (shared?.windows ?? new Float64Array(windowsSize)),
  };
  const roi = shared?.roi ?? null;
  computeChannelRows(
    task.signal,
    task.bank,
    first,
    count,
    out,
    task.positions,
    roi === null
      ? undefined
      : (r, power) => {
          if (corrupt) out.std[r] = out.std[r]! * (1 + 1e-6);
          addRowInTurn(roi.sum, roi.position, r, power, out.mean, out.std);
        },
  );
  if (corrupt && roi === null) for (let r = 0; r < count; r++) out.std[r] = out.std[r]! * (1 + 1e-6);
  return shared === null ? { mean: out.mean, std: out.std, power: out.power, windows: out.windows } : null;
}

function rowBatch(task: RowBatchTask, context: TaskContext): RowBatchReply | null {
  const { bank, first, count, positions, shared } = task;
  const nTimes = bank.nTimes;
  const nChannels = task.signals.length;
  const roiSize = task.roi === null ? 0 : count * (task.roi === 'power' ? nTimes : positions!.starts.length * positions!.windowSamples);
  let out: RowBatchOutputs;
  let reply: RowBatchReply | null = null;
  if (shared !== null) {
    // Threads: statistics and kept power are views of this batch's rows; its ROI rows are
    // added in place in the run's ROI sum (rows of different batches never overlap).
    const at = first - shared.firstRow;
    const rows = (all: Float64Array, c: number, size: number) => rowsOfChannel(all, c, shared.nRows, at, count, size);
    out = {
      channels: task.signals.map((_, c) => ({
        mean: rows(shared.mean, c, 1),
        std: rows(shared.std, c, 1),
        power: shared.keptPower === null ? null : rows(shared.keptPower, c, nTimes),
      })),
      roi: task.roi === null ? null : { source: task.roi, sum: shared.roiSum!, nRows: shared.nRows, firstRow: at },
    };
  } else {
    const mean = new Float64Array(nChannels * count);
    const std = new Float64Array(nChannels * count);
    const power = task.keepPower ? new Float64Array(nChannels * count * nTimes) : null;
    out = {
      channels: task.signals.map((_, c) => ({
        mean: rowsOfChannel(mean, c, count, 0, count, 1),
        std: rowsOfChannel(std, c, count, 0, count, 1),
        power: power === null ? null : rowsOfChannel(power, c, count, 0, count, nTimes),
      })),
      roi: task.roi === null ? null : { source: task.roi, sum: new Float64Array(roiSize), nRows: count, firstRow: 0 },
    };
    reply = { mean, std, power, roiSum: out.roi?.sum ?? null };
  }
  computeRowBatch(task.signals, bank, first, count, out, positions, {
    onChannelStart: (position) => {
      if (shared !== null) Atomics.store(shared.progress, 0, position);
      else context.emit({ position } satisfies ProgressEvent);
      context.checkpoint(`${task.names[position]}, ${task.label}`);
    },
  });
  return reply;
}

/** The handlers, by name. */
export const handlers = { channel, rowBatch };

/** `channels` strategy: one channel, all rows. */
export const CHANNEL_TASK: HandlerRef = { module: MODULE, name: 'channel' };
/** `frequencies` strategy (and sequential inside it): a batch of rows of every channel. */
export const ROW_BATCH_TASK: HandlerRef = { module: MODULE, name: 'rowBatch' };
