/** The benchmark report's data: what report.json holds, and what the Markdown and HTML views render. */
import type { ParallelCeiling } from '../ceiling.js';
import type { BenchRun } from '../runner.js';

/** The machine a benchmark ran on. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  logicalCpus: number;
  memoryBytes: number;
  node: string;
  platform: string;
  /** Measured in the same run, when the benchmark sampled it (bench/ceiling.ts). */
  parallelCeiling?: ParallelCeiling;
}

/** A whole benchmark report (report.json). */
export interface BenchReport {
  tool: 'eeg-parallel';
  version: string;
  createdAt: string;
  command: string;
  machine: MachineInfo;
  parameters: Record<string, unknown>;
  /** One object per measured configuration (docs/method.md §6 keys: method … valid). */
  runs: BenchRun[];
  recommendations: string[];
  valid: boolean;
}
