/**
 * Result directories (docs/method.md §6), readable with plain numpy: `json.load` + `numpy.load`.
 *
 * Every file is written atomically (the data files concurrently), and `results.json` is written
 * LAST, after all of them: a directory without it is an interrupted run, never a result that
 * looks complete. JSON keys are snake_case, as Python users read them.
 */
import { mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CrossRatMean, RatAnalysis } from '../analysis/rat.js';
import type { SessionAnalysis } from '../analysis/session.js';
import { SessionDataError } from '../errors.js';
import { VERSION } from '../version.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readNpyFloat64, writeNpy } from '../io/npy.js';

export const RESULTS_FILE = 'results.json';

/** Run context recorded in every results.json. */
export interface RunContext {
  /** Source data file, if any. */
  dataFile: string | null;
  /** Parallel settings used. */
  parallel: { strategy: string; jobs: number | null; backend: string };
  /** Seconds from start to before writing. */
  totalSeconds: number;
  /** Figure files written into the directory (names). */
  figures: string[];
}

function rows(data: Float64Array, rowLength: number): number[][] {
  return Array.from({ length: data.length / rowLength }, (_, r) => Array.from(data.subarray(r * rowLength, (r + 1) * rowLength)));
}

async function writeJson(dir: string, name: string, value: unknown): Promise<void> {
  await writeFileAtomic(join(dir, name), JSON.stringify(value, null, 1) + '\n');
}

/** The docs/method.md §6 description of one session analysis. */
export function sessionSummary(a: SessionAnalysis, context: RunContext): Record<string, unknown> {
  return {
    kind: 'session',
    version: VERSION,
    rat_id: a.ratId,
    session_index: a.sessionIndex,
    session_date: a.sessionDate,
    data_file: context.dataFile,
    eeg_shape: a.eegShape,
    sfreq: a.sfreq,
    roi: { spec: a.roi.spec, label: a.roi.label, channels: a.roi.channels, electrodes: a.roi.electrodes },
    parameters: {
      freqs: Array.from(a.freqs),
      n_cycles: Array.from(a.nCycles),
      zero_mean: a.zeroMean,
      window_duration: a.windowDuration,
      window_samples: a.windowSamples,
      ...context.parallel,
    },
    sizes: Object.fromEntries(a.sizes.map((s) => [s.label, { size: s.size, n_events: s.nEvents, valid_events: s.validEvents }])),
    invalid_events: a.invalidEvents,
    channel_stats: { channels: a.roi.channels, mean: rows(a.channelMean, a.freqs.length), std: rows(a.channelStd, a.freqs.length) },
    timings: { compute_seconds: a.computeSeconds, total_seconds: context.totalSeconds },
    files: [
      'freqs.npy',
      'window_times.npy',
      ...a.sizes.flatMap((s) => [`nm_size_${s.label}_windows.npy`, `nm_size_${s.label}_mean.npy`]),
      ...(a.roiPower !== null ? ['roi_power.npy'] : []),
    ],
    figures: context.figures,
  };
}

/**
 * Writes one session's results into `dir` (created if needed): freqs.npy, window_times.npy,
 * nm_size_<s>_windows.npy (n_events, n_freqs, window_samples), nm_size_<s>_mean.npy
 * (n_freqs, window_samples), roi_power.npy (n_freqs, n_times) when kept, then results.json.
 */
export async function writeSessionResults(dir: string, a: SessionAnalysis, context: RunContext): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const nFreqs = a.freqs.length;
  await Promise.all([
    writeNpy(join(dir, 'freqs.npy'), a.freqs, [nFreqs]),
    writeNpy(join(dir, 'window_times.npy'), a.windowTimes, [a.windowSamples]),
    ...a.sizes.flatMap((s) => [
      writeNpy(join(dir, `nm_size_${s.label}_windows.npy`), s.windows, [s.nEvents, nFreqs, a.windowSamples]),
      writeNpy(join(dir, `nm_size_${s.label}_mean.npy`), s.mean, [nFreqs, a.windowSamples]),
    ]),
    ...(a.roiPower === null ? [] : [writeNpy(join(dir, 'roi_power.npy'), a.roiPower, [nFreqs, a.eegShape[1]])]),
  ]);
  await writeJson(dir, RESULTS_FILE, sessionSummary(a, context));
}

/**
 * Writes a rat's results into `dir`: session_<index>/ per analysed session (all at once; or none
 * with `writeSessions` false, when the caller wrote each as it was analysed), then the pooled
 * nm_size_<s>_mean.npy, freqs.npy, window_times.npy, and results.json last.
 */
export async function writeRatResults(dir: string, rat: RatAnalysis, context: RunContext, writeSessions = true): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (writeSessions) {
    await Promise.all(rat.sessions.map((a) => writeSessionResults(join(dir, `session_${a.sessionIndex}`), a, { ...context, figures: [] })));
  }
  const nFreqs = rat.freqs.length;
  await Promise.all([
    writeNpy(join(dir, 'freqs.npy'), rat.freqs, [nFreqs]),
    writeNpy(join(dir, 'window_times.npy'), rat.windowTimes, [rat.windowSamples]),
    ...rat.sizes.map((s) => writeNpy(join(dir, `nm_size_${s.label}_mean.npy`), s.mean, [nFreqs, rat.windowSamples])),
  ]);
  const first = rat.sessions[0]!;
  await writeJson(dir, RESULTS_FILE, {
    kind: 'rat',
    version: VERSION,
    complete: true,
    rat_id: rat.ratId,
    data_file: context.dataFile,
    roi: { spec: first.roi.spec, label: first.roi.label, channels: first.roi.channels, electrodes: first.roi.electrodes },
    parameters: {
      freqs: Array.from(rat.freqs),
      n_cycles: Array.from(first.nCycles),
      zero_mean: first.zeroMean,
      window_duration: first.windowDuration,
      window_samples: rat.windowSamples,
      ...context.parallel,
    },
    sessions_analysed: rat.sessions.map((a) => ({ index: a.sessionIndex, date: a.sessionDate, directory: `session_${a.sessionIndex}` })),
    sessions_failed: rat.failed.map((f) => ({ index: f.index, kind: f.kind, reason: f.reason })),
    sizes: Object.fromEntries(
      rat.sizes.map((s) => [s.label, { size: s.size, n_events: s.nEvents, n_sessions: s.nSessions, sessions: s.sessions }]),
    ),
    timings: { total_seconds: context.totalSeconds },
    figures: context.figures,
  });
}

/** A rat's results as read back from its directory (for `aggregate`). */
export interface StoredRat {
  ratId: string;
  dir: string;
  /** The ROI as analysed (label), for titles. */
  roiLabel: string;
  freqs: Float64Array;
  windowTimes: Float64Array;
  sizes: { size: number; label: string; mean: Float64Array }[];
}

/** True when `dir` holds a complete rat result (results.json of kind rat, written last). */
export function isCompleteRatDir(dir: string): boolean {
  const path = join(dir, RESULTS_FILE);
  if (!existsSync(path)) return false;
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { kind?: string; complete?: boolean };
    return json.kind === 'rat' && json.complete === true;
  } catch {
    return false;
  }
}

/** Reads a complete rat directory. */
export function readRatResults(dir: string): StoredRat {
  const json = JSON.parse(readFileSync(join(dir, RESULTS_FILE), 'utf8')) as {
    rat_id: string;
    roi: { label: string };
    sizes: Record<string, { size: number }>;
  };
  const freqs = readNpyFloat64(join(dir, 'freqs.npy'), { minDims: 1, maxDims: 1 }).data;
  const windowTimes = readNpyFloat64(join(dir, 'window_times.npy'), { minDims: 1, maxDims: 1 }).data;
  const sizes = Object.entries(json.sizes)
    .map(([label, v]) => ({ size: v.size, label, mean: readNpyFloat64(join(dir, `nm_size_${label}_mean.npy`), { minDims: 2, maxDims: 2 }).data }))
    .sort((a, b) => a.size - b.size);
  return { ratId: json.rat_id, dir, roiLabel: json.roi.label, freqs, windowTimes, sizes };
}

/** Complete rat directories directly under `dir`, in rat-id order. */
export function findRatDirs(dir: string): string[] {
  if (!existsSync(dir)) throw new SessionDataError(`output directory '${dir}' does not exist`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && isCompleteRatDir(join(dir, d.name)))
    .map((d) => join(dir, d.name))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Writes cross-rat means: nm_size_<s>_mean.npy, freqs.npy, window_times.npy, results.json last. */
export async function writeCrossRatResults(
  dir: string,
  cross: CrossRatMean[],
  freqs: Float64Array,
  windowTimes: Float64Array,
  ratDirs: readonly string[],
  figures: string[],
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await Promise.all([
    writeNpy(join(dir, 'freqs.npy'), freqs, [freqs.length]),
    writeNpy(join(dir, 'window_times.npy'), windowTimes, [windowTimes.length]),
    ...cross.map((s) => writeNpy(join(dir, `nm_size_${s.label}_mean.npy`), s.mean, [freqs.length, windowTimes.length])),
  ]);
  await writeJson(dir, RESULTS_FILE, {
    kind: 'cross-rat',
    version: VERSION,
    rat_directories: ratDirs,
    figures: figures.map((f) => basename(f)),
    sizes: Object.fromEntries(cross.map((s) => [s.label, { size: s.size, n_rats: s.nRats, rats: s.rats }])),
  });
}
