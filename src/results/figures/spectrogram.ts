/**
 * Analysis figures: mean z-scored spectrograms per NM size, z-score-at-event frequency profiles,
 * and the rat / cross-rat summary (spectrogram row + event-profile row). Each function builds a
 * Vega-Lite spec and renders it to SVG and PNG ({@link renderFigure}).
 */
import { InvalidParameterError } from '../../errors.js';
import type { TopLevelSpec } from 'vega-lite';
import { baseConfig, renderFigure, type AxisGeometry, type FigureSet } from '../../plot/render.js';
import { paddedRange, plural, titleLines } from './labels.js';

/**
 * One panel of a spectrogram figure: the mean z-scored spectrogram of one NM size.
 */
export interface SpectrogramPanel {
  /** Panel title, e.g. `NM size 1`. */
  title: string;
  /** Mean z-score, shape (n_freqs, window_samples), row-major: `mean[f * windowSamples + t]`. */
  mean: Float64Array;
  /** Number of events averaged (shown as `n = … events` unless `detail` is given). */
  nEvents: number;
  /** Second title line replacing `n = <nEvents> events`, e.g. `n = 40 events, 3 sessions`. */
  detail?: string;
  /**
   * Cells to outline (e.g. the significant clusters of a test), shape (n_freqs, window_samples), 1
   * inside: their boundary is drawn as a black line.
   */
  outline?: Uint8Array;
}

/** Size of one spectrogram panel's plot area, SVG px (the PNG is at least twice that). */
export const SPECTROGRAM_PANEL = { width: 330, height: 260 } as const;
/** Size of the frequency-profile plot area, SVG px. */
export const PROFILE_PLOT = { width: 620, height: 380 } as const;
/** Size of one event-profile panel of a summary figure, SVG px. */
export const EVENT_PANEL = { width: SPECTROGRAM_PANEL.width, height: 170 } as const;

type AnySpec = Extract<TopLevelSpec, { concat: unknown }>['concat'][number];
type LayerChild = Extract<AnySpec, { layer: unknown }>['layer'][number];

/** Dashed black vertical line at t = 0 (the event). */
const EVENT_RULE_MARK = { type: 'rule' as const, strokeDash: [6, 4], strokeWidth: 1.5, color: 'black' };
/** Thin grey horizontal line at z = 0. */
const ZERO_RULE_MARK = { type: 'rule' as const, strokeWidth: 1, color: '#999' };

const fmtNum = (v: number, digits: number): string => v.toFixed(digits).replace(/^-(?=0\.0*$)/, '');

function validate(panels: readonly SpectrogramPanel[], freqs: Float64Array, windowTimes: Float64Array): void {
  if (panels.length === 0) throw new InvalidParameterError('figure: no panel to draw (no NM size with a valid window)');
  if (freqs.length === 0 || windowTimes.length === 0) throw new InvalidParameterError('figure: freqs and windowTimes must not be empty');
  for (const f of freqs) {
    if (!(f > 0) || !Number.isFinite(f)) throw new InvalidParameterError(`figure: frequencies must be finite and > 0, got ${f}`);
  }
  for (const p of panels) {
    if (p.mean.length !== freqs.length * windowTimes.length) {
      throw new InvalidParameterError(
        `figure: panel '${p.title}' has ${p.mean.length} values, expected n_freqs × window_samples = ${freqs.length} × ${windowTimes.length}`,
      );
    }
    if (p.outline !== undefined && p.outline.length !== p.mean.length) {
      throw new InvalidParameterError(`figure: panel '${p.title}' has an outline mask of ${p.outline.length} values, expected ${p.mean.length}`);
    }
  }
}

/** Cell edges around sorted centres: midpoints inside, half a neighbouring step outside (log: in log space). */
export function edges(centres: Float64Array, log: boolean): Float64Array {
  const n = centres.length;
  const v = log ? Float64Array.from(centres, Math.log) : centres;
  const out = new Float64Array(n + 1);
  if (n === 1) {
    const half = log ? Math.log(1.05) : 0.5;
    out[0] = v[0]! - half;
    out[1] = v[0]! + half;
  } else {
    for (let i = 1; i < n; i++) out[i] = (v[i - 1]! + v[i]!) / 2;
    out[0] = v[0]! - (v[1]! - v[0]!) / 2;
    out[n] = v[n - 1]! + (v[n - 1]! - v[n - 2]!) / 2;
  }
  return log ? out.map(Math.exp) : out;
}

/** The largest |z| over all panels (finite values), for a symmetric colour range; 1 if all are 0. */
export function symmetricRange(panels: readonly SpectrogramPanel[]): number {
  let m = 0;
  for (const p of panels) for (const v of p.mean) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m > 0 ? m : 1;
}

/** Index of the window sample nearest t = 0 (the first on a tie, like numpy's argmin). */
export function eventIndex(windowTimes: Float64Array): number {
  let best = 0;
  for (let i = 1; i < windowTimes.length; i++) if (Math.abs(windowTimes[i]!) < Math.abs(windowTimes[best]!)) best = i;
  return best;
}

/** Frequencies to label on an axis: all of them when there is room (≥ 13 px each), else every k-th from the lowest. */
function freqTicks(freqs: Float64Array, pixelsPerFreq: number): number[] {
  const step = Math.max(1, Math.ceil(13 / pixelsPerFreq));
  return Array.from(freqs).filter((_, i) => i % step === 0);
}

/** Three significant digits, zeros kept: 3.00, 3.16, 12.3. */
const FREQ_FORMAT = '.3r';

const panelDetail = (p: SpectrogramPanel): string => p.detail ?? `n = ${plural(p.nEvents, 'event')}`;


interface Geometry {
  tEdges: Float64Array;
  fEdges: Float64Array;
  x: AxisGeometry;
  y: AxisGeometry;
}

function geometry(freqs: Float64Array, windowTimes: Float64Array): Geometry {
  const tEdges = edges(windowTimes, false);
  const fEdges = edges(freqs, true);
  return {
    tEdges,
    fEdges,
    x: { type: 'linear', domain: [tEdges[0]!, tEdges[tEdges.length - 1]!] },
    y: { type: 'log', domain: [fEdges[0]!, fEdges[fEdges.length - 1]!] },
  };
}

/**
 * The boundary of the marked cells of a (n_freqs × n_times) mask, as line segments on the cell
 * edges (x: s, y: Hz): between a marked cell and an unmarked or missing neighbour; collinear
 * neighbouring pieces joined into one segment.
 */
export function outlineSegments(mask: Uint8Array, g: { tEdges: Float64Array; fEdges: Float64Array }): { x0: number; x1: number; y0: number; y1: number }[] {
  const nT = g.tEdges.length - 1;
  const nF = g.fEdges.length - 1;
  const on = (f: number, t: number): boolean => f >= 0 && f < nF && t >= 0 && t < nT && mask[f * nT + t] !== 0;
  const segments: { x0: number; x1: number; y0: number; y1: number }[] = [];
  // Horizontal edges: below row f (between rows f − 1 and f), runs over time.
  for (let f = 0; f <= nF; f++) {
    for (let t = 0; t < nT; ) {
      if (on(f - 1, t) === on(f, t)) {
        t++;
        continue;
      }
      const start = t;
      while (t < nT && on(f - 1, t) !== on(f, t)) t++;
      segments.push({ x0: g.tEdges[start]!, x1: g.tEdges[t]!, y0: g.fEdges[f]!, y1: g.fEdges[f]! });
    }
  }
  // Vertical edges: left of column t, runs over frequency.
  for (let t = 0; t <= nT; t++) {
    for (let f = 0; f < nF; ) {
      if (on(f, t - 1) === on(f, t)) {
        f++;
        continue;
      }
      const start = f;
      while (f < nF && on(f, t - 1) !== on(f, t)) f++;
      segments.push({ x0: g.tEdges[t]!, x1: g.tEdges[t]!, y0: g.fEdges[start]!, y1: g.fEdges[f]! });
    }
  }
  return segments;
}

/** One spectrogram panel: rect per (frequency, time) cell coloured by z, dashed rule at t = 0. */
function spectrogramPanel(
  name: string,
  panel: SpectrogramPanel,
  freqs: Float64Array,
  g: Geometry,
  vmax: number,
  firstColumn: boolean,
): AnySpec {
  const nT = g.tEdges.length - 1;
  const nF = freqs.length;
  // Cells are drawn in order (time fastest, then frequency). Each cell but the last column / top
  // row reaches 40% into its right and upper neighbours, which are drawn after it and cover the
  // overlap: no hairline gaps where anti-aliased edges of adjacent cells would meet, and every
  // visible cell keeps its exact extent.
  const cells: { t0: number; t1: number; f0: number; f1: number; z: number }[] = [];
  for (let f = 0; f < nF; f++) {
    const f0 = g.fEdges[f]!;
    const f1 = f + 1 < nF ? g.fEdges[f + 1]! * (g.fEdges[f + 2]! / g.fEdges[f + 1]!) ** 0.4 : g.fEdges[f + 1]!;
    for (let t = 0; t < nT; t++) {
      const z = panel.mean[f * nT + t]!;
      const t1 = t + 1 < nT ? g.tEdges[t + 1]! + 0.4 * (g.tEdges[t + 2]! - g.tEdges[t + 1]!) : g.tEdges[t + 1]!;
      if (Number.isFinite(z)) cells.push({ t0: g.tEdges[t]!, t1, f0, f1, z });
    }
  }
  // RdBu reversed (as matplotlib's RdBu_r): blue for negative, near-white at 0, red for positive.
  const colour = { scheme: 'redblue' as const, reverse: true, domain: [-vmax, vmax], domainMid: 0 };
  const xScale = { domain: g.x.domain, nice: false, zero: false } as const;
  const heatmap: LayerChild = {
    data: { values: cells },
    // No ARIA label per cell: 4000 labels would triple the SVG's size.
    mark: { type: 'rect', aria: false },
    encoding: {
      x: { field: 't0', type: 'quantitative', scale: xScale, axis: { title: 'Time (s)', tickCount: 5 } },
      x2: { field: 't1' },
      y: {
        field: 'f0',
        type: 'quantitative',
        scale: { type: 'log', domain: g.y.domain, nice: false },
        axis: { title: firstColumn ? 'Frequency (Hz)' : null, values: freqTicks(freqs, SPECTROGRAM_PANEL.height / freqs.length), format: FREQ_FORMAT },
      },
      y2: { field: 'f1' },
      color: {
        field: 'z',
        type: 'quantitative',
        title: 'Z-score',
        scale: colour,
        legend: { gradientLength: SPECTROGRAM_PANEL.height, gradientThickness: 16, tickCount: 7, format: '.2~f' },
      },
    },
  };
  const layers: LayerChild[] = [heatmap];
  if (panel.outline !== undefined) {
    layers.push({
      data: { values: outlineSegments(panel.outline, g) },
      mark: { type: 'rule', color: 'black', strokeWidth: 2, strokeCap: 'square', aria: false },
      encoding: {
        x: { field: 'x0', type: 'quantitative', scale: xScale },
        x2: { field: 'x1' },
        y: { field: 'y0', type: 'quantitative', scale: { type: 'log', domain: g.y.domain, nice: false } },
        y2: { field: 'y1' },
      },
    });
  }
  if (g.x.domain[0] <= 0 && 0 <= g.x.domain[1]) {
    layers.push({
      data: { values: [{ t: 0 }] },
      mark: EVENT_RULE_MARK,
      encoding: { x: { field: 't', type: 'quantitative', scale: xScale } },
    });
  }
  return {
    name,
    width: SPECTROGRAM_PANEL.width,
    height: SPECTROGRAM_PANEL.height,
    title: { text: [panel.title, panelDetail(panel)], fontSize: 13 },
    layer: layers,
  };
}

/** One event-profile panel: the z-score averaged over all frequencies, vs time. */
function eventPanel(name: string, panel: SpectrogramPanel, freqs: Float64Array, windowTimes: Float64Array, g: Geometry, yDomain: [number, number], firstColumn: boolean): AnySpec {
  const profile = bandMean(panel.mean, freqs.length, windowTimes.length);
  const points = Array.from(windowTimes, (t, i) => ({ t, z: profile[i]! })).filter((p) => Number.isFinite(p.z));
  const xScale = { domain: g.x.domain, nice: false, zero: false } as const;
  const yScale = { domain: yDomain, nice: false, zero: false } as const;
  const lo = fmtNum(freqs[0]!, 2);
  const hi = fmtNum(freqs[freqs.length - 1]!, 2);
  return {
    name,
    width: EVENT_PANEL.width,
    height: EVENT_PANEL.height,
    title: { text: `${panel.title}: mean over ${lo}–${hi} Hz`, fontSize: 12, fontWeight: 'normal' },
    layer: [
      { data: { values: [{ z: 0 }] }, mark: ZERO_RULE_MARK, encoding: { y: { field: 'z', type: 'quantitative', scale: yScale } } },
      { data: { values: [{ t: 0 }] }, mark: EVENT_RULE_MARK, encoding: { x: { field: 't', type: 'quantitative', scale: xScale } } },
      {
        data: { values: points },
        mark: { type: 'line', color: '#b2182b', strokeWidth: 2 },
        encoding: {
          x: { field: 't', type: 'quantitative', scale: xScale, axis: { title: 'Time (s)', tickCount: 5 } },
          y: { field: 'z', type: 'quantitative', scale: yScale, axis: { title: firstColumn ? 'Z-score' : null, tickCount: 5 } },
        },
      },
    ],
  };
}

/** Mean over frequencies of a (n_freqs, n_times) spectrogram → (n_times,). */
export function bandMean(mean: Float64Array, nFreqs: number, nTimes: number): Float64Array {
  const out = new Float64Array(nTimes);
  for (let f = 0; f < nFreqs; f++) for (let t = 0; t < nTimes; t++) out[t] = out[t]! + mean[f * nTimes + t]!;
  for (let t = 0; t < nTimes; t++) out[t] = out[t]! / nFreqs;
  return out;
}


function spectrogramRowSpec(panels: readonly SpectrogramPanel[], freqs: Float64Array, windowTimes: Float64Array): { specs: AnySpec[]; g: Geometry } {
  const g = geometry(freqs, windowTimes);
  const vmax = symmetricRange(panels);
  return { specs: panels.map((p, i) => spectrogramPanel(`spectrogram_${i}`, p, freqs, g, vmax, i === 0)), g };
}

/**
 * One panel per NM size: the mean z-scored spectrogram (time on x in s, frequency on a log axis
 * labelled with the real frequencies), RdBu_r colours with one symmetric range shared by all
 * panels (±max |z|), a dashed line at t = 0 and a "Z-score" colourbar.
 *
 * @param panels one per NM size, in display order; each `mean` is (n_freqs, window_samples)
 * @param freqs Hz, shape (n_freqs,), ascending
 * @param windowTimes s, shape (window_samples,), ascending
 * @param title figure title; `\n` separates lines
 * @returns PNG (≥ 1200 px wide) and SVG, and each panel's plot area (`spectrogram_<i>`)
 * @throws InvalidParameterError on no panels or shapes that do not match
 */
export async function spectrogramFigure(
  panels: readonly SpectrogramPanel[],
  freqs: Float64Array,
  windowTimes: Float64Array,
  title: string,
): Promise<FigureSet> {
  validate(panels, freqs, windowTimes);
  const { specs, g } = spectrogramRowSpec(panels, freqs, windowTimes);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: baseConfig(),
    title: { text: titleLines(title) },
    hconcat: specs,
    spacing: 24,
  };
  return renderFigure({ spec, plots: specs.map((_, i) => ({ name: `spectrogram_${i}`, x: g.x, y: g.y })) });
}

/**
 * The z-score at the event (the window sample nearest t = 0) vs frequency, one line per NM size,
 * on a log frequency axis labelled with the real frequencies.
 *
 * @param panels one per NM size; each `mean` is (n_freqs, window_samples)
 * @param freqs Hz, shape (n_freqs,)
 * @param windowTimes s, shape (window_samples,)
 * @param title figure title; `\n` separates lines
 * @returns PNG and SVG; one plot area, `profile` (x: Hz, log; y: z-score)
 */
export async function frequencyProfileFigure(
  panels: readonly SpectrogramPanel[],
  freqs: Float64Array,
  windowTimes: Float64Array,
  title: string,
): Promise<FigureSet> {
  validate(panels, freqs, windowTimes);
  const k = eventIndex(windowTimes);
  const nT = windowTimes.length;
  const labels = panels.map((p) => `${p.title} (${panelDetail(p)})`);
  const rows = panels.flatMap((p, i) =>
    Array.from(freqs, (f, j) => ({ f, z: p.mean[j * nT + k]!, series: labels[i]! })).filter((r) => Number.isFinite(r.z)),
  );
  const fEdges = edges(freqs, true);
  const x: AxisGeometry = { type: 'log', domain: [fEdges[0]!, fEdges[fEdges.length - 1]!] };
  const y: AxisGeometry = { type: 'linear', domain: paddedRange(rows.map((r) => r.z)) };
  const tk = windowTimes[k]!;
  const subtitle = Math.abs(tk) < 1e-12 ? 'z-score at t = 0 s' : `z-score at the window sample nearest the event (t = ${fmtNum(tk, 4)} s)`;
  const xScale = { type: 'log', domain: x.domain, nice: false } as const;
  const yScale = { domain: y.domain, nice: false, zero: false } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: baseConfig(),
    title: { text: titleLines(title), subtitle },
    // A one-chart concat, so the plot is a named group that renderFigure can locate.
    hconcat: [
      {
        name: 'profile',
        width: PROFILE_PLOT.width,
        height: PROFILE_PLOT.height,
        layer: [
          { data: { values: [{ z: 0 }] }, mark: ZERO_RULE_MARK, encoding: { y: { field: 'z', type: 'quantitative', scale: yScale } } },
          {
            data: { values: rows },
            mark: { type: 'line', point: { size: 30, filled: true }, strokeWidth: 2 },
            encoding: {
              x: { field: 'f', type: 'quantitative', scale: xScale, axis: { title: 'Frequency (Hz)', values: freqTicks(freqs, PROFILE_PLOT.width / freqs.length / 2.2), format: FREQ_FORMAT, labelAngle: 0 } },
              y: { field: 'z', type: 'quantitative', scale: yScale, axis: { title: 'Z-score at t = 0' } },
              color: { field: 'series', type: 'nominal', sort: labels, title: null, scale: { scheme: 'tableau10' }, legend: { labelLimit: 400 } },
            },
          },
        ],
      },
    ],
  };
  return renderFigure({ spec, plots: [{ name: 'profile', x, y }] });
}

/**
 * Rat and cross-rat summary: the spectrogram row (as {@link spectrogramFigure}) above an
 * event-profile row — per NM size, the z-score averaged over all frequencies vs time, with a
 * y range shared by the row — in one image.
 *
 * @param panels one per NM size; each `mean` is (n_freqs, window_samples); put session / rat
 *   counts in `detail`
 * @param freqs Hz, shape (n_freqs,)
 * @param windowTimes s, shape (window_samples,)
 * @param title figure title; `\n` separates lines
 * @returns PNG and SVG; plot areas `spectrogram_<i>` then `event_<i>`
 */
export async function summaryFigure(
  panels: readonly SpectrogramPanel[],
  freqs: Float64Array,
  windowTimes: Float64Array,
  title: string,
): Promise<FigureSet> {
  validate(panels, freqs, windowTimes);
  const { specs, g } = spectrogramRowSpec(panels, freqs, windowTimes);
  const profiles = panels.map((p) => bandMean(p.mean, freqs.length, windowTimes.length));
  const yDomain = paddedRange(profiles.flatMap((p) => Array.from(p)));
  const events = panels.map((p, i) => eventPanel(`event_${i}`, p, freqs, windowTimes, g, yDomain, i === 0));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: baseConfig(),
    title: { text: titleLines(title) },
    concat: [...specs, ...events],
    columns: panels.length,
    spacing: { row: 30, column: 24 },
  };
  const y: AxisGeometry = { type: 'linear', domain: yDomain };
  return renderFigure({
    spec,
    plots: [...specs.map((_, i) => ({ name: `spectrogram_${i}`, x: g.x, y: g.y })), ...events.map((_, i) => ({ name: `event_${i}`, x: g.x, y }))],
  });
}
