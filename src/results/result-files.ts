/**
 * Result directories (docs/method.md §6), readable with plain numpy: `json.load` + `numpy.load`.
 *
 * Every file is written atomically (the data files concurrently), and `results.json` is written
 * LAST, after all of them: a directory without it is an interrupted run, never a result that
 * looks complete. JSON keys are snake_case, as Python users read them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { EventKind, InvalidEvent } from '../analysis/events.js';
import { resolveNormalization, type BaselineMode, type NormalizeMode } from '../analysis/normalize.js';
import type { CrossRatAnalysis, CrossRatMean, RatAnalysis, RatGroups } from '../analysis/rat.js';
import type { ResolvedRoi, RoiSpec } from '../analysis/roi.js';
import type { GroupMean, RoiResult, SessionAnalysis, SkippedRoi } from '../analysis/session.js';
import { runThetaSelection, thetaOf, type ThetaSelection } from '../analysis/theta.js';
import { SessionDataError } from '../errors.js';
import { sizeLabel } from '../model/session-data.js';
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
  /** What identifies the analysis options (a rat result made with the same key is complete for a rerun). */
  analysisKey?: string;
}

function rows(data: Float64Array, rowLength: number): number[][] {
  return Array.from({ length: data.length / rowLength }, (_, r) => Array.from(data.subarray(r * rowLength, (r + 1) * rowLength)));
}

async function writeJson(dir: string, name: string, value: unknown): Promise<void> {
  await writeFileAtomic(join(dir, name), JSON.stringify(value, null, 1) + '\n');
}

/** A group's file-name stem: `nm_size_1`, `iti_size_2`. */
export function groupStem(g: { events: EventKind; label: string }): string {
  return `${g.events}_size_${g.label}`;
}

/** What a file or a row needs of a group (of a session, a rat or the cross-rat means). */
type MeanGroup = Pick<GroupMean, 'events' | 'size' | 'label' | 'nEvents' | 'mean'>;
/** A group with its windows when they are kept, and its mean. */
type StoredGroup = MeanGroup & { windows?: Float64Array | undefined };

/**
 * The files of a set of groups in `dir`: `<events>_size_<s>_windows.npy` (n_events, n_freqs,
 * window_samples) when kept, `<events>_size_<s>_mean.npy` (n_freqs, window_samples), and
 * `nm_minus_iti_size_<s>_mean.npy` for each size with both NM and ITI windows.
 */
function groupFiles(dir: string, groups: readonly StoredGroup[], nFreqs: number, windowSamples: number): { name: string; data: Float64Array; shape: number[] }[] {
  const files = groups.flatMap((g) => [
    ...(g.windows === undefined ? [] : [{ name: `${groupStem(g)}_windows.npy`, data: g.windows, shape: [g.nEvents, nFreqs, windowSamples] }]),
    { name: `${groupStem(g)}_mean.npy`, data: g.mean, shape: [nFreqs, windowSamples] },
  ]);
  for (const c of nmMinusIti(groups)) files.push({ name: `nm_minus_iti_size_${c.label}_mean.npy`, data: c.mean, shape: [nFreqs, windowSamples] });
  return files.map((f) => ({ ...f, name: join(dir, f.name) }));
}

/** Per size with both kinds: the NM mean minus the ITI mean. */
export function nmMinusIti(groups: readonly Pick<MeanGroup, 'events' | 'size' | 'label' | 'mean'>[]): { size: number; label: string; mean: Float64Array }[] {
  return groups
    .filter((g) => g.events === 'nm')
    .flatMap((nm) => {
      const iti = groups.find((g) => g.events === 'iti' && g.size === nm.size);
      return iti === undefined ? [] : [{ size: nm.size, label: nm.label, mean: nm.mean.map((v, j) => v - iti.mean[j]!) }];
    });
}

/** Where an ROI's files go: the directory itself with one ROI, `roi_<key>/` with several. */
export function roiDir(dir: string, key: string, several: boolean): string {
  return several ? join(dir, `roi_${key}`) : dir;
}

/** Theta rows of groups: `roi,events,size,n_events,theta` (docs/method.md §8.2). */
function thetaRows(roi: string, groups: readonly MeanGroup[], windowSamples: number, theta: ThetaSelection): (string | number)[][] {
  return groups.map((g) => [roi, g.events, g.size, g.nEvents, thetaOf(g.mean, windowSamples, theta)]);
}

/** CSV text: a header and rows; numbers in full precision (JavaScript's shortest round-trip form). */
function csv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}

export const THETA_COLUMNS = ['roi', 'events', 'size', 'n_events', 'theta'] as const;
export const ELECTRODE_COLUMNS = ['electrode', 'channel', 'events', 'size', 'n_events', 'theta'] as const;

/** The theta rows of a session: one per ROI and group (none without a theta selection). */
export function sessionThetaRows(a: SessionAnalysis): (string | number)[][] {
  const theta = a.theta;
  return theta === null ? [] : a.rois.flatMap((r) => thetaRows(r.key, r.groups, a.windowSamples, theta));
}

/** The electrode theta rows of a session (with electrodes and a theta selection). */
export function sessionElectrodeRows(a: SessionAnalysis): (string | number)[][] {
  const theta = a.theta;
  return theta === null ? [] : (a.electrodes ?? []).flatMap((e) => e.groups.map((g) => [e.electrode, e.channel, g.events, g.size, g.nEvents, thetaOf(g.mean, a.windowSamples, theta)]));
}

/** Every resolved analysis parameter, as results.json records it. */
function analysisParameters(a: SessionAnalysis, context: RunContext): Record<string, unknown> {
  const n = a.normalization;
  return {
    freqs: Array.from(a.freqs),
    n_cycles: Array.from(a.nCycles),
    zero_mean: a.zeroMean,
    window_duration: a.windowDuration,
    window_samples: a.windowSamples,
    events: a.events,
    normalize: n.mode,
    baseline: n.baseline,
    baseline_mode: n.baselineMode,
    min_events: n.minEvents,
    theta_band: a.theta?.band ?? null,
    theta_window: a.theta?.window ?? null,
    electrodes: a.electrodes !== null,
    ...context.parallel,
  };
}

function roiJson(r: RoiResult | { roi: ResolvedRoi; key: string }): Record<string, unknown> {
  return { key: r.key, spec: r.roi.spec, label: r.roi.label, channels: r.roi.channels, electrodes: r.roi.electrodes };
}

function groupsJson<G extends MeanGroup>(groups: readonly G[], extra: (g: G) => Record<string, unknown> = () => ({})): Record<string, unknown>[] {
  return groups.map((g) => ({ events: g.events, size: g.size, label: g.label, n_events: g.nEvents, ...extra(g) }));
}

/** The docs/method.md §6 description of one session analysis. */
export function sessionSummary(a: SessionAnalysis, context: RunContext): Record<string, unknown> {
  const several = a.rois.length > 1 || a.electrodes !== null;
  return {
    kind: 'session',
    version: VERSION,
    analysis_key: context.analysisKey ?? null,
    rat_id: a.ratId,
    session_index: a.sessionIndex,
    session_date: a.sessionDate,
    data_file: context.dataFile,
    eeg_shape: a.eegShape,
    sfreq: a.sfreq,
    roi: { spec: a.roi.spec, label: a.roi.label, channels: a.roi.channels, electrodes: a.roi.electrodes },
    rois: a.rois.map((r) => ({ ...roiJson(r), directory: several ? `roi_${r.key}` : '.', groups: groupsJson(r.groups, (g) => ({ valid_events: g.validEvents })) })),
    skipped_rois: a.skippedRois,
    excluded_groups: a.excludedGroups.map((g) => ({ events: g.events, size: g.size, label: g.label, n_events: g.nEvents, reason: g.reason })),
    electrodes: a.electrodes?.map((e) => ({ electrode: e.electrode, channel: e.channel, directory: `roi_e${e.electrode}`, groups: groupsJson(e.groups, (g) => ({ valid_events: g.validEvents })) })) ?? null,
    parameters: analysisParameters(a, context),
    sizes: Object.fromEntries(a.sizes.map((s) => [s.label, { size: s.size, n_events: s.nEvents, valid_events: s.validEvents }])),
    invalid_events: a.invalidEvents,
    invalid_iti_events: a.invalidItiEvents,
    channel_stats: { channels: a.channels, mean: rows(a.channelMean, a.freqs.length), std: rows(a.channelStd, a.freqs.length) },
    timings: { compute_seconds: a.computeSeconds, total_seconds: context.totalSeconds },
    files: sessionFiles(a, '').map((f) => f.name),
    figures: context.figures,
  };
}

function sessionFiles(a: SessionAnalysis, dir: string): { name: string; data: Float64Array; shape: number[] }[] {
  const nFreqs = a.freqs.length;
  const several = a.rois.length > 1 || a.electrodes !== null;
  return [
    { name: join(dir, 'freqs.npy'), data: a.freqs, shape: [nFreqs] },
    { name: join(dir, 'window_times.npy'), data: a.windowTimes, shape: [a.windowSamples] },
    ...a.rois.flatMap((r) => groupFiles(roiDir(dir, r.key, several), r.groups, nFreqs, a.windowSamples)),
    ...(a.electrodes ?? []).flatMap((e) => groupFiles(join(dir, `roi_e${e.electrode}`), e.groups, nFreqs, a.windowSamples)),
    ...(a.roiPower === null ? [] : [{ name: join(dir, 'roi_power.npy'), data: a.roiPower, shape: [nFreqs, a.eegShape[1]] }]),
  ];
}

/** Writes the files in their directories (created), concurrently. */
async function writeNpyFiles(files: readonly { name: string; data: Float64Array; shape: number[] }[]): Promise<void> {
  for (const d of new Set(files.map((f) => dirname(f.name)))) mkdirSync(d, { recursive: true });
  await Promise.all(files.map((f) => writeNpy(f.name, f.data, f.shape)));
}

/**
 * Writes one session's results into `dir` (created if needed): freqs.npy, window_times.npy, per
 * ROI (in `roi_<key>/` when there are several) `<events>_size_<s>_windows.npy` (n_events,
 * n_freqs, window_samples) and `_mean.npy` (n_freqs, window_samples), the NM − ITI means,
 * roi_power.npy (n_freqs, n_times) when kept, theta_summary.csv, electrode_theta.csv with
 * electrodes, then results.json.
 */
export async function writeSessionResults(dir: string, a: SessionAnalysis, context: RunContext): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const files = sessionFiles(a, dir);
  await writeNpyFiles(files);
  const written = [...files.map((f) => f.name), ...context.figures.map((f) => join(dir, f))];
  if (a.theta !== null) {
    await writeFileAtomic(join(dir, THETA_FILE), csv(THETA_COLUMNS, sessionThetaRows(a)));
    written.push(join(dir, THETA_FILE));
    if (a.electrodes !== null) {
      await writeFileAtomic(join(dir, ELECTRODE_THETA_FILE), csv(ELECTRODE_COLUMNS, sessionElectrodeRows(a)));
      written.push(join(dir, ELECTRODE_THETA_FILE));
    }
  }
  removeStaleResults(dir, written);
  await writeJson(dir, RESULTS_FILE, sessionSummary(a, context));
}

/** Result files of this tool (data, tables, figures) that a run may write into a directory. */
const RESULT_FILE = /^((nm|iti)_size_.+_(windows|mean)|nm_minus_iti_size_.+_mean|roi_power|freqs|window_times)\.npy$|^(theta_summary|electrode_theta|theta_by_rat)\.csv$|^nm_roi_.+\.(png|svg)$|^(theta_bars|electrode_theta_map)\.(png|svg)$/;

/**
 * Removes the result files of an earlier run in `dir` (and its `roi_*` directories) that this
 * run did not write: a rerun with other sizes, ROIs or options leaves no stale file beside its
 * results.json. Only this tool's file names are touched.
 */
export function removeStaleResults(dir: string, written: readonly string[]): void {
  const keep = new Set(written.map((f) => resolve(f)));
  const remove = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isFile() && RESULT_FILE.test(entry.name) && !keep.has(resolve(path))) rmSync(path, { force: true });
    }
  };
  remove(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith('roi_')) continue;
    remove(join(dir, entry.name));
    if (readdirSync(join(dir, entry.name)).length === 0) rmSync(join(dir, entry.name), { recursive: true, force: true });
  }
}

interface SessionJson {
  kind: string;
  analysis_key?: string | null;
  rat_id: string;
  session_index: number | null;
  session_date: string;
  eeg_shape: [number, number];
  sfreq: number;
  rois: { key: string; spec: RoiSpec; label: string; channels: number[]; electrodes: number[] | null; directory: string; groups: (StoredGroupJson & { valid_events: number[] })[] }[];
  skipped_rois: SkippedRoi[];
  electrodes: { electrode: number; channel: number; directory: string; groups: (StoredGroupJson & { valid_events: number[] })[] }[] | null;
  excluded_groups?: { events: EventKind; size: number; label: string; n_events: number; reason: string }[];
  parameters: { n_cycles: number[]; zero_mean: boolean; window_duration: number; events: EventKind[]; normalize: NormalizeMode; baseline: [number, number] | null; baseline_mode: BaselineMode | null; min_events?: number; theta_band: [number, number] | null; theta_window: [number, number] | null };
  invalid_events: InvalidEvent[];
  invalid_iti_events: InvalidEvent[];
  channel_stats: { channels: number[]; mean: number[][]; std: number[][] };
  timings: { compute_seconds: number };
}

/**
 * A session analysis as an earlier run wrote it, when that run's analysis key equals `key`: what a
 * resumed analyze-rat pools instead of computing it again (the .npy files hold the values bit for
 * bit). Null when the directory holds no such complete result.
 */
export function readSessionResults(dir: string, key: string): SessionAnalysis | null {
  let json: SessionJson;
  try {
    json = JSON.parse(readFileSync(join(dir, RESULTS_FILE), 'utf8')) as SessionJson;
  } catch {
    return null;
  }
  if (json.kind !== 'session' || json.analysis_key !== key || json.rois === undefined) return null;
  try {
    const p = json.parameters;
    const freqs = readNpyFloat64(join(dir, 'freqs.npy'), { minDims: 1, maxDims: 1 }).data;
    const windowTimes = readNpyFloat64(join(dir, 'window_times.npy'), { minDims: 1, maxDims: 1 }).data;
    const read = (groupDir: string, name: string) => readNpyFloat64(join(dir, groupDir, name), { minDims: 2, maxDims: 3 }).data;
    const mean = (groupDir: string, g: StoredGroupJson & { valid_events: number[] }): GroupMean => {
      const events = g.events ?? 'nm';
      const label = g.label ?? sizeLabel(g.size);
      return { events, size: g.size, label, nEvents: g.n_events ?? g.valid_events.length, validEvents: g.valid_events, mean: read(groupDir, `${events}_size_${label}_mean.npy`) };
    };
    const withWindows = (groupDir: string, g: StoredGroupJson & { valid_events: number[] }) => {
      const m = mean(groupDir, g);
      return { ...m, windows: read(groupDir, `${m.events}_size_${m.label}_windows.npy`) };
    };
    const rois: RoiResult[] = json.rois.map((r) => ({
      key: r.key,
      roi: { spec: r.spec, label: r.label, channels: r.channels, electrodes: r.electrodes },
      groups: r.groups.map((g) => withWindows(r.directory, g)),
    }));
    const normalization = resolveNormalization({ normalize: p.normalize, baseline: p.baseline ?? undefined, baselineMode: p.baseline_mode ?? undefined, minEvents: p.min_events });
    const flat = (m: number[][]) => Float64Array.from(m.flat());
    return {
      ratId: json.rat_id,
      sessionDate: json.session_date,
      sessionIndex: json.session_index,
      eegShape: json.eeg_shape,
      sfreq: json.sfreq,
      roi: rois[0]?.roi ?? { spec: { electrodes: [] }, label: 'electrodes', channels: json.channel_stats.channels, electrodes: null },
      rois,
      skippedRois: json.skipped_rois,
      excludedGroups: (json.excluded_groups ?? []).map((g) => ({ events: g.events, size: g.size, label: g.label, nEvents: g.n_events, reason: g.reason })),
      electrodes: json.electrodes?.map((e) => ({ electrode: e.electrode, channel: e.channel, groups: e.groups.map((g) => mean(e.directory, g)) })) ?? null,
      channels: json.channel_stats.channels,
      events: p.events,
      normalization,
      theta: runThetaSelection(freqs, windowTimes, p.theta_band ?? undefined, p.theta_window ?? undefined),
      freqs,
      nCycles: Float64Array.from(p.n_cycles),
      zeroMean: p.zero_mean,
      windowDuration: p.window_duration,
      windowSamples: windowTimes.length,
      windowTimes,
      sizes: rois[0]?.groups.filter((g) => g.events === 'nm') ?? [],
      invalidEvents: json.invalid_events,
      invalidItiEvents: json.invalid_iti_events,
      channelMean: flat(json.channel_stats.mean),
      channelStd: flat(json.channel_stats.std),
      roiPower: null,
      computeSeconds: json.timings.compute_seconds,
    };
  } catch {
    return null; // a file of it is missing or damaged: analyse the session again
  }
}

export const THETA_FILE = 'theta_summary.csv';
export const ELECTRODE_THETA_FILE = 'electrode_theta.csv';

/**
 * Writes a rat's results into `dir`: session_<index>/ per analysed session (all at once; or none
 * with `writeSessions` false, when the caller wrote each as it was analysed), then the pooled
 * means per ROI, freqs.npy, window_times.npy, theta_summary.csv (the rat's rows, then one per
 * session), electrode_theta.csv with electrodes, and results.json last.
 */
export async function writeRatResults(dir: string, rat: RatAnalysis, context: RunContext, writeSessions = true): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (writeSessions) {
    await Promise.all(rat.sessions.map((a) => writeSessionResults(join(dir, `session_${a.sessionIndex}`), a, { ...context, figures: [] })));
  }
  const nFreqs = rat.freqs.length;
  const first = rat.sessions[0]!;
  const several = rat.rois.length > 1 || rat.electrodes !== null;
  const files = [
    { name: join(dir, 'freqs.npy'), data: rat.freqs, shape: [nFreqs] },
    { name: join(dir, 'window_times.npy'), data: rat.windowTimes, shape: [rat.windowSamples] },
    ...rat.rois.flatMap((r) => groupFiles(roiDir(dir, r.key, several), r.groups, nFreqs, rat.windowSamples)),
    ...(rat.electrodes ?? []).flatMap((e) => groupFiles(join(dir, `roi_e${e.electrode}`), e.groups, nFreqs, rat.windowSamples)),
  ];
  await writeNpyFiles(files);
  const written = [...files.map((f) => f.name), ...context.figures.map((f) => join(dir, f))];
  const theta = first.theta;
  if (theta !== null) {
    const sessionRows = rat.sessions.flatMap((a) => sessionThetaRows(a).map((row) => [a.sessionIndex ?? '', ...row]));
    const ratRows = rat.rois.flatMap((r) => thetaRows(r.key, r.groups, rat.windowSamples, theta).map((row) => ['all', ...row]));
    await writeFileAtomic(join(dir, THETA_FILE), csv(['session', ...THETA_COLUMNS], [...ratRows, ...sessionRows]));
    written.push(join(dir, THETA_FILE));
    if (rat.electrodes !== null) {
      const channelOf = new Map((first.electrodes ?? []).map((e) => [e.electrode, e.channel]));
      const electrodeRows = rat.electrodes.flatMap((e) => e.groups.map((g) => ['all', e.electrode, channelOf.get(e.electrode) ?? '', g.events, g.size, g.nEvents, thetaOf(g.mean, rat.windowSamples, theta)]));
      const perSession = rat.sessions.flatMap((a) => sessionElectrodeRows(a).map((row) => [a.sessionIndex ?? '', ...row]));
      await writeFileAtomic(join(dir, ELECTRODE_THETA_FILE), csv(['session', ...ELECTRODE_COLUMNS], [...electrodeRows, ...perSession]));
      written.push(join(dir, ELECTRODE_THETA_FILE));
    }
  }
  removeStaleResults(dir, written);
  await writeJson(dir, RESULTS_FILE, {
    kind: 'rat',
    version: VERSION,
    complete: true,
    analysis_key: context.analysisKey ?? null,
    rat_id: rat.ratId,
    data_file: context.dataFile,
    roi: { spec: first.roi.spec, label: first.roi.label, channels: first.roi.channels, electrodes: first.roi.electrodes },
    rois: rat.rois.map((r) => ({
      key: r.key,
      label: r.label,
      directory: several ? `roi_${r.key}` : '.',
      groups: groupsJson(r.groups, (g) => ({ n_sessions: g.nSessions, sessions: g.sessions })),
    })),
    electrodes: rat.electrodes?.map((e) => ({ electrode: e.electrode, directory: `roi_e${e.electrode}`, groups: groupsJson(e.groups) })) ?? null,
    parameters: analysisParameters(first, context),
    sessions_analysed: rat.sessions.map((a) => ({ index: a.sessionIndex, date: a.sessionDate, directory: `session_${a.sessionIndex}` })),
    sessions_failed: rat.failed.map((f) => ({ index: f.index, kind: f.kind, reason: f.reason })),
    excluded_groups: rat.sessions.flatMap((a) => a.excludedGroups.map((g) => ({ session: a.sessionIndex, events: g.events, size: g.size, n_events: g.nEvents, reason: g.reason }))),
    sizes: Object.fromEntries(
      rat.sizes.map((s) => [s.label, { size: s.size, n_events: s.nEvents, n_sessions: s.nSessions, sessions: s.sessions }]),
    ),
    timings: { total_seconds: context.totalSeconds },
    figures: context.figures,
  });
}

/** One pooled mean of a rat, as read back. */
export type StoredRatGroup = MeanGroup;

/** A rat's results as read back from its directory (for `aggregate`). */
export interface StoredRat extends RatGroups {
  rois: { key: string; label: string; groups: StoredRatGroup[] }[];
  electrodes: { electrode: number; groups: StoredRatGroup[] }[] | null;
  dir: string;
  /** The first ROI as analysed (label), for titles. */
  roiLabel: string;
  freqs: Float64Array;
  windowTimes: Float64Array;
  /** The first ROI's NM means. */
  sizes: StoredRatGroup[];
  /** The analysis parameters as recorded (theta band and window among them). */
  parameters: Record<string, unknown>;
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

/** The analysis key of a complete rat directory, or null (none, incomplete or unreadable). */
export function storedAnalysisKey(dir: string): string | null {
  if (!isCompleteRatDir(dir)) return null;
  try {
    return (JSON.parse(readFileSync(join(dir, RESULTS_FILE), 'utf8')) as { analysis_key?: string | null }).analysis_key ?? null;
  } catch {
    return null;
  }
}

interface StoredGroupJson {
  events?: EventKind;
  size: number;
  label?: string;
  n_events?: number;
}

/**
 * Reads a complete rat directory.
 *
 * @throws SessionDataError naming the file when results.json or a mean file is unreadable
 */
export function readRatResults(dir: string): StoredRat {
  const path = join(dir, RESULTS_FILE);
  let json: {
    rat_id: string;
    roi: { label: string };
    rois?: { key: string; label: string; directory: string; groups: StoredGroupJson[] }[];
    electrodes?: { electrode: number; directory: string; groups: StoredGroupJson[] }[] | null;
    sizes: Record<string, { size: number; n_events?: number }>;
    parameters?: Record<string, unknown>;
  };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
  } catch (e) {
    throw new SessionDataError(`${path} cannot be read: ${(e as Error).message}`);
  }
  const freqs = readNpyFloat64(join(dir, 'freqs.npy'), { minDims: 1, maxDims: 1 }).data;
  const windowTimes = readNpyFloat64(join(dir, 'window_times.npy'), { minDims: 1, maxDims: 1 }).data;
  const readGroups = (groupDir: string, groups: readonly StoredGroupJson[]) =>
    groups.map((g) => {
      const events = g.events ?? 'nm';
      const label = g.label ?? sizeLabel(g.size);
      return { events, size: g.size, label, nEvents: g.n_events ?? 0, mean: readNpyFloat64(join(groupDir, `${events}_size_${label}_mean.npy`), { minDims: 2, maxDims: 2 }).data };
    });
  // Results written before several ROIs existed hold one ROI's NM sizes only.
  const roisJson = json.rois ?? [{ key: json.roi.label, label: json.roi.label, directory: '.', groups: Object.entries(json.sizes).map(([label, v]) => ({ size: v.size, label, n_events: v.n_events ?? 0 })) }];
  const rois = roisJson.map((r) => ({ key: r.key, label: r.label, groups: readGroups(join(dir, r.directory), r.groups) }));
  const electrodes = json.electrodes?.map((e) => ({ electrode: e.electrode, groups: readGroups(join(dir, e.directory), e.groups) })) ?? null;
  const sizes = (rois[0]?.groups ?? []).filter((g) => g.events === 'nm').sort((a, b) => a.size - b.size);
  return { ratId: json.rat_id, dir, roiLabel: json.roi.label, freqs, windowTimes, sizes, rois, electrodes, parameters: json.parameters ?? {} };
}

/**
 * Complete rat directories directly under `dir`, in rat-id order, and the `rat_*` directories
 * without a results.json (interrupted runs).
 *
 * @throws SessionDataError for a results.json that cannot be read or parsed: a rat is never
 *   dropped silently
 */
export function findRatDirs(dir: string): { complete: string[]; incomplete: string[] } {
  if (!existsSync(dir)) throw new SessionDataError(`output directory '${dir}' does not exist`);
  const byId = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  const subdirs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
  for (const d of subdirs) {
    const path = join(d, RESULTS_FILE);
    if (!existsSync(path)) continue;
    try {
      JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new SessionDataError(`${path} is not valid JSON (${(e as Error).message}); rerun that rat or remove its directory`);
    }
  }
  return {
    complete: subdirs.filter(isCompleteRatDir).sort(byId),
    incomplete: subdirs.filter((d) => basename(d).startsWith('rat_') && !existsSync(join(d, RESULTS_FILE))).sort(byId),
  };
}

/** Mean and standard error (std with ddof 1 / √n; NaN for one value) of values. */
export function meanAndSe(values: readonly number[]): { mean: number; se: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, se: Math.sqrt(variance / n) };
}

/**
 * Writes the cross-rat results into `dir`: per ROI (in `roi_<key>/` when there are several) the
 * means per events kind and size and the NM − ITI means, freqs.npy, window_times.npy, with a
 * theta selection theta_by_rat.csv (`rat,roi,events,size,n_events,theta`), theta_summary.csv
 * (`roi,events,size,n_rats,theta_mean,theta_se`), the electrode versions with electrodes, and
 * results.json last, naming `layoutPath`, the electrode layout of the run's maps (null: the
 * default), so that a later page of the run draws them with the same one.
 */
export async function writeCrossRatResults(
  dir: string,
  cross: CrossRatAnalysis,
  rats: readonly StoredRat[],
  theta: ThetaSelection | null,
  figures: string[],
  layoutPath: string | null = null,
): Promise<void> {
  const first = rats[0]!;
  const { freqs, windowTimes } = first;
  const nFreqs = freqs.length;
  const windowSamples = windowTimes.length;
  const several = cross.rois.length > 1 || cross.electrodes !== null;
  await writeNpyFiles([
    { name: join(dir, 'freqs.npy'), data: freqs, shape: [nFreqs] },
    { name: join(dir, 'window_times.npy'), data: windowTimes, shape: [windowSamples] },
    ...cross.rois.flatMap((r) => groupFiles(roiDir(dir, r.key, several), r.groups.map((g) => ({ ...g, nEvents: g.nRats })), nFreqs, windowSamples)),
    ...(cross.electrodes ?? []).flatMap((e) => groupFiles(join(dir, `roi_e${e.electrode}`), e.groups.map((g) => ({ ...g, nEvents: g.nRats })), nFreqs, windowSamples)),
  ]);
  if (theta !== null) {
    const byRat = rats.flatMap((r) => r.rois.flatMap((x) => thetaRows(x.key, x.groups, windowSamples, theta).map((row) => [r.ratId, ...row])));
    await writeFileAtomic(join(dir, 'theta_by_rat.csv'), csv(['rat', ...THETA_COLUMNS], byRat));
    const summary = (key: string | number, groups: readonly CrossRatMean[], rowsOf: (g: CrossRatMean) => number[]) =>
      groups.map((g) => {
        const { mean, se } = meanAndSe(rowsOf(g));
        return [key, g.events, g.size, g.nRats, mean, se];
      });
    const ratTheta = (ratId: string, pick: (r: StoredRat) => readonly StoredRatGroup[] | undefined, g: CrossRatMean): number[] => {
      const group = pick(rats.find((r) => r.ratId === ratId)!)?.find((x) => x.events === g.events && x.size === g.size);
      return group === undefined ? [] : [thetaOf(group.mean, windowSamples, theta)];
    };
    await writeFileAtomic(
      join(dir, THETA_FILE),
      csv(
        ['roi', 'events', 'size', 'n_rats', 'theta_mean', 'theta_se'],
        cross.rois.flatMap((x) => summary(x.key, x.groups, (g) => g.rats.flatMap((id) => ratTheta(id, (r) => r.rois.find((y) => y.key === x.key)?.groups, g)))),
      ),
    );
    if (cross.electrodes !== null) {
      await writeFileAtomic(
        join(dir, ELECTRODE_THETA_FILE),
        csv(
          ['electrode', 'events', 'size', 'n_rats', 'theta_mean', 'theta_se'],
          cross.electrodes.flatMap((e) => summary(e.electrode, e.groups, (g) => g.rats.flatMap((id) => ratTheta(id, (r) => r.electrodes?.find((y) => y.electrode === e.electrode)?.groups, g)))),
        ),
      );
    }
  }
  await writeJson(dir, RESULTS_FILE, {
    kind: 'cross-rat',
    version: VERSION,
    rat_directories: rats.map((r) => r.dir),
    figures: figures.map((f) => basename(f)),
    parameters: first.parameters,
    electrode_layout: layoutPath === null ? null : resolve(layoutPath),
    rois: cross.rois.map((r) => ({ key: r.key, label: r.label, directory: several ? `roi_${r.key}` : '.', groups: r.groups.map((g) => ({ events: g.events, size: g.size, label: g.label, n_rats: g.nRats, rats: g.rats })) })),
    electrodes: cross.electrodes?.map((e) => ({ electrode: e.electrode, directory: `roi_e${e.electrode}`, groups: e.groups.map((g) => ({ events: g.events, size: g.size, label: g.label, n_rats: g.nRats, rats: g.rats })) })) ?? null,
    sizes: Object.fromEntries((cross.rois[0]?.groups ?? []).filter((g) => g.events === 'nm').map((s) => [s.label, { size: s.size, n_rats: s.nRats, rats: s.rats }])),
  });
}
