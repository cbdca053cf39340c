/**
 * Figures of the cross-rat statistics (docs/method.md §8.3): per ROI and contrast family, the
 * mean over the contrast's rats of their maps with the significant clusters outlined
 * ({@link spectrogramFigure}), and the theta bars with the t tests' significance marks
 * ({@link thetaBarsFigure}). Rendered in memory; the caller writes them (results/stats-files.ts).
 */
import type { ContrastTest, RatStats, ThetaSizeTest, ThetaTrendTest } from '../../analysis/rat-stats.js';
import type { Tail } from '../../compute/cluster-test.js';
import type { ThetaSelection } from '../../analysis/theta.js';
import type { FigureSet } from '../../plot/render.js';
import { plural } from './labels.js';
import { spectrogramFigure, type SpectrogramPanel } from './spectrogram.js';
import { significanceMark, thetaBarsFigure, type ThetaBarRow } from './theta.js';

/** Clusters with a p-value below this are outlined. */
export const FIGURE_ALPHA = 0.05;

/** A rendered figure and where it goes: `<stem>.png` and `<stem>.svg` under the stats directory. */
export interface StatsFigure {
  stem: string;
  figure: FigureSet;
}

/** Stems of the figures (per ROI under `roi_<key>/`, the theta bars at the top). */
export const STATS_FIGURE_STEMS = {
  nm: 'nm_size_clusters',
  nmIti: 'nm-iti_clusters',
  sizeDiff: 'nm_size_3-size_1_clusters',
  thetaBars: 'theta_bars',
} as const;

const fmt = (v: number): string => String(Number(v.toFixed(3))).replace('-', '−');
/** p with two significant digits (0.031, 0.0005), 1 as 1. */
const fmtP = (p: number): string => (p >= 1 ? '1' : String(Number(p.toPrecision(2))));

/** "n = 6 rats · cluster p: 0.031*, 0.5" (at most four clusters listed, the smallest p first). */
function panelDetail(t: ContrastTest): string {
  const ps = t.result.clusters.map((c) => c.pValue).sort((a, b) => a - b);
  const listed = ps.slice(0, 4).map((p) => `${fmtP(p)}${significanceMark(p)}`);
  const clusters = ps.length === 0 ? 'no cluster' : `cluster p: ${listed.join(', ')}${ps.length > 4 ? ', …' : ''}`;
  return `n = ${plural(t.rats.length, 'rat')} · ${clusters}`;
}

/** Union of the masks of the clusters with p < {@link FIGURE_ALPHA}. */
function significantMask(t: ContrastTest): Uint8Array {
  const mask = new Uint8Array(t.mean.length);
  for (const c of t.result.clusters) if (c.pValue < FIGURE_ALPHA) for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! | c.mask[i]!;
  return mask;
}

function panelTitle(t: ContrastTest): string {
  const size = t.contrast.replace(/^.*size_/, '');
  if (t.events === 'nm-iti') return `NM − ITI, size ${size}`;
  if (t.contrast === 'size_3-size_1') return 'NM size 3 − size 1';
  return `${t.events === 'nm' ? 'NM' : 'ITI'} size ${size}`;
}

/** How the tests were run, one line: the cluster-forming threshold(s) and the permutations. */
function testLine(tests: readonly ContrastTest[], tail: Tail): string {
  const thresholds = [...new Set(tests.map((t) => fmt(Math.abs(t.result.threshold))))].join(' / ');
  const perms = [...new Set(tests.map((t) => (t.result.exact ? `${t.result.nPermutations} (exact)` : `${t.result.nPermutations} (Monte-Carlo)`)))].join(' / ');
  const forming = tail === 0 ? `|t| > ${thresholds}` : tail === 1 ? `t > ${thresholds}` : `t < −${thresholds}`;
  return `cluster test over rats: ${forming}, ${perms} permutations; black outline: clusters with p < ${FIGURE_ALPHA}`;
}

/** The figure of one ROI's family of tests (one panel per test, one colour range). */
async function familyFigure(tests: readonly ContrastTest[], what: string, stats: RatStats): Promise<FigureSet> {
  const panels: SpectrogramPanel[] = tests.map((t) => ({ title: panelTitle(t), mean: t.mean, nEvents: t.rats.length, detail: panelDetail(t), outline: significantMask(t) }));
  const roi = tests[0]!.roiLabel;
  return spectrogramFigure(panels, stats.freqs, stats.windowTimes, `${what} — ROI ${roi}, mean over rats\n${testLine(tests, stats.tail)}`);
}

/** Trend lines under an ROI's bar panel: "NM trend: p = 0.047*". */
function trendNotes(trends: readonly ThetaTrendTest[]): Record<string, string[]> {
  const notes: Record<string, string[]> = {};
  for (const t of trends) {
    (notes[t.roi] ??= []).push(`${t.events === 'nm' ? 'NM' : 'ITI'} trend: slope ${fmt(t.mean)}, p = ${fmtP(t.p)}${significanceMark(t.p)}`);
  }
  return notes;
}

/**
 * Renders the statistics' figures: per ROI `roi_<key>/nm_size_clusters` (NM sizes against 0),
 * `nm-iti_clusters` and `nm_size_3-size_1_clusters` (those that were tested), and `theta_bars`
 * (theta per ROI, events kind and size, mean ± SE over rats, marked by the t test against 0; the
 * trend tests under each ROI's title) when theta was tested.
 *
 * @param valueTitle the maps' values and theta's title, e.g. `Theta (z-score)`
 */
export async function statsFigures(stats: RatStats, theta: ThetaSelection | null, valueTitle = 'Theta'): Promise<StatsFigure[]> {
  const out: StatsFigure[] = [];
  const tests = stats.tests;
  for (const roi of [...new Set(tests.map((t) => t.roi))]) {
    const own = tests.filter((t) => t.roi === roi);
    const families: [string, string, ContrastTest[]][] = [
      [STATS_FIGURE_STEMS.nm, 'NM spectrograms against 0', own.filter((t) => t.events === 'nm' && t.contrast !== 'size_3-size_1')],
      [STATS_FIGURE_STEMS.nmIti, 'NM − ITI (paired per rat)', own.filter((t) => t.events === 'nm-iti')],
      [STATS_FIGURE_STEMS.sizeDiff, 'NM size 3 − size 1 (paired per rat)', own.filter((t) => t.contrast === 'size_3-size_1')],
    ];
    for (const [stem, what, family] of families) {
      if (family.length > 0) out.push({ stem: `roi_${roi}/${stem}`, figure: await familyFigure(family, what, stats) });
    }
  }
  const sizeTests = stats.theta.filter((t): t is ThetaSizeTest => t.kind === 'size');
  if (theta !== null && sizeTests.length > 0) {
    const rows: ThetaBarRow[] = sizeTests.map((t) => ({ roi: t.roi, events: t.events, size: t.size, mean: t.mean, se: t.se, nRats: t.rats.length, p: t.p }));
    const trends = stats.theta.filter((t): t is ThetaTrendTest => t.kind === 'trend');
    const { band, window } = theta;
    const title = `Theta by NM size per ROI — ${plural(stats.rats.length, 'rat')}\ntheta = mean over ${fmt(band[0])}–${fmt(band[1])} Hz and ${fmt(window[0])} to ${fmt(window[1])} s of each rat's mean window`;
    const figure = await thetaBarsFigure(rows, title, {
      valueTitle,
      panelNotes: trendNotes(trends),
      pTest: `one-sample t test of the rats' theta against 0; trend: t test of the rats' slopes over sizes 1–3`,
    });
    out.push({ stem: STATS_FIGURE_STEMS.thetaBars, figure });
  }
  return out;
}
