/**
 * Single-session analysis (docs/method.md §3.6, §8): the ROI channels' power → normalised event
 * windows by events kind (NM, ITI) and size, for one ROI or several (each channel computed once),
 * and their theta scalars.
 */
import type { ParallelOptions } from '../compute/options.js';
import { runChannelJobs } from '../compute/channel-runs.js';
import { planRun, type RunPlan } from '../compute/plan.js';
import { createWaveletBank } from '../dsp/convolve.js';
import { EegParallelError, EventWindowError, FlatChannelError, InvalidParameterError, NonFiniteResultError } from '../errors.js';
import { channelSamples, sessionSfreq, sizeLabel, type SessionData } from '../model/session-data.js';
import { EVENT_KINDS, planEventWindows, windowSizes, type EventKind, type InvalidEvent, type WindowPlan } from './events.js';
import { modeInfo, normalizationLabel, normalizeRoiWindows, resolveNormalization, samplesWithin, type Normalization, type NormalizationOptions } from './normalize.js';
import { checkRoiSpecs, MAX_ELECTRODE, MIN_ELECTRODE, resolveRoi, roiKey, type ResolvedRoi, type RoiSpec, type RoiTables } from './roi.js';
import { frequencyCount, resolveTfrParams, roiProblem, roiSpectrogram, roiWindows, validateRoiChannels, type TfrOptions } from './roi-spectrogram.js';
import { groupSpans, RoiSetReduction, splitGroups, unionChannels, type ElectrodeMeans, type EventGroup, type WindowGroup } from './roi-set.js';
import { flatChannels, validateSessionData } from './session-checks.js';
import { runThetaSelection, type ThetaSelection } from './theta.js';

export type { WindowGroup, GroupMean, ElectrodeMeans } from './roi-set.js';
import type { GroupMean } from './roi-set.js';

export const DEFAULT_WINDOW_DURATION = 1.0;

/** Options of a session (and rat) analysis. */
export interface AnalysisOptions extends TfrOptions, ParallelOptions, NormalizationOptions {
  /** The ROI, or several: each a name from the ROI map, electrode numbers, or channel indices. */
  roi: RoiSpec | readonly RoiSpec[];
  /** Also every electrode 1–32 as a one-channel ROI (mean windows and theta only; `--roi all`). */
  electrodes?: boolean;
  /** Which events are windowed (default ['nm']). */
  events?: readonly EventKind[];
  /** Event window length, s (default 1.0). */
  windowDuration?: number;
  /** Theta band, Hz, both ends included (default [3, 7]). */
  thetaBand?: readonly [number, number];
  /** Theta window, s relative to the event, both ends included (default [−0.2, 0]). */
  thetaWindow?: readonly [number, number];
  /** Keep the full ROI power (n_freqs, n_times) in the result (default false: windows only). */
  saveRoiPower?: boolean;
  /** ROI map and electrode table (default: the lab's, shipped in data/). */
  tables?: RoiTables;
}

/** The NM windows of one size (one ROI). */
export type SizeWindows = WindowGroup;

/** One ROI's windows of a session. */
export interface RoiResult {
  roi: ResolvedRoi;
  /** File-safe name ({@link roiKey}): the directory `roi_<key>` of a several-ROI run. */
  key: string;
  /** NM sizes ascending, then ITI sizes ascending; only groups with ≥ 1 valid window. */
  groups: WindowGroup[];
}

/** An ROI of a several-ROI run that this session cannot give. */
export interface SkippedRoi {
  key: string;
  reason: string;
}

/** Result of {@link analyzeSession}. */
export interface SessionAnalysis {
  ratId: string;
  sessionDate: string;
  /** Index of the session in its file, when known. */
  sessionIndex: number | null;
  /** [n_channels, n_times] of the recording. */
  eegShape: [number, number];
  /** Hz. */
  sfreq: number;
  /** The first ROI (the only one in a one-ROI run). */
  roi: ResolvedRoi;
  /** Every ROI analysed, in the order given. */
  rois: RoiResult[];
  /** ROIs of a several-ROI run left out for this session (e.g. an electrode it lacks, a flat channel). */
  skippedRois: SkippedRoi[];
  /** Events groups left out: fewer valid events than the run's minimum. */
  excludedGroups: ExcludedGroup[];
  /** Every electrode as a one-channel ROI (with `electrodes`), else null. */
  electrodes: ElectrodeMeans[] | null;
  /** The channels computed, each once (rows of channelMean/channelStd). */
  channels: number[];
  events: EventKind[];
  normalization: Normalization;
  /** Where theta scalars are taken; null when the default band or window does not fit the run. */
  theta: ThetaSelection | null;
  /** Hz, shape (n_freqs,). */
  freqs: Float64Array;
  /** Shape (n_freqs,). */
  nCycles: Float64Array;
  zeroMean: boolean;
  /** s. */
  windowDuration: number;
  windowSamples: number;
  /** s, shape (window_samples,). */
  windowTimes: Float64Array;
  /** The first ROI's NM groups, sizes ascending. */
  sizes: SizeWindows[];
  /** NM events without a window. */
  invalidEvents: InvalidEvent[];
  /** ITI events without a window (empty unless ITI events are analysed). */
  invalidItiEvents: InvalidEvent[];
  /** Per channel mean power over the whole session, shape (n_channels, n_freqs). */
  channelMean: Float64Array;
  /** Per channel power std (floored), shape (n_channels, n_freqs). */
  channelStd: Float64Array;
  /** Z-scored ROI power, shape (n_freqs, n_times), only with `saveRoiPower`. */
  roiPower: Float64Array | null;
  /** Wall time of the compute step, s. */
  computeSeconds: number;
}

/** An events group (kind and size) of a session left out of its results and its rat's pooled means. */
export interface ExcludedGroup {
  events: EventKind;
  size: number;
  label: string;
  /** Its valid events. */
  nEvents: number;
  reason: string;
}

/** The ROIs as a list. */
export function roiSpecs(options: Pick<AnalysisOptions, 'roi'>): readonly RoiSpec[] {
  return Array.isArray(options.roi) ? (options.roi as readonly RoiSpec[]) : [options.roi as RoiSpec];
}

/**
 * Whether the session runs channel by channel, normalising each channel's windows and adding
 * them to every ROI (several ROIs, electrodes, or a baseline normalisation), rather than the
 * one-ROI session-z path, whose tasks may split a channel's rows.
 */
export function usesChannelWindows(options: AnalysisOptions): boolean {
  return roiSpecs(options).length > 1 || (options.electrodes ?? false) || modeInfo(options.normalize ?? 'session-z').channelStep !== 'session-z';
}

/**
 * Checks what can be checked of the analysis options before any session is read (ROI names and
 * electrode numbers, events, normalisation, minimum events), so that a typo is one error of the
 * run, not a failure of every session.
 *
 * @throws InvalidParameterError naming the bad value
 */
export function checkAnalysisOptions(options: AnalysisOptions): void {
  checkRoiSpecs(roiSpecs(options), options.tables);
  resolveEvents(options.events);
  resolveNormalization(options);
}

/** Validated events kinds, in file order (nm before iti). */
export function resolveEvents(events: readonly EventKind[] = ['nm']): EventKind[] {
  if (events.length === 0) throw new InvalidParameterError('events: give nm, iti or nm,iti');
  for (const e of events) {
    if (!EVENT_KINDS.includes(e)) throw new InvalidParameterError(`events '${String(e)}' is unknown; expected nm, iti or nm,iti`);
  }
  return EVENT_KINDS.filter((k) => events.includes(k));
}

/** The ROIs and electrodes of a session, resolved for its rat and checked against its channels. */
export interface SessionRois {
  rois: ResolvedRoi[];
  skipped: SkippedRoi[];
  electrodes: { electrode: number; channel: number }[] | null;
  /** Every channel to compute, once ({@link unionChannels}). */
  channels: number[];
}

/**
 * Resolves the ROIs for a rat. With one ROI, an ROI error is the session's error; with several,
 * an ROI the rat or the session cannot give (no such electrode, a channel the recording lacks) is
 * skipped and reported, and the run fails only if none is left.
 *
 * @param nChannels channels of the recording
 */
export function resolveSessionRois(options: AnalysisOptions, ratId: string, nChannels: number): SessionRois {
  const specs = roiSpecs(options);
  const several = specs.length > 1 || (options.electrodes ?? false);
  const rois: ResolvedRoi[] = [];
  const skipped: SkippedRoi[] = [];
  for (const spec of specs) {
    try {
      const roi = resolveRoi(spec, ratId, options.tables);
      const missing = roi.channels.find((c) => c >= nChannels);
      if (several && missing !== undefined) throw new EegParallelError('channel-range', `channel ${missing} is not in the recording (${nChannels} channels)`);
      rois.push(roi);
    } catch (e) {
      if (!several || !(e instanceof EegParallelError)) throw e;
      skipped.push({ key: roiKey(spec), reason: e.message });
    }
  }
  let electrodes: SessionRois['electrodes'] = null;
  if (options.electrodes) {
    electrodes = [];
    for (let electrode = MIN_ELECTRODE; electrode <= MAX_ELECTRODE; electrode++) {
      const spec = { electrodes: [electrode] };
      try {
        const channel = resolveRoi(spec, ratId, options.tables).channels[0]!;
        if (channel >= nChannels) throw new EegParallelError('channel-range', `channel ${channel} is not in the recording (${nChannels} channels)`);
        electrodes.push({ electrode, channel });
      } catch (e) {
        if (!(e instanceof EegParallelError)) throw e;
        skipped.push({ key: roiKey(spec), reason: e.message });
      }
    }
  }
  if (rois.length === 0 && (electrodes === null || electrodes.length === 0)) {
    throw new EegParallelError('roi', `no ROI can be analysed for rat ${ratId}: ${skipped.map((s) => `${s.key}: ${s.reason}`).join('; ')}`);
  }
  return { rois, skipped, electrodes, channels: unionChannels(rois, electrodes?.map((e) => e.channel) ?? []) };
}

/** The valid windows grouped by events kind then size (ascending), each group in input order. */
export function eventGroups(plans: readonly { events: EventKind; plan: WindowPlan }[]): EventGroup[] {
  return plans.flatMap(({ events, plan }) =>
    windowSizes(plan.windows).map((size) => ({ events, size, members: plan.windows.filter((w) => w.size === size) })),
  );
}

/**
 * The run plan of one session's analysis: its channels, frequencies and samples.
 *
 * @param nChannels channels computed (of the ROI, or of every ROI once)
 * @param nTimes samples per channel
 */
export function planSessionRun(nChannels: number, nTimes: number, options: AnalysisOptions): RunPlan {
  const output = usesChannelWindows(options) ? 'channelWindows' : options.saveRoiPower ? 'roiPower' : 'windows';
  return planRun(roiProblem(nChannels, frequencyCount(options), nTimes, output), options);
}

/**
 * The events groups of a session that have at least `minEvents` valid events, and those left out.
 */
export function applyMinEvents(groups: readonly EventGroup[], minEvents: number, normalize: string): { kept: EventGroup[]; excluded: ExcludedGroup[] } {
  const kept = groups.filter((g) => g.members.length >= minEvents);
  const excluded = groups
    .filter((g) => g.members.length < minEvents)
    .map((g) => ({
      events: g.events,
      size: g.size,
      label: sizeLabel(g.size),
      nEvents: g.members.length,
      reason: `${g.members.length} ${g.members.length === 1 ? 'event' : 'events'}, fewer than the ${minEvents} required (--min-events, ${normalize})`,
    }));
  return { kept, excluded };
}

/**
 * Leaves out of a session's ROIs those holding a flat channel ({@link flatChannels}): with one
 * ROI the session fails; with several, each such ROI or electrode is skipped with the reason and
 * the others go on (its channel is still computed; nothing uses it).
 *
 * @throws FlatChannelError when the only ROI, or every ROI and electrode, holds a flat channel
 */
function withoutFlatChannels(session: SessionData, setup: SessionRois, several: boolean): SessionRois {
  const flat = flatChannels(session, setup.channels);
  if (flat.length === 0) return setup;
  const errorOf = (c: number) => {
    const f = flat.find((x) => x.channel === c)!;
    return new FlatChannelError(c, f.value, session.nTimes);
  };
  const flatIn = (channels: readonly number[]) => channels.find((c) => flat.some((f) => f.channel === c));
  if (!several) throw errorOf(flatIn(setup.rois[0]!.channels)!);
  const skipped = [...setup.skipped];
  const rois = setup.rois.filter((roi) => {
    const c = flatIn(roi.channels);
    if (c !== undefined) skipped.push({ key: roiKey(roi.spec), reason: errorOf(c).message });
    return c === undefined;
  });
  const electrodes = setup.electrodes?.filter((e) => {
    const c = flatIn([e.channel]);
    if (c !== undefined) skipped.push({ key: roiKey({ electrodes: [e.electrode] }), reason: errorOf(c).message });
    return c === undefined;
  }) ?? null;
  if (rois.length === 0 && (electrodes === null || electrodes.length === 0)) throw errorOf(flat[0]!.channel);
  return { ...setup, rois, electrodes, skipped };
}

/**
 * @throws NonFiniteResultError when a group's mean holds NaN or ±Inf (a window value that is not
 *   finite makes its group's mean so): the session fails rather than carry it into any mean
 */
function checkFiniteResults(rois: readonly RoiResult[], electrodes: readonly ElectrodeMeans[] | null, freqs: Float64Array, windowTimes: Float64Array, normalization: Normalization): void {
  const check = (what: string, g: GroupMean) => {
    const bad = g.mean.findIndex((v) => !Number.isFinite(v));
    if (bad < 0) return;
    const count = g.mean.reduce((n, v) => n + (Number.isFinite(v) ? 0 : 1), 0);
    const f = Math.floor(bad / windowTimes.length);
    const t = bad % windowTimes.length;
    throw new NonFiniteResultError(
      `${what}, ${g.events} size ${g.label}: ${count} of ${g.mean.length} mean values are not finite ` +
        `(first ${g.mean[bad]} at ${Number(freqs[f]!.toPrecision(4))} Hz, ${Number(windowTimes[t]!.toPrecision(4))} s) under ${normalizationLabel({ normalize: normalization.mode, baseline: normalization.baseline, baseline_mode: normalization.baselineMode })}; ` +
        'the session is left out (is its baseline power zero?)',
    );
  };
  for (const r of rois) for (const g of r.groups) check(`ROI ${r.roi.label}`, g);
  for (const e of electrodes ?? []) for (const g of e.groups) check(`electrode ${e.electrode}`, g);
}

/** What {@link computeRoiGroups} returns: per ROI its groups, and the channels' statistics. */
interface ComputedGroups {
  roiGroups: WindowGroup[][];
  electrodes: ElectrodeMeans[] | null;
  roiPower: Float64Array | null;
  channelMean: Float64Array;
  channelStd: Float64Array;
}

/**
 * The ROIs' normalised windows of a session, per events group: channel by channel, each channel's
 * windows added to every ROI that holds it (several ROIs, electrodes, or a channel step other than
 * session-z), or the one-ROI session-z path, whose tasks may split a channel's rows. The mode's ROI
 * step is applied to every ROI's averaged windows either way.
 */
async function computeRoiGroups(
  session: SessionData,
  setup: SessionRois,
  groups: readonly EventGroup[],
  windowSamples: number,
  bank: ReturnType<typeof createWaveletBank>,
  options: AnalysisOptions,
  normalization: Normalization,
  baseline: { first: number; end: number } | null,
  plan: RunPlan,
): Promise<ComputedGroups> {
  const nFreqs = bank.freqs.length;
  const positions = { starts: Int32Array.from(groups.flatMap((g) => g.members), (w) => w.start), windowSamples };
  if (usesChannelWindows(options)) {
    const reduction = new RoiSetReduction(setup.rois, setup.electrodes ?? [], setup.channels, groups, nFreqs, windowSamples, normalization, baseline);
    const { channelMean, channelStd } = await runChannelJobs(
      {
        signals: setup.channels.map((c) => channelSamples(session, c)),
        names: setup.channels.map((c) => `channel ${c}`),
        bank,
        windowPositions: positions,
        keptPower: null,
        roi: null,
        onChannel: (position, outputs) => reduction.addChannel(position, outputs),
      },
      plan,
    );
    return { roiGroups: reduction.roiGroups(), electrodes: setup.electrodes === null ? null : reduction.electrodeMeans(), roiPower: null, channelMean, channelStd };
  }
  const roi = setup.rois[0]!;
  let windows: Float64Array;
  let roiPower: Float64Array | null = null;
  let stats: { channelMean: Float64Array; channelStd: Float64Array };
  if (options.saveRoiPower) {
    const spec = await roiSpectrogram(session, roi.channels, bank, false, plan);
    roiPower = spec.roiPower;
    stats = spec;
    windows = sliceWindows(roiPower, session.nTimes, nFreqs, positions.starts, windowSamples);
  } else {
    const result = await roiWindows(session, roi.channels, bank, positions, plan);
    windows = result.windows;
    stats = result;
  }
  normalizeRoiWindows(windows, nFreqs, windowSamples, groupSpans(groups), normalization, baseline);
  return { roiGroups: [splitGroups(groups, windows, nFreqs, windowSamples)], electrodes: null, roiPower, channelMean: stats.channelMean, channelStd: stats.channelStd };
}

/**
 * Analyses one session: ROI channels → power → normalised windows per events kind and size, per
 * ROI.
 *
 * @param plan how it runs; by default planned from `options` for this session
 * @throws RoiError / ChannelRangeError / NonFiniteDataError / FlatChannelError / SessionDataError /
 *   EventWindowError / NonFiniteResultError / InvalidParameterError — see docs/method.md §3.6 for
 *   the cases
 */
export async function analyzeSession(
  session: SessionData,
  options: AnalysisOptions,
  sessionIndex: number | null = null,
  plan?: RunPlan,
): Promise<SessionAnalysis> {
  checkAnalysisOptions(options);
  validateSessionData(session);
  const sfreq = sessionSfreq(session);
  const several = roiSpecs(options).length > 1 || (options.electrodes ?? false);
  const params = resolveTfrParams(options, sfreq);
  const windowDuration = options.windowDuration ?? DEFAULT_WINDOW_DURATION;
  const normalization = resolveNormalization(options);
  const events = resolveEvents(options.events);
  if (usesChannelWindows(options) && options.saveRoiPower) {
    throw new InvalidParameterError('--save-roi-power writes the session-z power of one ROI; it cannot be combined with several ROIs, electrodes or a per-channel baseline normalisation');
  }
  const plans = events.map((kind) => ({
    events: kind,
    plan:
      kind === 'nm'
        ? planEventWindows(session.eegTime, session.nmPeakTimes, session.nmSizes, windowDuration, sfreq, 'nm')
        : planEventWindows(session.eegTime, session.itiPeakTimes ?? new Float64Array(0), session.itiSizes ?? new Float64Array(0), windowDuration, sfreq, 'iti'),
  }));
  const { windowSamples, windowTimes } = plans[0]!.plan;
  const baseline = normalization.baseline === null ? null : samplesWithin(windowTimes, normalization.baseline, 'baseline');
  const theta = runThetaSelection(params.freqs, windowTimes, options.thetaBand, options.thetaWindow);
  const resolved = resolveSessionRois(options, session.ratId, session.nChannels);
  validateRoiChannels(session, resolved.channels);
  const setup = withoutFlatChannels(session, resolved, several);
  const { kept: groups, excluded: excludedGroups } = applyMinEvents(eventGroups(plans), normalization.minEvents, normalization.mode);
  if (!groups.some((g) => g.events === 'nm')) {
    throw new EventWindowError(`no NM size has the ${normalization.minEvents} valid events required (--min-events): ${excludedGroups.filter((g) => g.events === 'nm').map((g) => `size ${g.label}: ${g.nEvents}`).join(', ')}`);
  }

  const started = performance.now();
  const bank = createWaveletBank(params, session.nTimes);
  const runPlan = plan ?? planSessionRun(setup.channels.length, session.nTimes, options);
  const computed = await computeRoiGroups(session, setup, groups, windowSamples, bank, options, normalization, baseline, runPlan);
  const computeSeconds = (performance.now() - started) / 1000;
  const rois = setup.rois.map((roi, r) => ({ roi, key: roiKey(roi.spec), groups: computed.roiGroups[r]! }));
  checkFiniteResults(rois, computed.electrodes, params.freqs, windowTimes, normalization);
  const first = rois[0];

  return {
    ratId: session.ratId,
    sessionDate: session.sessionDate,
    sessionIndex,
    eegShape: [session.nChannels, session.nTimes],
    sfreq,
    roi: first?.roi ?? { spec: { electrodes: [] }, label: 'electrodes', channels: setup.channels, electrodes: null },
    rois,
    skippedRois: setup.skipped,
    excludedGroups,
    electrodes: computed.electrodes,
    channels: setup.channels,
    events,
    normalization,
    theta,
    freqs: params.freqs,
    nCycles: params.nCycles,
    zeroMean: params.zeroMean,
    windowDuration,
    windowSamples,
    windowTimes,
    sizes: first?.groups.filter((g) => g.events === 'nm') ?? [],
    invalidEvents: plans.find((p) => p.events === 'nm')?.plan.invalid ?? [],
    invalidItiEvents: plans.find((p) => p.events === 'iti')?.plan.invalid ?? [],
    channelMean: computed.channelMean,
    channelStd: computed.channelStd,
    roiPower: computed.roiPower,
    computeSeconds,
  };
}

/** Copies windows out of a (n_freqs, n_times) matrix into (n_windows, n_freqs, W). */
export function sliceWindows(
  power: Float64Array,
  nTimes: number,
  nFreqs: number,
  starts: Int32Array,
  windowSamples: number,
): Float64Array {
  const out = new Float64Array(starts.length * nFreqs * windowSamples);
  starts.forEach((s, w) => {
    for (let f = 0; f < nFreqs; f++) {
      out.set(power.subarray(f * nTimes + s, f * nTimes + s + windowSamples), (w * nFreqs + f) * windowSamples);
    }
  });
  return out;
}
