/**
 * Rendering: Vega-Lite spec → Vega (vega-lite's compiler) → SVG (vega's headless SVG renderer, in
 * Node) → PNG (resvg, with the shipped DejaVu fonts only). Also reports where each plot area landed
 * in the PNG, so tests (and callers) can map data coordinates to pixels.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY, FONT_STACK, fontFiles } from './fonts.js';

/** Minimum width of every PNG, px. */
export const MIN_PNG_WIDTH = 1200;
/** PNGs are drawn at least at this zoom of the SVG's natural size (sharp on high-DPI screens and in print). */
export const PNG_ZOOM = 2;

/** Scale of a plot axis: data value → position inside the plot area. */
export interface AxisGeometry {
  type: 'linear' | 'log';
  /** [value at the left/bottom edge, value at the right/top edge], data units. */
  domain: [number, number];
}

/**
 * Where one plot (one panel) of a figure is in the PNG: its plot area (inside the axes) in PNG
 * pixels, and its axes' scales. Use {@link plotPixel} to map data coordinates to pixels.
 */
export interface PlotArea {
  /** Panel name, e.g. `spectrogram_0` (panel 0's spectrogram), `profile`, `event_1`. */
  name: string;
  /** PNG pixels from the image's left edge to the plot area's left edge. */
  left: number;
  /** PNG pixels from the image's top edge to the plot area's top edge. */
  top: number;
  /** Plot area width, PNG pixels. */
  width: number;
  /** Plot area height, PNG pixels. */
  height: number;
  /** Horizontal scale (left → right). */
  x: AxisGeometry;
  /** Vertical scale (bottom → top). */
  y: AxisGeometry;
}

/** A rendered figure. */
export interface FigureSet {
  /** PNG bytes, at least {@link MIN_PNG_WIDTH} px wide. */
  png: Buffer;
  /** Standalone SVG document (text in DejaVu Sans). */
  svg: string;
  /** PNG size, px. */
  width: number;
  height: number;
  /** Plot areas in PNG pixels, in panel order. */
  plots: PlotArea[];
}

/** A Vega-Lite spec plus the scales of its named plots (what {@link renderFigure} needs to locate them). */
export interface FigureSpec {
  spec: TopLevelSpec;
  /** Per named unit/layer spec (its Vega-Lite `name`): the axis scales as set in the spec. */
  plots: { name: string; x: AxisGeometry; y: AxisGeometry }[];
}

/** Converts data coordinates to PNG pixel coordinates (fractional; floor them to index pixels). */
export function plotPixel(area: PlotArea, x: number, y: number): [number, number] {
  const frac = (g: AxisGeometry, v: number): number =>
    g.type === 'log'
      ? (Math.log(v) - Math.log(g.domain[0])) / (Math.log(g.domain[1]) - Math.log(g.domain[0]))
      : (v - g.domain[0]) / (g.domain[1] - g.domain[0]);
  return [area.left + frac(area.x, x) * area.width, area.top + (1 - frac(area.y, y)) * area.height];
}

/** The shared look of every figure and chart. */
export function baseConfig(): NonNullable<TopLevelSpec['config']> {
  return {
    font: FONT_STACK,
    background: 'white',
    padding: 10,
    view: { stroke: '#888' },
    axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', grid: false, tickColor: '#444', domainColor: '#444', labelColor: '#222', titleColor: '#222' },
    legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
    title: { fontSize: 15, subtitleFontSize: 12, anchor: 'middle', offset: 12, color: '#111' },
    header: { labelFontSize: 12, titleFontSize: 13 },
  };
}

/** Compiles Vega-Lite to a Vega spec (what both the Node renderer and the browser page run). */
export function toVega(spec: TopLevelSpec): vega.Spec {
  return compile(spec).spec;
}

interface SceneNode {
  marktype?: string;
  name?: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  items?: SceneNode[];
}

/** Finds the group items named `<name>_group` (how Vega-Lite names a named sub-chart), with absolute offsets. */
function findGroups(root: SceneNode, wanted: ReadonlySet<string>): Map<string, { x: number; y: number; width: number; height: number }> {
  const found = new Map<string, { x: number; y: number; width: number; height: number }>();
  const visitMark = (mark: SceneNode, ox: number, oy: number): void => {
    for (const item of mark.items ?? []) {
      const x = ox + (item.x ?? 0);
      const y = oy + (item.y ?? 0);
      if (mark.marktype === 'group') {
        if (mark.name !== undefined && wanted.has(mark.name) && !found.has(mark.name)) {
          found.set(mark.name, { x, y, width: item.width ?? 0, height: item.height ?? 0 });
        }
        for (const child of item.items ?? []) visitMark(child, x, y);
      }
    }
  };
  visitMark(root, 0, 0);
  return found;
}

/**
 * Numbers gradient and clip-path ids by order of appearance in the document. Vega takes them from
 * a process-wide counter, so the same figure drawn twice would otherwise differ in its ids.
 */
export function stableIds(svg: string): string {
  const ids = new Map<string, string>();
  return svg.replace(/(id="|url\(#)((?:gradient_|clip)\d+)(?=[")])/g, (_, prefix: string, id: string) => {
    let renamed = ids.get(id);
    if (renamed === undefined) {
      renamed = `${id.startsWith('clip') ? 'clip' : 'gradient_'}${ids.size}`;
      ids.set(id, renamed);
    }
    return prefix + renamed;
  });
}

/**
 * Renders a Vega-Lite figure to SVG and PNG. The PNG is drawn at {@link PNG_ZOOM}× the SVG's size,
 * more if needed to reach {@link MIN_PNG_WIDTH} px, with only the shipped fonts (no system fonts),
 * so the same spec gives the same pixels on every machine.
 */
export async function renderFigure(figure: FigureSpec): Promise<FigureSet> {
  const view = new vega.View(vega.parse(toVega(figure.spec)), { renderer: 'none', logLevel: vega.Error });
  try {
    const svg = stableIds(await view.toSVG());
    const pad = view.padding();
    // Plot positions: the view's padding, then its origin (room for titles, axes), then the group's offset.
    const ox = (typeof pad === 'number' ? pad : (pad.left ?? 0)) + view.origin()[0];
    const oy = (typeof pad === 'number' ? pad : (pad.top ?? 0)) + view.origin()[1];
    const wanted = new Set(figure.plots.map((p) => `${p.name}_group`));
    const groups = findGroups((view.scenegraph() as unknown as { root: SceneNode }).root, wanted);
    const svgWidth = Number(/^<svg[^>]*?\swidth="([\d.]+)"/.exec(svg)?.[1]);
    if (!(svgWidth > 0)) throw new Error('figure: the rendered SVG has no width');
    // Rounded up to 1/100 so the PNG never falls a pixel short of the minimum width.
    const zoom = Math.max(PNG_ZOOM, Math.ceil((MIN_PNG_WIDTH / svgWidth) * 100) / 100);
    const rendered = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: zoom },
      background: 'white',
      font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    }).render();
    const plots = figure.plots.map((p): PlotArea => {
      const g = groups.get(`${p.name}_group`);
      if (g === undefined) throw new Error(`figure: plot '${p.name}' not found in the rendered scene`);
      return { name: p.name, left: (ox + g.x) * zoom, top: (oy + g.y) * zoom, width: g.width * zoom, height: g.height * zoom, x: p.x, y: p.y };
    });
    return { png: rendered.asPng(), svg, width: rendered.width, height: rendered.height, plots };
  } finally {
    view.finalize();
  }
}
