/**
 * How the sessions of a multi-session run are analysed: one after another on this thread (each
 * with the plan's channel strategy), or whole sessions in the pool's workers (the `sessions`
 * strategy, in batches of `batchSize`), outcomes in input order either way.
 *
 * Failure policy: a session failing with a user-facing error is an ordinary failed outcome; a
 * worker dying (exit, crash, out of memory) or running past the task time limit fails the
 * sessions of its batch with kind `worker-crashed` or `task-timeout`, the pool replaces the
 * worker, and the run continues with the other sessions.
 */
import { taskLimit, toShared } from '../compute/channel-runs.js';
import { sequentialPlan, type RunPlan } from '../compute/plan.js';
import { sharedPool } from '../engine/pool.js';
import { runBounded } from '../engine/schedule.js';
import { TaskTimeoutError, WorkerCrashError } from '../errors.js';
import type { SessionRef } from '../io/session-refs.js';
import type { AnalysisOptions } from './session.js';
import { sessionOutcome, SESSIONS_TASK, type SessionOutcome, type SessionSource, type SessionTask } from './session-tasks.js';

type Sessions = Iterable<SessionSource> | AsyncIterable<SessionSource>;

/** The outcome of a session an earlier run analysed: its stored analysis, not computed again. */
function storedOutcome(source: Extract<SessionSource, { stored: unknown }>): SessionOutcome {
  return { index: source.index, ok: true, analysis: source.stored, stored: true };
}

/** Analyses sessions as `plan` says and yields their outcomes in input order. */
export function analyzeSessions(sessions: Sessions, options: AnalysisOptions, plan: RunPlan): AsyncGenerator<SessionOutcome> {
  return plan.strategy === 'sessions' ? analyzeSessionsInPool(sessions, options, plan) : analyzeSessionsInline(sessions, options, plan);
}

async function* analyzeSessionsInline(sessions: Sessions, options: AnalysisOptions, plan: RunPlan): AsyncGenerator<SessionOutcome> {
  for await (const source of sessions) yield 'stored' in source ? storedOutcome(source) : await sessionOutcome(source, options, plan);
}

/** Bytes of a session's EEG held by the main thread (file references are read by the worker). */
function sessionBytes(ref: SessionRef): number {
  return 'session' in ref ? ref.session.eeg.byteLength + ref.session.eegTime.byteLength : 0;
}

/** Batches of sessions to analyse; a stored session is a batch of its own, answered without a task. */
async function* inBatches(sessions: Sessions, batchSize: number): AsyncGenerator<SessionRef[] | Extract<SessionSource, { stored: unknown }>> {
  let batch: SessionRef[] = [];
  for await (const ref of sessions) {
    if ('stored' in ref) {
      if (batch.length > 0) yield batch;
      batch = [];
      yield ref;
      continue;
    }
    batch.push(ref);
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * The `sessions` strategy. A file reference is read by the worker itself (ROI channels only).
 * In-memory sessions go over in a SharedArrayBuffer with threads (no copy) and are copied to
 * child processes. At most one batch per worker is in flight, and within the memory budget.
 */
async function* analyzeSessionsInPool(sessions: Sessions, options: AnalysisOptions, plan: RunPlan): AsyncGenerator<SessionOutcome> {
  const pool = sharedPool(plan.pool!);
  const inner = sequentialPlan(plan);
  const threads = plan.backend === 'threads';
  const batches = runBounded(
    inBatches(sessions, plan.batchSize ?? 1),
    { maxInFlight: plan.jobs, maxBytes: plan.maxMemoryBytes, bytesOf: (batch) => ('stored' in batch ? 0 : batch.reduce((sum, ref) => sum + sessionBytes(ref), 0)) },
    async (batch): Promise<SessionOutcome[]> => {
      if ('stored' in batch) return [storedOutcome(batch)];
      const label = batch.length === 1 ? `session ${batch[0]!.index}` : `sessions ${batch.map((b) => b.index).join(', ')}`;
      const task: SessionTask = {
        label,
        sessions: batch.map((ref) => ('session' in ref && threads ? { ...ref, session: { ...ref.session, eeg: toShared(ref.session.eeg) } } : ref)),
        options,
        plan: inner,
      };
      try {
        return await pool.run<SessionOutcome[]>(SESSIONS_TASK, task, { label: () => label, ...taskLimit(plan) });
      } catch (e) {
        if (!(e instanceof WorkerCrashError || e instanceof TaskTimeoutError)) throw e;
        return batch.map(({ index }) => ({ index, ok: false, code: e.code, message: e.message }));
      }
    },
  );
  for await (const outcomes of batches) yield* outcomes;
}
