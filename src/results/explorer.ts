/**
 * DIR/results.html: one self-contained page (data and scripts inline, nothing fetched, works from
 * file://) to explore a whole run of `analyze-all` / `aggregate`: pick the ROI, the events (NM, ITI,
 * NM − ITI), the NM size and the level (cross-rat, a rat, a session of a rat); see the mean
 * spectrogram (hover: t, f, value) with, once `stats` has run, its significant clusters outlined;
 * the theta bars over rats; the electrode maps; the run's parameters and counts.
 *
 * Like the benchmark report (bench/report/html.ts), the charts are Vega-Lite specs compiled to Vega
 * here in Node and drawn in the page by the inlined Vega runtime; the controls swap the views'
 * datasets through the Vega View API (`view.data`, `view.signal`) in a few lines of plain script.
 *
 * What the page holds, to keep it small: the means only (never the per-event windows), each
 * averaged over bins of consecutive window samples so that a spectrogram has at most
 * {@link MAX_COLUMNS} time columns, values rounded to 4 significant digits; the NM − ITI maps are
 * computed in the page. Session means are included only within {@link VALUE_BUDGET} values (at a
 * coarser time resolution if needed, else left out with a note). Electrode theta comes from the
 * electrode_theta.csv files; cluster outlines are computed here from the full-resolution masks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, type TopLevelSpec } from 'vega-lite';
import { runThetaSelection, thetaOf, type ThetaSelection } from '../analysis/theta.js';
import { writeFileAtomic } from '../io/atomic.js';
import { defaultLayoutPath, readElectrodeLayout, type ElectrodeLayout } from '../io/electrode-layout.js';
import { readNpyFloat64 } from '../io/npy.js';
import { sizeLabel } from '../model/session-data.js';
import { FONT_STACK } from '../plot/fonts.js';
import { VERSION } from '../version.js';
import { plural } from './figures/labels.js';
import { edges, outlineSegments } from './figures/spectrogram.js';
import { meanAndSe, RESULTS_FILE } from './result-files.js';
import { STATS_DIR, STATS_FILE } from './stats-files.js';

export const EXPLORER_FILE = 'results.html';
/** At most this many time columns per spectrogram (consecutive window samples are averaged). */
export const MAX_COLUMNS = 100;
/** Spectrogram values the page holds at most before session means are coarsened or left out. */
export const VALUE_BUDGET = 4_000_000;
/** Session spectrograms are left out rather than drawn with fewer time columns than this. */
const MIN_SESSION_COLUMNS = 20;
/** Clusters with a p-value below this are outlined (as in the stats figures). */
const OUTLINE_ALPHA = 0.05;

export interface ExplorerOptions {
  /** Electrode positions for the maps (default: the layout cross_rat/results.json names, else data/h32_layout.csv; null: no maps). */
  layout?: ElectrodeLayout | null;
}

interface GroupJson {
  events?: 'nm' | 'iti';
  size: number;
  label?: string;
  n_events?: number;
  n_rats?: number;
}
interface RoiJson {
  key: string;
  label: string;
  directory: string;
  groups: GroupJson[];
}
interface CrossJson {
  kind: string;
  rat_directories: string[];
  parameters: Record<string, unknown>;
  /** The layout file `aggregate` was given, null for the default (absent in older results). */
  electrode_layout?: string | null;
  rois: (RoiJson & { groups: (GroupJson & { rats: string[] })[] })[];
}
interface RatJson {
  kind: string;
  rat_id: string;
  rois: RoiJson[];
  parameters: Record<string, unknown>;
  sessions_analysed: { index: number | null; date: string; directory: string }[];
  sessions_failed: { index: number; kind: string; reason: string }[];
}
interface SessionJson {
  kind: string;
  session_index: number | null;
  session_date: string;
  rois: RoiJson[];
}

/** One level of the page: the cross-rat means, a rat's or a session's. */
interface Level {
  kind: 'cross' | 'rat' | 'session';
  label: string;
  /** Index into the page's time grids. */
  grid: number;
  /** ROI key → `events|size` → rounded means (n_freqs × columns, row-major; null for NaN). */
  means: Record<string, Record<string, (number | null)[]>>;
  /** ROI key → `events|size` → events (rats for the cross-rat level) averaged. */
  counts: Record<string, Record<string, number>>;
  /** `events|size` → electrode → theta (electrode maps). */
  electrodes: Record<string, Record<string, number>>;
}

/** A time grid: column edges and centres, s. */
interface Grid {
  /** Samples averaged per column. */
  binSize: number;
  edges: number[];
  times: number[];
}

/** Everything the page draws (the inline JSON). */
export interface ExplorerData {
  version: string;
  directory: string;
  freqs: number[];
  /** Frequency cell edges (log-spaced midpoints), Hz. */
  fEdges: number[];
  grids: Grid[];
  rois: { key: string; label: string }[];
  events: ('nm' | 'iti' | 'nm-iti')[];
  sizes: string[];
  levels: Level[];
  /** `roi|events|size` → the stats test's significant clusters (events `nm` or `nm-iti`). */
  outlines: Record<string, { segments: [number, number, number, number][]; pValues: number[]; nRats: number; contrast: string }>;
  valueTitle: string;
  theta: { band: readonly [number, number]; window: readonly [number, number] } | null;
  /** Theta bars: per ROI, events and size, mean ± SE over rats. */
  bars: { roi: string; events: 'NM' | 'ITI'; size: string; mean: number | null; se: number | null; lo: number | null; hi: number | null; n: number; p: number | null }[];
  layout: { file: string; sites: { e: number; x: number; y: number }[] } | null;
  notes: string[];
}

/** Rounds to 4 significant digits (NaN and infinities as null). */
const sig = (v: number): number | null => (Number.isFinite(v) ? Number(v.toPrecision(4)) : null);

const groupKey = (events: string, label: string): string => `${events}|${label}`;
const labelOf = (g: GroupJson): string => g.label ?? sizeLabel(g.size);

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

function grid(windowTimes: Float64Array, binSize: number): Grid {
  const full = Array.from(edges(windowTimes, false));
  const n = windowTimes.length;
  const cols = Math.ceil(n / binSize);
  const e = Array.from({ length: cols + 1 }, (_, c) => full[Math.min(c * binSize, n)]!);
  return { binSize, edges: e.map((x) => sig(x)!), times: Array.from({ length: cols }, (_, c) => sig((e[c]! + e[c + 1]!) / 2)!) };
}

/** A mean (n_freqs × n_times) averaged over bins of `binSize` samples and rounded. */
function binned(mean: Float64Array, nFreqs: number, nTimes: number, binSize: number): (number | null)[] {
  const cols = Math.ceil(nTimes / binSize);
  const out = new Array<number | null>(nFreqs * cols);
  for (let f = 0; f < nFreqs; f++) {
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      const end = Math.min((c + 1) * binSize, nTimes);
      for (let t = c * binSize; t < end; t++) sum += mean[f * nTimes + t]!;
      out[f * cols + c] = sig(sum / (end - c * binSize));
    }
  }
  return out;
}

/** Rows of a CSV file with a header (empty when missing). */
function readCsv(path: string): Record<string, string>[] {
  if (!existsSync(path)) return [];
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = (header ?? '').split(',');
  return lines.filter((l) => l !== '').map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i] ?? '', v])));
}

/** Electrode theta of a CSV's rows: `events|size` → electrode → theta. */
function electrodeTheta(rows: readonly Record<string, string>[], column: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) {
    const v = Number(r[column]);
    if (!Number.isFinite(v)) continue;
    (out[groupKey(r['events'] ?? 'nm', sizeLabel(Number(r['size'])))] ??= {})[r['electrode'] ?? ''] = sig(v)!;
  }
  return out;
}

/** The value's name from the recorded normalisation. */
function valueTitleOf(parameters: Record<string, unknown>): string {
  if (parameters['normalize'] === 'baseline') return `baseline ${text(parameters['baseline_mode'])}`;
  return 'z-score';
}

const fmt = (v: number): string => String(Number(v.toPrecision(4)));

/** A recorded value as text ('—' when absent). */
const text = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean));

/** The parameters table: [name, value] rows from the recorded parameters. */
export function parameterRows(p: Record<string, unknown>): [string, string][] {
  const freqs = (p['freqs'] as number[] | undefined) ?? [];
  const cycles = (p['n_cycles'] as number[] | undefined) ?? [];
  const pair = (v: unknown, unit: string): string => (Array.isArray(v) ? `${fmt(v[0] as number)} to ${fmt(v[1] as number)} ${unit}` : '—');
  const cycleText = cycles.length === 0 ? '—' : Math.min(...cycles) === Math.max(...cycles) ? fmt(cycles[0]!) : `${fmt(Math.min(...cycles))} to ${fmt(Math.max(...cycles))}`;
  return [
    ['frequencies', freqs.length === 0 ? '—' : `${fmt(freqs[0]!)} to ${fmt(freqs[freqs.length - 1]!)} Hz`],
    ['n_freqs', String(freqs.length)],
    ['cycles', cycleText],
    ['zero mean wavelets', text(p['zero_mean'])],
    ['window', `${text(p['window_duration'])} s (${text(p['window_samples'])} samples)`],
    ['normalisation', `${text(p['normalize'])}${p['normalize'] === 'baseline' ? ` (${text(p['baseline_mode'])})` : ''}`],
    ['baseline', pair(p['baseline'], 's')],
    ['events', Array.isArray(p['events']) ? (p['events'] as string[]).join(', ') : '—'],
    ['theta band', pair(p['theta_band'], 'Hz')],
    ['theta window', pair(p['theta_window'], 's')],
    ['electrodes', text(p['electrodes'])],
  ];
}

/** Resolves a recorded rat directory: under DIR when it is there (the run may have moved), else as recorded. */
function ratDirectory(outputDir: string, recorded: string): string {
  const under = join(outputDir, basename(recorded));
  return existsSync(join(under, RESULTS_FILE)) ? under : resolve(recorded);
}

/** What `readExplorerData` returns besides the page data: the counts tables. */
export interface ExplorerRead {
  data: ExplorerData;
  parameters: [string, string][];
  /** Per rat: sessions analysed, failed (with reasons), events per group of the first ROI. */
  ratRows: { rat: string; analysed: number; failed: { index: number; reason: string }[]; events: Record<string, number> }[];
  /** `events|size` of the first ROI → rats. */
  crossCounts: Record<string, number>;
  stats: { tests: number; significant: number; permutations: string } | null;
}

/**
 * Reads what a run wrote under `outputDir` (cross_rat/, the rats it lists and their sessions,
 * stats/ when present). Null when there is no cross_rat/results.json.
 */
export function readExplorerData(outputDir: string, options: ExplorerOptions = {}): ExplorerRead | null {
  const crossDir = join(outputDir, 'cross_rat');
  const cross = readJson<CrossJson>(join(crossDir, RESULTS_FILE));
  if (cross === null || cross.kind !== 'cross-rat') return null;
  const freqs = readNpyFloat64(join(crossDir, 'freqs.npy'), { minDims: 1, maxDims: 1 }).data;
  const windowTimes = readNpyFloat64(join(crossDir, 'window_times.npy'), { minDims: 1, maxDims: 1 }).data;
  const nF = freqs.length;
  const nT = windowTimes.length;
  const p = cross.parameters;
  const theta: ThetaSelection | null = (() => {
    try {
      return runThetaSelection(freqs, windowTimes, (p['theta_band'] as [number, number] | null) ?? undefined, (p['theta_window'] as [number, number] | null) ?? undefined);
    } catch {
      return null;
    }
  })();
  const notes: string[] = [];
  const rois = cross.rois.map((r) => ({ key: r.key, label: r.label }));
  const groupsOf = <G extends GroupJson>(groups: readonly G[]): G[] => groups.filter((g) => (g.events ?? 'nm') === 'nm' || g.events === 'iti');
  const kinds = new Set(cross.rois.flatMap((r) => r.groups.map((g) => g.events ?? 'nm')));
  const events: ExplorerData['events'] = [...(kinds.has('nm') ? ['nm' as const] : []), ...(kinds.has('iti') ? ['iti' as const] : []), ...(kinds.has('nm') && kinds.has('iti') ? ['nm-iti' as const] : [])];
  const sizes = [...new Map(cross.rois.flatMap((r) => r.groups.map((g) => [labelOf(g), g.size] as const))).entries()].sort((a, b) => a[1] - b[1]).map(([l]) => l);

  const ratDirs = cross.rat_directories.map((d) => ratDirectory(outputDir, d));
  const rats = ratDirs.flatMap((dir) => {
    const json = readJson<RatJson>(join(dir, RESULTS_FILE));
    if (json === null || json.kind !== 'rat') {
      notes.push(`${dir}: no readable rat results.json; left out`);
      return [];
    }
    return [{ dir, json }];
  });
  const sessions = rats.flatMap((r) =>
    r.json.sessions_analysed.flatMap((s) => {
      const dir = join(r.dir, s.directory);
      const json = readJson<SessionJson>(join(dir, RESULTS_FILE));
      return json === null || json.rois === undefined ? [] : [{ rat: r.json.rat_id, dir, json }];
    }),
  );

  const binSize = Math.max(1, Math.ceil(nT / MAX_COLUMNS));
  const grids = [grid(windowTimes, binSize)];
  const cols = grids[0]!.times.length;
  const mainValues = (1 + rats.length) * cross.rois.reduce((n, r) => n + groupsOf(r.groups).length, 0) * nF * cols;
  const sessionGroups = sessions.reduce((n, s) => n + s.json.rois.reduce((m, r) => m + groupsOf(r.groups).length, 0), 0);
  let sessionGrid: number | null = null;
  if (sessionGroups > 0) {
    const room = Math.floor((VALUE_BUDGET - mainValues) / (sessionGroups * nF));
    if (room >= cols) sessionGrid = 0;
    else if (room >= MIN_SESSION_COLUMNS) {
      grids.push(grid(windowTimes, Math.ceil(nT / room)));
      sessionGrid = 1;
      notes.push(`Session spectrograms are averaged over ${grids[1]!.binSize} samples per column (page size); rats and cross-rat over ${binSize}.`);
    } else {
      notes.push(`The ${sessions.length} sessions' spectrograms are left out (they would exceed the page's budget of ${VALUE_BUDGET} values); see rat_*/session_*/.`);
    }
  }

  /** Theta per rat: rat → roi|events|size → theta (full resolution). */
  const ratTheta = new Map<string, Map<string, number>>();
  const readLevel = (kind: Level['kind'], label: string, dir: string, roisJson: readonly RoiJson[], g: number, count: (x: GroupJson) => number, onMean?: (roi: string, key: string, mean: Float64Array) => void): Level => {
    const level: Level = { kind, label, grid: g, means: {}, counts: {}, electrodes: {} };
    for (const r of roisJson) {
      if (!rois.some((x) => x.key === r.key)) continue;
      for (const x of groupsOf(r.groups)) {
        const key = groupKey(x.events ?? 'nm', labelOf(x));
        const path = join(dir, r.directory, `${x.events ?? 'nm'}_size_${labelOf(x)}_mean.npy`);
        let mean: Float64Array;
        try {
          mean = readNpyFloat64(path, { minDims: 2, maxDims: 2 }).data;
        } catch {
          notes.push(`${path} cannot be read; left out`);
          continue;
        }
        if (mean.length !== nF * nT) continue;
        (level.means[r.key] ??= {})[key] = binned(mean, nF, nT, grids[g]!.binSize);
        (level.counts[r.key] ??= {})[key] = count(x);
        onMean?.(r.key, key, mean);
      }
    }
    return level;
  };
  const levels: Level[] = [readLevel('cross', `cross-rat (${plural(rats.length, 'rat')})`, crossDir, cross.rois, 0, (x) => x.n_rats ?? 0)];
  levels[0]!.electrodes = electrodeTheta(readCsv(join(crossDir, 'electrode_theta.csv')), 'theta_mean');
  for (const r of rats) {
    const own = new Map<string, number>();
    ratTheta.set(r.json.rat_id, own);
    const level = readLevel('rat', `rat ${r.json.rat_id}`, r.dir, r.json.rois, 0, (x) => x.n_events ?? 0, (roi, key, mean) => {
      if (theta !== null) own.set(`${roi}|${key}`, thetaOf(mean, nT, theta));
    });
    const electrodeRows = readCsv(join(r.dir, 'electrode_theta.csv'));
    level.electrodes = electrodeTheta(electrodeRows.filter((x) => x['session'] === 'all'), 'theta');
    levels.push(level);
    if (sessionGrid === null) continue;
    for (const s of sessions.filter((x) => x.rat === r.json.rat_id)) {
      const k = s.json.session_index;
      const sl = readLevel('session', `rat ${r.json.rat_id} session ${k ?? '?'} (${s.json.session_date})`, s.dir, s.json.rois, sessionGrid, (x) => x.n_events ?? 0);
      sl.electrodes = electrodeTheta(electrodeRows.filter((x) => x['session'] === String(k)), 'theta');
      levels.push(sl);
    }
  }

  // Stats: outlines of the significant clusters and the theta tests' p-values.
  const outlines: ExplorerData['outlines'] = {};
  const thetaP = new Map<string, number>();
  let statsSummary: ExplorerRead['stats'] = null;
  const statsDir = join(outputDir, STATS_DIR);
  const stats = readJson<{
    tests: { roi: string; events: string; contrast: string; n_rats: number; n_permutations: number; exact: boolean; clusters: { p_value: number; mask_file: string }[] }[];
    theta: { roi: string; events: string; contrast: string; size?: number; p: number | null }[];
  }>(join(statsDir, STATS_FILE));
  if (stats !== null && Array.isArray(stats.tests)) {
    const tEdges = Array.from(edges(windowTimes, false));
    const fEdges = Array.from(edges(freqs, true));
    const g = { tEdges: Float64Array.from(tEdges), fEdges: Float64Array.from(fEdges) };
    for (const t of stats.tests) {
      const m = /^(?:nm-iti_)?size_([^-]+)$/.exec(t.contrast);
      if (m === null || (t.events !== 'nm' && t.events !== 'nm-iti')) continue;
      const significant = t.clusters.filter((c) => c.p_value < OUTLINE_ALPHA);
      const mask = new Uint8Array(nF * nT);
      try {
        for (const c of significant) {
          const cm = readNpyFloat64(join(statsDir, c.mask_file), { minDims: 2, maxDims: 2 }).data;
          if (cm.length !== mask.length) throw new Error('shape');
          cm.forEach((v, i) => (mask[i] = mask[i]! | (v !== 0 ? 1 : 0)));
        }
      } catch {
        notes.push(`stats: the cluster masks of ROI ${t.roi} ${t.contrast} cannot be read (or were computed on other frequencies/windows); not outlined`);
        continue;
      }
      const segments = outlineSegments(mask, g).map((s) => [sig(s.x0)!, sig(s.x1)!, sig(s.y0)!, sig(s.y1)!] as [number, number, number, number]);
      outlines[`${t.roi}|${t.events}|${m[1]}`] = { segments, pValues: t.clusters.map((c) => sig(c.p_value)!), nRats: t.n_rats, contrast: t.contrast };
    }
    for (const t of stats.theta ?? []) if (t.size !== undefined && t.p !== null) thetaP.set(`${t.roi}|${t.events}|${sizeLabel(t.size)}`, t.p);
    const perms = [...new Set(stats.tests.map((t) => `${t.n_permutations}${t.exact ? ' (exact)' : ''}`))].join(' / ');
    statsSummary = { tests: stats.tests.length, significant: stats.tests.filter((t) => t.clusters.some((c) => c.p_value < OUTLINE_ALPHA)).length, permutations: perms };
  }

  // Theta bars: mean ± SE over the group's rats of their theta.
  const bars: ExplorerData['bars'] = [];
  if (theta !== null) {
    for (const r of cross.rois) {
      for (const x of groupsOf(r.groups)) {
        const ev = x.events ?? 'nm';
        const key = groupKey(ev, labelOf(x));
        const values = x.rats.flatMap((id) => {
          const v = ratTheta.get(id)?.get(`${r.key}|${key}`);
          return v === undefined ? [] : [v];
        });
        if (values.length === 0) continue;
        const { mean, se } = meanAndSe(values);
        const ok = Number.isFinite(se);
        bars.push({ roi: r.label, events: ev === 'nm' ? 'NM' : 'ITI', size: labelOf(x), mean: sig(mean), se: ok ? sig(se) : null, lo: ok ? sig(mean - se) : null, hi: ok ? sig(mean + se) : null, n: values.length, p: thetaP.has(`${r.key}|${ev}|${labelOf(x)}`) ? sig(thetaP.get(`${r.key}|${ev}|${labelOf(x)}`)!) : null });
      }
    }
  }

  // Electrode layout, when there is an electrode value to draw.
  let layout: ExplorerData['layout'] = null;
  if (levels.some((l) => Object.keys(l.electrodes).length > 0)) {
    let l = options.layout;
    if (l === undefined) {
      try {
        l = readElectrodeLayout(cross.electrode_layout ?? defaultLayoutPath());
      } catch (e) {
        notes.push(`electrode maps left out: ${(e as Error).message}`);
        l = null;
      }
    }
    if (l !== null) layout = { file: basename(l.path), sites: [...l.sites].map(([e, s]) => ({ e, x: s.x, y: s.y })) };
  }

  const ratRows = rats.map((r) => {
    const own = r.json.rois[0];
    return {
      rat: r.json.rat_id,
      analysed: r.json.sessions_analysed.length,
      failed: r.json.sessions_failed.map((f) => ({ index: f.index, reason: f.reason })),
      events: Object.fromEntries((own?.groups ?? []).map((x) => [groupKey(x.events ?? 'nm', labelOf(x)), x.n_events ?? 0])),
    };
  });
  const crossCounts = Object.fromEntries((cross.rois[0]?.groups ?? []).map((x) => [groupKey(x.events ?? 'nm', labelOf(x)), x.n_rats ?? 0]));
  return {
    data: {
      version: VERSION,
      directory: resolve(outputDir),
      freqs: Array.from(freqs, (f) => sig(f)!),
      fEdges: Array.from(edges(freqs, true)).map((f) => sig(f)!),
      grids,
      rois,
      events,
      sizes,
      levels,
      outlines,
      valueTitle: valueTitleOf(p),
      theta: theta === null ? null : { band: theta.band, window: theta.window },
      bars,
      layout,
      notes,
    },
    parameters: parameterRows(p),
    ratRows,
    crossCounts,
    stats: statsSummary,
  };
}

// ---------------------------------------------------------------------------------------------
// The page

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON safe inside a `<script>` element (no `</script>`, no `<!--`). */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

let vegaRuntime: string | undefined;

/** The Vega browser bundle (UMD, defines `vega`), read from the installed `vega` package. */
function vegaRuntimeSource(): string {
  if (vegaRuntime === undefined) {
    const moduleFile = fileURLToPath(import.meta.resolve('vega'));
    vegaRuntime = readFileSync(join(dirname(moduleFile), 'vega.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return vegaRuntime;
}

const CONFIG = {
  font: FONT_STACK,
  background: 'white',
  padding: 10,
  view: { stroke: '#888' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', grid: false },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
} as const;

/** Frequencies to label: all when there is room (≥ 13 px each), else every k-th. */
function freqTicks(freqs: readonly number[], height: number): number[] {
  const step = Math.max(1, Math.ceil(13 / (height / freqs.length)));
  return freqs.filter((_, i) => i % step === 0);
}

export const SPECTROGRAM_SIZE = { width: 560, height: 340 } as const;

function spectrogramSpec(d: ExplorerData): TopLevelSpec {
  const g = d.grids[0]!;
  const xScale = { domain: [g.edges[0]!, g.edges[g.edges.length - 1]!], nice: false, zero: false };
  const yScale = { type: 'log' as const, domain: [d.fEdges[0]!, d.fEdges[d.fEdges.length - 1]!], nice: false };
  const layers: unknown[] = [
    {
      data: { name: 'cells' },
      mark: { type: 'rect', aria: false },
      encoding: {
        x: { field: 't0', type: 'quantitative', scale: xScale, axis: { title: 'Time (s)', tickCount: 7 } },
        x2: { field: 't1' },
        y: { field: 'f0', type: 'quantitative', scale: yScale, axis: { title: 'Frequency (Hz)', values: freqTicks(d.freqs, SPECTROGRAM_SIZE.height), format: '.3r' } },
        y2: { field: 'f1' },
        color: {
          field: 'z',
          type: 'quantitative',
          title: d.valueTitle,
          scale: { scheme: 'redblue', reverse: true, domain: { expr: '[-zmax, zmax]' } },
          legend: { gradientLength: SPECTROGRAM_SIZE.height, gradientThickness: 14, tickCount: 7, format: '.3~g' },
        },
        tooltip: [
          { field: 't', type: 'quantitative', title: 't (s)', format: '.3~f' },
          { field: 'f', type: 'quantitative', title: 'f (Hz)', format: '.3r' },
          { field: 'z', type: 'quantitative', title: d.valueTitle, format: '.4~g' },
        ],
      },
    },
    {
      data: { name: 'outline' },
      mark: { type: 'rule', color: 'black', strokeWidth: 2, strokeCap: 'square', aria: false },
      encoding: {
        x: { field: 'x0', type: 'quantitative', scale: xScale },
        x2: { field: 'x1' },
        y: { field: 'y0', type: 'quantitative', scale: yScale },
        y2: { field: 'y1' },
      },
    },
  ];
  if (xScale.domain[0]! <= 0 && 0 <= xScale.domain[1]!) {
    layers.push({ data: { values: [{ t: 0 }] }, mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5, color: 'black' }, encoding: { x: { field: 't', type: 'quantitative', scale: xScale } } });
  }
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, width: SPECTROGRAM_SIZE.width, height: SPECTROGRAM_SIZE.height, params: [{ name: 'zmax', value: 1 }], layer: layers } as TopLevelSpec;
}

function barsSpec(d: ExplorerData): TopLevelSpec {
  const colour = { field: 'events', type: 'nominal', title: 'events', scale: { domain: ['NM', 'ITI'], range: ['#d6604d', '#4393c3'] } };
  const tooltip = [
    { field: 'roi', title: 'ROI' },
    { field: 'events' },
    { field: 'size', title: 'NM size' },
    { field: 'mean', type: 'quantitative', title: `theta (${d.valueTitle}), mean`, format: '.4~g' },
    { field: 'se', type: 'quantitative', title: 'SE', format: '.3~g' },
    { field: 'n', type: 'quantitative', title: 'rats' },
    { field: 'p', type: 'quantitative', title: 'p (t test vs 0)', format: '.2~g' },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    data: { values: d.bars },
    facet: { column: { field: 'roi', type: 'nominal', title: null, sort: d.rois.map((r) => r.label), header: { labelFontSize: 13 } } },
    spec: {
      width: { step: 22 },
      height: 220,
      layer: [
        { mark: { type: 'bar' }, encoding: { x: { field: 'size', type: 'ordinal', title: 'NM size', sort: d.sizes, axis: { labelAngle: 0 } }, xOffset: { field: 'events', sort: ['NM', 'ITI'] }, y: { field: 'mean', type: 'quantitative', title: `theta (${d.valueTitle})` }, color: colour, tooltip } },
        { mark: { type: 'rule', color: 'black' }, encoding: { x: { field: 'size', type: 'ordinal', sort: d.sizes }, xOffset: { field: 'events', sort: ['NM', 'ITI'] }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, tooltip } },
      ],
    },
  } as TopLevelSpec;
}

function mapSpec(d: ExplorerData): TopLevelSpec | null {
  if (d.layout === null) return null;
  const xs = d.layout.sites.map((s) => s.x);
  const ys = d.layout.sites.map((s) => s.y);
  const xd = [Math.min(...xs) - 1, Math.max(...xs) + 1];
  const yd = [Math.min(...ys) - 1, Math.max(...ys) + 1];
  const width = 300;
  const height = Math.round((width * (yd[1]! - yd[0]!)) / (xd[1]! - xd[0]!));
  const x = { field: 'x', type: 'quantitative', scale: { domain: xd, nice: false, zero: false }, axis: { title: 'x (mm, right +)' } };
  const y = { field: 'y', type: 'quantitative', scale: { domain: yd, nice: false, zero: false }, axis: { title: 'y (mm, anterior +)' } };
  const tooltip = [
    { field: 'e', type: 'nominal', title: 'electrode' },
    { field: 'x', type: 'quantitative', title: 'x_mm' },
    { field: 'y', type: 'quantitative', title: 'y_mm' },
    { field: 'theta', type: 'quantitative', title: `theta (${d.valueTitle})`, format: '.4~g' },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width,
    height,
    params: [{ name: 'emax', value: 1 }],
    data: { name: 'sites' },
    layer: [
      { mark: { type: 'point', filled: false, size: 260, color: '#999' }, encoding: { x, y, tooltip } },
      {
        transform: [{ filter: 'isValid(datum.theta)' }],
        mark: { type: 'circle', size: 260, stroke: '#333', strokeWidth: 0.5, opacity: 1 },
        encoding: { x, y, color: { field: 'theta', type: 'quantitative', title: `theta (${d.valueTitle})`, scale: { scheme: 'redblue', reverse: true, domain: { expr: '[-emax, emax]' } }, legend: { format: '.3~g' } }, tooltip },
      },
      { mark: { type: 'text', fontSize: 9, color: '#111', dy: -13 }, encoding: { x, y, text: { field: 'e' } } },
    ],
  } as TopLevelSpec;
}

/** The page's script: fills the views from the inline data when a control changes. */
const APP_SCRIPT = `(function () {
  var D = JSON.parse(document.getElementById('explorer-data').textContent);
  var specs = JSON.parse(document.getElementById('explorer-specs').textContent);
  var EVENTS = { nm: 'NM', iti: 'ITI', 'nm-iti': 'NM \\u2212 ITI' };
  var views = {};
  function fail(el, e) { el.textContent = 'This chart could not be drawn: ' + e; console.error(e); }
  Object.keys(specs).forEach(function (id) {
    var el = document.getElementById(id);
    try { views[id] = new vega.View(vega.parse(specs[id]), { renderer: 'svg', container: el, hover: true }); }
    catch (e) { fail(el, e); }
  });
  function value(id) { return document.getElementById(id).value; }
  function done(id) {
    var el = document.getElementById(id);
    el.setAttribute('data-renders', String(Number(el.getAttribute('data-renders') || '0') + 1));
  }
  function run(id) {
    var v = views[id];
    if (!v) return Promise.resolve();
    return v.runAsync().then(function () { done(id); }).catch(function (e) { fail(document.getElementById(id), e); });
  }
  /** A level's map of ROI r, events ev (nm, iti or nm-iti) and size s; null when it has none. */
  function mean(level, r, ev, s) {
    var m = level.means[r] || {};
    if (ev !== 'nm-iti') return m[ev + '|' + s] || null;
    var a = m['nm|' + s], b = m['iti|' + s];
    if (!a || !b) return null;
    return a.map(function (x, i) { return x === null || b[i] === null ? null : Math.round((x - b[i]) * 1e4) / 1e4; });
  }
  function count(level, r, ev, s) {
    var c = level.counts[r] || {};
    if (ev !== 'nm-iti') return c[ev + '|' + s];
    var a = c['nm|' + s], b = c['iti|' + s];
    return level.kind === 'cross' ? Math.min(a, b) : a + ' NM, ' + b + ' ITI';
  }
  function electrodes(level, ev, s) {
    var e = level.electrodes;
    if (ev !== 'nm-iti') return e[ev + '|' + s] || null;
    var a = e['nm|' + s], b = e['iti|' + s];
    if (!a || !b) return null;
    var out = {};
    Object.keys(a).forEach(function (k) { if (k in b) out[k] = a[k] - b[k]; });
    return out;
  }
  function maxAbs(values) {
    var m = 0;
    values.forEach(function (v) { if (v !== null && isFinite(v) && Math.abs(v) > m) m = Math.abs(v); });
    return m > 0 ? m : 1;
  }
  function update() {
    var r = value('sel-roi'), ev = value('sel-events'), s = value('sel-size'), level = D.levels[Number(value('sel-level'))];
    var roi = D.rois.filter(function (x) { return x.key === r; })[0];
    var what = EVENTS[ev] + (ev === 'iti' ? ' (control) ' : ' ') + 'size ' + s;
    var m = mean(level, r, ev, s);
    var g = D.grids[level.grid], nc = g.times.length, nf = D.freqs.length;
    var cells = [];
    if (m) {
      for (var f = 0; f < nf; f++) {
        // Each cell but the last column / top row reaches 40% into its right and upper neighbours
        // (drawn after it): no hairline gaps between anti-aliased edges.
        var f0 = D.fEdges[f], f1 = f + 1 < nf ? D.fEdges[f + 1] * Math.pow(D.fEdges[f + 2] / D.fEdges[f + 1], 0.4) : D.fEdges[f + 1];
        for (var c = 0; c < nc; c++) {
          var z = m[f * nc + c];
          if (z === null) continue;
          var t1 = c + 1 < nc ? g.edges[c + 1] + 0.4 * (g.edges[c + 2] - g.edges[c + 1]) : g.edges[c + 1];
          cells.push({ t0: g.edges[c], t1: t1, f0: f0, f1: f1, t: g.times[c], f: D.freqs[f], z: z });
        }
      }
    }
    var outline = level.kind === 'cross' && ev !== 'iti' ? D.outlines[r + '|' + ev + '|' + s] : undefined;
    var segs = outline ? outline.segments.map(function (q) { return { x0: q[0], x1: q[1], y0: q[2], y1: q[3] }; }) : [];
    document.getElementById('spectrogram-title').textContent = 'ROI ' + roi.label + ' \\u00b7 ' + what + ' \\u00b7 ' + level.label;
    var n = m ? count(level, r, ev, s) : null;
    var detail = !m ? 'No data for this selection.' : (level.kind === 'cross' ? 'n = ' + n + ' rats' : 'n = ' + n + ' events') +
      (g.binSize > 1 ? ' \\u00b7 each column the mean of ' + g.binSize + ' window samples' : '');
    if (level.kind === 'cross' && ev !== 'iti') {
      detail += outline ? ' \\u00b7 cluster test (' + outline.nRats + ' rats): p = ' + (outline.pValues.length ? outline.pValues.join(', ') : 'no cluster') + '; outlined: p < 0.05'
        : (D.statsRun ? '' : ' \\u00b7 run eeg-parallel stats for cluster outlines');
    }
    document.getElementById('spectrogram-detail').textContent = detail;
    var jobs = [];
    var sv = views['chart-spectrogram'];
    if (sv) { sv.data('cells', cells).data('outline', segs).signal('zmax', maxAbs(cells.map(function (x) { return x.z; }))); jobs.push(run('chart-spectrogram')); }
    var mv = views['chart-map'];
    if (mv) {
      var th = electrodes(level, ev, s) || {};
      var sites = D.layout.sites.map(function (p) { var v = th[String(p.e)]; return { e: String(p.e), x: p.x, y: p.y, theta: v === undefined ? null : v }; });
      document.getElementById('map-title').textContent = 'Theta per electrode \\u00b7 ' + what + ' \\u00b7 ' + level.label;
      mv.data('sites', sites).signal('emax', maxAbs(sites.map(function (x) { return x.theta; })));
      jobs.push(run('chart-map'));
    }
    document.body.setAttribute('data-view', [r, ev, s, value('sel-level')].join('/'));
    return Promise.all(jobs);
  }
  ['sel-roi', 'sel-events', 'sel-size', 'sel-level'].forEach(function (id) { document.getElementById(id).addEventListener('change', update); });
  if (views['chart-theta']) run('chart-theta');
  update();
})();`;

/** The page of a run ({@link readExplorerData}). */
export function renderExplorerHtml(read: ExplorerRead): string {
  const d = read.data;
  const specs: Record<string, unknown> = { 'chart-spectrogram': compile(spectrogramSpec(d)).spec };
  if (d.bars.length > 0) specs['chart-theta'] = compile(barsSpec(d)).spec;
  const map = mapSpec(d);
  if (map !== null) specs['chart-map'] = compile(map).spec;
  const option = (value: string, label: string): string => `<option value="${esc(value)}">${esc(label)}</option>`;
  const EVENT_LABEL = { nm: 'NM', iti: 'ITI', 'nm-iti': 'NM − ITI' } as const;
  const groups = Object.keys(read.crossCounts);
  const groupName = (k: string): string => {
    const [ev, s] = k.split('|');
    return `${ev === 'iti' ? 'ITI' : 'NM'} ${s}`;
  };
  const ratTable =
    `<table id="counts"><thead><tr><th>rat</th><th>sessions analysed</th><th>sessions failed</th>${groups.map((g) => `<th>events ${esc(groupName(g))}</th>`).join('')}</tr></thead><tbody>` +
    read.ratRows
      .map(
        (r) =>
          `<tr><td>${esc(r.rat)}</td><td>${r.analysed}</td><td>${r.failed.length === 0 ? '0' : `${r.failed.length}: ${esc(r.failed.map((f) => `session ${f.index}: ${f.reason}`).join('; '))}`}</td>` +
          groups.map((g) => `<td>${r.events[g] ?? '—'}</td>`).join('') +
          '</tr>',
      )
      .join('') +
    `<tr class="total"><td>rats per group</td><td>${read.ratRows.reduce((n, r) => n + r.analysed, 0)}</td><td>${read.ratRows.reduce((n, r) => n + r.failed.length, 0)}</td>${groups.map((g) => `<td>${read.crossCounts[g]}</td>`).join('')}</tr></tbody></table>`;
  const paramRows: [string, string][] = [
    ...read.parameters,
    ['rats', `${read.ratRows.length} (${read.ratRows.map((r) => r.rat).join(', ')})`],
    ['ROIs', d.rois.map((r) => r.label).join(', ')],
    ['statistics', read.stats === null ? 'not run (eeg-parallel stats)' : `${read.stats.tests} cluster tests, ${read.stats.significant} with a cluster p < 0.05; ${read.stats.permutations} permutations`],
  ];
  const theta = d.theta === null ? '' : `theta = mean over ${fmt(d.theta.band[0])}–${fmt(d.theta.band[1])} Hz and ${fmt(d.theta.window[0])} to ${fmt(d.theta.window[1])} s of each rat's mean window; bars: mean ± SE over rats.`;
  const data = { ...d, statsRun: read.stats !== null };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eeg-parallel results — ${esc(basename(d.directory))}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.5em 2em;max-width:1300px;color:#111}
#controls{display:flex;flex-wrap:wrap;gap:1em;align-items:end;padding:0.6em 0.8em;background:#f4f4f4;border:1px solid #ddd;position:sticky;top:0;z-index:1}
#controls label{display:flex;flex-direction:column;font-size:0.85em;color:#333}#controls select{font-size:1rem;margin-top:0.2em}
table{border-collapse:collapse;margin:0.6em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f4f4f4}
tr.total td{font-weight:bold}.note{color:#444;max-width:62em}.chart{overflow-x:auto;margin:0.4em 0}
.row{display:flex;flex-wrap:wrap;gap:2em}h2{margin-bottom:0.2em}.detail{margin-top:0;color:#333}
</style></head><body>
<h1>eeg-parallel results</h1>
<p class="note"><code>${esc(d.directory)}</code> — eeg-parallel ${esc(d.version)}. Everything on this page is inline: it works offline and fetches nothing.</p>
<noscript><p><b>The charts need JavaScript (inline, nothing is downloaded); the tables below have the run's parameters and counts.</b></p></noscript>
<div id="controls">
<label>ROI<select id="sel-roi">${d.rois.map((r) => option(r.key, r.label)).join('')}</select></label>
<label>Events<select id="sel-events">${d.events.map((e) => option(e, EVENT_LABEL[e])).join('')}</select></label>
<label>NM size<select id="sel-size">${d.sizes.map((s) => option(s, s)).join('')}</select></label>
<label>Level<select id="sel-level">${d.levels.map((l, i) => option(String(i), l.label)).join('')}</select></label>
</div>
<section id="spectrogram">
<h2 id="spectrogram-title">Spectrogram</h2>
<p class="detail" id="spectrogram-detail"></p>
<div class="chart" id="chart-spectrogram"></div>
<p class="note">Mean ${esc(d.valueTitle)} over events (a rat, a session) or over rats' means (cross-rat); colours symmetric around 0 (blue negative, red positive) over the map shown; dashed line: the event (t = 0). Hover a cell for t, f and the value. Black outlines (cross-rat NM and NM − ITI, after <code>eeg-parallel stats</code>): clusters of the permutation test with p &lt; 0.05.</p>
</section>
<div class="row">
${d.bars.length > 0 ? `<section id="theta"><h2>Theta by NM size per ROI — cross-rat</h2><p class="detail">${esc(theta)}</p><div class="chart" id="chart-theta"></div></section>` : ''}
${map !== null ? `<section id="electrodes"><h2 id="map-title">Theta per electrode</h2><div class="chart" id="chart-map"></div><p class="note caption" id="map-caption">Electrode positions from the layout file <code>${esc(d.layout!.file)}</code> (x medio-lateral, right positive; y antero-posterior, anterior positive; mm). Caution: the electrode-to-site correspondence is not verified (see data/h32_layout.md); the map is a drawing aid, not an anatomical placement. Open circles: sites without a value. Follows the events, size and level chosen above.</p></section>` : ''}
</div>
<section id="run"><h2>Run</h2>
<table id="parameters"><tbody>${paramRows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>
<h3>Sessions and events per rat (ROI ${esc(d.rois[0]?.label ?? '')})</h3>
${ratTable}
${d.notes.length > 0 ? `<ul id="notes">${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</section>
<script type="application/json" id="explorer-data">${scriptJson(data)}</script>
<script type="application/json" id="explorer-specs">${scriptJson(specs)}</script>
<script>${vegaRuntimeSource()}</script>
<script>${APP_SCRIPT}</script>
</body></html>
`;
}

/**
 * Writes DIR/results.html (atomically) from what the run wrote under `outputDir`. Returns its path,
 * or null when DIR has no cross-rat results (nothing written).
 */
export async function writeResultsExplorer(outputDir: string, options: ExplorerOptions = {}): Promise<string | null> {
  const read = readExplorerData(outputDir, options);
  if (read === null) return null;
  const path = join(outputDir, EXPLORER_FILE);
  await writeFileAtomic(path, renderExplorerHtml(read));
  return path;
}
