/** The two methods the worker entry serves. */

/** Runs a named handler on a task (worker.ts). */
export const METHOD_RUN = 'run';
/** Answers once the worker has started (pool.ts: the calling thread computes only after that). */
export const METHOD_READY = 'ready';
