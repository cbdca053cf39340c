/**
 * Fault injection for the fault-tolerance tests. Off unless the environment variable
 * EEG_PARALLEL_INJECT_FAULT is set (workers inherit the environment):
 *   `<kind>:<label>` where kind is `throw` (the task throws a bug-like Error), `exit` (the worker
 *   exits with code 70), `oom` (the worker allocates until it runs out of memory), `hang` (the
 *   worker blocks) or `corrupt` (the task silently returns slightly wrong numbers — a deliberately
 *   wrong implementation, to prove the benchmark's validation catches it), and label is a task
 *   label such as `channel 2` (a `channels` task), `channel 2, frequency rows 0–9` (that channel
 *   within a `frequencies` batch; `corrupt` does not apply there) or `session 1`.
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
