/**
 * Theta-scalar figures of the cross-rat results (docs/method.md §8.2): bars of theta (mean ± SE
 * over rats) by NM size per ROI, NM and ITI side by side, and electrode maps (a dot per electrode
 * at its position in an electrode layout, coloured by theta) per NM size. Rendered like the
 * spectrograms ({@link renderFigure}, {@link baseConfig}).
 */
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { EventKind } from '../../analysis/events.js';
import type { CrossRatAnalysis, CrossRatMean } from '../../analysis/rat.js';
import { thetaOf, type ThetaSelection } from '../../analysis/theta.js';
import { InvalidParameterError } from '../../errors.js';
import type { ElectrodeLayout } from '../../io/electrode-layout.js';
import { sizeLabel } from '../../model/session-data.js';
import { baseConfig, renderFigure, type AxisGeometry, type FigureSet } from '../../plot/render.js';
import { meanAndSe, type StoredRat, type StoredRatGroup } from '../result-files.js';
import { paddedRange, plural, titleLines } from './labels.js';
import { writeSet } from './write.js';

/** File stems (each written as `.png` and `.svg`). */
export const THETA_FIGURE_FILES = {
  bars: 'theta_bars',
  electrodeMap: 'electrode_theta_map',
} as const;

/** One bar: an ROI's theta for one events kind and size, over rats. */
export interface ThetaBarRow {
  /** ROI key, e.g. `frontal`. */
  roi: string;
  events: EventKind;
  size: number;
  /** Mean over rats of the rats' theta scalars. */
  mean: number;
  /** Standard error over rats (std with ddof 1 / √n); NaN with one rat (no error bar drawn). */
  se: number;
  nRats: number;
  /** p-value of a test of the bar (e.g. its t test against 0): marked `*` < 0.05, `**` < 0.01, `***` < 0.001. */
  p?: number;
}

/** One electrode's theta for one NM size. */
export interface ElectrodeThetaValue {
  /** Electrode (layout site) number. */
  electrode: number;
  size: number;
  theta: number;
}

/** Text of the figures that depends on the analysis. */
export interface ThetaFigureOptions {
  /** The value's axis / colour-bar title (default `Theta`). */
  valueTitle?: string;
  /** Per ROI key: lines under the panel's title (e.g. a trend test). */
  panelNotes?: Readonly<Record<string, readonly string[]>>;
  /** What the rows' p-values test, for the legend of the marks (default `a t test against 0`). */
  pTest?: string;
}

/** Significance marks: `***` p < 0.001, `**` p < 0.01, `*` p < 0.05, else none. */
export function significanceMark(p: number): string {
  return p < 0.001 ? '***' : p < 0.01 ? '**' : p < 0.05 ? '*' : '';
}

/** Size of one ROI panel's plot area: height, and width per NM size, SVG px. */
export const BAR_PANEL = { height: 260, widthPerSize: 64, minWidth: 150 } as const;
/** ROI panels per row of the bar figure. */
export const BAR_COLUMNS = 5;
/** Largest plot area of one electrode-map panel, SVG px (millimetres are drawn to the same scale on both axes). */
export const MAP_PANEL = { maxWidth: 330, maxHeight: 400 } as const;
/** Margin around the layout's sites in a map panel, mm. */
const MAP_MARGIN_MM = 0.9;
const CAPTION_FONT_SIZE = 11;
/** Shortest caption line, characters. */
const CAPTION_MIN_CHARS = 48;

const EVENT_NAMES: Record<EventKind, string> = { nm: 'NM', iti: 'ITI' };
const EVENT_COLOURS: Record<EventKind, string> = { nm: '#4c78a8', iti: '#bab0ac' };
const ZERO_RULE_MARK = { type: 'rule' as const, strokeWidth: 1, color: '#999' };
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

type AnySpec = Extract<TopLevelSpec, { concat: unknown }>['concat'][number];



/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** A text-only view of caption lines, left-aligned, `width` px wide. */
function captionView(paragraphs: readonly string[], width: number): AnySpec {
  // Vega without a canvas estimates a text's width as 0.8 · font size per character (DejaVu Sans
  // is narrower): lines wrapped to that estimate do not widen the figure past the panels.
  const lines = paragraphs.flatMap((p) => wrap(p, Math.max(CAPTION_MIN_CHARS, Math.floor(width / (0.8 * CAPTION_FONT_SIZE)))));
  return {
    name: 'caption',
    width,
    height: lines.length * 15,
    view: { stroke: null },
    data: { values: lines.map((text, i) => ({ text, y: i * 15 })) },
    mark: { type: 'text', align: 'left', baseline: 'top', fontSize: CAPTION_FONT_SIZE, color: '#222', aria: false },
    encoding: { x: { value: 0 }, y: { field: 'y', type: 'quantitative', scale: null }, text: { field: 'text' } },
  };
}

function validateRows(rows: readonly ThetaBarRow[]): void {
  if (rows.length === 0) throw new InvalidParameterError('theta bars: no row to draw');
  const seen = new Set<string>();
  for (const r of rows) {
    const id = `${r.roi} ${r.events} ${r.size}`;
    if (seen.has(id)) throw new InvalidParameterError(`theta bars: ROI ${r.roi}, ${r.events} size ${r.size} is given twice`);
    seen.add(id);
    if (!Number.isFinite(r.size)) throw new InvalidParameterError(`theta bars: ROI ${r.roi}: size ${r.size} is not finite`);
  }
}

/**
 * Grouped bars of theta by NM size, one panel per ROI (in row order, {@link BAR_COLUMNS} per
 * row), NM and ITI side by side in each size (colour = events kind), with error bars of ± SE over
 * rats — none where the SE is not finite (one rat). One y range for all panels, with a line at 0.
 *
 * @param rows one per (ROI, events kind, size); ROIs, and sizes within a panel, are drawn in the
 *   order they first appear, sizes sorted
 * @param title figure title; `\n` separates lines
 * @returns PNG and SVG; plot areas `bars_<i>` (x: 0 → 1 across the panel; y: theta)
 * @throws InvalidParameterError on no rows or a row given twice
 */
export async function thetaBarsFigure(rows: readonly ThetaBarRow[], title: string, options: ThetaFigureOptions = {}): Promise<FigureSet> {
  validateRows(rows);
  const rois = [...new Set(rows.map((r) => r.roi))];
  const kinds = (['nm', 'iti'] as const).filter((k) => rows.some((r) => r.events === k));
  const names = kinds.map((k) => EVENT_NAMES[k]);
  const withP = rows.some((r) => r.p !== undefined);
  // Room for the significance marks beyond the bars.
  const yDomain = paddedRange(rows.flatMap((r) => [r.mean, r.mean - r.se, r.mean + r.se]), withP ? 0.14 : 0.08, true);
  const yScale = { domain: yDomain, nice: false, zero: false } as const;
  const colour = { field: 'kind', type: 'nominal' as const, title: 'Events', sort: names, scale: { domain: names, range: kinds.map((k) => EVENT_COLOURS[k]) } };
  const ranges = [...new Set(rows.map((r) => r.nRats))].sort((a, b) => a - b);
  const nText = ranges.length === 1 ? plural(ranges[0]!, 'rat') : `${ranges[0]}–${ranges[ranges.length - 1]} rats`;
  const oneRat = rows.some((r) => !Number.isFinite(r.se));
  const subtitle = [
    `mean ± SE over rats (SE = std with ddof 1 / √n; n = ${nText} per bar)${oneRat ? '; no error bar where one rat' : ''}`,
    ...(withP ? [`* p < 0.05, ** p < 0.01, *** p < 0.001: ${options.pTest ?? 'a t test against 0'}`] : []),
  ];
  const panels: AnySpec[] = rois.map((roi, i) => {
    const own = rows.filter((r) => r.roi === roi);
    const sizes = [...new Set(own.map((r) => r.size))].sort((a, b) => a - b).map(sizeLabel);
    const data = own.map((r) => ({
      roi,
      size: sizeLabel(r.size),
      kind: EVENT_NAMES[r.events],
      mean: r.mean,
      lo: r.mean - r.se,
      hi: r.mean + r.se,
      n: r.nRats,
      se: Number.isFinite(r.se) ? r.se : null,
      mark: r.p === undefined ? '' : significanceMark(r.p),
      // The mark's place: beyond the error bar (or the bar) on the bar's side of 0.
      markAt: r.mean >= 0 ? Math.max(r.mean, r.mean + (Number.isFinite(r.se) ? r.se : 0)) : Math.min(r.mean, r.mean - (Number.isFinite(r.se) ? r.se : 0)),
      up: r.mean >= 0,
      // Each item's ARIA label in the SVG, e.g. `theta bar: ROI frontal, NM size 2`.
      bar: `theta bar: ROI ${roi}, ${EVENT_NAMES[r.events]} size ${sizeLabel(r.size)}`,
      error: `theta error bar: ROI ${roi}, ${EVENT_NAMES[r.events]} size ${sizeLabel(r.size)}`,
    }));
    const bars = data.filter((d) => Number.isFinite(d.mean));
    const errors = data.filter((d) => d.se !== null && Number.isFinite(d.mean));
    const marks = data.filter((d) => d.mark !== '' && Number.isFinite(d.markAt));
    const x = {
      field: 'size',
      type: 'nominal' as const,
      sort: sizes,
      scale: { domain: sizes, paddingInner: 0.25, paddingOuter: 0.15 },
      axis: { title: 'NM size', labelAngle: 0 },
    };
    const xOffset = { field: 'kind', type: 'nominal' as const, sort: names, scale: { domain: names, paddingInner: 0.08 } };
    const y = { field: 'mean', type: 'quantitative' as const, scale: yScale, axis: { title: i % BAR_COLUMNS === 0 ? (options.valueTitle ?? 'Theta') : null, tickCount: 6 } };
    return {
      name: `bars_${i}`,
      width: Math.max(BAR_PANEL.minWidth, BAR_PANEL.widthPerSize * sizes.length * Math.max(1, kinds.length / 1.5)),
      height: BAR_PANEL.height,
      title: { text: `ROI ${roi}`, fontSize: 13, ...(options.panelNotes?.[roi] !== undefined && { subtitle: [...options.panelNotes[roi]], subtitleFontSize: 11 }) },
      layer: [
        {
          data: { values: bars },
          mark: { type: 'bar' },
          encoding: {
            x,
            xOffset,
            y,
            color: colour,
            description: { field: 'bar' },
            tooltip: [
              { field: 'kind', title: 'events' },
              { field: 'size', title: 'size' },
              { field: 'mean', title: 'mean', format: '.4g' },
              { field: 'se', title: 'SE', format: '.4g' },
              { field: 'n', title: 'rats' },
            ],
          },
        },
        { data: { values: [{ z: 0 }] }, mark: ZERO_RULE_MARK, encoding: { y: { field: 'z', type: 'quantitative', scale: yScale } } },
        {
          data: { values: errors },
          mark: { type: 'rule', color: '#222', strokeWidth: 1.5 },
          encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative', scale: yScale }, y2: { field: 'hi' }, description: { field: 'error' } },
        },
        ...(['lo', 'hi'] as const).map((end) => ({
          data: { values: errors },
          mark: { type: 'tick' as const, color: '#222', thickness: 1.5, size: 9, aria: false },
          encoding: { x, xOffset, y: { field: end, type: 'quantitative' as const, scale: yScale } },
        })),
        ...([true, false] as const).map((up) => ({
          data: { values: marks.filter((d) => d.up === up) },
          mark: { type: 'text' as const, fontSize: 13, fontWeight: 'bold' as const, color: '#111', baseline: up ? ('bottom' as const) : ('top' as const), dy: up ? -3 : 3, aria: false },
          encoding: { x, xOffset, y: { field: 'markAt', type: 'quantitative' as const, scale: yScale }, text: { field: 'mark' } },
        })),
      ],
    } as AnySpec;
  });
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    config: baseConfig(),
    title: { text: titleLines(title), subtitle },
    concat: panels,
    columns: Math.min(BAR_COLUMNS, panels.length),
    spacing: { row: 30, column: 18 },
    resolve: { scale: { color: 'shared' } },
  };
  const x: AxisGeometry = { type: 'linear', domain: [0, 1] };
  const y: AxisGeometry = { type: 'linear', domain: yDomain };
  return renderFigure({ spec, plots: panels.map((_, i) => ({ name: `bars_${i}`, x, y })) });
}

/** The largest |theta| (finite values), for a symmetric colour range; 1 if all are 0. */
function symmetricRange(values: readonly ElectrodeThetaValue[]): number {
  let m = 0;
  for (const v of values) if (Number.isFinite(v.theta) && Math.abs(v.theta) > m) m = Math.abs(v.theta);
  return m > 0 ? m : 1;
}

/** Where the sites of a layout are drawn: a domain per axis (mm) and the plot size (px), one scale. */
function mapGeometry(layout: ElectrodeLayout): { x: AxisGeometry; y: AxisGeometry; width: number; height: number } {
  const xs = [...layout.sites.values()].map((s) => s.x);
  const ys = [...layout.sites.values()].map((s) => s.y);
  const x: [number, number] = [Math.min(...xs) - MAP_MARGIN_MM, Math.max(...xs) + MAP_MARGIN_MM];
  const y: [number, number] = [Math.min(...ys) - MAP_MARGIN_MM, Math.max(...ys) + MAP_MARGIN_MM];
  const pxPerMm = Math.min(MAP_PANEL.maxWidth / (x[1] - x[0]), MAP_PANEL.maxHeight / (y[1] - y[0]));
  return {
    x: { type: 'linear', domain: x },
    y: { type: 'linear', domain: y },
    width: Math.round((x[1] - x[0]) * pxPerMm),
    height: Math.round((y[1] - y[0]) * pxPerMm),
  };
}

/**
 * Electrode maps: per NM size a panel with a dot per electrode at its layout position (x_mm
 * medio-lateral, y_mm antero-posterior, drawn to one scale), coloured by theta (RdBu reversed,
 * symmetric around 0 with the range ±max |theta| shared by all panels, as the spectrograms), the
 * electrode number on the dot. Layout sites without a value are open circles; electrodes without
 * a layout position are listed in the caption, which also names the layout file and says that the
 * electrode-to-site correspondence is not verified (data/h32_layout.md).
 *
 * @param values electrode theta per NM size (non-finite values are drawn as missing)
 * @param layout the positions ({@link ElectrodeLayout}); its file's name is shown
 * @param title figure title; `\n` separates lines
 * @returns PNG and SVG; plot areas `map_<i>` per size (x, y: mm)
 * @throws InvalidParameterError on no values, or an electrode / size given twice
 */
export async function electrodeMapFigure(
  values: readonly ElectrodeThetaValue[],
  layout: ElectrodeLayout,
  title: string,
  options: ThetaFigureOptions = {},
): Promise<FigureSet> {
  if (values.length === 0) throw new InvalidParameterError('electrode map: no electrode value to draw');
  if (layout.sites.size === 0) throw new InvalidParameterError(`electrode map: layout ${layout.path} has no site`);
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(`${v.electrode} ${v.size}`)) throw new InvalidParameterError(`electrode map: electrode ${v.electrode}, size ${v.size} is given twice`);
    seen.add(`${v.electrode} ${v.size}`);
  }
  const sizes = [...new Set(values.map((v) => v.size))].sort((a, b) => a - b);
  const g = mapGeometry(layout);
  // The colour range of the dots drawn: an electrode without a position does not stretch it.
  const vmax = symmetricRange(values.filter((v) => layout.sites.has(v.electrode)));
  const file = basename(layout.path);
  const missing = [...new Set(values.filter((v) => !layout.sites.has(v.electrode)).map((v) => v.electrode))].sort((a, b) => a - b);
  const xScale = { domain: g.x.domain, nice: false, zero: false } as const;
  const yScale = { domain: g.y.domain, nice: false, zero: false } as const;
  const colour = { scheme: 'redblue' as const, reverse: true, domain: [-vmax, vmax], domainMid: 0 };
  const xEnc = () => ({ field: 'x', type: 'quantitative' as const, scale: xScale, axis: { title: 'Medio-lateral (mm, right +)', tickCount: 6 } });
  const yEnc = (first: boolean) => ({ field: 'y', type: 'quantitative' as const, scale: yScale, axis: { title: first ? 'Antero-posterior (mm, anterior +)' : null, tickCount: 8 } });
  let anyOpen = false;
  const panels: AnySpec[] = sizes.map((size, i) => {
    const first = i === 0;
    const own = new Map(values.filter((v) => v.size === size && Number.isFinite(v.theta)).map((v) => [v.electrode, v.theta]));
    const dots = [...layout.sites].filter(([e]) => own.has(e)).map(([e, p]) => ({ e: String(e), x: p.x, y: p.y, theta: own.get(e)! }));
    const open = [...layout.sites].filter(([e]) => !own.has(e)).map(([e, p]) => ({ e: String(e), x: p.x, y: p.y }));
    if (open.length > 0) anyOpen = true;
    const bregma = g.x.domain[0] < 0 && g.x.domain[1] > 0 && g.y.domain[0] < 0 && g.y.domain[1] > 0;
    return {
      name: `map_${i}`,
      width: g.width,
      height: g.height,
      title: { text: [`NM size ${sizeLabel(size)}`, plural(dots.length, 'electrode')], fontSize: 13 },
      layer: [
        ...(bregma
          ? [
              {
                data: { values: [{ x: 0, y: 0 }] },
                mark: { type: 'point' as const, shape: 'cross', size: 70, filled: true, color: '#888', aria: false },
                encoding: { x: xEnc(), y: yEnc(first) },
              },
              {
                data: { values: [{ x: 0, y: 0, t: 'bregma' }] },
                mark: { type: 'text' as const, dy: 12, fontSize: 9, color: '#777', aria: false },
                encoding: { x: { field: 'x', type: 'quantitative' as const, scale: xScale }, y: { field: 'y', type: 'quantitative' as const, scale: yScale }, text: { field: 't' } },
              },
            ]
          : []),
        {
          data: { values: open },
          mark: { type: 'point' as const, shape: 'circle', size: 480, filled: false, color: '#aaa', strokeWidth: 1, description: 'electrode without a value' },
          encoding: { x: xEnc(), y: yEnc(first) },
        },
        {
          data: { values: open },
          mark: { type: 'text' as const, fontSize: 9, color: '#999', aria: false },
          encoding: { x: { field: 'x', type: 'quantitative' as const, scale: xScale }, y: { field: 'y', type: 'quantitative' as const, scale: yScale }, text: { field: 'e' } },
        },
        {
          data: { values: dots },
          mark: { type: 'point' as const, shape: 'circle', size: 480, filled: true, opacity: 1, stroke: '#333', strokeWidth: 0.8, description: 'electrode' },
          encoding: {
            x: xEnc(),
            y: yEnc(first),
            fill: {
              field: 'theta',
              type: 'quantitative' as const,
              title: options.valueTitle ?? 'Theta',
              scale: colour,
              legend: { gradientLength: Math.min(g.height, 260), gradientThickness: 16, tickCount: 7, format: '.2~f' },
            },
            tooltip: [
              { field: 'e', title: 'electrode' },
              { field: 'theta', title: 'theta', format: '.4g' },
            ],
          },
        },
        {
          data: { values: dots },
          mark: { type: 'text' as const, fontSize: 10, fontWeight: 'bold' as const, aria: false },
          encoding: {
            x: { field: 'x', type: 'quantitative' as const, scale: xScale },
            y: { field: 'y', type: 'quantitative' as const, scale: yScale },
            text: { field: 'e' },
            color: { condition: { test: `abs(datum.theta) > ${0.55 * vmax}`, value: 'white' }, value: '#111' },
          },
        },
      ],
    } as AnySpec;
  });
  const caption = [
    `Caution: the electrode-to-site correspondence is not verified (see data/h32_layout.md); the map is a drawing aid, not an anatomical placement.`,
    `Electrode positions from the layout file ${file} (x_mm medio-lateral, right positive; y_mm antero-posterior, anterior positive; mm from bregma).`,
    ...(anyOpen ? ['Open circles: sites of the layout without a value for that size.'] : []),
    ...(missing.length > 0 ? [`Not drawn (no position in ${file}): ${missing.length === 1 ? 'electrode' : 'electrodes'} ${missing.join(', ')}.`] : []),
  ];
  const rowWidth = sizes.length * g.width + (sizes.length - 1) * 24;
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    config: baseConfig(),
    title: { text: titleLines(title) },
    vconcat: [{ hconcat: panels, spacing: 24 }, captionView(caption, Math.max(rowWidth, Math.ceil(CAPTION_MIN_CHARS * 0.8 * CAPTION_FONT_SIZE)))],
    spacing: 18,
  };
  return renderFigure({ spec, plots: panels.map((_, i) => ({ name: `map_${i}`, x: g.x, y: g.y })) });
}

/** What the cross-rat theta figures are drawn from: what `aggregate` has after the cross-rat means. */
export interface CrossRatThetaInput {
  /** The cross-rat means per ROI and electrode (which rats have each group). */
  cross: CrossRatAnalysis;
  /** The rats' pooled means, as read back. */
  rats: readonly StoredRat[];
  /** Where the theta scalar is taken (against the rats' frequencies and window times). */
  theta: ThetaSelection;
}

/** The rats' theta scalars of a cross-rat group, in the group's rat order. */
function ratThetas(input: CrossRatThetaInput, g: CrossRatMean, groupsOf: (r: StoredRat) => readonly StoredRatGroup[] | undefined): number[] {
  const windowSamples = input.rats[0]!.windowTimes.length;
  return g.rats.flatMap((id) => {
    const rat = input.rats.find((r) => r.ratId === id);
    const group = rat === undefined ? undefined : groupsOf(rat)?.find((x) => x.events === g.events && x.size === g.size);
    return group === undefined ? [] : [thetaOf(group.mean, windowSamples, input.theta)];
  });
}

/** Per ROI, events kind and size: the mean and SE over rats of the rats' theta scalars. */
export function crossRatThetaRows(input: CrossRatThetaInput): ThetaBarRow[] {
  return input.cross.rois.flatMap((roi) =>
    roi.groups.map((g) => {
      const values = ratThetas(input, g, (r) => r.rois.find((x) => x.key === roi.key)?.groups);
      return { roi: roi.key, events: g.events, size: g.size, ...meanAndSe(values), nRats: values.length };
    }),
  );
}

/** Per electrode and NM size: the mean over rats of the rats' theta scalars (empty without electrodes). */
export function crossRatElectrodeTheta(input: CrossRatThetaInput): ElectrodeThetaValue[] {
  return (input.cross.electrodes ?? []).flatMap((e) =>
    e.groups
      .filter((g) => g.events === 'nm')
      .map((g) => ({ electrode: e.electrode, size: g.size, theta: meanAndSe(ratThetas(input, g, (r) => r.electrodes?.find((x) => x.electrode === e.electrode)?.groups)).mean })),
  );
}

/** The value's title from the rats' recorded normalisation: a z-score, or a baseline mode's unit. */
export function valueTitle(rats: readonly Pick<StoredRat, 'parameters'>[]): string {
  const p = rats[0]?.parameters as { normalize?: string; baseline_mode?: string } | undefined;
  if (p?.normalize === 'baseline') return `Theta (baseline ${p.baseline_mode ?? ''})`.replace(' )', ')');
  return p?.normalize === undefined ? 'Theta' : 'Theta (z-score)';
}

const fmt = (v: number): string => String(Number(v.toFixed(3))).replace('-', '−');

/**
 * Writes the cross-rat theta figures into `dir` (created): `theta_bars.{png,svg}` and, when the
 * results have electrodes, `electrode_theta_map.{png,svg}` drawn with `layout`. Returns the paths
 * written.
 */
export async function writeCrossRatThetaFigures(dir: string, input: CrossRatThetaInput, layout: ElectrodeLayout): Promise<string[]> {
  const ids = [...new Set(input.rats.map((r) => r.ratId))];
  const who = `${plural(ids.length, 'rat')}${ids.length <= 8 ? ` (${ids.join(', ')})` : ''}`;
  const { band, window } = input.theta;
  const scalar = `theta = mean over ${fmt(band[0])}–${fmt(band[1])} Hz and ${fmt(window[0])} to ${fmt(window[1])} s of each rat's mean window`;
  const options = { valueTitle: valueTitle(input.rats) };
  await mkdir(dir, { recursive: true });
  const written = await writeSet(dir, THETA_FIGURE_FILES.bars, await thetaBarsFigure(crossRatThetaRows(input), `Theta by NM size per ROI — cross-rat, ${who}\n${scalar}`, options));
  const electrodes = crossRatElectrodeTheta(input);
  if (electrodes.length > 0) {
    const title = `Theta per electrode by NM size — cross-rat mean of ${who}\n${scalar}`;
    written.push(...(await writeSet(dir, THETA_FIGURE_FILES.electrodeMap, await electrodeMapFigure(electrodes, layout, title, options))));
  }
  return written;
}
