/**
 * Benchmark charts for report.html: Vega-Lite specs built from the measured runs and compiled to
 * Vega here in Node, so the page only needs the Vega runtime.
 *
 * - speedup vs jobs, one small chart per workload, one line per strategy · backend (· batch size);
 * - wall time vs problem size and peak memory vs problem size (scalability), one line per
 *   strategy · backend, each point the fastest configuration of that strategy at that size.
 *
 * Invalid runs are drawn as red crosses, and every point has a tooltip with its method and numbers.
 */
import type { Spec as VegaSpec } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { BenchRun } from '../runner.js';
import { groupRuns } from './insights.js';
import type { BenchReport } from './types.js';
import { baseConfig, toVega } from '../../plot/render.js';

/** One chart of the page. */
export interface BenchChart {
  /** Element id of the chart's container, e.g. `chart-speedup`. */
  id: string;
  title: string;
  /** One sentence under the title: what is plotted. */
  description: string;
  /** Compiled Vega spec (data inline). */
  vega: VegaSpec;
}

/** `channels · threads`, `frequencies · processes · batch 5`, `sequential`. */
export function seriesName(r: Pick<BenchRun, 'strategy' | 'backend' | 'batchSize'>, withBatch: boolean): string {
  if (r.strategy === 'sequential') return 'sequential';
  return [r.strategy, r.backend, ...(withBatch && r.batchSize !== null ? [`batch ${r.batchSize}`] : [])].join(' · ');
}

/** Time-frequency points of a run: channels × frequencies × samples × sessions. */
export const problemPoints = (r: Pick<BenchRun, 'nChannels' | 'nFreqs' | 'nTimes' | 'nSessions'>): number => r.nChannels * r.nFreqs * r.nTimes * r.nSessions;

const MIB = 1024 ** 2;

/** Rounds to 4 significant digits so the inline JSON stays short. */
const sig = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(4)) : v);

/** The fields every chart row carries for its tooltip. */
interface TooltipRow {
  method: string;
  workload: string;
  size: string;
  time_s: number;
  speedup: number;
  peak_MiB: number;
  cpu_pct: number;
  validation: string;
}

function tooltipRow(r: BenchRun): TooltipRow {
  return {
    method: r.method,
    workload: `${r.workload} · ${r.roiLabel}`,
    size: `${r.nChannels} ch × ${r.nFreqs} freqs × ${r.nTimes} samples${r.nSessions > 1 ? ` × ${r.nSessions} sessions` : ''}`,
    time_s: sig(r.wallSeconds),
    speedup: sig(r.speedup),
    peak_MiB: sig(r.peakRssBytes / MIB),
    cpu_pct: Math.round(r.cpuUtilization * 100),
    validation: r.valid ? 'valid' : `INVALID: ${r.problem ?? ''}`,
  };
}

const TOOLTIP = [
  { field: 'method', type: 'nominal' },
  { field: 'workload', type: 'nominal' },
  { field: 'size', type: 'nominal' },
  { field: 'time_s', type: 'quantitative', title: 'time (s)' },
  { field: 'speedup', type: 'quantitative', title: 'speedup (×)' },
  { field: 'peak_MiB', type: 'quantitative', title: 'peak RSS (MiB)' },
  { field: 'cpu_pct', type: 'quantitative', title: 'CPU (%)' },
  { field: 'validation', type: 'nominal' },
] as const;

/** A legend-bound selection: click a legend entry to highlight that series (shift-click for more). */
const SERIES_PARAM = { name: 'pick', select: { type: 'point' as const, fields: ['series'] }, bind: 'legend' as const };

const SERIES_OPACITY = { condition: { param: 'pick', value: 1 }, value: 0.15 };

/** Categorical colours without red, which marks invalid runs (tableau10 minus its red). */
const SERIES_COLOURS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#eeca3b', '#72b7b2', '#9d755d', '#ff9da6', '#bab0ac', '#1f3a5f'];

/** Every strategy · backend of the report, sequential first: one colour each, the same in every chart. */
function allSeries(runs: readonly BenchRun[]): string[] {
  const names = [...new Set(runs.map((r) => seriesName(r, false)))].filter((n) => n !== 'sequential').sort();
  return ['sequential', ...names];
}

const seriesColour = (series: string[]) =>
  ({ field: 'series', type: 'nominal', sort: series, title: 'strategy · backend', scale: { domain: series, range: SERIES_COLOURS }, legend: { labelLimit: 300 } }) as const;

/** `quick · channels 0-3 · 20000 samples` → [`quick · channels 0-3`, `20000 samples`]. */
function twoLines(key: string): string[] {
  const parts = key.split(' · ');
  return parts.length <= 2 ? [key] : [parts.slice(0, 2).join(' · '), parts.slice(2).join(' · ')];
}

function speedupChart(report: BenchReport): TopLevelSpec | null {
  const groups = groupRuns(report.runs).filter((g) => g.runs.some((r) => r.strategy !== 'sequential'));
  if (groups.length === 0) return null;
  const rows = groups.flatMap((g) =>
    g.runs
      .filter((r) => r.strategy !== 'sequential')
      .map((r) => ({ group: g.key, series: seriesName(r, false), line: seriesName(r, true), batch: r.batchSize === null ? '–' : String(r.batchSize), jobs: r.jobs, ...tooltipRow(r) })),
  );
  const series = allSeries(report.runs);
  const batches = [...new Set(rows.map((r) => r.batch))].sort((a, b) => (a === '–' ? -1 : b === '–' ? 1 : Number(a) - Number(b)));
  const jobs = [...new Set(rows.map((r) => r.jobs))].sort((a, b) => a - b);
  const maxSpeedup = Math.max(1, ...rows.map((r) => r.speedup).filter(Number.isFinite));
  const x = { field: 'jobs', type: 'ordinal' as const, title: 'jobs', scale: { domain: jobs }, axis: { labelAngle: 0 } };
  const y = { field: 'speedup', type: 'quantitative' as const, title: 'speedup (×)', scale: { domain: [0, Math.ceil(maxSpeedup * 1.1 * 2) / 2] } };
  // One small chart per workload (a concat rather than a facet: a wrapped facet draws axes in its empty cells).
  const views = groups.map((g, i) => {
    const invalid = rows.filter((r) => r.group === g.key && r.validation !== 'valid');
    return {
      title: { text: twoLines(g.key), fontSize: 12, fontWeight: 'normal' as const, limit: 300 },
      width: 260,
      height: 190,
      data: { values: rows.filter((r) => r.group === g.key) },
      layer: [
        { data: { values: [{ one: 1 }] }, mark: { type: 'rule' as const, color: '#888', strokeDash: [4, 3] }, encoding: { y: { field: 'one', type: 'quantitative' as const } } },
        {
          name: `speedup_${i}`,
          mark: { type: 'line' as const, point: { filled: true, size: 50 }, strokeWidth: 2 },
          encoding: {
            x,
            y,
            color: seriesColour(series),
            // One line per strategy · backend · batch size; batch sizes differ in dash pattern.
            detail: { field: 'line', type: 'nominal' as const },
            strokeDash: { field: 'batch', type: 'nominal' as const, sort: batches, scale: { domain: batches }, title: 'batch size' },
            opacity: SERIES_OPACITY,
            tooltip: [...TOOLTIP],
          },
        },
        ...(invalid.length > 0
          ? [
              {
                transform: [{ filter: "datum.validation !== 'valid'" }],
                mark: { type: 'point' as const, shape: 'cross', color: '#c00', size: 160, filled: true },
                encoding: { x, y, tooltip: [...TOOLTIP] },
              },
            ]
          : []),
      ],
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: baseConfig(),
    params: [{ ...SERIES_PARAM, views: views.map((_, i) => `speedup_${i}`) }],
    concat: views,
    columns: Math.min(3, views.length),
    spacing: { row: 20, column: 20 },
  };
}

/** Per workload, problem size and strategy · backend: the fastest run (valid runs preferred). */
function fastestPerSize(runs: readonly BenchRun[]): BenchRun[] {
  const best = new Map<string, BenchRun>();
  for (const r of runs) {
    const key = `${r.workload}|${r.nChannels}|${r.nTimes}|${r.nFreqs}|${r.nSessions}|${seriesName(r, false)}`;
    const cur = best.get(key);
    if (cur === undefined || (r.valid && !cur.valid) || (r.valid === cur.valid && r.wallSeconds < cur.wallSeconds)) best.set(key, r);
  }
  return [...best.values()];
}

function sizeChart(report: BenchReport, what: 'time' | 'memory'): TopLevelSpec | null {
  const runs = fastestPerSize(report.runs);
  if (runs.length === 0) return null;
  const rows = runs.map((r) => ({ series: seriesName(r, false), points: problemPoints(r), workloadName: r.workload, ...tooltipRow(r) }));
  const series = allSeries(report.runs);
  const yField = what === 'time' ? 'time_s' : 'peak_MiB';
  const yTitle = what === 'time' ? 'wall time, median (s)' : 'peak RSS (MiB)';
  const x = { field: 'points', type: 'quantitative' as const, scale: { type: 'log' as const, nice: false, padding: 16 }, title: 'problem size (channels × freqs × samples × sessions)', axis: { format: '.2s', tickCount: 6 } };
  const y = { field: yField, type: 'quantitative' as const, scale: { type: 'log' as const, nice: false, padding: 16 }, title: yTitle };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: baseConfig(),
    data: { values: rows },
    width: 560,
    height: 320,
    layer: [
      {
        params: [SERIES_PARAM],
        mark: { type: 'line', point: { filled: true, size: 50 }, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color: seriesColour(series),
          // Lines join sizes of one workload only (workloads differ in what a run computes).
          detail: { field: 'workloadName', type: 'nominal' },
          opacity: SERIES_OPACITY,
          tooltip: [...TOOLTIP],
        },
      },
      {
        transform: [{ filter: "datum.validation !== 'valid'" }],
        mark: { type: 'point', shape: 'cross', color: '#c00', size: 160, filled: true },
        encoding: { x, y, tooltip: [...TOOLTIP] },
      },
    ],
  };
}

/**
 * The charts of report.html, compiled to Vega: speedup vs jobs, time vs problem size, peak memory
 * vs problem size. Charts with nothing to show (e.g. no parallel run) are left out.
 */
export function benchCharts(report: BenchReport): BenchChart[] {
  const out: BenchChart[] = [];
  const speedup = speedupChart(report);
  if (speedup !== null) {
    out.push({
      id: 'chart-speedup',
      title: 'Speedup vs jobs',
      description: 'Sequential time ÷ parallel time (median of the timed repeats), per workload; one line per strategy · backend (colour) and batch size (dash pattern). The grey dashed line is the sequential run; red crosses are runs that failed validation.',
      vega: toVega(speedup),
    });
  }
  const time = sizeChart(report, 'time');
  if (time !== null) {
    out.push({
      id: 'chart-time',
      title: 'Time vs problem size',
      description: 'Median wall time per problem size (channels × frequencies × samples × sessions), log–log; each point is the fastest job count / batch size of that strategy · backend.',
      vega: toVega(time),
    });
  }
  const memory = sizeChart(report, 'memory');
  if (memory !== null) {
    out.push({
      id: 'chart-memory',
      title: 'Peak memory vs problem size',
      description: 'Peak resident memory (all processes of the run) of the same runs as the time chart, log–log.',
      vega: toVega(memory),
    });
  }
  return out;
}
