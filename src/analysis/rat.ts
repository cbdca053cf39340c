/**
 * Multi-session (rat) and cross-rat analyses (docs/method.md §3.6).
 */
import { planRun, type RunPlan } from '../compute/plan.js';
import { EegParallelError, NoUsableSessionError } from '../errors.js';
import { refTimes, type SessionRef } from '../io/session-refs.js';
import { sizeLabel } from '../model/session-data.js';
import { frequencyCount } from './roi-spectrogram.js';
import { resolveRoi } from './roi.js';
import { analyzeSessions } from './session-runs.js';
import { planSessionRun, type AnalysisOptions, type SessionAnalysis } from './session.js';

export type { SessionRef };

/** An in-memory session and its index in the source file. */
export type IndexedSession = Extract<SessionRef, { session: unknown }>;

/** A session that could not be analysed. */
export interface FailedSession {
  index: number;
  /** Error kind (the error class's `code`, e.g. "non-finite-data"). */
  kind: string;
  /** One-line reason. */
  reason: string;
}

/** Per-size aggregate over the sessions of a rat. */
export interface SizeMean {
  size: number;
  label: string;
  /** Events contributing. */
  nEvents: number;
  /** Sessions contributing. */
  nSessions: number;
  /** Contributing session indices, in file order. */
  sessions: number[];
  /** Mean spectrogram over all events, shape (n_freqs, window_samples). */
  mean: Float64Array;
}

/** Per-size aggregate over rats. */
export interface CrossRatMean {
  size: number;
  label: string;
  nRats: number;
  /** Contributing rat ids, in input order. */
  rats: string[];
  /** Mean over rats of the rats' means, shape (n_freqs, window_samples). */
  mean: Float64Array;
}

/** Result of {@link analyzeRat}. */
export interface RatAnalysis {
  ratId: string;
  freqs: Float64Array;
  windowTimes: Float64Array;
  windowSamples: number;
  /** Successful sessions, in file order. */
  sessions: SessionAnalysis[];
  failed: FailedSession[];
  /** Per size: mean over all events of all successful sessions. */
  sizes: SizeMean[];
}

/** Called after each session of a rat: done or failed. */
export type SessionProgress = (event: { index: number; ok: boolean; reason?: string; analysis?: SessionAnalysis }) => void;

/**
 * The run plan of a rat's sessions: `sessions` (requested, or chosen by `auto` for this many
 * sessions) runs whole sessions in workers; otherwise each session runs with the plan of one
 * session, made from the first one's size.
 */
export function planRatRun(sessions: Iterable<SessionRef> | AsyncIterable<SessionRef>, options: AnalysisOptions): RunPlan {
  const list = Array.isArray(sessions) ? (sessions as SessionRef[]) : null;
  const first = list?.[0];
  let nChannels = 1;
  if (first !== undefined) {
    if ('file' in first) nChannels = first.file.channels.length;
    else {
      try {
        nChannels = resolveRoi(options.roi, first.session.ratId, options.tables).channels.length;
      } catch {
        // each session's analysis reports the ROI error
      }
    }
  }
  const nTimes = first === undefined ? 1 : refTimes(first);
  const output = options.saveRoiPower ? 'roiPower' : 'windows';
  const ratLevel = planRun({ nChannels, nFreqs: frequencyCount(options), nTimes, nSessions: list?.length ?? 1, output, unit: 'sessions' }, options);
  return ratLevel.strategy === 'sessions' ? ratLevel : planSessionRun(nChannels, nTimes, options);
}

/**
 * Analyses every session of one rat in the given (file) order. A session failing with a
 * user-facing error is reported and skipped; per size, windows of all sessions are pooled in
 * session order and averaged (the sum in order divided by the count, as numpy's mean over the
 * concatenation). With the `sessions` strategy, sessions run in parallel workers; the result is
 * bitwise identical to the sequential run.
 *
 * @param sessions the rat's sessions: in memory, or references into a session file read (ROI
 *   channels only) where each session is analysed; a session that cannot be read is a failure
 * @param plan how it runs; by default {@link planRatRun}
 * @throws NoUsableSessionError when no session succeeds
 */
export async function analyzeRat(
  ratId: string,
  sessions: Iterable<SessionRef> | AsyncIterable<SessionRef>,
  options: AnalysisOptions,
  onSession?: SessionProgress,
  plan: RunPlan = planRatRun(sessions, options),
): Promise<RatAnalysis> {
  const outcomes = analyzeSessions(sessions, options, plan);
  const done: SessionAnalysis[] = [];
  const failed: FailedSession[] = [];
  const sums = new Map<number, { sum: Float64Array; nEvents: number; sessions: number[] }>();
  let reference: SessionAnalysis | null = null;
  for await (const outcome of outcomes) {
    const { index } = outcome;
    if (!outcome.ok) {
      failed.push({ index, kind: outcome.code, reason: outcome.message });
      onSession?.({ index, ok: false, reason: outcome.message });
      continue;
    }
    const analysis = outcome.analysis;
    if (reference !== null && analysis.windowSamples !== reference.windowSamples) {
      const reason =
        `window of ${analysis.windowSamples} samples (sfreq ${analysis.sfreq} Hz) differs from the rat's first ` +
        `session (${reference.windowSamples} samples at ${reference.sfreq} Hz); windows cannot be pooled`;
      failed.push({ index, kind: 'session-data', reason });
      onSession?.({ index, ok: false, reason });
      continue;
    }
    reference ??= analysis;
    for (const s of analysis.sizes) {
      let entry = sums.get(s.size);
      if (entry === undefined) {
        entry = { sum: new Float64Array(s.mean.length), nEvents: 0, sessions: [] };
        sums.set(s.size, entry);
      }
      const per = s.mean.length;
      for (let e = 0; e < s.nEvents; e++) {
        const w = s.windows.subarray(e * per, (e + 1) * per);
        for (let j = 0; j < per; j++) entry.sum[j] = entry.sum[j]! + w[j]!;
      }
      entry.nEvents += s.nEvents;
      entry.sessions.push(index);
    }
    done.push(analysis);
    onSession?.({ index, ok: true, analysis });
  }
  if (reference === null) throw new NoUsableSessionError(ratId, failed);
  const sizes = [...sums.entries()]
    .sort(([a], [b]) => a - b)
    .map(([size, { sum, nEvents, sessions: contributing }]) => {
      for (let j = 0; j < sum.length; j++) sum[j] = sum[j]! / nEvents;
      return { size, label: sizeLabel(size), nEvents, nSessions: contributing.length, sessions: contributing, mean: sum };
    });
  return {
    ratId,
    freqs: reference.freqs,
    windowTimes: reference.windowTimes,
    windowSamples: reference.windowSamples,
    sessions: done,
    failed,
    sizes,
  };
}

/** Per-rat input of the cross-rat mean: a rat id and its per-size means. */
export interface RatMeans {
  ratId: string;
  sizes: readonly Pick<SizeMean, 'size' | 'mean'>[];
}

/**
 * Cross-rat means (docs/method.md §3.6): per size, the mean over rats (that have the size) of each rat's
 * mean spectrogram, rats in the given order.
 */
export function crossRatMeans(rats: readonly RatMeans[]): CrossRatMean[] {
  const bySize = new Map<number, { sum: Float64Array; rats: string[] }>();
  for (const rat of rats) {
    for (const s of rat.sizes) {
      let entry = bySize.get(s.size);
      if (entry === undefined) {
        entry = { sum: new Float64Array(s.mean.length), rats: [] };
        bySize.set(s.size, entry);
      }
      if (entry.sum.length !== s.mean.length) {
        throw new EegParallelError(
          'session-data',
          `rat ${rat.ratId} size ${s.size}: spectrogram has ${s.mean.length} values, other rats ${entry.sum.length}`,
        );
      }
      for (let j = 0; j < s.mean.length; j++) entry.sum[j] = entry.sum[j]! + s.mean[j]!;
      entry.rats.push(rat.ratId);
    }
  }
  return [...bySize.entries()]
    .sort(([a], [b]) => a - b)
    .map(([size, { sum, rats: ids }]) => {
      for (let j = 0; j < sum.length; j++) sum[j] = sum[j]! / ids.length;
      return { size, label: sizeLabel(size), nRats: ids.length, rats: ids, mean: sum };
    });
}
