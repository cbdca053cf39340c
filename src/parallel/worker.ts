/**
 * Worker entry point, for worker threads and child processes alike (workerpool runs this file
 * in either): it serves the task functions of methods.ts.
 */
import workerpool from 'workerpool';
import { TASK_METHODS } from './methods.js';
import { METHOD_READY } from './tasks.js';

workerpool.worker({ ...TASK_METHODS, [METHOD_READY]: () => true });
