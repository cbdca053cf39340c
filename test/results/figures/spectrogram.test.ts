/**
 * The figures of src/results/figures/spectrogram.ts: the PNGs are decoded and checked pixel by
 * pixel — size, colours of cells with known z-scores, the shared symmetric colour range, the t = 0
 * line, the profile line's height.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { geomspace, linspace, InvalidParameterError } from '../../../src/index.js';
import { FONT_FAMILY } from '../../../src/plot/fonts.js';
import { MIN_PNG_WIDTH, plotPixel } from '../../../src/plot/render.js';
import { eventIndex, frequencyProfileFigure, spectrogramFigure, symmetricRange, type SpectrogramPanel } from '../../../src/results/figures/spectrogram.js';
import { decode, isBlue, isNearWhite, isRed, plot, type Rgb } from '../../helpers.js';

// The default analysis grid: 20 log-spaced frequencies 3–8 Hz, a 1 s window at 200 Hz.
const FREQS = geomspace(3, 8, 20);
const TIMES = linspace(-0.5, 0.5, 200);
const NT = TIMES.length;

/** A (n_freqs, n_times) mean that is 0 except for the given cells. */
function meanWith(cells: { f: number; t: number; z: number }[]): Float64Array {
  const m = new Float64Array(FREQS.length * NT);
  for (const c of cells) m[c.f * NT + c.t] = c.z;
  return m;
}

/** Fills a block of cells around (f, t) with z (blocks are easier to hit than 3-pixel-wide cells). */
function block(f: number, t: number, z: number, df = 1, dt = 4): { f: number; t: number; z: number }[] {
  const out: { f: number; t: number; z: number }[] = [];
  for (let i = f - df; i <= f + df; i++) for (let j = t - dt; j <= t + dt; j++) out.push({ f: i, t: j, z });
  return out;
}

describe('spectrogramFigure', () => {
  test('PNG ≥ 1200 px wide; known positive cells are red, negative blue, zero near-white', async () => {
    const mean = meanWith([...block(14, 150, 3), ...block(5, 50, -3), ...block(10, 100, 4)]);
    const fig = await spectrogramFigure([{ title: 'NM size 1', mean, nEvents: 12 }], FREQS, TIMES, 'Synthetic\nsecond line');
    const img = decode(fig.png);
    assert.ok(img.width >= MIN_PNG_WIDTH, `PNG width ${img.width}`);
    assert.equal(img.width, fig.width);
    assert.equal(img.height, fig.height);
    const p = plot(fig, 'spectrogram_0');
    const pos = img.at(...plotPixel(p, TIMES[150]!, FREQS[14]!));
    const neg = img.at(...plotPixel(p, TIMES[50]!, FREQS[5]!));
    const zero = img.at(...plotPixel(p, TIMES[20]!, FREQS[17]!));
    assert.ok(isRed(pos), `z = +3 should be red, got rgb(${pos})`);
    assert.ok(isBlue(neg), `z = −3 should be blue, got rgb(${neg})`);
    assert.ok(isNearWhite(zero), `z = 0 should be near-white, got rgb(${zero})`);
    // Colour range ±4 (the max |z|): +3 is lighter than +4.
    const top = img.at(...plotPixel(p, TIMES[100]!, FREQS[10]!));
    assert.ok(top[1] < pos[1] || top[0] < pos[0], `z = 4 (rgb(${top})) should be darker than z = 3 (rgb(${pos}))`);
  });

  test('the colour range is symmetric and shared across panels', async () => {
    const strong: SpectrogramPanel = { title: 'strong', mean: meanWith(block(10, 100, 4)), nEvents: 5 };
    const weak: SpectrogramPanel = { title: 'weak', mean: meanWith(block(10, 100, -1)), nEvents: 5 };
    assert.equal(symmetricRange([strong, weak]), 4);
    const alone = await spectrogramFigure([weak], FREQS, TIMES, 'weak alone');
    const both = await spectrogramFigure([strong, weak], FREQS, TIMES, 'both');
    const cAlone = decode(alone.png).at(...plotPixel(plot(alone, 'spectrogram_0'), TIMES[100]!, FREQS[10]!));
    const cShared = decode(both.png).at(...plotPixel(plot(both, 'spectrogram_1'), TIMES[100]!, FREQS[10]!));
    // Alone, −1 is the end of the range (dark blue); next to a +4 panel it is a light blue.
    assert.ok(isBlue(cAlone), `alone: rgb(${cAlone})`);
    assert.ok(cShared[0] > cAlone[0] + 60, `shared range: −1 should be much lighter, rgb(${cShared}) vs rgb(${cAlone})`);
    assert.ok(cShared[2] > cShared[0], `still blue: rgb(${cShared})`);
    // Same row of panels: same plot size and vertical position.
    const [a, b] = [plot(both, 'spectrogram_0'), plot(both, 'spectrogram_1')];
    assert.equal(a.top, b.top);
    assert.equal(a.width, b.width);
    assert.ok(b.left > a.left + a.width);
  });

  test('dashed black line at t = 0, title text drawn with the shipped font', async () => {
    const fig = await spectrogramFigure([{ title: 'NM size 2', mean: meanWith([]), nEvents: 3 }], FREQS, TIMES, 'A title');
    const img = decode(fig.png);
    const p = plot(fig, 'spectrogram_0');
    const [x0] = plotPixel(p, 0, FREQS[0]!);
    // Down the t = 0 column: some dark pixels (dashes) and some light (gaps).
    let dark = 0;
    let light = 0;
    for (let y = p.top + 2; y < p.top + p.height - 2; y++) {
      const c = img.at(x0, y, 0);
      if (c.every((v) => v < 80)) dark++;
      else if (c.every((v) => v > 200)) light++;
    }
    assert.ok(dark > p.height * 0.3 && light > p.height * 0.1, `dashed line: ${dark} dark, ${light} light of ${p.height}`);
    // Text is drawn (no text at all is what a missing font looks like): dark pixels above the plot.
    let textPixels = 0;
    for (let y = 0; y < p.top - 4; y++) for (let x = 0; x < img.width; x += 1) if (img.at(x, y, 0).every((v) => v < 100)) textPixels++;
    assert.ok(textPixels > 200, `title pixels: ${textPixels}`);
    assert.match(fig.svg, new RegExp(`font-family="${FONT_FAMILY}`));
    assert.doesNotMatch(fig.svg, /font-family="(?!DejaVu Sans)/, 'every SVG text uses DejaVu Sans first');
    assert.match(fig.svg, /Z-score/);
    assert.match(fig.svg, /Frequency \(Hz\)/);
    assert.match(fig.svg, /Time \(s\)/);
    // The real frequencies label the y axis.
    assert.match(fig.svg, />3\.00</);
    assert.match(fig.svg, />8\.00</);
    assert.match(fig.svg, />5\.57</);
  });

  test('same input → byte-identical PNG and SVG', async () => {
    const panels = [{ title: 'NM size 1', mean: meanWith(block(10, 100, 2)), nEvents: 4 }];
    const a = await spectrogramFigure(panels, FREQS, TIMES, 'determinism');
    const b = await spectrogramFigure(panels, FREQS, TIMES, 'determinism');
    assert.ok(a.png.equals(b.png));
    assert.equal(a.svg, b.svg);
  });

  test('bad shapes and empty input are InvalidParameterErrors', async () => {
    await assert.rejects(spectrogramFigure([], FREQS, TIMES, 'x'), InvalidParameterError);
    await assert.rejects(
      spectrogramFigure([{ title: 'bad', mean: new Float64Array(10), nEvents: 1 }], FREQS, TIMES, 'x'),
      (e: Error) => e instanceof InvalidParameterError && /20 × 200/.test(e.message),
    );
    await assert.rejects(frequencyProfileFigure([{ title: 'a', mean: new Float64Array(4), nEvents: 1 }], Float64Array.of(0, 1), Float64Array.of(0, 1), 'x'), InvalidParameterError);
  });
});

describe('frequencyProfileFigure', () => {
  test('one line per size at the z-score of the sample nearest t = 0', async () => {
    const k = eventIndex(TIMES);
    assert.ok(Math.abs(TIMES[k]!) <= 0.5 / 199 + 1e-12);
    const flat = (z: number): Float64Array => {
      const m = new Float64Array(FREQS.length * NT);
      for (let f = 0; f < FREQS.length; f++) m[f * NT + k] = z;
      return m;
    };
    const fig = await frequencyProfileFigure(
      [
        { title: 'NM size 1', mean: flat(2), nEvents: 3 },
        { title: 'NM size 2', mean: flat(-1), nEvents: 4 },
      ],
      FREQS,
      TIMES,
      'profiles',
    );
    const img = decode(fig.png);
    assert.ok(img.width >= MIN_PNG_WIDTH);
    const p = plot(fig, 'profile');
    // Down the column at 5 Hz: the first series (tableau blue #4c78a8) sits at z = 2, the second (orange #f58518) at z = −1.
    const [x] = plotPixel(p, 5, 0);
    const rows = (want: Rgb): number[] => {
      const ys: number[] = [];
      for (let y = Math.ceil(p.top); y < p.top + p.height; y++) {
        const c = img.at(x, y, 0);
        if (c.every((v, i) => Math.abs(v - want[i]!) < 40)) ys.push(y);
      }
      return ys;
    };
    const blue = rows([0x4c, 0x78, 0xa8]);
    const orange = rows([0xf5, 0x85, 0x18]);
    assert.ok(blue.length > 0 && orange.length > 0, `line pixels: ${blue.length} blue, ${orange.length} orange`);
    const mid = (ys: number[]): number => ys[ys.length >> 1]!;
    assert.ok(Math.abs(mid(blue) - plotPixel(p, 5, 2)[1]) < 6, `z = 2 line at y ${mid(blue)}, expected ${plotPixel(p, 5, 2)[1]}`);
    assert.ok(Math.abs(mid(orange) - plotPixel(p, 5, -1)[1]) < 6, `z = −1 line at y ${mid(orange)}, expected ${plotPixel(p, 5, -1)[1]}`);
    assert.match(fig.svg, /NM size 1 \(n = 3 events\)/);
  });
});
