/**
 * Worker entry point, for worker threads and child processes alike (workerpool runs this file
 * in either). It only runs the pure compute functions on the data it is handed.
 */
import workerpool from 'workerpool';
import { compactRowMap, computeChannelRows, type ChannelOutputs } from '../analysis/channel-power.js';
import { addInTurn } from '../analysis/roi-sum.js';
import { EegParallelError } from '../errors.js';
import { injectFault } from './faults.js';
import {
  METHOD_CHANNEL_ROWS,
  METHOD_SESSIONS,
  type ChannelRowsReply,
  type ChannelRowsTask,
  type SessionOutcome,
  type SessionTask,
  type WorkerErrorReply,
} from './tasks.js';

/** Worker-local scratch, reused across tasks (one per size). */
const scratch = new Map<number, Float64Array>();
function scratchOf(length: number): Float64Array {
  let s = scratch.get(length);
  if (s === undefined) {
    scratch.clear(); // keep one buffer per worker, not one per size ever seen
    s = new Float64Array(length);
    scratch.set(length, s);
  }
  return s;
}

function channelRows(task: ChannelRowsTask): ChannelRowsReply | WorkerErrorReply | null {
  try {
    const corrupt = injectFault(task.label);
    const rows = task.freqIndices;
    const nFreqs = task.bank.freqs.length;
    const nTimes = task.bank.nTimes;
    const nWindows = task.layout?.starts.length ?? 0;
    const windowSamples = task.layout?.windowSamples ?? 0;
    const shared = task.shared;
    // Power rows not kept by the caller are computed into a compact (n_batch, n_times) buffer.
    const compact = shared?.keptPower == null && task.wantPower;
    const rowOf = compactRowMap(rows, nFreqs);
    const out: ChannelOutputs = {
      mean: shared?.mean ?? new Float64Array(nFreqs),
      std: shared?.std ?? new Float64Array(nFreqs),
      power: compact
        ? shared !== null
          ? scratchOf(rows.length * nTimes)
          : new Float64Array(rows.length * nTimes)
        : (shared?.keptPower ?? null),
      powerRowOf: compact ? rowOf : null,
      windows: task.layout === null ? null : (shared?.windows ?? new Float64Array(nWindows * nFreqs * windowSamples)),
    };
    computeChannelRows(task.signal, task.bank, rows, out, task.layout);
    if (corrupt) for (const f of rows) out.std[f] = out.std[f]! * (1 + 1e-6);
    if (shared === null) {
      return {
        mean: Float64Array.from(rows, (f) => out.mean[f]!),
        std: Float64Array.from(rows, (f) => out.std[f]!),
        power: out.power,
        windows: out.windows === null ? null : compactWindows(out.windows, rows, nFreqs, nWindows, windowSamples),
      };
    }
    if (shared.roi !== null) addInTurn(shared.roi.sum, shared.roi.batch, shared.roi.position, rows, out);
    return null;
  } catch (e) {
    return asErrorReply(e);
  }
}

/** Keeps only the task's rows of the windows, so a process sends back what it computed. */
function compactWindows(windows: Float64Array, rows: Int32Array, nFreqs: number, nWindows: number, windowSamples: number): Float64Array {
  const n = rows.length;
  const out = new Float64Array(nWindows * n * windowSamples);
  rows.forEach((f, r) => {
    for (let w = 0; w < nWindows; w++) {
      const src = (w * nFreqs + f) * windowSamples;
      out.set(windows.subarray(src, src + windowSamples), (w * n + r) * windowSamples);
    }
  });
  return out;
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

workerpool.worker({ [METHOD_CHANNEL_ROWS]: channelRows, [METHOD_SESSIONS]: sessions });
