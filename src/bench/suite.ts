/**
 * The benchmark suite behind `eeg-parallel test`: the docs/method.md §7 workloads, each measured
 * sequentially first (the reference) and then under every parallel configuration of the mode.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SFREQ } from '../model/session-data.js';
import { availableCores, type Backend } from '../compute/options.js';
import { sampleParallelCeiling, summarizeCeiling, type ParallelCeiling } from './ceiling.js';
import { methodName, type PickleSource, type RunConfig, type SyntheticSource } from './config.js';
import { median } from './measure.js';
import { maxAbsDiff, runIsolated, toBenchRun, type BenchRun, type IsolatedResult } from './runner.js';

/** One workload: data + ROI + frequencies; measured under `configs`. */
export interface Workload {
  name: string;
  roiLabel: string;
  source: SyntheticSource | PickleSource;
  roiChannels: number[];
  nFreqs: number;
  freqRange: [number, number];
  /** Parallel configurations to compare with the sequential reference. */
  parallel: Pick<RunConfig, 'strategy' | 'backend' | 'jobs' | 'batchSize'>[];
}

export type Mode = 'quick' | 'real' | 'scalability' | 'full';

export interface SuiteOptions {
  modes: Mode[];
  /** Job counts to measure (the `auto` entry expands to available cores). */
  jobs: number[];
  backends: Backend[];
  tolerance: number;
  /** Timed repeats per configuration and round. */
  repeats: number;
  /** Untimed warm-up runs per configuration and round. */
  warmup: number;
  /**
   * Passes over all configurations; each pass runs every configuration once more, so slow drift
   * of the machine's speed (frequent on shared VMs) hits every configuration alike.
   */
  rounds: number;
  /**
   * Samples of the machine's parallel ceiling (bench/ceiling.ts) taken at the start of every
   * round, on as many threads as the most jobs measured (at most the cores); 0: not measured.
   */
  ceilingSamples: number;
  /** Caps every synthetic workload's samples (smoke runs of the big modes); null: as specified. */
  maxSamples: number | null;
  /** For the `real` mode: a session of a lab file, with its index entry's size. */
  real?: { path: string; session: number; nChannels: number; nTimes: number };
}

const range = (n: number): number[] => [...Array(n).keys()];
const channelsLabel = (k: number): string => (k === 1 ? 'channel 0' : `channels 0-${k - 1}`);

/** Batch sizes of `frequencies` to measure; null is the default (the rows split evenly over the jobs). */
function channelConfigs(jobs: number[], backends: Backend[], batchSizes: (number | null)[]): Workload['parallel'] {
  const out: Workload['parallel'] = [];
  for (const backend of backends) {
    for (const j of jobs) {
      out.push({ strategy: 'channels', backend, jobs: j, batchSize: null });
      for (const b of batchSizes) out.push({ strategy: 'frequencies', backend, jobs: j, batchSize: b });
    }
  }
  return out;
}

/** The workloads of the selected modes (docs/method.md §7). */
export function workloads(options: SuiteOptions): Workload[] {
  const { jobs, backends } = options;
  const out: Workload[] = [];
  const synthetic = (nChannels: number, nTimes: number, nSessions = 1): SyntheticSource => ({
    kind: 'synthetic',
    seed: 42,
    nChannels,
    nTimes: Math.min(nTimes, options.maxSamples ?? nTimes),
    nSessions,
  });
  if (options.modes.includes('quick')) {
    out.push({
      name: 'quick',
      roiLabel: channelsLabel(4),
      source: synthetic(8, 20_000),
      roiChannels: range(4),
      nFreqs: 10,
      freqRange: [3, 8],
      parallel: channelConfigs(jobs, backends, [5]),
    });
  }
  if (options.modes.includes('real') && options.real !== undefined) {
    const { path, session, nChannels, nTimes } = options.real;
    const k = Math.min(6, nChannels);
    out.push({
      name: 'real',
      roiLabel: channelsLabel(k),
      source: { kind: 'pickle', path, session, nTimes, nSessions: 1 },
      roiChannels: range(k),
      nFreqs: 15,
      freqRange: [3, 8],
      parallel: channelConfigs(jobs, backends, [5]),
    });
  }
  if (options.modes.includes('scalability')) {
    for (const nTimes of [20_000, 50_000]) {
      for (const k of [4, 8, 16]) {
        out.push({
          name: `scalability`,
          roiLabel: channelsLabel(k),
          source: synthetic(16, nTimes),
          roiChannels: range(k),
          nFreqs: 10,
          freqRange: [3, 8],
          parallel: channelConfigs(jobs, ['threads'], [null]),
        });
      }
    }
  }
  if (options.modes.includes('full')) {
    for (const k of [4, 8, 16]) {
      out.push({
        name: 'full',
        roiLabel: channelsLabel(k),
        source: synthetic(32, 100_000),
        roiChannels: range(k),
        nFreqs: 20,
        freqRange: [3, 8],
        parallel: channelConfigs(jobs, backends, [null, 5]),
      });
    }
    out.push({
      name: 'full-sessions',
      roiLabel: channelsLabel(4),
      source: synthetic(8, 50_000, 6),
      roiChannels: range(4),
      nFreqs: 20,
      freqRange: [3, 8],
      parallel: backends.flatMap((backend) =>
        jobs.map((j) => ({ strategy: 'sessions' as const, backend, jobs: j, batchSize: 1 })),
      ),
    });
  }
  return out;
}

/** Progress events of a suite run. */
export type SuiteProgress = (event: { done: number; total: number; run: BenchRun }) => void;

/** What a suite run measured: the runs, and the machine's parallel ceiling when it was sampled. */
export interface SuiteResult {
  runs: BenchRun[];
  ceiling: ParallelCeiling | null;
}

/**
 * Runs every workload, in `rounds` passes: each pass samples the parallel ceiling, then measures
 * the sequential reference first, then the parallel configurations; results of all passes are merged.
 */
export async function runSuite(options: SuiteOptions, onRun?: SuiteProgress): Promise<SuiteResult> {
  const list = workloads(options);
  const ceilingThreads = Math.min(Math.max(...options.jobs), availableCores());
  const measureCeiling = options.ceilingSamples > 0 && ceilingThreads > 1 && list.length > 0;
  const ceilingSamples: number[] = [];
  const perRound = list.reduce((n, w) => n + 1 + w.parallel.length, 0);
  const total = perRound * options.rounds;
  const scratch = mkdtempSync(join(tmpdir(), 'eeg-parallel-bench-'));
  // Per workload and configuration: the isolated results of every round.
  const results = list.map((w) => [null, ...w.parallel].map(() => [] as { config: RunConfig; result: IsolatedResult }[]));
  let done = 0;
  try {
    for (let round = 0; round < options.rounds; round++) {
      if (measureCeiling) {
        // On the FFT size of the first workload (the kernel's block size depends on its length;
        // a lab file's rate is not known here, and its sessions are recorded at the default).
        const w = list[0]!;
        const sfreq = (w.source.kind === 'synthetic' ? w.source.sfreq : undefined) ?? DEFAULT_SFREQ;
        const workload = { nTimes: w.source.nTimes, sfreq, nFreqs: w.nFreqs, freqRange: w.freqRange };
        ceilingSamples.push(...(await sampleParallelCeiling(workload, ceilingThreads, options.ceilingSamples)));
      }
      for (const [wi, w] of list.entries()) {
        const configs = [{ strategy: 'sequential' as const, backend: 'threads' as const, jobs: 1, batchSize: null }, ...w.parallel].map(
          (p): RunConfig => ({
            workload: w.name,
            roiLabel: w.roiLabel,
            source: w.source,
            roiChannels: w.roiChannels,
            nFreqs: w.nFreqs,
            freqRange: w.freqRange,
            warmup: options.warmup,
            repeats: options.repeats,
            ...p,
            outputPath: join(scratch, `${w.name}-${w.roiLabel}-${methodName(p)}.npy`.replace(/[^\w.-]+/g, '_')),
          }),
        );
        for (const [ci, config] of configs.entries()) {
          const result = await runIsolated(config, scratch);
          results[wi]![ci]!.push({ config, result });
          done++;
          const seq = results[wi]![0]!.at(-1)!;
          onRun?.({ done, total, run: toBenchRun(config, result, ci === 0 ? null : referenceOf(seq.result), options.tolerance) });
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const runs = results.flatMap((perConfig) => {
    const seq = mergeRounds(perConfig[0]!);
    const seqRun = toBenchRun(seq.config, seq.result, null, options.tolerance);
    const reference = { ...referenceOf(seq.result), wallSeconds: seqRun.wallSeconds };
    return [seqRun, ...perConfig.slice(1).map((rounds) => {
      const merged = mergeRounds(rounds);
      return toBenchRun(merged.config, merged.result, reference, options.tolerance);
    })];
  });
  return { runs, ceiling: measureCeiling ? summarizeCeiling(ceilingThreads, ceilingSamples) : null };
}

function referenceOf(result: IsolatedResult): { output: Float64Array; shape: number[]; wallSeconds: number } {
  return { output: result.output, shape: result.report.shape, wallSeconds: median(result.report.measurement.wallSeconds) };
}

/**
 * One result from several rounds: all timed repeats together, the largest memory figures, and the
 * output that differs most from the first round's (so a non-deterministic run cannot hide).
 */
function mergeRounds(rounds: { config: RunConfig; result: IsolatedResult }[]): { config: RunConfig; result: IsolatedResult } {
  const first = rounds[0]!;
  const ms = rounds.map((r) => r.result.report.measurement);
  const worst = rounds.reduce((a, r) => (maxAbsDiff(r.result.output, first.result.output) > maxAbsDiff(a.result.output, first.result.output) ? r : a), first);
  return {
    config: first.config,
    result: {
      output: worst.result.output,
      report: {
        shape: worst.result.report.shape,
        measurement: {
          wallSeconds: ms.flatMap((m) => m.wallSeconds),
          cpuSeconds: ms.flatMap((m) => m.cpuSeconds),
          peakRssBytes: Math.max(...ms.map((m) => m.peakRssBytes)),
          heapUsedBytes: Math.max(...ms.map((m) => m.heapUsedBytes)),
          arrayBuffersBytes: Math.max(...ms.map((m) => m.arrayBuffersBytes)),
        },
      },
    },
  };
}
