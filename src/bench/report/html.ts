/**
 * report.html: a self-contained page (no network, works from file://) with charts of the
 * measurements (speedup vs jobs, time and memory vs problem size), the validation table (failures
 * first and highlighted), machine info, per-workload tables and the recommendations.
 *
 * How the charts get on the page: their Vega-Lite specs are compiled to Vega here in Node and
 * embedded as JSON, together with the Vega runtime itself (vega.min.js from the `vega` package,
 * inlined), which draws them as SVG when the page opens. Why not inline SVGs pre-rendered in Node:
 * the page is meant to be explored (tooltips with each run's numbers, click a legend entry to
 * highlight a strategy), which needs the runtime; it also keeps `renderHtml` synchronous (Vega's
 * headless SVG export is asynchronous). The cost is ~0.5 MB of inline script, with nothing fetched.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRun } from '../runner.js';
import { bestPerformers, fmtBytes, fmtSeconds, groupRuns } from './insights.js';
import { benchCharts } from './charts.js';
import type { BenchReport } from './types.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON safe inside a `<script>` element (no `</script>`, no `<!--`). */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

let vegaRuntime: string | undefined;

/** The Vega browser bundle (UMD, defines `vega`), read from the installed `vega` package. */
export function vegaRuntimeSource(): string {
  if (vegaRuntime === undefined) {
    // The package's exports only name its ES module; the browser bundle sits next to it.
    const moduleFile = fileURLToPath(import.meta.resolve('vega'));
    const source = readFileSync(join(dirname(moduleFile), 'vega.min.js'), 'utf8');
    // A literal "</script" would end the inline element early; "<\/script" means the same in JS.
    vegaRuntime = source.replace(/<\/script/gi, '<\\/script');
  }
  return vegaRuntime;
}

function table(runs: readonly BenchRun[]): string {
  const rows = runs
    .map(
      (r) =>
        `<tr class="${r.valid ? 'ok' : 'bad'}"><td>${esc(r.method)}</td><td>${fmtSeconds(r.wallSeconds)}</td>` +
        `<td>${r.speedup.toFixed(2)}×</td><td>${fmtBytes(r.peakRssBytes)}</td><td>${(r.cpuUtilization * 100).toFixed(0)}%</td>` +
        `<td>${r.maxAbsDiff.toExponential(1)}</td><td>${r.valid ? 'valid' : `INVALID: ${esc(r.problem ?? '')}`}</td></tr>`,
    )
    .join('\n');
  return `<table><thead><tr><th>method</th><th>time (median)</th><th>speedup</th><th>peak RSS</th><th>CPU</th><th>max |diff|</th><th>validation</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function machineTable(report: BenchReport): string {
  const m = report.machine;
  const rows: [string, string][] = [
    ['CPU', m.cpuModel],
    ['cores available', String(m.cores)],
    ['logical CPUs', String(m.logicalCpus)],
    ['memory', fmtBytes(m.memoryBytes)],
    ['Node.js', m.node],
    ['platform', m.platform],
  ];
  const c = m.parallelCeiling;
  if (c !== undefined) rows.push([`parallel ceiling (${c.threads} threads)`, `${c.median.toFixed(2)}× (${c.min.toFixed(2)}–${c.max.toFixed(2)}×, ${c.samples.length} samples)`]);
  return `<table class="machine" id="machine"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
}

/** Inline script that draws every chart with the Vega runtime; failures are shown and logged. */
const CHART_SCRIPT = `(function () {
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  Object.keys(specs).forEach(function (id) {
    var el = document.getElementById(id);
    try {
      new vega.View(vega.parse(specs[id]), { renderer: 'svg', container: el, hover: true })
        .runAsync()
        .then(function () { el.setAttribute('data-rendered', 'true'); })
        .catch(function (e) { el.textContent = 'This chart could not be drawn: ' + e; console.error(e); });
    } catch (e) {
      el.textContent = 'This chart could not be drawn: ' + e;
      console.error(e);
    }
  });
})();`;

export function renderHtml(report: BenchReport): string {
  const groups = groupRuns(report.runs);
  const invalid = report.runs.filter((r) => !r.valid);
  const charts = benchCharts(report);
  const sections = groups
    .map((g) => {
      const { fastest } = bestPerformers(g);
      const ordered = [...g.runs.filter((r) => !r.valid), ...g.runs.filter((r) => r.valid)];
      return `<section class="workload"><h2>${esc(g.key)}</h2><p>Fastest: <b>${esc(fastest.method)}</b> (${fmtSeconds(fastest.wallSeconds)}, ${fastest.speedup.toFixed(2)}×)</p>${table(ordered)}</section>`;
    })
    .join('\n');
  const chartSections = charts
    .map((c) => `<section class="chart-section"><h2>${esc(c.title)}</h2><p class="note">${esc(c.description)}</p><div class="chart" id="${c.id}"></div></section>`)
    .join('\n');
  const specs = Object.fromEntries(charts.map((c) => [c.id, c.vega]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eeg-parallel benchmark report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1250px;color:#111}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}tr.bad{background:#fdd;font-weight:bold}.status-bad{color:#b00;font-weight:bold}
.status-ok{color:#060}table.machine th{text-align:left;background:#f4f4f4}table.machine td{text-align:left}
.chart{overflow-x:auto;margin:0.5em 0 1.5em}.note{color:#444;max-width:60em}
</style></head><body>
<h1>eeg-parallel benchmark report</h1>
<p>eeg-parallel ${esc(report.version)}, ${esc(report.createdAt)} — <code>${esc(report.command)}</code></p>
<h2>Machine</h2>
${machineTable(report)}
<p class="${report.valid ? 'status-ok' : 'status-bad'}" id="status">${report.valid ? 'All runs valid.' : `${invalid.length} INVALID run(s).`}</p>
${invalid.length > 0 ? `<section id="invalid"><h2>Invalid runs</h2>${table(invalid)}</section>` : ''}
<section id="charts">
<p class="note">Hover a point for its run's numbers; click a legend entry to highlight that series (shift-click to add more, click elsewhere to reset).</p>
<noscript><p class="status-bad">The charts need JavaScript (inline, nothing is downloaded); the tables below have every number.</p></noscript>
${chartSections}
</section>
<h2>Recommendations</h2><ul id="recommendations">${report.recommendations.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>
${sections}
<script type="application/json" id="report-data">${scriptJson(report)}</script>
<script type="application/json" id="chart-specs">${scriptJson(specs)}</script>
<script>${vegaRuntimeSource()}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
