/**
 * The figure files of analyze-session, analyze-rat and aggregate (docs/method.md §6): PNG + SVG of the
 * spectrograms and frequency profiles, and for rats and cross-rat means also the summary figure.
 * Every file is written atomically.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CrossRatMean, RatAnalysis } from '../../analysis/rat.js';
import type { ResolvedRoi } from '../../analysis/roi.js';
import type { SessionAnalysis } from '../../analysis/session.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { FigureSet } from '../../plot/render.js';
import { plural } from './labels.js';
import { frequencyProfileFigure, spectrogramFigure, summaryFigure, type SpectrogramPanel } from './spectrogram.js';

/** File stems (each written as `.png` and `.svg`). */
export const FIGURE_FILES = {
  spectrograms: 'nm_roi_theta_spectrograms',
  profiles: 'nm_roi_frequency_profiles',
  summary: 'nm_roi_theta_summary',
} as const;


/** `ROI frontal · electrodes 2, 29, 30, 31 · channels 20, 21, 23, 24`. */
export function roiLine(roi: Pick<ResolvedRoi, 'label' | 'channels' | 'electrodes'>): string {
  const electrodes = roi.electrodes === null ? 'electrodes unknown' : `electrodes ${roi.electrodes.join(', ')}`;
  const channels = `channels ${roi.channels.join(', ')}`;
  // A channel-list ROI is labelled by its channels already.
  return roi.label.startsWith('channels') ? `ROI ${channels} · ${electrodes}` : `ROI ${roi.label} · ${electrodes} · ${channels}`;
}

/** Writes `<stem>.png` and `<stem>.svg` of a figure into `dir` (atomically); returns their paths. */
export async function writeSet(dir: string, stem: string, figure: FigureSet): Promise<string[]> {
  const png = join(dir, `${stem}.png`);
  const svg = join(dir, `${stem}.svg`);
  await writeFileAtomic(png, figure.png);
  await writeFileAtomic(svg, figure.svg);
  return [png, svg];
}

/**
 * Writes `nm_roi_theta_spectrograms.{png,svg}` and `nm_roi_frequency_profiles.{png,svg}` for one
 * session into `dir` (created if missing). Returns the paths written.
 */
export async function writeSessionFigures(dir: string, a: SessionAnalysis): Promise<string[]> {
  const panels: SpectrogramPanel[] = a.sizes.map((s) => ({ title: `NM size ${s.label}`, mean: s.mean, nEvents: s.nEvents }));
  const nEvents = a.sizes.reduce((n, s) => n + s.nEvents, 0);
  const session = `rat ${a.ratId}, session ${a.sessionIndex === null ? a.sessionDate : `${a.sessionIndex} (${a.sessionDate})`}`;
  const invalid = a.invalidEvents.length > 0 ? ` (${a.invalidEvents.length} invalid skipped)` : '';
  const second = `${roiLine(a.roi)} · ${plural(nEvents, 'event')}${invalid}`;
  await mkdir(dir, { recursive: true });
  return [
    ...(await writeSet(dir, FIGURE_FILES.spectrograms, await spectrogramFigure(panels, a.freqs, a.windowTimes, `Mean z-scored ROI theta power around NM events — ${session}\n${second}`))),
    ...(await writeSet(dir, FIGURE_FILES.profiles, await frequencyProfileFigure(panels, a.freqs, a.windowTimes, `Z-score at the NM event vs frequency — ${session}\n${second}`))),
  ];
}

/**
 * Writes the rat's figures into `dir`: `nm_roi_theta_summary`, `nm_roi_theta_spectrograms` and
 * `nm_roi_frequency_profiles` (PNG + SVG), from the per-size means over all events of all
 * successful sessions. Returns the paths written.
 */
export async function writeRatFigures(dir: string, r: RatAnalysis): Promise<string[]> {
  const panels: SpectrogramPanel[] = r.sizes.map((s) => ({
    title: `NM size ${s.label}`,
    mean: s.mean,
    nEvents: s.nEvents,
    detail: `n = ${plural(s.nEvents, 'event')}, ${plural(s.nSessions, 'session')}`,
  }));
  const nEvents = r.sizes.reduce((n, s) => n + s.nEvents, 0);
  const failed = r.failed.length > 0 ? `, ${r.failed.length} failed` : '';
  const roi = r.sessions[0]?.roi;
  const head = `rat ${r.ratId}: ${plural(r.sessions.length, 'session')}${failed}, ${plural(nEvents, 'event')}`;
  const second = roi === undefined ? head : `${head}\n${roiLine(roi)}`;
  await mkdir(dir, { recursive: true });
  return [
    ...(await writeSet(dir, FIGURE_FILES.summary, await summaryFigure(panels, r.freqs, r.windowTimes, `NM-locked ROI theta power — ${second}`))),
    ...(await writeSet(dir, FIGURE_FILES.spectrograms, await spectrogramFigure(panels, r.freqs, r.windowTimes, `Mean z-scored ROI theta power around NM events — ${second}`))),
    ...(await writeSet(dir, FIGURE_FILES.profiles, await frequencyProfileFigure(panels, r.freqs, r.windowTimes, `Z-score at the NM event vs frequency — ${second}`))),
  ];
}

/**
 * Writes the cross-rat figures into `dir` (summary, spectrograms, profiles; PNG + SVG): per size,
 * the mean over rats of the rats' mean spectrograms.
 *
 * @param cross per-size cross-rat means, each (n_freqs, window_samples)
 * @param freqs Hz, shape (n_freqs,)
 * @param windowTimes s, shape (window_samples,)
 * @param roiLabel shown in the titles, e.g. `frontal`
 */
export async function writeCrossRatFigures(
  dir: string,
  cross: readonly CrossRatMean[],
  freqs: Float64Array,
  windowTimes: Float64Array,
  roiLabel: string,
): Promise<string[]> {
  const panels: SpectrogramPanel[] = cross.map((c) => ({
    title: `NM size ${c.label}`,
    mean: c.mean,
    nEvents: c.nRats,
    detail: `mean of ${plural(c.nRats, 'rat')}`,
  }));
  const rats = [...new Set(cross.flatMap((c) => c.rats))];
  const ids = rats.length <= 8 ? ` (${rats.join(', ')})` : '';
  const head = `cross-rat mean of ${plural(rats.length, 'rat')}${ids}\nROI ${roiLabel}`;
  await mkdir(dir, { recursive: true });
  return [
    ...(await writeSet(dir, FIGURE_FILES.summary, await summaryFigure(panels, freqs, windowTimes, `NM-locked ROI theta power — ${head}`))),
    ...(await writeSet(dir, FIGURE_FILES.spectrograms, await spectrogramFigure(panels, freqs, windowTimes, `Mean z-scored ROI theta power around NM events — ${head}`))),
    ...(await writeSet(dir, FIGURE_FILES.profiles, await frequencyProfileFigure(panels, freqs, windowTimes, `Z-score at the NM event vs frequency — ${head}`))),
  ];
}
