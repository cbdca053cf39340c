/**
 * Long-lived worker pools.
 *
 * Library choice: `workerpool` (josdejong; used by mocha's parallel mode). Unlike piscina, which
 * runs worker threads only, it drives worker threads AND child processes behind one API, which
 * is exactly our two backends; it queues tasks FIFO, replaces a worker that died and rejects only
 * that worker's task, and terminates workers (forcefully if asked) on shutdown. Threads receive
 * SharedArrayBuffers by reference; child processes get copies over an IPC channel with
 * structured-clone ("advanced") serialisation, so typed arrays stay typed arrays.
 *
 * One pool per (backend, jobs, heap limit) is created on first use and reused by every later
 * call until {@link shutdownPools}; no pool is created per channel or per session.
 */
import { fileURLToPath } from 'node:url';
import workerpool from 'workerpool';
import { EegParallelError } from '../errors.js';
import type { Backend, ResolvedParallelOptions } from './options.js';
import { TASK_METHODS } from './methods.js';
import { METHOD_READY, type WorkerErrorReply } from './tasks.js';

/** A worker died (exit, crash, out of memory) while running a task. */
export class WorkerCrashError extends EegParallelError {
  readonly label: string;
  constructor(label: string, detail: string) {
    super('worker-crashed', `worker died while computing ${label}: ${detail}`);
    this.label = label;
  }
}

/** Options identifying a pool. */
export interface PoolOptions {
  backend: Backend;
  /** Threads computing at once: the workers, plus the calling thread when `callerComputes`. */
  jobs: number;
  /** Per-worker JS heap limit, MiB (threads: resourceLimits; processes: --max-old-space-size). */
  workerHeapLimitMb?: number;
  /**
   * Threads only: the calling thread runs tasks too, so `jobs` threads compute with `jobs − 1`
   * workers. On a 2-core machine the calling thread is otherwise idle while workers compute, and
   * each worker costs ~50 ms of start-up CPU and ~13 MB (docs/performance.md). While it runs a
   * task its event loop waits (a signal handler, for one, runs after the task). Tasks that wait
   * for other tasks (the ROI turns of roi-sum.ts) need a pool without it: blocked, the calling
   * thread could neither hand a starting worker its task nor abort the run.
   */
  callerComputes?: boolean;
}

const WORKER_SCRIPT = fileURLToPath(new URL('./worker.js', import.meta.url));

/** Where a task went, and its reply. */
interface Started {
  where: 'worker' | 'caller';
  reply: Promise<unknown>;
}

/** How {@link ComputePool.run} reports on a task. */
export interface RunOptions {
  /** What the task computes, for errors ("channel 3"); called when needed, so it can say how far it got. */
  label: () => string;
  /** Receives the worker's progress events (processes). */
  onEvent?: (payload: unknown) => void;
}

/** A task waiting for a worker or the calling thread. */
interface QueuedTask {
  method: string;
  task: unknown;
  options: RunOptions;
  start: (started: Started) => void;
}

/** A pool of `jobs` computing threads or processes of one backend. */
export class ComputePool {
  readonly backend: Backend;
  readonly jobs: number;
  readonly callerComputes: boolean;
  /** Null when the calling thread is the only one (threads, jobs 1, callerComputes). */
  private readonly pool: workerpool.Pool | null;
  private readonly workers: number;
  /** Tasks waiting, in submission order: workers and the calling thread take them from the front. */
  private readonly queue: QueuedTask[] = [];
  private workersBusy = 0;
  private callerBusy = false;
  private callerScheduled = false;
  /** Every worker has started (answered METHOD_READY). */
  private workersReady: boolean;
  private closed = false;

  constructor(options: PoolOptions) {
    this.backend = options.backend;
    this.jobs = options.jobs;
    this.callerComputes = options.backend === 'threads' && (options.callerComputes ?? false);
    this.workers = options.jobs - (this.callerComputes ? 1 : 0);
    const heap = options.workerHeapLimitMb;
    this.pool =
      this.workers === 0
        ? null
        : workerpool.pool(WORKER_SCRIPT, {
            maxWorkers: this.workers,
            // Start every worker now: a caller can create the pool early (e.g. while it reads
            // data) so that worker start-up overlaps with other work instead of delaying the
            // first tasks.
            minWorkers: this.workers,
            workerType: options.backend === 'threads' ? 'thread' : 'process',
            workerTerminateTimeout: 2000,
            ...(options.backend === 'threads'
              ? { workerThreadOpts: heap === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: heap } } }
              : {
                  forkOpts: {
                    serialization: 'advanced',
                    execArgv: heap === undefined ? [] : [`--max-old-space-size=${heap}`],
                  },
                }),
          });
    this.workersReady = this.pool === null || !this.callerComputes;
    if (!this.workersReady) {
      // A blocked calling thread could not hand a starting worker its first task (workerpool
      // sends it when the worker reports ready), so it computes only once every worker is up.
      const ready = Array.from({ length: this.workers }, () => this.pool!.exec(METHOD_READY, []));
      Promise.all(ready).then(
        () => {
          this.workersReady = true;
          this.dispatch();
        },
        () => {}, // a worker that fails to start fails the tasks sent to it
      );
    }
  }

  /**
   * Runs `method` on `task` in a worker, or on the calling thread when every worker is busy and
   * `callerComputes`. A user-facing error thrown by the task comes back as the same
   * EegParallelError kind; a dead worker becomes a WorkerCrashError naming the task's label.
   */
  async run<T>(method: string, task: unknown, options: RunOptions): Promise<T> {
    if (this.closed) throw new Error('eeg-parallel: the worker pool was shut down');
    const { label } = options;
    const { where, reply: pending } = await new Promise<Started>((start) => {
      this.queue.push({ method, task, options, start });
      this.dispatch();
    });
    let reply: unknown;
    try {
      reply = await pending;
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      if (where === 'caller') throw new Error(`task ${label()} failed: ${message}`, { cause: e });
      if (/terminated unexpectedly|out of memory|ERR_WORKER_OUT_OF_MEMORY|exited/i.test(message)) {
        throw new WorkerCrashError(label(), message.replace(/\s+/g, ' ').trim());
      }
      throw new Error(`task ${label()} failed in a worker: ${message}`, { cause: e });
    }
    if (reply !== null && typeof reply === 'object' && 'workerError' in reply) {
      const { code, message } = (reply as WorkerErrorReply).workerError;
      throw new EegParallelError(code, message);
    }
    return reply as T;
  }

  /** Hands queued tasks to free workers, and wakes the calling thread for the rest. */
  private dispatch(): void {
    while (this.queue.length > 0 && this.workersBusy < this.workers) {
      const next = this.queue.shift()!;
      const { onEvent } = next.options;
      this.workersBusy++;
      const reply = this.pool!.exec(next.method, [next.task], onEvent === undefined ? undefined : { on: onEvent });
      reply.then(
        () => this.release('worker'),
        () => this.release('worker'),
      );
      next.start({ where: 'worker', reply });
    }
    if (this.queue.length > 0 && this.callerComputes && !this.callerBusy && !this.callerScheduled) {
      this.callerScheduled = true;
      setImmediate(() => this.computeOnCaller());
    }
  }

  /**
   * Runs the next queued task on this thread: the same function a worker would run, on the same
   * buffers. Called from setImmediate, i.e. after the event loop has handled the replies that
   * workers sent meanwhile, so a worker that became free has already taken the next task.
   */
  private computeOnCaller(): void {
    this.callerScheduled = false;
    const next = this.queue[0];
    // Otherwise dispatch() calls again when the workers are up or one is free.
    if (next === undefined || this.closed || !this.workersReady) return;
    this.queue.shift();
    this.callerBusy = true;
    const method = TASK_METHODS[next.method as keyof typeof TASK_METHODS] as (task: unknown) => unknown;
    const reply = (async () => method(next.task))();
    reply.then(
      () => this.release('caller'),
      () => this.release('caller'),
    );
    next.start({ where: 'caller', reply });
  }

  private release(who: 'worker' | 'caller'): void {
    if (who === 'worker') this.workersBusy--;
    else this.callerBusy = false;
    if (!this.closed) this.dispatch();
  }

  /** Stops the workers; `force` kills running tasks (Ctrl-C), otherwise waits for them. */
  async close(force = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiting of this.queue.splice(0)) {
      waiting.start({ where: 'caller', reply: Promise.reject(new Error('the worker pool was shut down')) });
    }
    await this.pool?.terminate(force);
  }

  /** Number of live workers (for tests and reports). */
  get workerCount(): number {
    return this.pool?.stats().totalWorkers ?? 0;
  }
}
const pools = new Map<string, ComputePool>();

/**
 * The shared long-lived pool for a run of `nTasks` tasks with these (resolved parallel) options,
 * created on first use. A run with more tasks than computing threads gets `jobs` workers even when
 * the calling thread would compute: while it computes a task, a worker that finishes its own
 * cannot get the next one until the calling thread is done (measured: `frequencies` in batches of
 * 5 rows on 2 threads 1.16× the sequential speed, 1.59× and 1.79× on two workers; a 16-session
 * rat's worker idle 2–119 ms between sessions; docs/parallelism.md). With one job the calling
 * thread does it all, with no worker.
 *
 * @param nTasks the run's tasks; Infinity for a stream of unknown length (a rat's sessions)
 */
export function poolFor(options: Pick<ResolvedParallelOptions, 'backend' | 'jobs' | 'workerHeapLimitMb' | 'callerComputes'>, nTasks: number): ComputePool {
  return sharedPool({
    backend: options.backend,
    jobs: options.jobs,
    callerComputes: options.callerComputes && (options.jobs === 1 || nTasks <= options.jobs),
    ...(options.workerHeapLimitMb !== null && { workerHeapLimitMb: options.workerHeapLimitMb }),
  });
}

/** The shared long-lived pool for these options, created on first use. */
export function sharedPool(options: PoolOptions): ComputePool {
  const key = `${options.backend}/${options.jobs}/${options.workerHeapLimitMb ?? ''}/${options.callerComputes === true}`;
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new ComputePool(options);
    pools.set(key, pool);
  }
  return pool;
}

/** Shuts down every shared pool (call before exit; the CLI does). `force` kills running tasks. */
export async function shutdownPools(force = false): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close(force)));
}
