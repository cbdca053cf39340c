/**
 * Long-lived worker pools: the engine's one place that decides where a task runs.
 *
 * Library choice: `workerpool` (josdejong; used by mocha's parallel mode). Unlike piscina, which
 * runs worker threads only, it drives worker threads AND child processes behind one API, which
 * is exactly our two backends; it queues tasks FIFO, replaces a worker that died and rejects only
 * that worker's task, and terminates workers (forcefully if asked) on shutdown. Threads receive
 * SharedArrayBuffers by reference; child processes get copies over an IPC channel with
 * structured-clone ("advanced") serialisation, so typed arrays stay typed arrays.
 *
 * The pool knows no task: it is handed a handler reference (handlers.ts) and a task. One pool per
 * (backend, jobs, heap limit, callerComputes) is created on first use and reused by every later
 * call until {@link shutdownPools}; no pool is created per channel or per session.
 */
import { fileURLToPath } from 'node:url';
import workerpool from 'workerpool';
import { EegParallelError, TaskTimeoutError, WorkerCrashError } from '../errors.js';
import { isTaskErrorReply, loadHandler, type HandlerRef, type TaskContext } from './handlers.js';
import { injectFault } from './faults.js';
import { METHOD_READY, METHOD_RUN } from './methods.js';

/** Where work runs: worker threads on shared memory, or child processes (copies). */
export type Backend = 'threads' | 'processes';

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
   * each worker costs start-up CPU and memory (docs/performance.md). While it runs a task its
   * event loop waits (a signal handler, for one, runs after the task). Tasks that wait for other
   * tasks need a pool without it: blocked, the calling thread could neither hand a starting
   * worker its task nor abort the run.
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
  /**
   * Longest a task may run in a worker, ms (a watchdog for long batch runs; default none): then
   * its worker is stopped and the task fails with a TaskTimeoutError. Tasks on the calling thread
   * cannot be stopped.
   */
  timeoutMs?: number;
}

/** A task waiting for a worker or the calling thread. */
interface QueuedTask {
  handler: HandlerRef;
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
            // A stopped run (Ctrl-C) must end within a second: a worker busy in a task is killed after
            // this long, not waited for.
            workerTerminateTimeout: 200,
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
   * Runs `handler` on `task` in a worker, or on the calling thread when every worker is busy and
   * `callerComputes`. A user-facing error thrown by the task comes back as the same
   * EegParallelError kind; a dead worker becomes a WorkerCrashError naming the task's label.
   */
  async run<T>(handler: HandlerRef, task: unknown, options: RunOptions): Promise<T> {
    if (this.closed) throw new Error('eeg-parallel: the worker pool was shut down');
    const { label } = options;
    const { where, reply: pending } = await new Promise<Started>((start) => {
      this.queue.push({ handler, task, options, start });
      this.dispatch();
    });
    let reply: unknown;
    try {
      reply = await pending;
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      if (where === 'caller') {
        if (e instanceof EegParallelError) throw e;
        throw new Error(`task ${label()} failed: ${message}`, { cause: e });
      }
      if (e instanceof workerpool.Promise.TimeoutError) throw new TaskTimeoutError(label(), options.timeoutMs! / 1000);
      if (/terminated unexpectedly|out of memory|ERR_WORKER_OUT_OF_MEMORY|exited/i.test(message)) {
        throw new WorkerCrashError(label(), message.replace(/\s+/g, ' ').trim());
      }
      throw new Error(`task ${label()} failed in a worker: ${message}`, { cause: e });
    }
    if (isTaskErrorReply(reply)) throw new EegParallelError(reply.taskError.code, reply.taskError.message);
    return reply as T;
  }

  /** Hands queued tasks to free workers, and wakes the calling thread for the rest. */
  private dispatch(): void {
    while (this.queue.length > 0 && this.workersBusy < this.workers) {
      const next = this.queue.shift()!;
      const { onEvent } = next.options;
      this.workersBusy++;
      let reply = this.pool!.exec(METHOD_RUN, [next.handler, next.task], onEvent === undefined ? undefined : { on: onEvent });
      if (next.options.timeoutMs !== undefined) reply = reply.timeout(next.options.timeoutMs);
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
    const { onEvent } = next.options;
    const context: TaskContext = { emit: (payload) => onEvent?.(payload), checkpoint: injectFault };
    const reply = (async () => (await loadHandler(next.handler))(next.task, context))();
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

  /** Number of live workers. */
  get workerCount(): number {
    return this.pool?.stats().totalWorkers ?? 0;
  }
}
const pools = new Map<string, ComputePool>();

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
