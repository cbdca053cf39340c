/**
 * What `eeg-parallel stats` writes (docs/method.md §8.3) into DIR/stats/: per ROI and contrast the
 * t map, the mean over the contrast's rats and each cluster's mask (.npy, float64, readable with
 * numpy), the figures, freqs.npy and window_times.npy, and stats.json last: a directory without
 * stats.json is an interrupted run. Every file is written atomically.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { ContrastTest, RatStats, SkippedTest, ThetaTest } from '../analysis/rat-stats.js';
import type { ThetaSelection } from '../analysis/theta.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeNpy } from '../io/npy.js';
import type { FigureSet } from '../plot/render.js';
import { VERSION } from '../version.js';

/** The statistics' directory under the analysis output directory. */
export const STATS_DIR = 'stats';
export const STATS_FILE = 'stats.json';

/** How the statistics were asked for, as stats.json records it (null: the default). */
export interface StatsParameters {
  tail: number;
  /** `--threshold`, or null for MNE's default per test (each test records the one used). */
  threshold: number | null;
  /** `--n-permutations`, or null for the default. */
  nPermutations: number | null;
  seed: number;
  theta: ThetaSelection | null;
}

/** What stats.json records besides the tests. */
export interface StatsContext {
  /** The rat directories tested, in rat order (relative to the analysis output directory). */
  ratDirs: readonly string[];
  parameters: StatsParameters;
  /** Rendered figures: `<stem>.png` and `<stem>.svg` under the stats directory. */
  figures: readonly { stem: string; figure: FigureSet }[];
}

/** A test's file names: `roi_<key>/<events>_<contrast>` (`nm-iti_size_<s>` for NM − ITI). */
export function testStem(t: Pick<ContrastTest, 'roi' | 'events' | 'contrast'>): string {
  return `roi_${t.roi}/${t.events === 'nm-iti' ? t.contrast : `${t.events}_${t.contrast}`}`;
}

function testJson(t: ContrastTest, seed: number) {
  const stem = testStem(t);
  const r = t.result;
  return {
    roi: t.roi,
    events: t.events,
    contrast: t.contrast,
    n_rats: t.rats.length,
    rats: t.rats,
    n_permutations: r.nPermutations,
    exact: r.exact,
    seed: r.exact ? null : seed,
    threshold: r.threshold,
    t_obs_file: `${stem}_t_obs.npy`,
    mean_file: `${stem}_mean.npy`,
    clusters: r.clusters.map((c, k) => ({ p_value: c.pValue, sum_t: c.sumT, n_points: c.mask.reduce((a, b) => a + b, 0), mask_file: `${stem}_cluster_${k}_mask.npy` })),
  };
}

function thetaJson(t: ThetaTest) {
  const common = { roi: t.roi, events: t.events, contrast: t.contrast };
  if (t.kind === 'size') return { ...common, size: t.size, n_rats: t.rats.length, rats: t.rats, theta: t.values, mean: t.mean, se: t.se, t: t.t, df: t.df, p: t.p };
  return { ...common, sizes: t.sizes, n_rats: t.rats.length, rats: t.rats, slopes: t.slopes, mean: t.mean, se: t.se, t: t.t, df: t.df, p: t.p };
}

function skippedJson(s: SkippedTest) {
  return { test: s.kind, roi: s.roi, events: s.events, contrast: s.contrast, n_rats: s.nRats, reason: s.reason };
}

/** The content of stats.json (paths relative to the stats directory; NaN written as null). */
export function statsJson(stats: RatStats, context: StatsContext) {
  const p = context.parameters;
  return {
    kind: 'stats',
    version: VERSION,
    rats: stats.rats,
    rat_directories: context.ratDirs,
    parameters: {
      tail: p.tail,
      threshold: p.threshold,
      n_permutations: p.nPermutations,
      seed: p.seed,
      theta_band: p.theta?.band ?? null,
      theta_window: p.theta?.window ?? null,
    },
    freqs_file: 'freqs.npy',
    window_times_file: 'window_times.npy',
    tests: stats.tests.map((t) => testJson(t, p.seed)),
    theta: stats.theta.map(thetaJson),
    skipped: stats.skipped.map(skippedJson),
    figures: context.figures.flatMap((f) => [`${f.stem}.png`, `${f.stem}.svg`]),
  };
}

/** The files an earlier stats.json lists (to remove those this run does not write again). */
function listedFiles(path: string): string[] {
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { tests?: { t_obs_file?: string; mean_file?: string; clusters?: { mask_file?: string }[] }[]; figures?: string[] };
    return [
      ...(json.tests ?? []).flatMap((t) => [t.t_obs_file, t.mean_file, ...(t.clusters ?? []).map((c) => c.mask_file)]),
      ...(json.figures ?? []),
    ].filter((f): f is string => typeof f === 'string');
  } catch {
    return [];
  }
}

/** A relative path that stays inside its directory. */
const inside = (f: string): boolean => !isAbsolute(f) && !normalize(f).split(sep).includes('..');

/**
 * Writes the statistics into `dir` (DIR/stats, created): stats.json of an earlier run removed
 * first, then the .npy files and the figures, then the files the earlier stats.json listed that
 * this run does not write, and stats.json last. Returns stats.json's path.
 */
export async function writeStatsResults(dir: string, stats: RatStats, context: StatsContext): Promise<string> {
  const jsonPath = join(dir, STATS_FILE);
  mkdirSync(dir, { recursive: true });
  const earlier = existsSync(jsonPath) ? listedFiles(jsonPath) : [];
  rmSync(jsonPath, { force: true });

  const json = statsJson(stats, context);
  const nFreqs = stats.freqs.length;
  const nTimes = stats.windowTimes.length;
  const shape = [nFreqs, nTimes];
  const npy: { name: string; data: Float64Array; shape: number[] }[] = [
    { name: 'freqs.npy', data: stats.freqs, shape: [nFreqs] },
    { name: 'window_times.npy', data: stats.windowTimes, shape: [nTimes] },
  ];
  stats.tests.forEach((t, i) => {
    const entry = json.tests[i]!;
    npy.push({ name: entry.t_obs_file, data: t.result.tObs, shape }, { name: entry.mean_file, data: t.mean, shape });
    t.result.clusters.forEach((c, k) => npy.push({ name: entry.clusters[k]!.mask_file, data: Float64Array.from(c.mask), shape }));
  });
  const written = new Set([...npy.map((f) => f.name), ...json.figures]);
  for (const d of new Set([...written].map((f) => dirname(join(dir, f))))) mkdirSync(d, { recursive: true });
  await Promise.all(npy.map((f) => writeNpy(join(dir, f.name), f.data, f.shape)));
  for (const f of context.figures) {
    await writeFileAtomic(join(dir, `${f.stem}.png`), f.figure.png);
    await writeFileAtomic(join(dir, `${f.stem}.svg`), f.figure.svg);
  }
  for (const f of earlier) if (!written.has(f) && inside(f)) rmSync(join(dir, f), { force: true });
  await writeFileAtomic(jsonPath, JSON.stringify(json, null, 1) + '\n');
  return jsonPath;
}
