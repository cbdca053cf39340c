/**
 * What the engine runs: task handlers, named by the module that exports them and their name in
 * its `handlers` table. The engine knows no task; a worker imports a handler module the first
 * time a task names it (the way piscina's worker loads its `filename`), and the calling thread
 * runs the same functions on the same buffers when it computes.
 */
import { EegParallelError } from '../errors.js';
import { injectFault } from './faults.js';

/** Services the engine offers a running task. */
export interface TaskContext {
  /** Sends an event to the task's `onEvent` (processes: over IPC; threads: a plain call). */
  emit(payload: unknown): void;
  /**
   * Marks a point the task has reached, named as a person would ("channel 2, frequency rows 0–9").
   * Returns true when the task is asked to return deliberately wrong numbers (fault injection:
   * see faults.ts; false in every ordinary run).
   */
  checkpoint(label: string): boolean;
}

/** A task function: plain data and typed arrays in, plain data and typed arrays out. */
export type TaskHandler = (task: never, context: TaskContext) => unknown;

/** What a handler module exports. */
export interface HandlerModule {
  handlers: Readonly<Record<string, TaskHandler>>;
}

/** A handler: the file URL of its module (a sibling of the worker entry when bundled) and its name. */
export interface HandlerRef {
  module: string;
  name: string;
}

/** A user-facing error thrown by a task in a worker, sent back as data to keep its kind. */
export interface TaskErrorReply {
  taskError: { code: string; message: string };
}

const modules = new Map<string, Promise<HandlerModule>>();

/** The handler `ref` names, its module imported on first use (once per thread). */
export async function loadHandler(ref: HandlerRef): Promise<(task: unknown, context: TaskContext) => unknown> {
  let module = modules.get(ref.module);
  if (module === undefined) {
    module = import(ref.module) as Promise<HandlerModule>;
    modules.set(ref.module, module);
  }
  const handler = (await module).handlers[ref.name];
  if (handler === undefined) throw new Error(`no task handler '${ref.name}' in ${ref.module}`);
  return handler as (task: unknown, context: TaskContext) => unknown;
}

/**
 * Runs a handler in a worker: a user-facing error becomes a {@link TaskErrorReply} (an Error's
 * class does not survive the trip to the main thread); anything else is a bug and propagates.
 */
export async function runInWorker(ref: HandlerRef, task: unknown, emit: (payload: unknown) => void): Promise<unknown> {
  const handler = await loadHandler(ref);
  try {
    return await handler(task, { emit, checkpoint: injectFault });
  } catch (e) {
    if (e instanceof EegParallelError) return { taskError: { code: e.code, message: e.message } } satisfies TaskErrorReply;
    throw e;
  }
}

/** Whether a reply is a {@link TaskErrorReply}. */
export function isTaskErrorReply(reply: unknown): reply is TaskErrorReply {
  return reply !== null && typeof reply === 'object' && 'taskError' in reply;
}
