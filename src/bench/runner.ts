/**
 * Runs one configuration in an isolated child process (bench/child.ts) and validates its result
 * against the sequential reference of the same workload.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpyFloat64 } from '../io/npy.js';
import type { ChildReport } from './child.js';
import { methodName, type RunConfig } from './config.js';
import { median } from './measure.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/** Summary statistics of a result array. */
export interface ResultStats {
  min: number;
  max: number;
  mean: number;
  std: number;
}

/**
 * One measured run: the keys of docs/method.md §6 (`method` … `valid`) plus context. Times in seconds,
 * memory in bytes, `cpuUtilization` = CPU time / wall time (2.0 = two cores busy).
 */
export interface BenchRun {
  workload: string;
  roiLabel: string;
  method: string;
  strategy: string;
  backend: string;
  jobs: number;
  batchSize: number | null;
  nChannels: number;
  nTimes: number;
  nFreqs: number;
  nSessions: number;
  repeats: number;
  wallSeconds: number;
  wallSecondsMin: number;
  wallSecondsMax: number;
  cpuSeconds: number;
  cpuUtilization: number;
  peakRssBytes: number;
  heapUsedBytes: number;
  arrayBuffersBytes: number;
  shape: number[];
  stats: ResultStats;
  /** max |this − sequential| over all elements (0 for the sequential run itself). */
  maxAbsDiff: number;
  /** Sequential wall time / this wall time. */
  speedup: number;
  valid: boolean;
  /** Why the run is invalid, when it is. */
  problem: string | null;
}

export function resultStats(data: Float64Array): ResultStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / data.length;
  let ss = 0;
  for (const v of data) ss += (v - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(ss / data.length) };
}

/** max |a − b|; Infinity when the lengths differ or a value is NaN in only one of them. */
export function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > worst || (Number.isNaN(d) && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!)))) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** A finished isolated run: the child's measurement and its result array. */
export interface IsolatedResult {
  report: ChildReport;
  output: Float64Array;
}

/** Runs `config` in a fresh Node process; rejects with the child's stderr if it fails. */
export async function runIsolated(config: RunConfig, scratchDir: string): Promise<IsolatedResult> {
  const configPath = join(scratchDir, `config-${process.pid}-${Date.now()}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  try {
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', CHILD, configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ stdout: out, stderr: err, code: c }));
    });
    if (code !== 0) throw new Error(`benchmark run ${methodName(config)} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport;
    const output = readNpyFloat64(config.outputPath, { minDims: 1, maxDims: 3 }).data;
    return { report, output };
  } finally {
    rmSync(configPath, { force: true });
    rmSync(config.outputPath, { force: true });
  }
}

/** Builds the report row of a run, validated against the sequential reference. */
export function toBenchRun(
  config: RunConfig,
  result: IsolatedResult,
  reference: { output: Float64Array; shape: number[]; wallSeconds: number } | null,
  tolerance: number,
): BenchRun {
  const m = result.report.measurement;
  const wall = median(m.wallSeconds);
  const cpu = median(m.cpuSeconds);
  const shape = result.report.shape;
  const diff = reference === null ? 0 : maxAbsDiff(result.output, reference.output);
  let problem: string | null = null;
  if (reference !== null && shape.join('x') !== reference.shape.join('x')) {
    problem = `shape ${shape.join('×')} differs from sequential ${reference.shape.join('×')}`;
  } else if (!(diff <= tolerance)) {
    problem = `max |diff| vs sequential ${diff} > tolerance ${tolerance}`;
  }
  return {
    workload: config.workload,
    roiLabel: config.roiLabel,
    method: methodName(config),
    strategy: config.strategy,
    backend: config.strategy === 'sequential' ? 'none' : config.backend,
    jobs: config.strategy === 'sequential' ? 1 : config.jobs,
    batchSize: config.batchSize,
    nChannels: config.roiChannels.length,
    nTimes: config.source.nTimes,
    nFreqs: config.nFreqs,
    nSessions: config.source.nSessions,
    repeats: m.wallSeconds.length,
    wallSeconds: wall,
    wallSecondsMin: Math.min(...m.wallSeconds),
    wallSecondsMax: Math.max(...m.wallSeconds),
    cpuSeconds: cpu,
    cpuUtilization: cpu / wall,
    peakRssBytes: m.peakRssBytes,
    heapUsedBytes: m.heapUsedBytes,
    arrayBuffersBytes: m.arrayBuffersBytes,
    shape,
    stats: resultStats(result.output),
    maxAbsDiff: diff,
    speedup: reference === null ? 1 : reference.wallSeconds / wall,
    valid: problem === null,
    problem,
  };
}
