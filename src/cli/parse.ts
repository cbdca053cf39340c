/**
 * Option value parsers for the CLI. Each throws InvalidParameterError naming the option, the bad
 * value and what was expected, so the CLI can print one line and exit 2.
 */
import { InvalidParameterError } from '../errors.js';
import { selectFrequencies, type CyclesSpec } from '../dsp/grid.js';
import { readFrequencyFile } from '../io/frequency-file.js';
import type { TfrOptions } from '../analysis/roi-spectrogram.js';
import type { Command } from 'commander';
import { BACKENDS, CLI_CALLER_TASK_LIMIT, parseByteSize, type Backend, type ParallelOptions, type Strategy } from '../compute/options.js';

/** A finite number. */
export function parseNumber(option: string, text: string): number {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new InvalidParameterError(`${option}: '${text}' is not a number`);
  }
  return value;
}

/** A finite number > 0. */
export function parsePositive(option: string, text: string): number {
  const value = parseNumber(option, text);
  if (value <= 0) throw new InvalidParameterError(`${option}: ${text} must be > 0`);
  return value;
}

/** An integer ≥ min. */
export function parseInteger(option: string, text: string, min: number): number {
  const value = parseNumber(option, text);
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidParameterError(`${option}: '${text}' must be an integer >= ${min}`);
  }
  return value;
}

/** A comma-separated list of finite numbers, e.g. "3,4.5,8". */
export function parseNumberList(option: string, text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '' || !Number.isFinite(Number(p)))) {
    throw new InvalidParameterError(`${option}: '${text}' is not a comma-separated list of numbers`);
  }
  return parts.map(Number);
}

/** A comma-separated list of integers ≥ min. */
export function parseIntegerList(option: string, text: string, min: number): number[] {
  const values = parseNumberList(option, text);
  const bad = values.find((v) => !Number.isInteger(v) || v < min);
  if (bad !== undefined) {
    throw new InvalidParameterError(`${option}: ${bad} in '${text}' is not an integer >= ${min}`);
  }
  return values;
}

/** "LO,HI" with LO < HI, Hz. */
export function parseRange(option: string, text: string): [number, number] {
  const values = parseNumberList(option, text);
  if (values.length !== 2) throw new InvalidParameterError(`${option}: expected LO,HI, got '${text}'`);
  return [values[0]!, values[1]!];
}

/** Cycles options: `--n-cycles C`, `--n-cycles C1,C2,…` or `--n-cycles-factor K` (default factor 3). */
export function parseCycles(nCycles: string | undefined, factor: string | undefined): CyclesSpec | undefined {
  if (nCycles !== undefined && factor !== undefined) {
    throw new InvalidParameterError('give either --n-cycles or --n-cycles-factor, not both');
  }
  if (factor !== undefined) return { kind: 'factor', factor: parsePositive('--n-cycles-factor', factor) };
  if (nCycles === undefined) return undefined;
  const values = parseNumberList('--n-cycles', nCycles);
  const bad = values.find((v) => v <= 0);
  if (bad !== undefined) throw new InvalidParameterError(`--n-cycles: ${bad} must be > 0`);
  return values.length === 1 ? { kind: 'fixed', nCycles: values[0]! } : { kind: 'perFrequency', nCycles: values };
}

/** The transform's options as commander parses them. */
export interface TfrCliOptions {
  freqs?: string;
  freqsFile?: string;
  freqRange?: string;
  nFreqs?: string;
  nCycles?: string;
  nCyclesFactor?: string;
}

/** The flags of the transform's frequency and cycles options: key (commander's camelCase) → flags and help. */
export const TFR_OPTIONS = {
  freqs: ['--freqs <F1,F2,...>', 'explicit frequencies, Hz'],
  freqsFile: ['--freqs-file <FILE>', 'frequencies from a file, one per line (Hz); with --freq-range, those in the range plus the nearest below and above'],
  freqRange: ['--freq-range <LO,HI>', 'geomspace range, Hz (default 3,8)'],
  nFreqs: ['--n-freqs <N>', 'geomspace frequencies (default 20)'],
  nCycles: ['--n-cycles <C|C1,C2,...>', 'fixed cycles, or one value per frequency'],
  nCyclesFactor: ['--n-cycles-factor <K>', 'cycles = max(3, K·f) (default 3)'],
} as const satisfies Record<keyof TfrCliOptions, readonly [string, string]>;

/**
 * Parses `--freqs`, `--freqs-file [--freq-range]` or `--freq-range`/`--n-freqs`, and the cycles
 * options. A frequency file with a range keeps the lab's selection ({@link selectFrequencies}).
 */
export function parseTfrOptions(opts: TfrCliOptions): TfrOptions {
  if (opts.freqs !== undefined && (opts.freqRange !== undefined || opts.nFreqs !== undefined || opts.freqsFile !== undefined)) {
    throw new InvalidParameterError('give either --freqs, --freqs-file or --freq-range/--n-freqs, not several');
  }
  if (opts.freqsFile !== undefined && opts.nFreqs !== undefined) {
    throw new InvalidParameterError('--n-freqs makes a geomspace grid; it cannot be combined with --freqs-file (give --freq-range to select from the file)');
  }
  const cycles = parseCycles(opts.nCycles, opts.nCyclesFactor);
  const freqRange = opts.freqRange === undefined ? undefined : parseRange('--freq-range', opts.freqRange);
  let freqs: ArrayLike<number> | undefined = opts.freqs === undefined ? undefined : parseNumberList('--freqs', opts.freqs);
  if (opts.freqsFile !== undefined) {
    const table = readFrequencyFile(opts.freqsFile);
    freqs = freqRange === undefined ? table.sort() : selectFrequencies(table, freqRange[0], freqRange[1]);
  }
  return {
    ...(freqs !== undefined && { freqs }),
    ...(freqRange !== undefined && freqs === undefined && { freqRange }),
    ...(opts.nFreqs !== undefined && { nFreqs: parseInteger('--n-freqs', opts.nFreqs, 1) }),
    ...(cycles !== undefined && { cycles }),
  };
}

/** Raw parallel options as commander parses them. */
export interface ParallelCliOptions {
  strategy?: string;
  jobs?: string;
  backend?: string;
  batchSize?: string;
  maxMemory?: string;
  taskTimeout?: string;
}

/** Adds --strategy/--jobs/--backend/--batch-size/--max-memory to a command. */
export function addParallelOptions(command: Command, strategies: readonly Strategy[]): Command {
  return command
    .option('--strategy <name>', `${strategies.join('|')} (default auto)`)
    .option('--jobs <N>', 'workers (default: available cores)')
    .option('--backend <name>', 'threads (shared memory, default) | processes (copies)')
    .option('--batch-size <B>', 'frequencies per task (frequencies) or sessions per task (sessions)')
    .option('--max-memory <size>', 'bound on intermediate data in flight, e.g. 4G (default 4G)')
    .option('--task-timeout <SECONDS>', 'stop a task running longer than this in a worker (a watchdog for long batch runs; default: none)');
}

/** Parses the parallel options; the CLI's default strategy is `auto`. */
export function parseParallelOptions(opts: ParallelCliOptions, strategies: readonly Strategy[]): ParallelOptions {
  const strategy = (opts.strategy ?? 'auto') as Strategy;
  if (!strategies.includes(strategy)) {
    throw new InvalidParameterError(`--strategy: '${opts.strategy}' is not one of ${strategies.join(', ')}`);
  }
  const backend = (opts.backend ?? 'threads') as Backend;
  if (!BACKENDS.includes(backend)) {
    throw new InvalidParameterError(`--backend: '${opts.backend}' is not one of ${BACKENDS.join(', ')}`);
  }
  return {
    strategy,
    backend,
    // The CLI's own thread computes only short tasks, so that Ctrl-C or SIGTERM is handled within a
    // second (CLI_CALLER_TASK_LIMIT).
    callerTaskLimit: CLI_CALLER_TASK_LIMIT,
    ...(opts.jobs !== undefined && { jobs: parseInteger('--jobs', opts.jobs, 1) }),
    ...(opts.batchSize !== undefined && { batchSize: parseInteger('--batch-size', opts.batchSize, 1) }),
    ...(opts.maxMemory !== undefined && { maxMemoryBytes: parseByteSize(opts.maxMemory) }),
    ...(opts.taskTimeout !== undefined && { taskTimeoutSeconds: parsePositive('--task-timeout', opts.taskTimeout) }),
  };
}
