/**
 * Process accounting from Linux /proc, the only source that is right for both backends:
 * worker threads share this process's CPU time and memory, while child-process workers have
 * their own, which Node's process.resourceUsage() does not see until they exit (and pool
 * workers never exit during a run).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux (sysconf(_SC_CLK_TCK)), fixed at 100 on every arch Node supports

function readStatus(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
}

function statusKiB(status: string | null, key: string): number {
  const m = status === null ? null : new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** Direct children of `pid`. */
export function childPids(pid: number = process.pid): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) out.push(Number(entry));
    } catch {
      // ended while listing
    }
  }
  return out;
}

/** CPU seconds (user + system) used so far by `pid` (all its threads). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (fields 14 and 15 of stat(5), counted from state = 3)
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Peak resident set (VmHWM) of `pid`, bytes, since start or the last {@link resetPeakRss}. */
export function peakRssOf(pid: number): number {
  return statusKiB(readStatus(pid), 'VmHWM');
}

/**
 * Resets the peak-RSS counter of `pid` (writes 5 to /proc/PID/clear_refs, Linux ≥ 4.0), so the
 * next {@link peakRssOf} is the peak of what follows. Returns false where not permitted.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Wall time and peak RSS of a command run to completion. */
export interface TimedCommand {
  seconds: number;
  /** Peak resident set of the command and its children, bytes. */
  peakRssBytes: number;
}

/** Runs `argv` under GNU time (`/usr/bin/time -f '%e %M'`); throws with its stderr on failure. */
export function timeCommand(argv: string[]): TimedCommand {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  const [seconds, kib] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: seconds!, peakRssBytes: kib! * 1024 };
}

/** The CPU model name from /proc/cpuinfo. */
export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
