/**
 * Report generation (src/bench/report/report.ts) from fixed results, against golden files
 * (test/fixtures/report/). Regenerate the golden files after an intended change with
 * `UPDATE_GOLDEN=1 node --test dist/test/bench/report/report.test.js` and review the diff.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import type { BenchRun } from '../../../src/bench/runner.js';
import { summarizeCeiling } from '../../../src/bench/ceiling.js';
import { bestPerformers, groupRuns } from '../../../src/bench/report/insights.js';
import { buildReport, renderMarkdown, renderScalability } from '../../../src/bench/report/report.js';
import type { BenchReport } from '../../../src/bench/report/types.js';
import { benchReportFixture, fixturePath } from '../../helpers.js';

const fixture = benchReportFixture();

function fixedReport(runs: BenchRun[]): BenchReport {
  return { ...buildReport(runs, fixture.parameters, fixture.command, fixture.machine), createdAt: fixture.createdAt };
}

function golden(name: string, actual: string): void {
  const path = fixturePath('report', name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name} differs from its golden file`);
}

test('report.md and scalability.md from fixed runs match the golden files', () => {
  const report = fixedReport(fixture.runs);
  golden('report.md', renderMarkdown(report));
  golden('scalability.md', renderScalability(report));
});

test('invalid runs come first and make the report invalid', () => {
  const report = fixedReport(fixture.runs);
  assert.equal(report.valid, false);
  assert.equal(report.runs[0]!.valid, false);
  assert.match(renderMarkdown(report), /^## Invalid runs$/m);
  assert.match(report.recommendations[0]!, /^Do not use .*disagreed with sequential/);
  const allValid = fixedReport(fixture.runs.map((r) => ({ ...r, valid: true, problem: null })));
  assert.equal(allValid.valid, true);
  assert.doesNotMatch(renderMarkdown(allValid), /## Invalid runs/);
});

test("a measured parallel ceiling is stated under the machine, and each fastest run is read against it", () => {
  // The fixture's machine has 4 cores, and its fastest runs use 4 jobs.
  const ceiling = summarizeCeiling(4, [3.0, 3.8, 3.4, 3.2]);
  assert.equal(ceiling.median, 3.3);
  const report = { ...fixedReport(fixture.runs), machine: { ...fixture.machine, parallelCeiling: ceiling } };
  const md = renderMarkdown(report);
  assert.match(md, /^Parallel ceiling of this machine: .* \*\*3\.30×\*\* the work on 4 threads .* 4 samples .* 3\.00–3\.80×/m);
  const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Recommendations'));
  assert.match(summary, /\| fastest \| speedup \| of ceiling \|/);
  const cells = groupRuns(report.runs).map((g) => {
    const { fastest } = bestPerformers(g);
    const cell = fastest.jobs === 4 ? (fastest.speedup / 3.3).toFixed(2) : '—';
    assert.ok(summary.includes(`| ${fastest.method} | ${fastest.speedup.toFixed(2)}× | ${cell} |`), `${g.key}: ${cell}`);
    return cell;
  });
  assert.ok(cells.includes('0.94') && cells.includes('—') === false, cells.join(' '));
  // Without a measurement the report is as before (the golden files above).
  assert.doesNotMatch(renderMarkdown(fixedReport(fixture.runs)), /ceiling/);
});
