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
import type { WorkerErrorReply } from './tasks.js';

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
  jobs: number;
  /** Per-worker JS heap limit, MiB (threads: resourceLimits; processes: --max-old-space-size). */
  workerHeapLimitMb?: number;
}

const WORKER_SCRIPT = fileURLToPath(new URL('./worker.js', import.meta.url));

/** A pool of `jobs` workers of one backend. */
export class ComputePool {
  readonly backend: Backend;
  readonly jobs: number;
  private readonly pool: workerpool.Pool;
  private closed = false;

  constructor(options: PoolOptions) {
    this.backend = options.backend;
    this.jobs = options.jobs;
    const heap = options.workerHeapLimitMb;
    this.pool = workerpool.pool(WORKER_SCRIPT, {
      maxWorkers: options.jobs,
      // Start every worker now: a caller can create the pool early (e.g. while it reads data)
      // so that worker start-up overlaps with other work instead of delaying the first tasks.
      minWorkers: options.jobs,
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
  }

  /**
   * Runs `method` on `task` in a worker. A user-facing error thrown by the task comes back as the
   * same EegParallelError kind; a dead worker becomes a WorkerCrashError naming `label` (called
   * then, so that it can say how far the task got). `onEvent` receives the worker's progress events.
   */
  async run<T>(method: string, task: unknown, label: () => string, onEvent?: (payload: unknown) => void): Promise<T> {
    if (this.closed) throw new Error('eeg-parallel: the worker pool was shut down');
    let reply: unknown;
    try {
      reply = await this.pool.exec(method, [task], onEvent === undefined ? undefined : { on: onEvent });
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
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

  /** Stops the workers; `force` kills running tasks (Ctrl-C), otherwise waits for them. */
  async close(force = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.terminate(force);
  }

  /** Number of live workers (for tests and reports). */
  get workerCount(): number {
    return this.pool.stats().totalWorkers;
  }
}

const pools = new Map<string, ComputePool>();

/** The shared long-lived pool for these (resolved parallel) options, created on first use. */
export function poolFor(options: Pick<ResolvedParallelOptions, 'backend' | 'jobs' | 'workerHeapLimitMb'>): ComputePool {
  return sharedPool({
    backend: options.backend,
    jobs: options.jobs,
    ...(options.workerHeapLimitMb !== null && { workerHeapLimitMb: options.workerHeapLimitMb }),
  });
}

/** The shared long-lived pool for these options, created on first use. */
export function sharedPool(options: PoolOptions): ComputePool {
  const key = `${options.backend}/${options.jobs}/${options.workerHeapLimitMb ?? ''}`;
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
