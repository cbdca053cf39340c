/**
 * Parallel execution options as a user gives them (docs/method.md §4), and their validation.
 * They are resolved once, into a run plan (plan.ts), at the entry point of a run.
 */
import { availableParallelism } from 'node:os';
import type { Backend } from '../engine/pool.js';
import { InvalidParameterError } from '../errors.js';

export type { Backend };

/** How work is split. `sequential` is the reference path. */
export type Strategy = 'sequential' | 'channels' | 'frequencies' | 'sessions' | 'auto';

export const STRATEGIES: readonly Strategy[] = ['sequential', 'channels', 'frequencies', 'sessions', 'auto'];
export const BACKENDS: readonly Backend[] = ['threads', 'processes'];

/** Parallel options accepted by every compute entry point of the API. */
export interface ParallelOptions {
  /** Default `sequential` in the library; the CLI defaults to `auto`. */
  strategy?: Strategy;
  /**
   * Threads computing at once (default: available cores). More than the cores is allowed, with a
   * warning.
   */
  jobs?: number;
  /** Default `threads`. */
  backend?: Backend;
  /** Frequencies per task (`frequencies`) or sessions per task (`sessions`); default: balanced. */
  batchSize?: number;
  /** Upper bound on bytes of intermediate results in flight (default 4 GiB). */
  maxMemoryBytes?: number;
  /** Per-worker JavaScript heap limit, MiB (default: Node's); a worker exceeding it dies cleanly. */
  workerHeapLimitMb?: number;
  /**
   * Threads backend: the calling thread computes tasks too, beside `jobs − 1` workers (default
   * true). Set false to keep the calling thread's event loop free during the whole call, at the
   * cost of one more worker: no task runs on it, and a `sequential` run is one task in one worker
   * (the same bits). The `processes` backend never computes tasks on the calling thread.
   */
  callerComputes?: boolean;
  /**
   * Most time-frequency points (channels × frequencies × samples) of a task the calling thread
   * computes (default: no limit). A larger task runs in a worker, and a larger sequential run is
   * one task in one worker (the same bits), so the calling thread is never busy for long: the CLI
   * sets it, so that a signal stops a run within a second.
   */
  callerTaskLimit?: number;
  /** Longest one task may run in a worker, s: a watchdog for long batch runs (default: none). */
  taskTimeoutSeconds?: number;
}

/**
 * The `callerTaskLimit` of the CLI (and of a benchmark that runs as the CLI does): most
 * time-frequency points of a task its own thread computes, about 0.3 s on one thread, so that a
 * signal is handled within a second (docs/reliability.md).
 */
export const CLI_CALLER_TASK_LIMIT = 20_000_000;

/** Options with every default filled in and validated. */
export interface ResolvedParallelOptions {
  strategy: Strategy;
  jobs: number;
  backend: Backend;
  batchSize: number | null;
  maxMemoryBytes: number;
  workerHeapLimitMb: number | null;
  callerComputes: boolean;
  callerTaskLimit: number;
  taskTimeoutSeconds: number | null;
}

export const DEFAULT_MAX_MEMORY_BYTES = 4 * 1024 ** 3;

const warnedJobs = new Set<number>();

/**
 * Warns (once per process and count, not once per session of a long run) when `jobs` workers
 * compute at once on fewer cores. Called where the number of workers is final.
 */
export function warnAboveCores(jobs: number): void {
  const cores = availableCores();
  if (jobs > cores && !warnedJobs.has(jobs)) {
    warnedJobs.add(jobs);
    process.emitWarning(`jobs=${jobs} is more than the ${cores} available cores; workers will share cores`, 'EegParallelWarning');
  }
}

/** Cores available to this process. */
export function availableCores(): number {
  return availableParallelism();
}

/**
 * Validates and fills defaults. More jobs than cores is allowed (the run plan warns,
 * {@link warnAboveCores}).
 *
 * @throws InvalidParameterError for jobs ≤ 0 or non-integer, unknown strategy/backend,
 *   batch size < 1, or a non-positive memory budget
 */
export function resolveParallelOptions(options: ParallelOptions = {}): ResolvedParallelOptions {
  const strategy = options.strategy ?? 'sequential';
  if (!STRATEGIES.includes(strategy)) {
    throw new InvalidParameterError(`strategy '${String(strategy)}' is unknown; expected one of ${STRATEGIES.join(', ')}`);
  }
  const backend = options.backend ?? 'threads';
  if (!BACKENDS.includes(backend)) {
    throw new InvalidParameterError(`backend '${String(backend)}' is unknown; expected threads or processes`);
  }
  const cores = availableCores();
  const jobs = options.jobs ?? cores;
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new InvalidParameterError(`jobs must be an integer >= 1, got ${jobs}`);
  }
  const batchSize = options.batchSize ?? null;
  if (batchSize !== null && (!Number.isInteger(batchSize) || batchSize < 1)) {
    throw new InvalidParameterError(`batch size must be an integer >= 1, got ${batchSize}`);
  }
  const maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  if (!Number.isFinite(maxMemoryBytes) || maxMemoryBytes <= 0) {
    throw new InvalidParameterError(`memory budget must be > 0 bytes, got ${maxMemoryBytes}`);
  }
  const workerHeapLimitMb = options.workerHeapLimitMb ?? null;
  if (workerHeapLimitMb !== null && (!Number.isInteger(workerHeapLimitMb) || workerHeapLimitMb < 16)) {
    throw new InvalidParameterError(`worker heap limit must be an integer >= 16 MiB, got ${workerHeapLimitMb}`);
  }
  if (options.callerComputes === true && backend === 'processes') {
    throw new InvalidParameterError('callerComputes applies to the threads backend only; the processes backend computes in child processes');
  }
  const callerComputes = backend === 'threads' && (options.callerComputes ?? true);
  const callerTaskLimit = options.callerTaskLimit ?? Infinity;
  if (!(callerTaskLimit > 0)) throw new InvalidParameterError(`callerTaskLimit must be > 0 time-frequency points, got ${callerTaskLimit}`);
  const taskTimeoutSeconds = options.taskTimeoutSeconds ?? null;
  if (taskTimeoutSeconds !== null && !(taskTimeoutSeconds > 0 && Number.isFinite(taskTimeoutSeconds))) {
    throw new InvalidParameterError(`task time limit must be a number of seconds > 0, got ${taskTimeoutSeconds}`);
  }
  return { strategy, jobs, backend, batchSize, maxMemoryBytes, workerHeapLimitMb, callerComputes, callerTaskLimit, taskTimeoutSeconds };
}

/** Parses sizes like `4G`, `512M`, `1.5GiB`, `1000000` (bytes). */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (m === null) {
    throw new InvalidParameterError(`memory size '${text}' is not understood; expected e.g. 512M, 4G or a number of bytes`);
  }
  const power = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Number(m[1]) * 1024 ** power;
  if (!(bytes > 0)) throw new InvalidParameterError(`memory size '${text}' must be > 0`);
  return bytes;
}
