/** Reading the tail of a task log (logs can be large; only the end is read). */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

const TAIL_BYTES = 16_384;

/** The last `lines` lines of `path` (empty when the file does not exist). */
export function logTail(path: string, lines = 15): string[] {
  if (!existsSync(path)) return [];
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const all = buf.toString('utf8').split('\n');
    if (start > 0) all.shift(); // probably a partial line
    while (all.length > 0 && all.at(-1)!.trim() === '') all.pop();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}

/**
 * True when a log shows that the job failed: our CLI's one-line error, the task script's own
 * `fail` (same prefix), or a slurmstepd error (time limit, cancellation, out of memory).
 */
export function logShowsFailure(tail: readonly string[]): boolean {
  return tail.some((l) => /^eeg-parallel( slurm)?: error:|slurmstepd: error:|oom[-_ ]kill/i.test(l));
}
