/**
 * The figures an analysis writes (src/results/figures/write.ts), end to end from synthetic sessions
 * with theta bursts: the burst shows where it is (t ≈ +0.25 s, 6 Hz) in the session, rat and
 * cross-rat figures, and the PNG/SVG files are written with nothing left behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { analyzeRat, analyzeSession, crossRatMeans, shutdownPools, syntheticSession } from '../../../src/index.js';
import { MIN_PNG_WIDTH, plotPixel } from '../../../src/plot/render.js';
import { spectrogramFigure, summaryFigure } from '../../../src/results/figures/spectrogram.js';
import { FIGURE_FILES, writeCrossRatFigures, writeRatFigures, writeSessionFigures } from '../../../src/results/figures/write.js';
import { decode, isRed, plot, redness, tempDir } from '../../helpers.js';

after(() => shutdownPools());

describe('a synthetic session with theta bursts', () => {
  test('the spectrogram shows the burst at t ≈ +0.25 s, 6 Hz (and not before the event)', async () => {
    const session = syntheticSession({ seed: 1, nChannels: 4, nTimes: 60_000, thetaBursts: true });
    const analysis = await analyzeSession(session, { roi: { channels: [0, 1, 2, 3] } });
    const panels = analysis.sizes.map((s) => ({ title: `NM size ${s.label}`, mean: s.mean, nEvents: s.nEvents }));
    const fig = await spectrogramFigure(panels, analysis.freqs, analysis.windowTimes, 'synthetic bursts');
    const img = decode(fig.png);
    assert.equal(fig.plots.length, analysis.sizes.length);
    analysis.sizes.forEach((s, i) => {
      const p = plot(fig, `spectrogram_${i}`);
      const burst = img.at(...plotPixel(p, 0.25, 6), 4);
      const before = img.at(...plotPixel(p, -0.3, 6), 4);
      // Bursts grow with the NM size (0.4 · size): size 1 is faint, sizes 2 and 3 are unmistakable.
      assert.ok(redness(burst) > redness(before), `size ${s.label}: burst rgb(${burst}) vs before rgb(${before})`);
      if (s.size >= 2) {
        assert.ok(isRed(burst), `size ${s.label}: burst should be red, got rgb(${burst})`);
        assert.ok(redness(burst) > redness(before) + 50, `size ${s.label}: burst rgb(${burst}) should be clearly redder than before the event rgb(${before})`);
      }
    });

    // And the files analyze-session writes.
    const dir = tempDir('eeg-figures-');
    const written = await writeSessionFigures(join(dir, 'out'), analysis);
    const names = written.map((w) => w.slice(join(dir, 'out').length + 1)).sort();
    assert.deepEqual(names, [`${FIGURE_FILES.profiles}.png`, `${FIGURE_FILES.profiles}.svg`, `${FIGURE_FILES.spectrograms}.png`, `${FIGURE_FILES.spectrograms}.svg`]);
    assert.deepEqual(readdirSync(join(dir, 'out')).sort(), names, 'no temporary files left behind');
    for (const w of written.filter((f) => f.endsWith('.png'))) assert.ok(decode(readFileSync(w)).width >= MIN_PNG_WIDTH, w);
    const svg = readFileSync(join(dir, 'out', `${FIGURE_FILES.spectrograms}.svg`), 'utf8');
    assert.match(svg, /^<svg /);
    assert.match(svg, /ROI channels 0, 1, 2, 3 · electrodes/);
    const nEvents = analysis.sizes.reduce((n, s) => n + s.nEvents, 0);
    assert.match(svg, new RegExp(`${nEvents} events`));
    for (const s of analysis.sizes) assert.match(svg, new RegExp(`n = ${s.nEvents} events`));
    // Same picture from the file as from the function.
    const fromFile = decode(readFileSync(join(dir, 'out', `${FIGURE_FILES.spectrograms}.png`)));
    assert.ok(fromFile.width >= MIN_PNG_WIDTH);
  });
});

describe('rat and cross-rat figures', () => {
  test('summary: spectrogram row above an event-profile row; files for rat and cross-rat', async () => {
    const sessions = [1, 2].map((seed, index) => ({ index, session: syntheticSession({ seed, nChannels: 4, nTimes: 16_000, thetaBursts: true }) }));
    const rat = await analyzeRat('9151', sessions, { roi: { channels: [0, 1, 2, 3] } });
    const panels = rat.sizes.map((s) => ({ title: `NM size ${s.label}`, mean: s.mean, nEvents: s.nEvents, detail: `n = ${s.nEvents} events, ${s.nSessions} sessions` }));
    const fig = await summaryFigure(panels, rat.freqs, rat.windowTimes, 'summary');
    assert.ok(fig.width >= MIN_PNG_WIDTH);
    panels.forEach((_, i) => {
      const s = plot(fig, `spectrogram_${i}`);
      const e = plot(fig, `event_${i}`);
      assert.ok(e.top > s.top + s.height, `event row below the spectrogram row (panel ${i})`);
      assert.ok(Math.abs(e.left - s.left) < 1 && Math.abs(e.width - s.width) < 1, `columns aligned (panel ${i})`);
    });
    // The burst of the largest size is where it should be in the summary's spectrogram row too.
    const last = rat.sizes.length - 1;
    const img = decode(fig.png);
    const s = plot(fig, `spectrogram_${last}`);
    const [burst, before] = [img.at(...plotPixel(s, 0.25, 6), 4), img.at(...plotPixel(s, -0.3, 6), 4)];
    // (The 18-cycle wavelet at 6 Hz smears the burst over ±0.5 s, so "before" is pinkish: compare, don't expect white.)
    assert.ok(isRed(burst) && redness(burst) > redness(before) + 30, `burst rgb(${burst}) vs before rgb(${before})`);
    assert.match(fig.svg, /2 sessions/);

    const dir = tempDir('eeg-figures-');
    const ratFiles = await writeRatFigures(join(dir, 'rat'), rat);
    const expected = Object.values(FIGURE_FILES).flatMap((stem) => [`${stem}.png`, `${stem}.svg`]).sort();
    assert.deepEqual(readdirSync(join(dir, 'rat')).sort(), expected);
    assert.equal(ratFiles.length, expected.length);
    assert.match(readFileSync(join(dir, 'rat', `${FIGURE_FILES.summary}.svg`), 'utf8'), /rat 9151: 2 sessions/);

    const other = await analyzeRat('9152', [{ index: 0, session: syntheticSession({ seed: 3, nChannels: 4, nTimes: 16_000, thetaBursts: true, ratId: '9152' }) }], { roi: { channels: [0, 1, 2, 3] } });
    const cross = crossRatMeans([rat, other]);
    const crossFiles = await writeCrossRatFigures(join(dir, 'cross'), cross, rat.freqs, rat.windowTimes, 'channels 0-3');
    assert.deepEqual(readdirSync(join(dir, 'cross')).sort(), expected);
    for (const f of crossFiles) assert.ok(existsSync(f));
    const crossSvg = readFileSync(join(dir, 'cross', `${FIGURE_FILES.summary}.svg`), 'utf8');
    assert.match(crossSvg, /cross-rat mean of 2 rats \(9151, 9152\)/);
    assert.match(crossSvg, /mean of 2 rats/);
    for (const f of crossFiles.filter((x) => x.endsWith('.png'))) assert.ok(decode(readFileSync(f)).width >= MIN_PNG_WIDTH, f);
  });
});
