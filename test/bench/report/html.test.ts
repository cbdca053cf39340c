/**
 * report.html (src/bench/report/html.ts, charts.ts) from a fixed benchmark report
 * (test/fixtures/figures/bench-report.json: 44 runs of the quick, scalability and full-sessions
 * workloads on a 4-core machine, one of them invalid): page structure and self-containment in
 * Node, then the real thing in Debian's Chromium, opened from disk with the network blocked.
 */
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { renderHtml } from '../../../src/bench/report/html.js';
import { benchCharts, problemPoints, seriesName } from '../../../src/bench/report/charts.js';
import { benchReportFixture, offlineBrowser, skipWithoutChromium, tempDir } from '../../helpers.js';

/** The text of `<script ... id="<id>">…</script>`. */
function scriptById(html: string, id: string): string {
  const m = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html);
  assert.ok(m, `script #${id}`);
  return m[1]!;
}

describe('report.html (structure)', () => {
  const report = benchReportFixture();
  const html = renderHtml(report);

  test('keeps the report data, the tables, machine info and recommendations', () => {
    assert.deepEqual(JSON.parse(scriptById(html, 'report-data')), report);
    assert.match(html, /<table class="machine" id="machine">/);
    for (const s of ['Fixture CPU @ 3.00GHz', 'v20.20.2', '16.00 GiB', 'linux-x64']) assert.ok(html.includes(s), s);
    assert.ok(!html.includes('parallel ceiling'), 'no ceiling row unless one was measured');
    const ceiling = { threads: 4, transforms: 2000, samples: [3.1, 3.6, 3.3], median: 3.3, min: 3.1, max: 3.6 };
    const withCeiling = renderHtml({ ...report, machine: { ...report.machine, parallelCeiling: ceiling } });
    assert.ok(withCeiling.includes('<tr><th>parallel ceiling (4 threads)</th><td>3.30× (3.10–3.60×, 3 samples)</td></tr>'));
    const recs = /<ul id="recommendations">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
    assert.equal((recs.match(/<li>/g) ?? []).length, report.recommendations.length);
    assert.ok(recs.includes('Do not use frequencies/processes/j4/b5'));
    // One table per workload group, each run a row.
    assert.equal((html.match(/<section class="workload">/g) ?? []).length, 8);
  });

  test('invalid runs: status, a section of their own, highlighted rows listed first', () => {
    assert.match(html, /<p class="status-bad" id="status">1 INVALID run\(s\)\.<\/p>/);
    const invalid = /<section id="invalid">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
    assert.match(invalid, /<tr class="bad"><td>frequencies\/processes\/j4\/b5<\/td>/);
    assert.match(invalid, /INVALID: max \|diff\| vs sequential 0.0031 &#62; tolerance 1e-10/);
    const quick = /<section class="workload"><h2>quick[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    assert.match(quick, /<tbody>\n<tr class="bad">/, 'the invalid run is the first row of its workload table');
    assert.match(html, /tr\.bad\{background:#fdd/);
  });

  test('self-contained: nothing is loaded from anywhere', () => {
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /<script[^>]*\ssrc=/i);
    assert.doesNotMatch(html, /<(img|iframe|object|embed)\b/i);
    assert.doesNotMatch(html, /\bhref="(?!#)/i);
    assert.doesNotMatch(html, /@import|url\(\s*['"]?https?:/i);
    // The Vega runtime is inline.
    assert.match(html, /<script>!function\(t,e\)\{"object"==typeof exports/);
    assert.ok(html.length < 2_000_000, `page size ${html.length}`);
  });

  test('chart specs: speedup vs jobs, time and memory vs problem size, from the runs', () => {
    const specs = JSON.parse(scriptById(html, 'chart-specs')) as Record<string, { $schema: string; data: { name: string; values?: Record<string, unknown>[] }[] }>;
    assert.deepEqual(Object.keys(specs), ['chart-speedup', 'chart-time', 'chart-memory']);
    for (const id of Object.keys(specs)) {
      assert.match(html, new RegExp(`<div class="chart" id="${id}"></div>`));
      assert.match(specs[id]!.$schema, /vega\/v6/);
    }
    const values = (id: string): Record<string, unknown>[] => specs[id]!.data.flatMap((d) => d.values ?? []);
    // Every parallel run is a point of the speedup chart, with its speedup.
    const parallel = report.runs.filter((r) => r.strategy !== 'sequential');
    const speedRows = values('chart-speedup').filter((v) => 'jobs' in v);
    assert.equal(speedRows.length, parallel.length);
    const invalid = speedRows.filter((v) => v['validation'] !== 'valid');
    assert.deepEqual(invalid.map((v) => v['method']), ['frequencies/processes/j4/b5']);
    const row = speedRows.find((v) => v['method'] === 'channels/threads/j4' && String(v['workload']).startsWith('quick'));
    assert.equal(row?.['speedup'], 3.333);
    assert.equal(row?.['series'], 'channels · threads');
    // Time chart: per workload × size × strategy·backend, the fastest run; the sequential line spans every size.
    const timeRows = values('chart-time').filter((v) => 'points' in v);
    const seq = timeRows.filter((v) => v['series'] === 'sequential');
    assert.equal(seq.length, 8);
    assert.deepEqual(
      [...new Set(seq.map((v) => v['points'] as number))].sort((a, b) => a - b),
      [...new Set(report.runs.filter((r) => r.strategy === 'sequential').map(problemPoints))].sort((a, b) => a - b),
    );
    const fastQuick = timeRows.find((v) => v['series'] === 'channels · threads' && v['workloadName'] === 'quick');
    assert.equal(fastQuick?.['method'], 'channels/threads/j4');
    assert.equal(values('chart-memory').filter((v) => 'points' in v).length, timeRows.length);
    assert.equal(seriesName({ strategy: 'frequencies', backend: 'threads', batchSize: 5 }, true), 'frequencies · threads · batch 5');
  });

  test('markup in report strings is escaped, and cannot end the data scripts early', () => {
    const evil = benchReportFixture();
    evil.command = 'eeg-parallel test </script><script>alert(1)</script>';
    evil.recommendations = ['use <b>this</b> & that'];
    evil.runs[0]!.problem = '</script><img src=x>';
    const page = renderHtml(evil);
    assert.doesNotMatch(page, /<script>alert/);
    assert.doesNotMatch(page, /<img src=x>/);
    assert.ok(page.includes('<li>use &#60;b&#62;this&#60;/b&#62; &#38; that</li>'));
    assert.deepEqual(JSON.parse(scriptById(page, 'report-data')), evil);
  });

  test('an all-valid report, and one with only sequential runs', () => {
    const ok = benchReportFixture();
    ok.runs = ok.runs.filter((r) => r.valid);
    ok.valid = true;
    const page = renderHtml(ok);
    assert.match(page, /<p class="status-ok" id="status">All runs valid\.<\/p>/);
    assert.doesNotMatch(page, /id="invalid"/);
    const seqOnly = { ...ok, runs: ok.runs.filter((r) => r.strategy === 'sequential') };
    assert.deepEqual(
      benchCharts(seqOnly).map((c) => c.id),
      ['chart-time', 'chart-memory'],
    );
    assert.doesNotMatch(renderHtml(seqOnly), /id="chart-speedup"/);
  });
});

const skipBrowser = skipWithoutChromium();

describe('report.html in Chromium', () => {
  test('opens offline from file://, draws every chart, no console errors; screenshot saved', { skip: skipBrowser, timeout: 120_000 }, async (t) => {
    const dir = tempDir('eeg-report-html-');
    const page = join(dir, 'report.html');
    writeFileSync(page, renderHtml(benchReportFixture()));
    const browser = await offlineBrowser();
    try {
      const { network, problems } = browser;
      const tab = await browser.newTab();
      await tab.goto(pathToFileURL(page).href);
      // (Page code is passed as strings: this project compiles without the DOM typings.)
      await tab.waitForFunction(`document.querySelectorAll('.chart[data-rendered="true"]').length === document.querySelectorAll('.chart').length`, undefined, { timeout: 30_000 });
      const charts = await tab.evaluate<{ id: string; svgs: number; marks: number; width: number }[]>(`
        [...document.querySelectorAll('.chart')].map((c) => ({
          id: c.id,
          svgs: c.querySelectorAll('svg').length,
          marks: c.querySelectorAll('svg .role-mark path, svg .role-mark line').length,
          width: c.querySelector('svg')?.getBoundingClientRect().width ?? 0,
        }))`);
      assert.deepEqual(charts.map((c) => c.id), ['chart-speedup', 'chart-time', 'chart-memory']);
      for (const c of charts) {
        assert.equal(c.svgs, 1, `${c.id}: one SVG`);
        assert.ok(c.marks >= 5, `${c.id}: ${c.marks} marks drawn`);
        assert.ok(c.width > 300, `${c.id}: ${c.width} px wide`);
      }
      const svgWithMarks = await tab.evaluate<number>(`[...document.querySelectorAll('svg')].filter((s) => s.querySelector('.role-mark path')).length`);
      assert.ok(svgWithMarks >= 3, `${svgWithMarks} SVG charts with marks`);
      // The invalid run is highlighted: its table row has the red background.
      const bg = await tab.evaluate<string>(`getComputedStyle(document.querySelector('#invalid tr.bad')).backgroundColor`);
      assert.equal(bg, 'rgb(255, 221, 221)');
      const shot = join(dir, 'report.png');
      await tab.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 10_000);
      t.diagnostic(`screenshot: ${shot}`);
      // Interactive: clicking a legend entry of the time chart dims the other series.
      await tab.locator('#chart-time .role-legend-symbol path').first().click();
      await tab.waitForFunction(`[...document.querySelectorAll('#chart-time .role-mark path')].some((p) => p.getAttribute('opacity') === '0.15')`, undefined, { timeout: 5_000 });

      assert.deepEqual(network, [], 'no network requests');
      assert.deepEqual(problems, [], 'no console errors or warnings');
    } finally {
      await browser.close();
    }
  });
});
