/**
 * Measuring one configuration: warm-up runs, then timed repeats; wall time, CPU time of this
 * process (all its threads) and of its worker child processes, and peak memory.
 */
import { childPids, cpuSecondsOf, peakRssOf, resetPeakRss } from './proc.js';

/** What a measurement records. See docs/benchmarks.md for the meaning of each figure. */
export interface Measurement {
  /** Wall time of each timed repeat, s. */
  wallSeconds: number[];
  /** CPU time (user + system) of each repeat, this process and its children, s. */
  cpuSeconds: number[];
  /** Peak resident set of this process plus the sum of its children's peaks during the repeats, bytes. */
  peakRssBytes: number;
  /** V8 heap in use after the last repeat, bytes. */
  heapUsedBytes: number;
  /** ArrayBuffer + SharedArrayBuffer memory after the last repeat, bytes. */
  arrayBuffersBytes: number;
}

function cpuNow(children: readonly number[]): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1e6 + children.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs `run` `warmup` times untimed (JIT, worker start-up, page faults), then `repeats` times
 * timed. Peak RSS is reset after the warm-up where the kernel allows it.
 */
export async function measure(run: () => Promise<unknown>, warmup: number, repeats: number): Promise<Measurement> {
  for (let i = 0; i < warmup; i++) await run();
  let children = childPids();
  for (const pid of [process.pid, ...children]) resetPeakRss(pid);
  const wallSeconds: number[] = [];
  const cpuSeconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    // Collect the previous repeat's garbage first (child runs with --expose-gc), so the peak
    // is that of one run, not of the garbage of several.
    (globalThis as { gc?: () => void }).gc?.();
    children = childPids();
    const cpu0 = cpuNow(children);
    const t0 = performance.now();
    await run();
    wallSeconds.push((performance.now() - t0) / 1000);
    cpuSeconds.push(cpuNow(children) - cpu0);
  }
  children = childPids();
  const peakRssBytes = peakRssOf(process.pid) + children.reduce((sum, pid) => sum + peakRssOf(pid), 0);
  const usage = process.memoryUsage();
  return { wallSeconds, cpuSeconds, peakRssBytes, heapUsedBytes: usage.heapUsed, arrayBuffersBytes: usage.arrayBuffers };
}
