/**
 * The tasks a pool runs, by method name. Workers (worker.ts) register them with workerpool; under
 * the threads backend the calling thread runs the same functions on the same shared buffers
 * (pool.ts), so where a task runs never changes its bits. They only run the pure compute
 * functions on the data they are handed.
 */
import workerpool from 'workerpool';
import { computeChannelRows, computeRowBatch, rowsOfChannel, type ChannelOutputs, type RowBatchOutputs } from '../analysis/channel-power.js';
import { addRowInTurn } from '../analysis/roi-sum.js';
import { EegParallelError } from '../errors.js';
import { injectFault } from './faults.js';
import {
  METHOD_CHANNEL,
  METHOD_ROW_BATCH,
  METHOD_SESSIONS,
  type ChannelReply,
  type ChannelTask,
  type ProgressEvent,
  type RowBatchReply,
  type RowBatchTask,
  type SessionOutcome,
  type SessionTask,
  type WorkerErrorReply,
} from './tasks.js';

function channel(task: ChannelTask): ChannelReply | WorkerErrorReply | null {
  try {
    const corrupt = injectFault(task.label);
    const nFreqs = task.bank.freqs.length;
    const nTimes = task.bank.nTimes;
    const shared = task.shared;
    const windowsSize = task.layout === null ? 0 : task.layout.starts.length * nFreqs * task.layout.windowSamples;
    const out: ChannelOutputs = {
      mean: shared?.mean ?? new Float64Array(nFreqs),
      std: shared?.std ?? new Float64Array(nFreqs),
      // Threads: only kept power is written out; reduced rows are added one by one as they finish.
      power: shared !== null ? shared.keptPower : task.wantPower ? new Float64Array(nFreqs * nTimes) : null,
      windows: task.layout === null ? null : (shared?.windows ?? new Float64Array(windowsSize)),
    };
    const roi = shared?.roi ?? null;
    computeChannelRows(
      task.signal,
      task.bank,
      0,
      nFreqs,
      out,
      task.layout,
      roi === null
        ? undefined
        : (r, power) => {
            if (corrupt) out.std[r] = out.std[r]! * (1 + 1e-6);
            addRowInTurn(roi.sum, roi.position, r, power, out.mean, out.std);
          },
    );
    if (corrupt && roi === null) for (let f = 0; f < nFreqs; f++) out.std[f] = out.std[f]! * (1 + 1e-6);
    return shared === null ? { mean: out.mean, std: out.std, power: out.power, windows: out.windows } : null;
  } catch (e) {
    return asErrorReply(e);
  }
}

function rowBatch(task: RowBatchTask): RowBatchReply | WorkerErrorReply | null {
  try {
    const { bank, first, count, layout, shared } = task;
    const nFreqs = bank.freqs.length;
    const nTimes = bank.nTimes;
    const nChannels = task.signals.length;
    const roiSize = task.roi === null ? 0 : count * (task.roi === 'power' ? nTimes : layout!.starts.length * layout!.windowSamples);
    let out: RowBatchOutputs;
    let reply: RowBatchReply | null = null;
    if (shared !== null) {
      // Threads: statistics and kept power are views of this batch's rows; its ROI rows are
      // added in place in the run's ROI sum (rows of different batches never overlap).
      const rows = (all: Float64Array, c: number, size: number) => rowsOfChannel(all, c, nFreqs, first, count, size);
      out = {
        channels: task.signals.map((_, c) => ({
          mean: rows(shared.mean, c, 1),
          std: rows(shared.std, c, 1),
          power: shared.keptPower === null ? null : rows(shared.keptPower, c, nTimes),
        })),
        roi: task.roi === null ? null : { source: task.roi, sum: shared.roiSum!, nRows: nFreqs, firstRow: first },
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
    computeRowBatch(task.signals, bank, first, count, out, layout, (position) => {
      if (shared !== null) Atomics.store(shared.progress, 0, position);
      else workerpool.workerEmit({ position } satisfies ProgressEvent);
      injectFault(`${task.names[position]}, ${task.label}`);
    });
    return reply;
  } catch (e) {
    return asErrorReply(e);
  }
}

async function sessions(task: SessionTask): Promise<SessionOutcome[]> {
  injectFault(task.label);
  // Loaded on first use: a worker that only computes channel rows stays small (each module
  // graph costs memory in every worker).
  const [{ analyzeSession }, { loadSessionRef }] = await Promise.all([import('../analysis/session.js'), import('../io/session-refs.js')]);
  const outcomes: SessionOutcome[] = [];
  for (const ref of task.sessions) {
    const index = ref.index;
    try {
      outcomes.push({ index, ok: true, analysis: await analyzeSession(await loadSessionRef(ref), task.options, index) });
    } catch (e) {
      if (!(e instanceof EegParallelError)) throw e;
      outcomes.push({ index, ok: false, code: e.code, message: e.message });
    }
  }
  return outcomes;
}

function asErrorReply(e: unknown): WorkerErrorReply {
  if (e instanceof EegParallelError) return { workerError: { code: e.code, message: e.message } };
  throw e;
}

/** Every task function, by the method name the pool sends. */
export const TASK_METHODS = { [METHOD_CHANNEL]: channel, [METHOD_ROW_BATCH]: rowBatch, [METHOD_SESSIONS]: sessions };
