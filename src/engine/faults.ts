/**
 * Fault injection at task checkpoints (handlers.ts `TaskContext.checkpoint`), so that the
 * engine's crash handling can be exercised end to end, through the CLI, in a real worker. Off
 * unless the environment variable EEG_PARALLEL_INJECT_FAULT is set (workers inherit it):
 *   `<kind>:<label>` where kind is `throw` (the task throws a bug-like Error), `exit` (the worker
 *   exits with code 70), `oom` (the worker allocates until it runs out of memory), `hang` (the
 *   worker blocks) or `corrupt` (the checkpoint answers true: the task returns slightly wrong
 *   numbers, a deliberately wrong implementation that the benchmark's validation must catch), and
 *   label is the checkpoint's label, as the task names it.
 */
export const FAULT_ENV = 'EEG_PARALLEL_INJECT_FAULT';

/** Acts on a fault armed for `label`; returns true when the task must corrupt its results. */
export function injectFault(label: string): boolean {
  const spec = process.env[FAULT_ENV];
  if (spec === undefined || spec === '') return false;
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  if (spec.slice(colon + 1) !== label) return false;
  switch (kind) {
    case 'corrupt':
      return true;
    case 'throw':
      throw new Error(`injected fault in ${label}`);
    case 'exit':
      process.exit(70);
      break;
    case 'oom': {
      const hog: number[][] = [];
      for (;;) hog.push(new Array<number>(1 << 20).fill(hog.length));
    }
    case 'hang':
      for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  return false;
}
