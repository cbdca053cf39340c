/**
 * report.html: a self-contained page (no network) with the validation table (failures first and
 * highlighted), machine info, per-workload tables and the recommendations.
 */
import type { BenchRun } from '../bench/runner.js';
import { bestPerformers, fmtBytes, fmtSeconds, groupRuns } from './analyze.js';
import type { BenchReport } from './report.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

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

export function renderHtml(report: BenchReport): string {
  const m = report.machine;
  const groups = groupRuns(report.runs);
  const invalid = report.runs.filter((r) => !r.valid);
  const sections = groups
    .map((g) => {
      const { fastest } = bestPerformers(g);
      const ordered = [...g.runs.filter((r) => !r.valid), ...g.runs.filter((r) => r.valid)];
      return `<section class="workload"><h2>${esc(g.key)}</h2><p>Fastest: <b>${esc(fastest.method)}</b> (${fmtSeconds(fastest.wallSeconds)}, ${fastest.speedup.toFixed(2)}×)</p>${table(ordered)}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eeg-parallel benchmark report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}tr.bad{background:#fdd;font-weight:bold}.status-bad{color:#b00}
</style></head><body>
<h1>eeg-parallel benchmark report</h1>
<p>eeg-parallel ${esc(report.version)}, ${esc(report.createdAt)} — <code>${esc(report.command)}</code></p>
<p>Machine: ${esc(m.cpuModel)}, ${m.cores} cores, ${fmtBytes(m.memoryBytes)} RAM, Node ${esc(m.node)}.</p>
<p class="${report.valid ? 'status-ok' : 'status-bad'}" id="status">${report.valid ? 'All runs valid.' : `${invalid.length} INVALID run(s).`}</p>
${invalid.length > 0 ? `<section id="invalid"><h2>Invalid runs</h2>${table(invalid)}</section>` : ''}
<h2>Recommendations</h2><ul>${report.recommendations.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>
${sections}
<script type="application/json" id="report-data">${JSON.stringify(report).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
