/**
 * DIR/results.html (src/results/explorer.ts), written by `analyze-all` / `aggregate` and rewritten
 * by `stats`: for six synthetic rats (ROIs frontal and motor, NM and ITI) the page's structure and
 * self-containment and its inline data against the .npy files; for three rats with `--roi all`
 * the electrode maps; then the real thing in Debian's Chromium, opened from disk with the network
 * blocked: it renders, the controls switch the view, cells have tooltips, the stats clusters are
 * outlined, no request leaves the page and nothing is logged as an error.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';
import { readNpyFloat64 } from '../../src/index.js';
import { packagePath } from '../../src/paths.js';
import { EXPLORER_FILE, MAX_COLUMNS } from '../../src/results/explorer.js';
import { offlineBrowser, runCli, skipWithoutChromium, syntheticLabFile, tempDir } from '../helpers.js';

const RATS = ['9151', '9441', '9442', '9591', '10501', '10592'];
const N_FREQS = 6;
const WINDOW_SAMPLES = 200;
const BIN = Math.ceil(WINDOW_SAMPLES / MAX_COLUMNS);
const COLUMNS = Math.ceil(WINDOW_SAMPLES / BIN);

/** The run (six rats, frontal and motor) and its page before and after `stats`. */
let DIR = '';
let beforeStats = '';
let afterStats = '';
/** A run of three rats with `--roi all` (electrode maps). */
let ALL = '';

before(() => {
  const pkl = syntheticLabFile(RATS, 12_000, 20);
  DIR = join(tempDir(), 'out');
  let r = runCli(['analyze-all', '--data', pkl, '--roi', 'frontal,motor', '--events', 'nm,iti', '--n-freqs', String(N_FREQS), '--window', '1.0', '--no-plots', '--output-dir', DIR]);
  assert.equal(r.status, 0, r.stderr);
  beforeStats = readFileSync(join(DIR, EXPLORER_FILE), 'utf8');
  r = runCli(['stats', '--output-dir', DIR, '--no-plots']);
  assert.equal(r.status, 0, r.stderr);
  afterStats = readFileSync(join(DIR, EXPLORER_FILE), 'utf8');
  ALL = join(tempDir(), 'all');
  r = runCli(['analyze-all', '--data', pkl, '--rats', RATS.slice(0, 3).join(','), '--roi', 'all', '--events', 'nm,iti', '--n-freqs', String(N_FREQS), '--window', '1.0', '--no-plots', '--output-dir', ALL]);
  assert.equal(r.status, 0, r.stderr);
});

/** The parsed `<script type="application/json" id="<id>">`. */
function scriptJson(html: string, id: string): any {
  const m = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html);
  assert.ok(m, `script #${id}`);
  return JSON.parse(m[1]!);
}

describe('results.html (structure)', () => {
  test('one self-contained file: scripts inline, nothing loaded from anywhere, no temporary file left', () => {
    for (const html of [beforeStats, afterStats]) {
      assert.doesNotMatch(html, /<link\b/i);
      assert.doesNotMatch(html, /<script[^>]*\ssrc=/i);
      assert.doesNotMatch(html, /src="http/i);
      assert.doesNotMatch(html, /<(img|iframe|object|embed)\b/i);
      assert.doesNotMatch(html, /\bhref="(?!#)/i);
      assert.doesNotMatch(html, /@import|url\(\s*['"]?https?:/i);
      assert.match(html, /<script>!function\(t,e\)\{"object"==typeof exports/, 'the Vega runtime is inline');
    }
    assert.ok(afterStats.length < 2_000_000, `page size ${afterStats.length}`);
    assert.ok(!existsSync(join(DIR, `${EXPLORER_FILE}.tmp`)));
  });

  test('controls and data: ROIs, events, sizes, levels (cross-rat, each rat, each session)', () => {
    const d = scriptJson(afterStats, 'explorer-data');
    assert.deepEqual(d.rois.map((r: any) => r.key), ['frontal', 'motor']);
    assert.deepEqual(d.events, ['nm', 'iti', 'nm-iti']);
    assert.deepEqual(d.sizes, ['1', '2', '3']);
    const labels: string[] = d.levels.map((l: any) => l.label.replace(/( session \d+) \([^)]*\)$/, '$1'));
    assert.equal(labels[0], 'cross-rat (6 rats)');
    // Each rat (one session each here), then its session.
    const rats = labels.slice(1).filter((_, i) => i % 2 === 0).map((l) => l.replace('rat ', ''));
    assert.deepEqual(rats.slice().sort(), RATS.slice().sort());
    assert.deepEqual(labels.slice(1), rats.flatMap((id) => [`rat ${id}`, `rat ${id} session ${RATS.indexOf(id)}`]));
    assert.deepEqual(d.levels.map((l: any) => l.kind), ['cross', ...rats.flatMap(() => ['rat', 'session'])]);
    for (const id of ['sel-roi', 'sel-events', 'sel-size', 'sel-level']) assert.match(afterStats, new RegExp(`<select id="${id}">`));
    assert.match(afterStats, /<option value="nm-iti">NM − ITI<\/option>/);
    // Means only: every level has 2 ROIs × 6 groups of n_freqs × columns values, no windows.
    for (const l of d.levels) {
      assert.deepEqual(Object.keys(l.means), ['frontal', 'motor']);
      for (const roi of Object.values(l.means) as Record<string, unknown[]>[]) {
        assert.deepEqual(Object.keys(roi).sort(), ['iti|1', 'iti|2', 'iti|3', 'nm|1', 'nm|2', 'nm|3']);
        for (const v of Object.values(roi)) assert.equal(v.length, N_FREQS * COLUMNS);
      }
    }
    assert.equal(d.grids[0].binSize, BIN);
    assert.equal(d.grids[0].times.length, COLUMNS);
    assert.equal(d.levels[0].counts.frontal['nm|3'], 6);
  });

  test('the cross-rat and a session map are the .npy means, binned over time and rounded to 4 significant digits', () => {
    const d = scriptJson(afterStats, 'explorer-data');
    const check = (values: (number | null)[], npy: string) => {
      const mean = readNpyFloat64(npy).data;
      for (let f = 0; f < N_FREQS; f++) {
        for (let c = 0; c < COLUMNS; c++) {
          let sum = 0;
          for (let t = c * BIN; t < (c + 1) * BIN; t++) sum += mean[f * WINDOW_SAMPLES + t]!;
          const expected = Number((sum / BIN).toPrecision(4));
          assert.equal(values[f * COLUMNS + c], expected, `${npy} [${f}, ${c}]`);
        }
      }
    };
    check(d.levels[0].means.motor['iti|2'], join(DIR, 'cross_rat', 'roi_motor', 'iti_size_2_mean.npy'));
    const session = d.levels.findIndex((l: any) => l.kind === 'session' && l.label.startsWith('rat 9441 session 1'));
    assert.ok(session > 0);
    check(d.levels[session].means.frontal['nm|1'], join(DIR, 'rat_9441', 'session_1', 'roi_frontal', 'nm_size_1_mean.npy'));
  });

  test('after stats, the significant clusters (p < 0.05) as outlines; before, none', () => {
    const before = scriptJson(beforeStats, 'explorer-data');
    assert.deepEqual(before.outlines, {});
    assert.match(beforeStats, /statistics<\/th><td>not run/);
    const d = scriptJson(afterStats, 'explorer-data');
    const stats = JSON.parse(readFileSync(join(DIR, 'stats', 'stats.json'), 'utf8'));
    const size3 = stats.tests.find((t: any) => t.roi === 'frontal' && t.contrast === 'size_3');
    const outline = d.outlines['frontal|nm|3'];
    assert.ok(outline, Object.keys(d.outlines).join(', '));
    assert.deepEqual(outline.pValues, size3.clusters.map((c: any) => Number(c.p_value.toPrecision(4))));
    assert.ok(outline.pValues.some((p: number) => p < 0.05));
    assert.ok(outline.segments.length >= 4, 'a closed outline');
    for (const key of Object.keys(d.outlines)) assert.match(key, /^(frontal|motor)\|(nm|nm-iti)\|[123]$/);
    assert.match(afterStats, /statistics<\/th><td>14 cluster tests, \d+ with a cluster p &#60; 0.05; 32 \(exact\) permutations/);
  });

  test('theta bars, parameters and counts', () => {
    const d = scriptJson(afterStats, 'explorer-data');
    assert.equal(d.bars.length, 2 * 6);
    const bar = d.bars.find((b: any) => b.roi === 'frontal' && b.events === 'NM' && b.size === '3');
    const rows = readFileSync(join(DIR, 'cross_rat', 'theta_summary.csv'), 'utf8').trim().split('\n');
    const csv = rows.find((r) => r.startsWith('frontal,nm,3,'))!.split(',');
    assert.equal(bar.mean, Number(Number(csv[4]).toPrecision(4)));
    assert.equal(bar.se, Number(Number(csv[5]).toPrecision(4)));
    assert.equal(bar.n, 6);
    assert.equal(typeof bar.p, 'number', 'the t test p-value from stats.json');
    for (const s of ['<th>frequencies</th><td>3 to 8 Hz</td>', '<th>n_freqs</th><td>6</td>', '<th>window</th><td>1 s (200 samples)</td>', '<th>normalisation</th><td>session-z</td>', '<th>events</th><td>nm, iti</td>', '<th>theta band</th><td>3 to 7 Hz</td>', '<th>theta window</th><td>-0.2 to 0 s</td>']) {
      assert.ok(afterStats.includes(s), s);
    }
    assert.match(afterStats, /<th>rats<\/th><td>6 \(9151, 9441, 9442, 9591, 10501, 10592\)<\/td>/);
    const counts = /<table id="counts">([\s\S]*?)<\/table>/.exec(afterStats)?.[1] ?? '';
    assert.equal((counts.match(/<tr>/g) ?? []).length, 1 + 6, 'header and a row per rat');
    assert.match(counts, /<tr class="total"><td>rats per group<\/td><td>6<\/td><td>0<\/td>(<td>6<\/td>){6}<\/tr>/);
    assert.ok(!afterStats.includes('id="chart-map"'), 'no electrode map without electrode results');
  });

  test('aggregate writes it too; --roi all: electrode maps with the layout file named and the caveat', () => {
    rmSync(join(DIR, EXPLORER_FILE));
    const r = runCli(['aggregate', '--output-dir', DIR, '--no-plots']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(DIR, EXPLORER_FILE)));
    const html = readFileSync(join(ALL, EXPLORER_FILE), 'utf8');
    const d = scriptJson(html, 'explorer-data');
    assert.deepEqual(d.rois.map((x: any) => x.key), ['frontal', 'motor', 'ss', 'hippocampus', 'visual'], 'the electrodes are in the maps, not the ROI list');
    assert.equal(d.layout.file, 'h32_layout.csv');
    assert.equal(d.layout.sites.length, 32);
    assert.equal(Object.keys(d.levels[0].electrodes['nm|1']).length, 32);
    assert.equal(Object.keys(d.levels[1].electrodes['iti|2']).length, 32, "a rat's electrode theta");
    assert.equal(Object.keys(d.levels[2].electrodes['nm|3']).length, 32, "a session's electrode theta");
    const caption = /<p class="note caption" id="map-caption">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
    assert.match(caption, /layout file <code>h32_layout.csv<\/code>/);
    assert.match(caption, /electrode-to-site correspondence is not verified/);
    assert.ok(html.length < 2_500_000, `page size ${html.length}`);
  });

  test('the layout aggregate was given is the one the page of a later stats run draws with', () => {
    const layout = join(tempDir(), 'my_layout.csv');
    copyFileSync(packagePath('data', 'h32_layout.csv'), layout);
    const layoutOf = (): string => scriptJson(readFileSync(join(ALL, EXPLORER_FILE), 'utf8'), 'explorer-data').layout.file;
    let r = runCli(['aggregate', '--output-dir', ALL, '--no-plots', '--layout', layout]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(layoutOf(), 'my_layout.csv');
    r = runCli(['stats', '--output-dir', ALL, '--no-plots']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(layoutOf(), 'my_layout.csv');
    r = runCli(['aggregate', '--output-dir', ALL, '--no-plots']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(layoutOf(), 'h32_layout.csv', 'without --layout, the default again');
  });
});

const skipBrowser = skipWithoutChromium();

describe('results.html in Chromium', () => {
  test('opens offline from file://, renders, the controls switch the view, tooltips, outlines; no request, no console error', { skip: skipBrowser, timeout: 120_000 }, async (t) => {
    const browser = await offlineBrowser();
    try {
      const { requests, network, problems } = browser;
      const tab = await browser.newTab();
      const page = join(DIR, EXPLORER_FILE);
      await tab.goto(pathToFileURL(page).href);
      // (Page code is passed as strings: this project compiles without the DOM typings.)
      const renders = (id: string) => tab.evaluate<number>(`Number(document.getElementById('${id}').getAttribute('data-renders') || '0')`);
      await tab.waitForFunction(`document.getElementById('chart-spectrogram').getAttribute('data-renders') === '1' && document.getElementById('chart-theta').getAttribute('data-renders') === '1'`, undefined, { timeout: 30_000 });
      const view = () =>
        tab.evaluate<{ title: string; detail: string; cells: number; lines: number; fills: string }>(`({
          title: document.getElementById('spectrogram-title').textContent,
          detail: document.getElementById('spectrogram-detail').textContent,
          cells: document.querySelectorAll('#chart-spectrogram svg .mark-rect.role-mark path').length,
          lines: document.querySelectorAll('#chart-spectrogram svg .mark-rule.role-mark line').length,
          fills: [...document.querySelectorAll('#chart-spectrogram svg .mark-rect.role-mark path')].slice(0, 50).map((p) => p.getAttribute('fill')).join(),
        })`);
      /** Selects `value` in `select` and waits for the spectrogram to be drawn again. */
      const choose = async (select: string, value: string) => {
        const n = await renders('chart-spectrogram');
        await tab.selectOption(`#${select}`, value);
        await tab.waitForFunction(`Number(document.getElementById('chart-spectrogram').getAttribute('data-renders')) > ${n}`, undefined, { timeout: 10_000 });
        return view();
      };

      const first = await view();
      assert.equal(first.title, 'ROI frontal · NM size 1 · cross-rat (6 rats)');
      assert.equal(first.cells, N_FREQS * COLUMNS, 'one rect per cell');
      const bars = await tab.evaluate<number>(`document.querySelectorAll('#chart-theta svg .mark-rect.role-mark path').length`);
      assert.equal(bars, 12, 'theta bars: 2 ROIs × 2 events × 3 sizes');

      // Hover a cell: Vega's tooltip (the chart's title attribute) gives t, f and the value.
      const box = await tab.locator('#chart-spectrogram svg .mark-rect.role-mark path').nth(N_FREQS * COLUMNS - 30).boundingBox();
      assert.ok(box);
      await tab.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
      await tab.waitForFunction(`document.getElementById('chart-spectrogram').hasAttribute('title')`, undefined, { timeout: 5_000 });
      const tip = await tab.evaluate<string>(`document.getElementById('chart-spectrogram').getAttribute('title')`);
      assert.match(tip, /t \(s\): [−-]?\d/);
      assert.match(tip, /f \(Hz\): \d/);
      assert.match(tip, /z-score: [−-]?\d/);

      // Size 3 at the cross-rat level: the significant clusters outlined (besides the t = 0 line).
      const size3 = await choose('sel-size', '3');
      assert.equal(size3.title, 'ROI frontal · NM size 3 · cross-rat (6 rats)');
      assert.ok(size3.lines >= 5, `${size3.lines} rule lines`);
      assert.match(size3.detail, /cluster test \(6 rats\): p = .*0\.03125/);
      assert.notEqual(size3.fills, first.fills, 'other data shown');
      const motor = await choose('sel-roi', 'motor');
      assert.equal(motor.title, 'ROI motor · NM size 3 · cross-rat (6 rats)');
      assert.notEqual(motor.fills, size3.fills);
      const diff = await choose('sel-events', 'nm-iti');
      assert.equal(diff.title, 'ROI motor · NM − ITI size 3 · cross-rat (6 rats)');
      assert.equal(diff.cells, N_FREQS * COLUMNS);
      assert.notEqual(diff.fills, motor.fills);
      const iti = await choose('sel-events', 'iti');
      assert.equal(iti.lines, 1, 'ITI is not tested: only the t = 0 line');
      // A rat, then one of its sessions: their own means, no outlines.
      const rat = await choose('sel-level', '1');
      assert.equal(rat.title, 'ROI motor · ITI (control) size 3 · rat 9151');
      assert.match(rat.detail, /^n = \d+ events/);
      assert.equal(rat.lines, 1);
      assert.notEqual(rat.fills, iti.fills);
      const session = await choose('sel-level', '2');
      assert.match(session.title, /^ROI motor · ITI \(control\) size 3 · rat 9151 session 0 \(/);
      assert.equal(session.cells, N_FREQS * COLUMNS);

      const shot = join(tempDir(), 'results.png');
      await tab.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 10_000);
      t.diagnostic(`screenshot: ${shot}`);

      // The electrode maps of the --roi all run follow the events, size and level.
      const allTab = await browser.newTab();
      await allTab.goto(pathToFileURL(join(ALL, EXPLORER_FILE)).href);
      await allTab.waitForFunction(`document.getElementById('chart-map').getAttribute('data-renders') === '1'`, undefined, { timeout: 30_000 });
      const map = () => allTab.evaluate<{ title: string; dots: number; fills: string }>(`({
        title: document.getElementById('map-title').textContent,
        dots: document.querySelectorAll('#chart-map svg .mark-symbol.role-mark path').length,
        fills: [...document.querySelectorAll('#chart-map svg .mark-symbol.role-mark path')].map((p) => p.getAttribute('fill')).join(),
      })`);
      const m1 = await map();
      assert.equal(m1.title, 'Theta per electrode · NM size 1 · cross-rat (3 rats)');
      assert.equal(m1.dots, 64, '32 sites (open circles) and 32 electrodes with a value');
      await allTab.selectOption('#sel-level', '1');
      await allTab.waitForFunction(`document.getElementById('chart-map').getAttribute('data-renders') === '2'`, undefined, { timeout: 10_000 });
      const m2 = await map();
      assert.equal(m2.title, 'Theta per electrode · NM size 1 · rat 9151');
      assert.notEqual(m2.fills, m1.fills);

      assert.deepEqual(network, [], 'no request leaves the page');
      assert.deepEqual([...new Set(requests)].sort(), [pathToFileURL(page).href, pathToFileURL(join(ALL, EXPLORER_FILE)).href].sort(), 'only the files themselves are loaded');
      assert.deepEqual(problems, [], 'no console errors or warnings');
    } finally {
      await browser.close();
    }
  });
});
