/**
 * Worker entry point, for worker threads and child processes alike (workerpool runs this file in
 * either). It knows no task: each call names a handler module and a handler (handlers.ts).
 */
import workerpool from 'workerpool';
import { runInWorker, type HandlerRef } from './handlers.js';
import { METHOD_READY, METHOD_RUN } from './methods.js';

workerpool.worker({
  [METHOD_RUN]: (ref: HandlerRef, task: unknown) => runInWorker(ref, task, (payload) => workerpool.workerEmit(payload)),
  [METHOD_READY]: () => true,
});
