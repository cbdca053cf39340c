/**
 * The engine's scheduling policy, in one place: which pool a run of n tasks uses, and how many of
 * its tasks are in flight at once.
 */
import type { PoolOptions } from './pool.js';

/**
 * The pool for a run of `nTasks` tasks. A run with more tasks than computing threads gets `jobs`
 * workers even when the calling thread could compute: while the calling thread computes a task,
 * a worker that finishes its own cannot be handed the next one until the calling thread is done,
 * and sits idle meanwhile (docs/parallelism.md, "the calling thread"). With one job the calling
 * thread does it all, with no worker.
 *
 * @param nTasks the run's tasks; Infinity for a stream of unknown length
 */
export function poolOptionsFor(options: PoolOptions, nTasks: number): PoolOptions {
  const callerComputes = (options.callerComputes ?? false) && (options.jobs === 1 || nTasks <= options.jobs);
  return { ...options, callerComputes };
}

/** Bounds of {@link runBounded}. */
export interface Bounds<T> {
  /** Most tasks running at once (at least 1 always runs). */
  maxInFlight: number;
  /** Most bytes held by the running tasks, by `bytesOf`; a task that alone exceeds it still runs. */
  maxBytes?: number;
  /** Bytes a task holds while it runs (default 0). */
  bytesOf?: (item: T) => number;
  /** Called once, on the first failure, before the running tasks settle (e.g. to wake waiters). */
  onFailure?: () => void;
}

/**
 * Runs `task` on each item of `items` in order, within `bounds`, and yields the results in input
 * order as they become available. On the first failure it stops starting tasks, calls
 * `bounds.onFailure`, lets the running tasks settle and throws that failure. Items are pulled
 * from `items` only when a task can start, so a lazy source (sessions read on demand) is never
 * read ahead of the work.
 */
export async function* runBounded<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  bounds: Bounds<T>,
  task: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  const maxBytes = bounds.maxBytes ?? Infinity;
  const done = new Map<number, R>();
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  let inFlightBytes = 0;
  let started = 0;
  let nextToYield = 0;
  let wake: (() => void) | null = null;
  const waitForOne = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));
  function* ready(): Generator<R> {
    while (done.has(nextToYield)) {
      const result = done.get(nextToYield) as R;
      done.delete(nextToYield++);
      yield result;
    }
  }
  try {
    for await (const item of items) {
      const bytes = bounds.bytesOf?.(item) ?? 0;
      while (failure === null && running.size > 0 && (running.size >= bounds.maxInFlight || inFlightBytes + bytes > maxBytes)) {
        await waitForOne();
        if (failure === null) yield* ready();
      }
      if (failure !== null) break;
      const index = started++;
      inFlightBytes += bytes;
      const p: Promise<void> = task(item, index)
        .then(
          (result) => void done.set(index, result),
          (e: unknown) => {
            if (failure !== null) return;
            failure = { error: e };
            bounds.onFailure?.();
          },
        )
        .finally(() => {
          inFlightBytes -= bytes;
          running.delete(p);
          wake?.();
          wake = null;
        });
      running.add(p);
      yield* ready();
    }
    while (running.size > 0) {
      await waitForOne();
      if (failure === null) yield* ready();
    }
    if (failure !== null) throw (failure as { error: unknown }).error;
    yield* ready();
  } finally {
    await Promise.allSettled(running);
  }
}

/** Runs {@link runBounded} for its effects. */
export async function runAllBounded<T>(items: Iterable<T> | AsyncIterable<T>, bounds: Bounds<T>, task: (item: T, index: number) => Promise<void>): Promise<void> {
  for await (const _ of runBounded(items, bounds, task)) {
    // results are written in place by the tasks
  }
}
