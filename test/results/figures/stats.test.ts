/**
 * The statistics' figures (src/results/figures/stats.ts, the outline layer of spectrogram.ts and
 * the significance marks of theta.ts): the cluster outline on the cell edges, black where a
 * significant cluster's boundary is and nowhere else; one figure per ROI and contrast family; the
 * theta bars' stars and trend notes.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ratStatistics, type StatsRat } from '../../../src/analysis/rat-stats.js';
import { thetaSelection } from '../../../src/analysis/theta.js';
import { InvalidParameterError, shutdownPools } from '../../../src/index.js';
import { MIN_PNG_WIDTH, plotPixel } from '../../../src/plot/render.js';
import { outlineSegments, spectrogramFigure } from '../../../src/results/figures/spectrogram.js';
import { FIGURE_ALPHA, STATS_FIGURE_STEMS, statsFigures } from '../../../src/results/figures/stats.js';
import { significanceMark, thetaBarsFigure } from '../../../src/results/figures/theta.js';
import { decode, isRed, plot } from '../../helpers.js';

after(() => shutdownPools());

describe('outlineSegments', () => {
  test('an L-shaped mask: its boundary on the cell edges, collinear pieces joined', () => {
    // 3 frequencies × 4 times; rows from the lowest frequency:
    //   f2: . . . .
    //   f1: x . . .
    //   f0: x x x .
    const mask = Uint8Array.from([1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    const g = { tEdges: Float64Array.from([0, 1, 2, 3, 4]), fEdges: Float64Array.from([10, 20, 40, 80]) };
    const key = (s: { x0: number; x1: number; y0: number; y1: number }): string => `${s.x0},${s.y0}-${s.x1},${s.y1}`;
    assert.deepEqual(outlineSegments(mask, g).map(key).sort(), ['0,10-0,40', '0,10-3,10', '0,40-1,40', '1,20-1,40', '1,20-3,20', '3,10-3,20'].sort());
    assert.deepEqual(outlineSegments(new Uint8Array(12), g), []);
    assert.equal(outlineSegments(new Uint8Array(12).fill(1), g).length, 4, 'the whole lattice: its four sides');
  });

  test('a mask of the wrong length is an InvalidParameterError', async () => {
    const mean = new Float64Array(6);
    await assert.rejects(
      spectrogramFigure([{ title: 'p', mean, nEvents: 1, outline: new Uint8Array(5) }], Float64Array.from([4, 8]), Float64Array.from([-0.1, 0, 0.1]), 't'),
      InvalidParameterError,
    );
  });
});

const FREQS = Float64Array.from([3, 4, 5.5, 7, 9]);
const TIMES = Float64Array.from({ length: 16 }, (_, i) => -0.375 + 0.05 * i);

/** Six rats: a strong NM effect at 4–5.5 Hz from sample 10 on (growing with size), noise elsewhere. */
function rats(): StatsRat[] {
  let s = 99;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  return Array.from({ length: 6 }, (_, i) => ({
    ratId: `r${i}`,
    freqs: FREQS,
    windowTimes: TIMES,
    rois: ['frontal', 'motor'].map((key) => ({
      key,
      label: key,
      groups: ([['nm', 1], ['nm', 2], ['nm', 3], ['iti', 1], ['iti', 2], ['iti', 3]] as const).map(([events, size]) => ({
        events,
        size,
        mean: Float64Array.from({ length: 80 }, (_, j) => {
          const f = Math.floor(j / 16);
          const t = j % 16;
          return (events === 'nm' && (f === 1 || f === 2) && t >= 10 ? size : 0) + 0.6 * rand();
        }),
      })),
    })),
    electrodes: null,
  }));
}

describe('statsFigures', () => {
  test('per ROI the three families and the theta bars; significant clusters outlined in black', async () => {
    const theta = thetaSelection(FREQS, TIMES, [3, 7], [0, 0.3]);
    const stats = await ratStatistics(rats(), theta);
    const figures = await statsFigures(stats, theta, 'Theta (z-score)');
    assert.deepEqual(
      figures.map((f) => f.stem),
      ['frontal', 'motor'].flatMap((r) => [STATS_FIGURE_STEMS.nm, STATS_FIGURE_STEMS.nmIti, STATS_FIGURE_STEMS.sizeDiff].map((s) => `roi_${r}/${s}`)).concat(['theta_bars']),
    );
    for (const f of figures) assert.ok(f.figure.width >= MIN_PNG_WIDTH, `${f.stem}: PNG width`);

    // NM size 3 of the frontal ROI: the effect's cluster is significant (p = 1/32).
    const test3 = stats.tests.find((t) => t.roi === 'frontal' && t.contrast === 'size_3')!;
    const cluster = test3.result.clusters.find((c) => c.pValue < FIGURE_ALPHA);
    assert.ok(cluster, `a significant cluster: ${test3.result.clusters.map((c) => c.pValue)}`);
    const fig = figures[0]!.figure;
    assert.match(fig.svg, /black outline: clusters with p &lt; 0\.05|black outline: clusters with p < 0\.05/);
    assert.match(fig.svg, /cluster p: 0\.031\*/);
    const img = decode(fig.png);
    const area = plot(fig, 'spectrogram_2');
    // The cluster's left edge: between samples 9 and 10, at 4 and 5.5 Hz; inside: red; the
    // same edge one row down (3 Hz, outside the cluster): no line.
    const edge = (TIMES[9]! + TIMES[10]!) / 2;
    for (const f of [4, 5.5]) {
      assert.equal(cluster.mask[FREQS.indexOf(f) * 16 + 10], 1);
      assert.equal(cluster.mask[FREQS.indexOf(f) * 16 + 9], 0);
      const [x, y] = plotPixel(area, edge, f);
      const c = img.at(x, y, 1);
      assert.ok(c.every((v) => v < 90), `outline at ${f} Hz: rgb(${c})`);
      assert.ok(isRed(img.at(plotPixel(area, TIMES[12]!, f)[0], y, 1)), `cluster inside at ${f} Hz is red`);
    }
    const [x0, y0] = plotPixel(area, edge, 3);
    assert.ok(img.at(x0, y0, 1).some((v) => v > 150), `no outline at 3 Hz: rgb(${img.at(x0, y0, 1)})`);

    // The NM size 1 panel of the same figure, drawn without outline where no cluster is significant.
    const test1 = stats.tests.find((t) => t.roi === 'frontal' && t.contrast === 'size_1')!;
    if (test1.result.clusters.every((c) => c.pValue >= FIGURE_ALPHA)) {
      const [x1, y1] = plotPixel(plot(fig, 'spectrogram_0'), edge, 4);
      assert.ok(img.at(x1, y1, 1).some((v) => v > 150), 'no outline without a significant cluster');
    }
  });

  test('theta bars: stars from the t tests, the trend under each ROI', async () => {
    const theta = thetaSelection(FREQS, TIMES, [3, 7], [0, 0.3]);
    const stats = await ratStatistics(rats(), theta, { nPermutations: 2 });
    const bars = (await statsFigures(stats, theta)).find((f) => f.stem === 'theta_bars')!.figure;
    // Text of the <text> elements and their <tspan> lines.
    const text = [...bars.svg.matchAll(/>([^<>]+)<\/(?:text|tspan)>/g)].map((m) => m[1]);
    const sizeTests = stats.theta.filter((t) => t.kind === 'size');
    const marks = sizeTests.map((t) => significanceMark(t.p)).filter((m) => m !== '');
    assert.ok(marks.length > 0);
    assert.deepEqual(text.filter((t) => /^\*+$/.test(t!)).sort(), marks.sort(), 'one mark per significant bar');
    assert.ok(text.some((t) => /^NM trend: slope .*, p = .*\*/.test(t!)), text.join(' | '));
    assert.ok(text.some((t) => /^ITI trend: slope /.test(t!)));
    assert.ok(text.some((t) => t!.includes('* p &lt; 0.05, ** p &lt; 0.01, *** p &lt; 0.001') || t!.includes('* p < 0.05, ** p < 0.01, *** p < 0.001')));
  });

  test('significanceMark', async () => {
    assert.deepEqual([0.0004, 0.001, 0.005, 0.01, 0.049, 0.05, 0.5, NaN].map(significanceMark), ['***', '**', '**', '*', '*', '', '', '']);
    // Without p-values the bars have no marks and no mark legend.
    const fig = await thetaBarsFigure([{ roi: 'a', events: 'nm', size: 1, mean: 1, se: 0.1, nRats: 3 }], 't');
    assert.doesNotMatch(fig.svg, /p &lt; 0\.001|p < 0\.001/);
  });
});
