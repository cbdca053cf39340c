/**
 * One measured configuration of the benchmark: the data, the computation and the parallel
 * settings. Serialised to JSON and handed to an isolated child process (bench/child.ts).
 */
import type { ParallelOptions, Strategy, Backend } from '../compute/options.js';

/** Seeded synthetic sessions (docs/method.md §7). */
export interface SyntheticSource {
  kind: 'synthetic';
  seed: number;
  nChannels: number;
  nTimes: number;
  /** Sessions (seeds seed, seed+1, …); more than one runs the rat (multi-session) analysis. */
  nSessions: number;
  sfreq?: number;
}

/** One session of a lab pickle file (the `--real` workload). */
export interface PickleSource {
  kind: 'pickle';
  path: string;
  session: number;
  /** As indexed, for reports. */
  nTimes: number;
  nSessions: 1;
}

export interface RunConfig {
  /** Workload name (docs/method.md §7), e.g. "quick", "scalability". */
  workload: string;
  /** ROI description for reports, e.g. "channels 0-3". */
  roiLabel: string;
  source: SyntheticSource | PickleSource;
  roiChannels: number[];
  nFreqs: number;
  freqRange: [number, number];
  strategy: Strategy;
  backend: Backend;
  jobs: number;
  batchSize: number | null;
  warmup: number;
  repeats: number;
  /** Where the child writes the result array (.npy) for validation. */
  outputPath: string;
}

/** A short, unique, human-readable name: "sequential", "channels/threads/j2", "frequencies/processes/j2/b4". */
export function methodName(c: Pick<RunConfig, 'strategy' | 'backend' | 'jobs' | 'batchSize'>): string {
  if (c.strategy === 'sequential') return 'sequential';
  return [c.strategy, c.backend, `j${c.jobs}`, ...(c.batchSize !== null ? [`b${c.batchSize}`] : [])].join('/');
}

/** The parallel options of a configuration. */
export function parallelOptionsOf(c: RunConfig): ParallelOptions {
  return {
    strategy: c.strategy,
    backend: c.backend,
    jobs: c.jobs,
    ...(c.batchSize !== null && { batchSize: c.batchSize }),
  };
}
