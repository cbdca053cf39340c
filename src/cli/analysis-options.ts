/**
 * The analysis options shared by `analyze-session`, `analyze-rat`, `analyze-all` and `slurm
 * submit`, defined once: registered on a command, parsed into the API's options, and passed on
 * verbatim (`slurm submit` hands them to each task's `analyze-rat`). A preset fills in options the
 * user did not give.
 */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EventKind } from '../analysis/events.js';
import { BASELINE_MODES, NORMALIZE_MODES, type BaselineMode, type NormalizeMode } from '../analysis/normalize.js';
import { roiNames, type RoiSpec } from '../analysis/roi.js';
import { checkAnalysisOptions, type AnalysisOptions } from '../analysis/session.js';
import type { Strategy } from '../compute/options.js';
import { packagePath } from '../paths.js';
import { InvalidParameterError } from '../errors.js';
import { VERSION } from '../version.js';
import {
  addParallelOptions,
  parseInteger,
  parseIntegerList,
  parseParallelOptions,
  parsePositive,
  parseRange,
  parseTfrOptions,
  TFR_OPTIONS,
  type ParallelCliOptions,
  type TfrCliOptions,
} from './parse.js';

/** The value-taking analysis options: key (commander's camelCase) → flags and help. */
const VALUE_OPTIONS = {
  preset: ['--preset <NAME>', 'lab-report: the lab\'s published analysis (explicit options override it)'],
  roi: ['--roi <NAMES|E1,E2,...|all>', 'ROI names from data/roi_map.json (several: frontal,motor), electrode numbers 1–32, or all (every ROI and electrode)'],
  channels: ['--channels <I1,I2,...>', '0-based channel indices (instead of --roi)'],
  ...TFR_OPTIONS,
  window: ['--window <SECONDS>', 'event window length (default 1.0)'],
  events: ['--events <nm|iti|nm,iti>', 'which events are windowed (default nm)'],
  normalize: ['--normalize <MODE>', `${NORMALIZE_MODES.join('|')} (default session-z; docs/method.md §8.1)`],
  baseline: ['--baseline <B0,B1>', 'baseline interval, s, both ends included (default -1.0,-0.5)'],
  baselineMode: ['--baseline-mode <MODE>', `with --normalize baseline: ${BASELINE_MODES.join('|')} (default zscore)`],
  minEvents: ['--min-events <N>', 'leave out a session\'s events groups (kind and size) with fewer valid events (default 3 under pre-event modes, else 1)'],
  thetaBand: ['--theta-band <LO,HI>', 'theta scalar band, Hz (default 3,7)'],
  thetaWindow: ['--theta-window <T0,T1>', 'theta scalar window, s (default -0.2,0)'],
  layout: ['--layout <FILE>', 'electrode layout CSV (site,x_mm,y_mm) for the cross-rat electrode maps (default data/h32_layout.csv)'],
} as const;

type ValueOption = keyof typeof VALUE_OPTIONS;
/** The options that name a file. */
const FILE_OPTIONS: readonly ValueOption[] = ['freqsFile', 'layout'];
const PARALLEL_KEYS = { strategy: '--strategy', jobs: '--jobs', backend: '--backend', batchSize: '--batch-size', maxMemory: '--max-memory', taskTimeout: '--task-timeout' } as const;

/** The analysis options as commander parses them. */
export type AnalysisCliOptions = Partial<Record<ValueOption, string>> & ParallelCliOptions & { saveRoiPower?: boolean; plots: boolean };

/** Named configurations: option values, as a user would type them. */
export const PRESETS: Readonly<Record<string, Partial<Record<ValueOption, string>>>> = {
  // The lab's published analysis (docs/method.md §8): the 61 frequencies its code analyses, shipped
  // in data/ (numpy's values, bit for bit), for the 3–7 Hz band (which --n-freqs or another
  // --freqs-file given with the preset applies to).
  'lab-report': {
    freqsFile: packagePath('data', 'lab_frequencies.txt'),
    freqRange: '3,7',
    nCycles: '5',
    window: '2.0',
    normalize: 'pre-event',
    baseline: '-1.0,-0.5',
    thetaBand: '3,7',
    thetaWindow: '-0.2,0',
    roi: 'all',
    events: 'nm,iti',
  },
};

/** Adds the analysis options (and the parallel ones, with these strategies) to a command. */
export function addAnalysisOptions(command: Command, strategies: readonly Strategy[]): Command {
  for (const [flags, help] of Object.values(VALUE_OPTIONS)) command.option(flags, help);
  command.option('--save-roi-power', 'also write roi_power.npy (n_freqs, n_times) per session').option('--no-plots', 'do not draw figures');
  return addParallelOptions(command, strategies);
}

/** The options given, with the preset's values for the others. */
function withPreset(opts: AnalysisCliOptions): AnalysisCliOptions {
  if (opts.preset === undefined) return opts;
  const preset = PRESETS[opts.preset];
  if (preset === undefined) throw new InvalidParameterError(`--preset: '${opts.preset}' is unknown; expected one of ${Object.keys(PRESETS).join(', ')}`);
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  // Options that replace the preset's: --channels its ROIs (as --roi does); any frequency option
  // its frequencies (the preset's band stays for --n-freqs and --freqs-file).
  const ownFreqs = opts.freqs !== undefined || opts.freqsFile !== undefined || opts.freqRange !== undefined || opts.nFreqs !== undefined;
  const replaced = {
    ...(opts.channels !== undefined && { roi: undefined }),
    ...(ownFreqs && { freqs: undefined, freqsFile: undefined }),
    ...(opts.freqs !== undefined && { freqRange: undefined }),
  };
  return { ...preset, ...replaced, ...given } as AnalysisCliOptions;
}

function choice<T extends string>(option: string, text: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T)) throw new InvalidParameterError(`${option}: '${text}' is not one of ${allowed.join(', ')}`);
  return text as T;
}

/**
 * ROI options: `--roi NAME[,NAME…]`, `--roi E1,E2,…` (one ROI of electrodes 1–32), `--roi all`
 * (every ROI of the map, and every electrode), or `--channels I1,I2,…` (0-based).
 */
export function parseRois(roi: string | undefined, channels: string | undefined): { roi: RoiSpec | RoiSpec[]; electrodes: boolean } {
  if ((roi === undefined) === (channels === undefined)) {
    throw new InvalidParameterError('give exactly one of --roi NAME|E1,E2,…|all or --channels I1,I2,…');
  }
  if (channels !== undefined) return { roi: { channels: parseIntegerList('--channels', channels, 0) }, electrodes: false };
  const text = roi!.trim();
  if (/^[\d\s,.+-]+$/.test(text)) return { roi: { electrodes: parseIntegerList('--roi', text, Number.MIN_SAFE_INTEGER) }, electrodes: false };
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new InvalidParameterError(`--roi: '${roi}' has an empty ROI name`);
  if (names.includes('all')) {
    if (names.length > 1) throw new InvalidParameterError(`--roi: 'all' already holds every ROI; got '${roi}'`);
    return { roi: roiNames().map((name) => ({ name })), electrodes: true };
  }
  const specs = names.map((name) => ({ name }));
  return { roi: specs.length === 1 ? specs[0]! : specs, electrodes: false };
}

/** Parses the analysis options (after the preset's) into the API's options. */
export function parseAnalysisOptions(given: AnalysisCliOptions, strategies: readonly Strategy[]): AnalysisOptions {
  const opts = withPreset(given);
  const tfr = parseTfrOptions(opts as TfrCliOptions);
  const { roi, electrodes } = parseRois(opts.roi, opts.channels);
  const events = opts.events === undefined ? undefined : opts.events.split(',').map((e) => choice('--events', e.trim(), ['nm', 'iti'] as const));
  if (events !== undefined && new Set(events).size !== events.length) throw new InvalidParameterError(`--events: '${opts.events}' names an event kind twice`);
  const options: AnalysisOptions = {
    roi,
    electrodes,
    ...tfr,
    ...(opts.window !== undefined && { windowDuration: parsePositive('--window', opts.window) }),
    ...(events !== undefined && { events: events as EventKind[] }),
    ...(opts.normalize !== undefined && { normalize: choice<NormalizeMode>('--normalize', opts.normalize, NORMALIZE_MODES) }),
    ...(opts.baseline !== undefined && { baseline: parseRange('--baseline', opts.baseline) }),
    ...(opts.baselineMode !== undefined && { baselineMode: choice<BaselineMode>('--baseline-mode', opts.baselineMode, BASELINE_MODES) }),
    ...(opts.minEvents !== undefined && { minEvents: parseInteger('--min-events', opts.minEvents, 1) }),
    ...(opts.thetaBand !== undefined && { thetaBand: parseRange('--theta-band', opts.thetaBand) }),
    ...(opts.thetaWindow !== undefined && { thetaWindow: parseRange('--theta-window', opts.thetaWindow) }),
    saveRoiPower: opts.saveRoiPower ?? false,
    ...parseParallelOptions(opts, strategies),
  };
  checkAnalysisOptions(options);
  return options;
}

/**
 * The analysis options as they were given, as arguments for another eeg-parallel command (after
 * checking that they parse: a typo fails now, not in every task hours later).
 */
export function analysisArgs(opts: AnalysisCliOptions, strategies: readonly Strategy[], except: readonly string[] = []): string[] {
  parseAnalysisOptions(opts, strategies);
  const flag = (f: string) => f.split(' ')[0]!;
  // Files are named absolutely: the other command (a cluster job) may run in another directory.
  const value = (key: ValueOption): string | undefined => (FILE_OPTIONS.includes(key) && opts[key] !== undefined ? resolve(opts[key]) : opts[key]);
  const values: [string, string | undefined][] = [
    ...Object.entries(VALUE_OPTIONS).map(([key, [flags]]): [string, string | undefined] => [flag(flags), value(key as ValueOption)]),
    ...Object.entries(PARALLEL_KEYS).map(([key, f]): [string, string | undefined] => [f, opts[key as keyof typeof PARALLEL_KEYS]]),
  ];
  return [
    // `--opt=value`: values such as -1.0,-0.5 must not read as options.
    ...values.filter(([f, v]) => v !== undefined && !except.includes(f)).map(([f, v]) => `${f}=${v}`),
    ...(opts.saveRoiPower ? ['--save-roi-power'] : []),
    ...(opts.plots ? [] : ['--no-plots']),
  ];
}

/**
 * What identifies an analysis, as a SHA-256 checksum: its options except how it runs (every
 * strategy gives the same bits), the version, and the data file's absolute path, size and modification time. A
 * result recorded with the same key need not be computed again.
 */
export function analysisKey(options: AnalysisOptions, dataFile: string): string {
  const { strategy: _s, jobs: _j, backend: _b, batchSize: _bs, maxMemoryBytes: _m, workerHeapLimitMb: _h, callerComputes: _c, callerTaskLimit: _l, taskTimeoutSeconds: _t, ...rest } = options;
  const st = statSync(dataFile);
  // The version: a release may compute a mode otherwise (pre-event changed its definition in 0.2).
  const key = JSON.stringify({ version: VERSION, data: resolve(dataFile), size: st.size, mtimeMs: st.mtimeMs, ...rest });
  return createHash('sha256').update(key).digest('hex');
}
