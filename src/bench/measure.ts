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
  /**
   * Peak resident set of one run in a fresh process — this process plus the sum of its worker
   * processes' peaks — bytes: what a single CLI run needs. Measured on the first run, before the
   * warm-up and the timed repeats, whose garbage would otherwise pile into the peak.
   */
  peakRssBytes: number;
  /** V8 heap in use after that run, bytes. */
  heapUsedBytes: number;
  /** ArrayBuffer + SharedArrayBuffer memory after that run, bytes. */
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
 * Runs `run` once to measure its memory, then `warmup − 1` more times untimed (JIT, worker
 * start-up, page faults), then `repeats` times timed.
 */
export async function measure(run: () => Promise<unknown>, warmup: number, repeats: number): Promise<Measurement> {
  (globalThis as { gc?: () => void }).gc?.();
  for (const pid of [process.pid, ...childPids()]) resetPeakRss(pid);
  await run();
  let children = childPids();
  const peakRssBytes = peakRssOf(process.pid) + children.reduce((sum, pid) => sum + peakRssOf(pid), 0);
  const usage = process.memoryUsage();
  for (let i = 1; i < warmup; i++) await run();
  const wallSeconds: number[] = [];
  const cpuSeconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    // Collect the previous run's garbage first (the child runs with --expose-gc), so every
    // timed repeat starts from the same heap.
    (globalThis as { gc?: () => void }).gc?.();
    children = childPids();
    const cpu0 = cpuNow(children);
    const t0 = performance.now();
    await run();
    wallSeconds.push((performance.now() - t0) / 1000);
    cpuSeconds.push(cpuNow(children) - cpu0);
  }
  return { wallSeconds, cpuSeconds, peakRssBytes, heapUsedBytes: usage.heapUsed, arrayBuffersBytes: usage.arrayBuffers };
}
