/**
 * The `sessions` strategy: whole sessions (in batches of `batchSize`) analysed in workers, each
 * sequentially, results handed back in file order.
 *
 * Failure policy: a session failing with a user-facing error is an ordinary failed outcome; a
 * worker dying (exit, crash, out of memory) fails the sessions of its batch with kind
 * `worker-crashed`, the pool replaces the worker, and the run continues with the other sessions.
 */
import type { AnalysisOptions } from '../analysis/session.js';
import type { SessionData } from '../analysis/session-data.js';
import { toShared } from './channel-jobs.js';
import type { ResolvedParallelOptions } from './options.js';
import { poolFor, WorkerCrashError } from './pool.js';
import { METHOD_SESSIONS, type SessionOutcome, type SessionTask } from './tasks.js';

/** A session and its index in the source file. */
export interface IndexedSession {
  index: number;
  session: SessionData;
}

/** Bytes of a session's EEG. */
function sessionBytes(s: SessionData): number {
  return s.eeg.byteLength + s.eegTime.byteLength;
}

/**
 * Analyses sessions in the pool and yields their outcomes in input order.
 * With threads, each session's EEG is moved into a SharedArrayBuffer once, so the worker reads
 * it without a copy; with processes it is copied to the child.
 */
export async function* analyzeSessionsInPool(
  sessions: Iterable<IndexedSession> | AsyncIterable<IndexedSession>,
  options: AnalysisOptions,
  parallel: ResolvedParallelOptions,
): AsyncGenerator<SessionOutcome> {
  const pool = poolFor(parallel);
  const batchSize = parallel.batchSize ?? 1;
  const inner: AnalysisOptions = { ...options, strategy: 'sequential' };
  const threads = parallel.backend === 'threads';

  const done = new Map<number, SessionOutcome[]>(); // by batch number
  const running = new Set<Promise<void>>();
  let wake: (() => void) | null = null;
  let inFlightBytes = 0;
  let nextToYield = 0;
  let batchCount = 0;

  const launch = (batch: IndexedSession[]): void => {
    const number = batchCount++;
    const label = batch.length === 1 ? `session ${batch[0]!.index}` : `sessions ${batch.map((b) => b.index).join(', ')}`;
    const bytes = batch.reduce((sum, b) => sum + sessionBytes(b.session), 0);
    inFlightBytes += bytes;
    const task: SessionTask = {
      label,
      sessions: batch.map(({ index, session }) => ({
        index,
        session: threads ? { ...session, eeg: toShared(session.eeg) } : session,
      })),
      options: inner,
    };
    const p = pool
      .run<SessionOutcome[]>(METHOD_SESSIONS, task, label)
      .catch((e: unknown): SessionOutcome[] => {
        if (!(e instanceof WorkerCrashError)) throw e;
        return batch.map(({ index }) => ({ index, ok: false, code: e.code, message: e.message }));
      })
      .then((outcomes) => {
        done.set(number, outcomes);
      })
      .finally(() => {
        inFlightBytes -= bytes;
        running.delete(p);
        wake?.();
        wake = null;
      });
    running.add(p);
  };

  const waitForOne = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));
  function* ready(): Generator<SessionOutcome> {
    for (let o = done.get(nextToYield); o !== undefined; o = done.get(nextToYield)) {
      done.delete(nextToYield++);
      yield* o;
    }
  }

  let batch: IndexedSession[] = [];
  const flush = async (): Promise<SessionOutcome[]> => {
    // Bound the work in flight: one batch per worker, and the memory budget.
    while (running.size >= parallel.jobs || (running.size > 0 && inFlightBytes >= parallel.maxMemoryBytes)) {
      await waitForOne();
    }
    launch(batch);
    batch = [];
    return [...ready()];
  };
  try {
    for await (const item of sessions) {
      batch.push(item);
      if (batch.length === batchSize) yield* await flush();
    }
    if (batch.length > 0) yield* await flush();
    while (running.size > 0) {
      await waitForOne();
      yield* ready();
    }
    yield* ready();
  } finally {
    await Promise.allSettled(running);
  }
}
