/**
 * The cross-rat theta figures (src/results/figures/theta.ts): bars of theta by NM size and ROI (one
 * bar per row, error bars only where the SE is finite), electrode maps (dots where the layout puts
 * them, coloured by theta, the layout file and its caveat in the caption), the mean ± SE over rats
 * they are drawn from, and `analyze-all` / `aggregate` writing them (`--layout`).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { crossRatAnalysis } from '../../../src/analysis/rat.js';
import { thetaSelection } from '../../../src/analysis/theta.js';
import { InvalidParameterError } from '../../../src/errors.js';
import { defaultLayoutPath, readElectrodeLayout, type ElectrodeLayout } from '../../../src/io/electrode-layout.js';
import { MIN_PNG_WIDTH, plotPixel, type FigureSet } from '../../../src/plot/render.js';
import { meanAndSe, type StoredRat } from '../../../src/results/result-files.js';
import {
  crossRatElectrodeTheta,
  crossRatThetaRows,
  electrodeMapFigure,
  THETA_FIGURE_FILES,
  thetaBarsFigure,
  writeCrossRatThetaFigures,
  type ElectrodeThetaValue,
  type ThetaBarRow,
} from '../../../src/results/figures/theta.js';
import { decode, isBlue, isRed, plot, runCli, syntheticLabFile, tempDir } from '../../helpers.js';

const CAVEAT = 'the electrode-to-site correspondence is not verified';

/** The PNG decodes, is non-empty and has the size the figure reports. */
function assertPng(fig: FigureSet): void {
  assert.ok(fig.png.length > 0);
  const img = decode(fig.png);
  assert.equal(img.width, fig.width);
  assert.equal(img.height, fig.height);
  assert.ok(img.width >= MIN_PNG_WIDTH, `PNG width ${img.width}`);
  assert.ok(img.height > 200, `PNG height ${img.height}`);
}

/** The SVG's text, one space between text elements (a caption wrapped over lines reads as one). */
const svgText = (svg: string): string => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(' ');

const count = (svg: string, label: RegExp): number => (svg.match(new RegExp(`aria-label="${label.source}`, 'g')) ?? []).length;

describe('thetaBarsFigure', () => {
  const rows: ThetaBarRow[] = ['frontal', 'motor', 'hippocampus'].flatMap((roi, r) =>
    (['nm', 'iti'] as const).flatMap((events) =>
      [1, 2, 3].map((size) => ({ roi, events, size, mean: events === 'nm' ? 0.4 * size - 0.3 * r : -0.1 * size, se: 0.05 * size, nRats: 4 })),
    ),
  );

  test('one bar per row, one error bar per row with a finite SE; PNG and SVG', async () => {
    const withNan = rows.map((r) => (r.roi === 'motor' && r.events === 'iti' && r.size === 2 ? { ...r, se: NaN, nRats: 1 } : r));
    const fig = await thetaBarsFigure(withNan, 'Theta bars\nsecond line', { valueTitle: 'Theta (z-score)' });
    assertPng(fig);
    assert.equal(count(fig.svg, /theta bar: /), rows.length);
    assert.equal(count(fig.svg, /theta error bar: /), rows.length - 1);
    assert.match(fig.svg, /aria-label="theta bar: ROI motor, ITI size 2"/);
    assert.doesNotMatch(fig.svg, /theta error bar: ROI motor, ITI size 2"/, 'no error bar where the SE is NaN');
    assert.match(fig.svg, /theta error bar: ROI motor, ITI size 3"/);
    assert.match(fig.svg, /no error bar where one rat/);
    assert.match(fig.svg, /n = 1–4 rats per bar/);
    for (const text of ['ROI frontal', 'ROI hippocampus', 'NM size', 'Theta (z-score)', 'Events', '>NM<', '>ITI<', 'second line']) assert.ok(fig.svg.includes(text), text);
    assert.deepEqual(fig.plots.map((p) => p.name), ['bars_0', 'bars_1', 'bars_2']);
  });

  test('the bars have the events colours, up for positive means and down for negative ones', async () => {
    const one: ThetaBarRow[] = [
      { roi: 'frontal', events: 'nm', size: 1, mean: 2, se: 0.1, nRats: 3 },
      { roi: 'frontal', events: 'iti', size: 1, mean: -1, se: 0.1, nRats: 3 },
    ];
    const fig = await thetaBarsFigure(one, 'two bars');
    const img = decode(fig.png);
    const p = plot(fig, 'bars_0');
    // One size, NM then ITI: the NM bar in the left half of the band, the ITI bar in the right half.
    const [xl] = plotPixel(p, 0.33, 0);
    const [xr] = plotPixel(p, 0.67, 0);
    const nm = img.at(xl, plotPixel(p, 0, 1)[1]);
    const iti = img.at(xr, plotPixel(p, 0, -0.5)[1]);
    assert.ok(nm[2] > nm[0] + 60, `NM bar blue (#4c78a8), got rgb(${nm})`);
    assert.ok(Math.abs(iti[0] - iti[2]) < 30 && iti[0] < 215 && iti[0] > 150, `ITI bar grey (#bab0ac), got rgb(${iti})`);
    // Nothing drawn above the NM bar's top or below the ITI bar's bottom.
    assert.deepEqual(img.at(xl, plotPixel(p, 0, 2.3)[1], 1), [255, 255, 255]);
    assert.deepEqual(img.at(xr, plotPixel(p, 0, 0.5)[1], 1), [255, 255, 255]);
  });

  test('no rows, or a row twice, is an InvalidParameterError', async () => {
    await assert.rejects(thetaBarsFigure([], 't'), InvalidParameterError);
    await assert.rejects(thetaBarsFigure([rows[0]!, rows[0]!], 't'), /given twice/);
  });
});

/** A layout file of sites 1–32 of the default, written under a recognisable name. */
function customLayout(name: string, keep: (site: number) => boolean = () => true): ElectrodeLayout {
  const layout = readElectrodeLayout(defaultLayoutPath());
  const path = join(tempDir(), name);
  writeFileSync(path, ['site,x_mm,y_mm', ...[...layout.sites].filter(([s]) => keep(s)).map(([s, p]) => `${s},${p.x},${p.y}`)].join('\n') + '\n');
  return readElectrodeLayout(path);
}

describe('electrodeMapFigure', () => {
  test('one panel per NM size; dots where the layout puts them, red for positive theta, blue for negative', async () => {
    const layout = readElectrodeLayout(defaultLayoutPath());
    const values: ElectrodeThetaValue[] = [1, 2].flatMap((size) =>
      Array.from({ length: 32 }, (_, i) => ({ electrode: i + 1, size, theta: (i % 2 === 0 ? 1 : -1) * size })),
    );
    const fig = await electrodeMapFigure(values, layout, 'map', { valueTitle: 'Theta (z-score)' });
    assertPng(fig);
    assert.deepEqual(fig.plots.map((p) => p.name), ['map_0', 'map_1']);
    const img = decode(fig.png);
    // The dot's centre carries its number: read the colour below it, inside the dot (radius ≈ 12 SVG px).
    const zoom = fig.width / Number(/^<svg[^>]*?\swidth="([\d.]+)"/.exec(fig.svg)![1]);
    for (const [i, name] of ['map_0', 'map_1'].entries()) {
      for (const electrode of [1, 2, 9, 17, 26, 32]) {
        const site = layout.sites.get(electrode)!;
        const [x, y] = plotPixel(plot(fig, name), site.x, site.y);
        const c = img.at(x, y + 8 * zoom, 1);
        const positive = (electrode - 1) % 2 === 0;
        assert.ok(positive ? isRed(c) : isBlue(c), `size ${i + 1}, electrode ${electrode}: rgb(${c}) should be ${positive ? 'red' : 'blue'}`);
      }
      // Half-way between two sites: background.
      const [bx, by] = plotPixel(plot(fig, name), 0, -5);
      assert.deepEqual(img.at(bx, by, 1), [255, 255, 255]);
    }
    // The shared symmetric range: size 1's ±1 is paler than size 2's ±2.
    const s9 = layout.sites.get(9)!;
    const below9 = (name: string): [number, number] => {
      const [x, y] = plotPixel(plot(fig, name), s9.x, s9.y);
      return [x, y + 8 * zoom];
    };
    const pale = img.at(...below9('map_0'), 1);
    const deep = img.at(...below9('map_1'), 1);
    assert.ok(pale[0] > deep[0] && pale[1] > deep[1], `size 1 rgb(${pale}) paler than size 2 rgb(${deep})`);
    for (let e = 1; e <= 32; e++) assert.match(fig.svg, new RegExp(`>${e}</text>`), `label ${e}`);
    assert.ok(fig.svg.includes('h32_layout.csv'));
    assert.ok(svgText(fig.svg).includes(CAVEAT));
    assert.ok(fig.svg.includes('Theta (z-score)'));
    assert.ok(!fig.svg.includes('Not drawn'));
  });

  test('the caption names the layout file and the caveat, and lists electrodes the layout lacks', async () => {
    const layout = customLayout('lab_array_v2.csv', (s) => s <= 30);
    const values: ElectrodeThetaValue[] = [1, 2, 31, 32, 40].map((electrode) => ({ electrode, size: 3, theta: electrode / 10 }));
    const fig = await electrodeMapFigure(values, layout, 'partial');
    assertPng(fig);
    assert.deepEqual(fig.plots.map((p) => p.name), ['map_0']);
    assert.ok(fig.svg.includes('lab_array_v2.csv'), 'layout file named');
    assert.ok(!fig.svg.includes(layout.path), 'by its name, not its full path');
    assert.ok(svgText(fig.svg).includes(CAVEAT), 'caveat');
    assert.ok(fig.svg.includes('data/h32_layout.md'));
    assert.match(svgText(fig.svg), /Not drawn \(no position in lab_array_v2\.csv\): electrodes 31, 32, 40\./);
    assert.match(svgText(fig.svg), /Open circles: sites of the layout without a value/);
  });

  test('no values, or an electrode twice for one size, is an InvalidParameterError', async () => {
    const layout = readElectrodeLayout(defaultLayoutPath());
    await assert.rejects(electrodeMapFigure([], layout, 't'), InvalidParameterError);
    await assert.rejects(electrodeMapFigure([{ electrode: 1, size: 1, theta: 0 }, { electrode: 1, size: 1, theta: 1 }], layout, 't'), /given twice/);
  });
});

/** A rat's stored results whose every mean window is the constant `theta(roi, events, size)`. */
function storedRat(ratId: string, value: (key: string, events: 'nm' | 'iti', size: number) => number | null, electrodes: boolean): StoredRat {
  const freqs = Float64Array.from([3, 5, 7]);
  const windowTimes = Float64Array.from([-0.3, -0.2, -0.1, 0, 0.1]);
  const groups = (key: string) =>
    (['nm', 'iti'] as const).flatMap((events) =>
      [1, 2, 3].flatMap((size) => {
        const v = value(key, events, size);
        return v === null ? [] : [{ events, size, label: String(size), nEvents: 5, mean: new Float64Array(freqs.length * windowTimes.length).fill(v) }];
      }),
    );
  const rois = ['frontal', 'motor'].map((key) => ({ key, label: key, groups: groups(key) }));
  return {
    ratId,
    dir: `/nowhere/rat_${ratId}`,
    roiLabel: 'frontal',
    freqs,
    windowTimes,
    sizes: rois[0]!.groups.filter((g) => g.events === 'nm'),
    rois,
    electrodes: electrodes ? [1, 2, 3].map((e) => ({ electrode: e, groups: groups(`e${e}`) })) : null,
    parameters: { normalize: 'pre-event' },
  };
}

describe('writeCrossRatThetaFigures', () => {
  const base = (ratIndex: number) => (key: string, events: 'nm' | 'iti', size: number): number | null => {
    if (key === 'motor' && events === 'iti' && size === 3 && ratIndex > 0) return null; // one rat only
    const sign = key === 'e2' ? -1 : 1;
    return sign * (size + ratIndex * (events === 'nm' ? 1 : 0.5) + (key === 'motor' ? 0.25 : 0));
  };
  const rats = [0, 1, 2].map((i) => storedRat(`r${i}`, base(i), true));
  const input = () => {
    const cross = crossRatAnalysis(rats);
    return { cross, rats, theta: thetaSelection(rats[0]!.freqs, rats[0]!.windowTimes) };
  };

  test('mean ± SE over rats of the rats\' theta scalars (meanAndSe), per ROI, events kind and size', () => {
    const rows = crossRatThetaRows(input());
    assert.equal(rows.length, 2 * 2 * 3);
    const row = (roi: string, events: string, size: number) => rows.find((r) => r.roi === roi && r.events === events && r.size === size)!;
    assert.deepEqual(row('frontal', 'nm', 2), { roi: 'frontal', events: 'nm', size: 2, ...meanAndSe([2, 3, 4]), nRats: 3 });
    assert.deepEqual(row('motor', 'iti', 1), { roi: 'motor', events: 'iti', size: 1, ...meanAndSe([1.25, 1.75, 2.25]), nRats: 3 });
    const lone = row('motor', 'iti', 3);
    assert.equal(lone.nRats, 1);
    assert.equal(lone.mean, 3.25);
    assert.ok(Number.isNaN(lone.se));
    const electrodes = crossRatElectrodeTheta(input());
    assert.deepEqual(
      electrodes.filter((e) => e.size === 1),
      [
        { electrode: 1, size: 1, theta: 2 },
        { electrode: 2, size: 1, theta: -2 },
        { electrode: 3, size: 1, theta: 2 },
      ],
    );
    assert.equal(electrodes.length, 3 * 3, 'NM sizes only');
  });

  test('writes theta_bars and electrode_theta_map (PNG + SVG); no map without electrodes', async () => {
    const dir = join(tempDir(), 'cross_rat');
    const layout = customLayout('drawn_from.csv');
    const written = await writeCrossRatThetaFigures(dir, input(), layout);
    const names = [`${THETA_FIGURE_FILES.bars}.png`, `${THETA_FIGURE_FILES.bars}.svg`, `${THETA_FIGURE_FILES.electrodeMap}.png`, `${THETA_FIGURE_FILES.electrodeMap}.svg`];
    assert.deepEqual(written, names.map((n) => join(dir, n)));
    assert.deepEqual(readdirSync(dir).sort(), [...names].sort(), 'nothing else left behind');
    for (const png of written.filter((w) => w.endsWith('.png'))) assert.ok(decode(readFileSync(png)).width >= MIN_PNG_WIDTH, png);
    const bars = readFileSync(join(dir, 'theta_bars.svg'), 'utf8');
    assert.equal(count(bars, /theta bar: /), 12);
    assert.equal(count(bars, /theta error bar: /), 11);
    assert.match(bars, /3 rats \(r0, r1, r2\)/);
    assert.match(bars, /Theta \(z-score\)/);
    const map = readFileSync(join(dir, 'electrode_theta_map.svg'), 'utf8');
    assert.ok(map.includes('drawn_from.csv') && svgText(map).includes(CAVEAT));

    const noElectrodes = [0, 1].map((i) => storedRat(`r${i}`, base(i), false));
    const dir2 = join(tempDir(), 'cross_rat');
    const only = await writeCrossRatThetaFigures(dir2, { cross: crossRatAnalysis(noElectrodes), rats: noElectrodes, theta: thetaSelection(noElectrodes[0]!.freqs, noElectrodes[0]!.windowTimes) }, layout);
    assert.deepEqual(only, [join(dir2, 'theta_bars.png'), join(dir2, 'theta_bars.svg')]);
  });
});

describe('analyze-all and aggregate draw the theta figures (--layout)', () => {
  /** A lab pickle of three synthetic rats, one 2-minute 32-channel session each. */
  const labFile = (): string => syntheticLabFile(['9151', '9441', '9591'], 24_000, 24);

  test('cross_rat/theta_bars.png and electrode_theta_map.png; a bad --layout exits 2 with one line before any figure', () => {
    const pkl = labFile();
    const out = join(tempDir(), 'out');
    const args = ['analyze-all', '--data', pkl, '--preset', 'lab-report', '--n-freqs', '6', '--output-dir', out];

    const missing = runCli([...args, '--layout', 'missing.csv']);
    assert.equal(missing.status, 2, missing.stderr);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
    assert.match(missing.stderr, /missing\.csv/);
    assert.ok(!existsSync(out), 'nothing analysed or written');

    const r = runCli(args);
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['theta_bars.png', 'theta_bars.svg', 'electrode_theta_map.png', 'electrode_theta_map.svg']) assert.ok(existsSync(join(out, 'cross_rat', f)), f);
    const img = decode(readFileSync(join(out, 'cross_rat', 'electrode_theta_map.png')));
    assert.ok(img.width >= MIN_PNG_WIDTH && img.height > 0);
    assert.ok(decode(readFileSync(join(out, 'cross_rat', 'theta_bars.png'))).width >= MIN_PNG_WIDTH);
    const map = readFileSync(join(out, 'cross_rat', 'electrode_theta_map.svg'), 'utf8');
    assert.ok(map.includes('h32_layout.csv') && svgText(map).includes(CAVEAT));
    const bars = readFileSync(join(out, 'cross_rat', 'theta_bars.svg'), 'utf8');
    // lab-report: 5 ROIs × NM and ITI × 3 sizes.
    assert.equal(count(bars, /theta bar: /), 30);
    const results = JSON.parse(readFileSync(join(out, 'cross_rat', 'results.json'), 'utf8')) as { figures: string[] };
    assert.ok(results.figures.includes('theta_bars.png') && results.figures.includes('electrode_theta_map.svg'), String(results.figures));

    // aggregate: a layout with a bad line fails before any figure is (re)written.
    const bad = join(tempDir(), 'bad_layout.csv');
    writeFileSync(bad, 'site,x_mm,y_mm\n1,0,0\n1,2,2\n');
    const before = statSync(join(out, 'cross_rat', 'theta_bars.png')).mtimeMs;
    const agg = runCli(['aggregate', '--output-dir', out, '--layout', bad]);
    assert.equal(agg.status, 2, agg.stderr);
    assert.equal(agg.stderr.trim().split('\n').length, 1, agg.stderr);
    assert.match(agg.stderr, /bad_layout\.csv: line 3: site '1' is already given on line 2/);
    assert.equal(statSync(join(out, 'cross_rat', 'theta_bars.png')).mtimeMs, before);

    // aggregate with another layout: the map names it and lists the electrodes it lacks.
    const half = customLayout('half_array.csv', (s) => s <= 16);
    const ok = runCli(['aggregate', '--output-dir', out, '--layout', half.path]);
    assert.equal(ok.status, 0, ok.stderr);
    const halfMap = readFileSync(join(out, 'cross_rat', 'electrode_theta_map.svg'), 'utf8');
    assert.ok(halfMap.includes('half_array.csv'));
    assert.match(svgText(halfMap), /Not drawn \(no position in half_array\.csv\): electrodes 17, 18, 19/);
  });
});
