/**
 * Multi-session (rat) and cross-rat analyses (docs/method.md §3.6).
 */
import { planRun, type RunPlan } from '../compute/plan.js';
import { EegParallelError, NoUsableSessionError, NonFiniteResultError } from '../errors.js';
import { refTimes, type SessionRef } from '../io/session-refs.js';
import { sizeLabel } from '../model/session-data.js';
import { frequencyCount } from './roi-spectrogram.js';
import { analyzeSessions } from './session-runs.js';
import type { SessionSource } from './session-tasks.js';
import { EVENT_KINDS, type EventKind } from './events.js';
import { planSessionRun, resolveSessionRois, type AnalysisOptions, type GroupMean, type SessionAnalysis } from './session.js';

export type { SessionRef, SessionSource };

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

/** Per-size aggregate over the sessions of a rat (one events kind, one ROI). */
export interface SizeMean {
  events: EventKind;
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

/** Per-size aggregate over rats (one events kind, one ROI). */
export interface CrossRatMean {
  events: EventKind;
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
  /** The first ROI's NM sizes: mean over all events of all successful sessions. */
  sizes: SizeMean[];
  /** Every ROI: per events kind and size, the mean over all events of all successful sessions. */
  rois: { key: string; label: string; groups: SizeMean[] }[];
  /** Every electrode as a one-channel ROI (with `electrodes`), else null. */
  electrodes: { electrode: number; groups: SizeMean[] }[] | null;
}

/** Called after each session of a rat: done or failed. */
export type SessionProgress = (event: { index: number; ok: boolean; reason?: string; analysis?: SessionAnalysis; stored?: boolean }) => void;

/** How {@link analyzeRat} runs. */
export interface RatRun {
  /** Called after each session, in file order, before its windows may be released. */
  onSession?: SessionProgress;
  /** The run plan (default {@link planRatRun}). */
  plan?: RunPlan;
  /**
   * Keep every session's windows in the result (default true). A long run that writes each
   * session as it is analysed (onSession) releases them once pooled: the rat's memory then holds
   * the means, not every event window of every session.
   */
  keepSessionWindows?: boolean;
}

const NO_WINDOWS = new Float64Array(0);

/** The analysis with its windows released (length 0): means, counts and theta stay. */
function withoutWindows(a: SessionAnalysis): SessionAnalysis {
  const rois = a.rois.map((r) => ({ ...r, groups: r.groups.map((g) => ({ ...g, windows: NO_WINDOWS })) }));
  return { ...a, rois, sizes: rois[0]?.groups.filter((g) => g.events === 'nm') ?? [], roiPower: null };
}

/**
 * The run plan of a rat's sessions: `sessions` (requested, or chosen by `auto` for this many
 * sessions) runs whole sessions in workers; otherwise each session runs with the plan of one
 * session, made from the first one's size.
 */
export function planRatRun(sessions: Iterable<SessionSource> | AsyncIterable<SessionSource>, options: AnalysisOptions): RunPlan {
  const list = Array.isArray(sessions) ? (sessions as SessionSource[]).filter((s): s is SessionRef => !('stored' in s)) : null;
  const first = list?.[0];
  let nChannels = 1;
  if (first !== undefined) {
    if ('file' in first) nChannels = first.file.channels.length;
    else {
      try {
        nChannels = resolveSessionRois(options, first.session.ratId, first.session.nChannels).channels.length;
      } catch {
        // each session's analysis reports the ROI error
      }
    }
  }
  const nTimes = first === undefined ? 1 : refTimes(first);
  const output = options.saveRoiPower ? 'roiPower' : 'windows';
  const ratLevel = planRun({ nChannels, nFreqs: frequencyCount(options), nTimes, nSessions: list?.length ?? Infinity, output, unit: 'sessions' }, options);
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
 * @param run how it runs ({@link RatRun})
 * @throws NoUsableSessionError when no session succeeds
 */
export async function analyzeRat(
  ratId: string,
  sessions: Iterable<SessionSource> | AsyncIterable<SessionSource>,
  options: AnalysisOptions,
  run: RatRun = {},
): Promise<RatAnalysis> {
  const { onSession, plan = planRatRun(sessions, options), keepSessionWindows = true } = run;
  const outcomes = analyzeSessions(sessions, options, plan);
  const done: SessionAnalysis[] = [];
  const failed: FailedSession[] = [];
  const pools = new RatPools();
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
    for (const r of analysis.rois) pools.add(`roi ${r.key}`, r.roi.label, index, r.groups);
    for (const e of analysis.electrodes ?? []) pools.add(`electrode ${e.electrode}`, `e${e.electrode}`, index, e.groups);
    onSession?.({ index, ok: true, analysis, ...(outcome.stored === true && { stored: true }) });
    done.push(keepSessionWindows ? analysis : withoutWindows(analysis));
  }
  if (reference === null) throw new NoUsableSessionError(ratId, failed);
  const rois = [...pools.entries('roi ')].map(([key, { label, groups }]) => ({ key, label, groups }));
  const electrodes = reference.electrodes === null ? null : [...pools.entries('electrode ')].map(([key, { groups }]) => ({ electrode: Number(key), groups }));
  return {
    ratId,
    freqs: reference.freqs,
    windowTimes: reference.windowTimes,
    windowSamples: reference.windowSamples,
    sessions: done,
    failed,
    sizes: rois[0]?.groups.filter((g) => g.events === 'nm') ?? [],
    rois,
    electrodes,
  };
}

/**
 * Per (ROI or electrode, events kind, size): the sum of the sessions' windows in session order,
 * divided by the count at the end (numpy's mean over the concatenated windows). Groups holding
 * only a mean (electrodes) add mean · n_events.
 */
class RatPools {
  private readonly pools = new Map<string, { label: string; groups: Map<string, { events: EventKind; size: number; sum: Float64Array; nEvents: number; sessions: number[] }> }>();

  add(key: string, label: string, session: number, groups: readonly (GroupMean & { windows?: Float64Array })[]): void {
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = { label, groups: new Map() };
      this.pools.set(key, pool);
    }
    for (const g of groups) {
      const id = `${g.events} ${g.size}`;
      let entry = pool.groups.get(id);
      if (entry === undefined) {
        entry = { events: g.events, size: g.size, sum: new Float64Array(g.mean.length), nEvents: 0, sessions: [] };
        pool.groups.set(id, entry);
      }
      const per = g.mean.length;
      if (g.windows !== undefined) {
        for (let e = 0; e < g.nEvents; e++) {
          const w = g.windows.subarray(e * per, (e + 1) * per);
          for (let j = 0; j < per; j++) entry.sum[j] = entry.sum[j]! + w[j]!;
        }
      } else {
        for (let j = 0; j < per; j++) entry.sum[j] = entry.sum[j]! + g.mean[j]! * g.nEvents;
      }
      entry.nEvents += g.nEvents;
      entry.sessions.push(session);
    }
  }

  /** The pools whose key starts with `prefix` (prefix removed), groups by events kind then size. */
  *entries(prefix: string): Generator<[string, { label: string; groups: SizeMean[] }]> {
    for (const [key, pool] of this.pools) {
      if (!key.startsWith(prefix)) continue;
      const groups = [...pool.groups.values()]
        .sort((a, b) => EVENT_KINDS.indexOf(a.events) - EVENT_KINDS.indexOf(b.events) || a.size - b.size)
        .map(({ events, size, sum, nEvents, sessions }) => {
          for (let j = 0; j < sum.length; j++) sum[j] = sum[j]! / nEvents;
          return { events, size, label: sizeLabel(size), nEvents, nSessions: sessions.length, sessions, mean: sum };
        });
      yield [key.slice(prefix.length), { label: pool.label, groups }];
    }
  }
}

/** Per-rat input of the cross-rat mean: a rat id and its per-size means (NM unless `events` says). */
export interface RatMeans {
  ratId: string;
  sizes: readonly (Pick<SizeMean, 'size' | 'mean'> & { events?: EventKind })[];
}

/**
 * Cross-rat means (docs/method.md §3.6): per events kind and size, the mean over rats (that have
 * the group) of each rat's mean spectrogram, rats in the given order.
 *
 * @throws NonFiniteResultError when a rat's mean holds NaN or ±Inf (never averaged in silently)
 */
export function crossRatMeans(rats: readonly RatMeans[]): CrossRatMean[] {
  const byGroup = new Map<string, { events: EventKind; size: number; sum: Float64Array; rats: string[] }>();
  for (const rat of rats) {
    for (const s of rat.sizes) {
      const events = s.events ?? 'nm';
      const id = `${events} ${s.size}`;
      let entry = byGroup.get(id);
      if (entry === undefined) {
        entry = { events, size: s.size, sum: new Float64Array(s.mean.length), rats: [] };
        byGroup.set(id, entry);
      }
      if (entry.sum.length !== s.mean.length) {
        throw new EegParallelError(
          'session-data',
          `rat ${rat.ratId} ${events} size ${s.size}: spectrogram has ${s.mean.length} values, other rats ${entry.sum.length}`,
        );
      }
      const bad = s.mean.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new NonFiniteResultError(`rat ${rat.ratId} ${events} size ${s.size}: its mean holds a non-finite value (${s.mean[bad]} at value ${bad}); it cannot enter a cross-rat mean`);
      }
      for (let j = 0; j < s.mean.length; j++) entry.sum[j] = entry.sum[j]! + s.mean[j]!;
      entry.rats.push(rat.ratId);
    }
  }
  return [...byGroup.values()]
    .sort((a, b) => EVENT_KINDS.indexOf(a.events) - EVENT_KINDS.indexOf(b.events) || a.size - b.size)
    .map(({ events, size, sum, rats: ids }) => {
      for (let j = 0; j < sum.length; j++) sum[j] = sum[j]! / ids.length;
      return { events, size, label: sizeLabel(size), nRats: ids.length, rats: ids, mean: sum };
    });
}

/** A rat's pooled means, per ROI and per electrode, as the cross-rat analysis reads them. */
export interface RatGroups {
  ratId: string;
  rois: readonly { key: string; label: string; groups: RatMeans['sizes'] }[];
  electrodes: readonly { electrode: number; groups: RatMeans['sizes'] }[] | null;
}

/** Cross-rat means per ROI and per electrode. */
export interface CrossRatAnalysis {
  rois: { key: string; label: string; groups: CrossRatMean[] }[];
  electrodes: { electrode: number; groups: CrossRatMean[] }[] | null;
}

/**
 * Cross-rat means of every ROI and electrode (docs/method.md §3.6): per ROI, per events kind and
 * size, the mean over the rats that have it of the rats' means; ROIs in the first rat's order,
 * then any only later rats have.
 */
export function crossRatAnalysis(rats: readonly RatGroups[]): CrossRatAnalysis {
  const roiKeys = [...new Set(rats.flatMap((r) => r.rois.map((x) => x.key)))];
  const rois = roiKeys.map((key) => {
    const having = rats.flatMap((r) => r.rois.filter((x) => x.key === key).map((x) => ({ ratId: r.ratId, sizes: x.groups, label: x.label })));
    return { key, label: having[0]!.label, groups: crossRatMeans(having) };
  });
  const withElectrodes = rats.filter((r) => r.electrodes !== null);
  const electrodes =
    withElectrodes.length === 0
      ? null
      : [...new Set(withElectrodes.flatMap((r) => r.electrodes!.map((e) => e.electrode)))]
          .sort((a, b) => a - b)
          .map((electrode) => ({
            electrode,
            groups: crossRatMeans(withElectrodes.flatMap((r) => r.electrodes!.filter((e) => e.electrode === electrode).map((e) => ({ ratId: r.ratId, sizes: e.groups })))),
          }));
  return { rois, electrodes };
}
