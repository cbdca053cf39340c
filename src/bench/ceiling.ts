/**
 * The machine's own parallel ceiling: how much more work `threads` threads do together than one
 * thread alone, on the engine's innermost loop (the kernel's bare paired FFT, in cache, no memory
 * traffic, no coordination). A perfectly parallel machine gives `threads`×; a shared VM whose
 * vCPUs slow each other down gives less, and no engine can beat it. Benchmarks report it next to
 * their speedups, sampled in every round, so each speedup can be read against what the machine
 * allowed at that moment.
 */
import { Worker } from 'node:worker_threads';
import { median } from './measure.js';

/** The workload whose FFT size the loop uses (the kernel's block size depends on it). */
export interface CeilingWorkload {
  nTimes: number;
  sfreq: number;
  nFreqs: number;
  freqRange: [number, number];
}

/** Paired transforms per thread in each timed loop: ~75 ms at 37 µs per pair. */
export const CEILING_TRANSFORMS = 2000;

/** Samples of the ceiling and their summary; ratios are throughput, threads × t_alone / t_together. */
export interface ParallelCeiling {
  threads: number;
  /** Paired transforms per thread in each timed loop ({@link CEILING_TRANSFORMS}). */
  transforms: number;
  samples: number[];
  median: number;
  min: number;
  max: number;
}

const WORKER = new URL('./ceiling-worker.js', import.meta.url);

/**
 * Starts `threads` workers and takes `count` samples: each sample times the loop on one worker
 * alone (the workers take turns), then on all workers at once, and gives
 * threads × t_alone / max(t_together).
 */
export async function sampleParallelCeiling(workload: CeilingWorkload, threads: number, count: number): Promise<number[]> {
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { workerData: workload }));
  try {
    await Promise.all(workers.map(reply));
    const timed = (w: Worker): Promise<number> => {
      const done = reply(w) as Promise<number>;
      w.postMessage(CEILING_TRANSFORMS);
      return done;
    };
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const alone = await timed(workers[i % threads]!);
      const together = await Promise.all(workers.map(timed));
      samples.push((threads * alone) / Math.max(...together));
    }
    return samples;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The worker's next message, or its error. */
function reply(w: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      w.off('error', onError);
      resolve(m);
    };
    const onError = (e: Error): void => {
      w.off('message', onMessage);
      reject(e);
    };
    w.once('message', onMessage);
    w.once('error', onError);
  });
}

/** Summary of samples taken (possibly over several rounds) with {@link sampleParallelCeiling}. */
export function summarizeCeiling(threads: number, samples: number[]): ParallelCeiling {
  return { threads, transforms: CEILING_TRANSFORMS, samples, median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}
