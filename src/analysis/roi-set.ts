/**
 * Several ROIs, and every electrode on its own, from one pass over a session's channels
 * (docs/method.md §8.1–8.2): each channel's raw power windows are computed once, normalised (the
 * mode's channel step), and added to every ROI that holds the channel, in that ROI's channel
 * order; the mode's ROI step then applies to each ROI's averaged windows. A channel's
 * contribution is the same operation as in a one-ROI run (the kernel's addZRows with the ROI
 * divisor), so every ROI here has the bits it has when analysed alone.
 */
import { accumulateZRows, roiDivisor, type ChannelOutputs } from '../compute/channel-power.js';
import { InvalidParameterError } from '../errors.js';
import { sizeLabel } from '../model/session-data.js';
import type { EventKind, EventWindow } from './events.js';
import { normalizeChannelWindows, normalizeRoiWindows, type Normalization, type WindowSpan } from './normalize.js';
import type { ResolvedRoi } from './roi.js';

/** The windows of one events kind and size, in the order they are computed. */
export interface EventGroup {
  events: EventKind;
  size: number;
  members: EventWindow[];
}

/** The mean window of one events kind and size. */
export interface GroupMean {
  events: EventKind;
  /** Event size, e.g. 1. */
  size: number;
  /** File-name label (`1` for 1.0). */
  label: string;
  /** Number of valid windows. */
  nEvents: number;
  /** Indices of the contributing events in the session's list of events of this kind. */
  validEvents: number[];
  /** Mean over events, shape (n_freqs, window_samples). */
  mean: Float64Array;
}

/** The windows of one events kind and size, and their mean. */
export interface WindowGroup extends GroupMean {
  /** Normalised ROI power per event, shape (n_events, n_freqs, window_samples). */
  windows: Float64Array;
}

/** One electrode as a one-channel ROI: its mean windows only. */
export interface ElectrodeMeans {
  electrode: number;
  /** Recording channel index. */
  channel: number;
  groups: GroupMean[];
}

/**
 * The channels of several ROIs (and electrodes), each once, in an order in which every ROI's
 * channels come in that ROI's own order.
 *
 * @throws InvalidParameterError when two ROIs order shared channels differently
 */
export function unionChannels(rois: readonly ResolvedRoi[], electrodeChannels: readonly number[]): number[] {
  const union: number[] = [];
  for (const roi of rois) for (const c of roi.channels) if (!union.includes(c)) union.push(c);
  if (rois.length > 1) union.sort((a, b) => a - b);
  for (const roi of rois) {
    const at = roi.channels.map((c) => union.indexOf(c));
    if (at.some((p, i) => i > 0 && p < at[i - 1]!)) {
      throw new InvalidParameterError(`ROI '${roi.label}' averages its channels in another order (${roi.channels.join(',')}) than the other ROIs; give several ROIs in channel order`);
    }
  }
  for (const c of electrodeChannels) if (!union.includes(c)) union.push(c);
  return union;
}

/** Group spans of a windows buffer computed in the order of `groups`. */
export function groupSpans(groups: readonly EventGroup[]): WindowSpan[] {
  let start = 0;
  return groups.map((g) => {
    const span = { start, count: g.members.length };
    start += g.members.length;
    return span;
  });
}

/**
 * Splits windows (n_windows, n_freqs, window_samples), computed in the order of `groups`, into
 * per-group views with their means (numpy: the sum over events in order, divided by the count).
 */
export function splitGroups(groups: readonly EventGroup[], windows: Float64Array, nFreqs: number, windowSamples: number): WindowGroup[] {
  const per = nFreqs * windowSamples;
  const spans = groupSpans(groups);
  return groups.map((g, i) => {
    const { start, count } = spans[i]!;
    const view = windows.subarray(start * per, (start + count) * per);
    return { ...describeGroup(g), windows: view, mean: meanOfWindows(view, count, per) };
  });
}

function describeGroup(g: EventGroup): Omit<GroupMean, 'mean'> {
  return { events: g.events, size: g.size, label: sizeLabel(g.size), nEvents: g.members.length, validEvents: g.members.map((w) => w.index) };
}

function meanOfWindows(windows: Float64Array, count: number, per: number): Float64Array {
  const mean = new Float64Array(per);
  for (let k = 0; k < count; k++) {
    for (let j = 0; j < per; j++) mean[j] = mean[j]! + windows[k * per + j]!;
  }
  for (let j = 0; j < per; j++) mean[j] = mean[j]! / count;
  return mean;
}

/** The per-channel reduction of a run over the union of channels ({@link unionChannels}). */
export class RoiSetReduction {
  private readonly per: number;
  private readonly spans: WindowSpan[];
  /** Per ROI: the sum of its channels' normalised windows, shape (n_windows, n_freqs, window_samples). */
  private readonly sums: Float64Array[];
  /** Per union position: the (ROI, position in the ROI) pairs that hold the channel. */
  private readonly members: { roi: number; position: number }[][];
  /** Per union position: the electrodes recorded on the channel. */
  private readonly electrodesAt: number[][];
  private readonly electrodeGroups = new Map<number, GroupMean[]>();
  /** One channel's normalised windows, for the electrodes' means. */
  private scratch: Float64Array | null = null;

  constructor(
    private readonly rois: readonly ResolvedRoi[],
    private readonly electrodes: readonly { electrode: number; channel: number }[],
    channels: readonly number[],
    private readonly groups: readonly EventGroup[],
    private readonly nFreqs: number,
    private readonly windowSamples: number,
    private readonly normalization: Normalization,
    private readonly baseline: { first: number; end: number } | null,
  ) {
    this.per = nFreqs * windowSamples;
    this.spans = groupSpans(groups);
    const nWindows = groups.reduce((n, g) => n + g.members.length, 0);
    this.sums = rois.map(() => new Float64Array(nWindows * this.per));
    this.members = channels.map((c) => rois.flatMap((roi, r) => (roi.channels.includes(c) ? [{ roi: r, position: roi.channels.indexOf(c) }] : [])));
    this.electrodesAt = channels.map((c) => electrodes.filter((e) => e.channel === c).map((e) => e.electrode));
  }

  /** Adds the channel at union `position` (called in union order), its raw windows normalised in place. */
  addChannel(position: number, outputs: ChannelOutputs): void {
    const windows = outputs.windows!;
    const { nFreqs, windowSamples, per } = this;
    const scaling = normalizeChannelWindows(windows, nFreqs, windowSamples, this.spans, outputs.mean, outputs.std, this.normalization, this.baseline);
    const add = (sum: Float64Array, divisor: number): void => {
      this.spans.forEach(({ start, count }, g) => {
        const at = start * per;
        const end = (start + count) * per;
        const rows = (all: Float64Array) => all.subarray(g * nFreqs, (g + 1) * nFreqs);
        accumulateZRows(sum.subarray(at, end), windows.subarray(at, end), rows(scaling.offset), rows(scaling.scale), windowSamples, divisor);
      });
    };
    for (const { roi, position: p } of this.members[position]!) add(this.sums[roi]!, roiDivisor(p, this.rois[roi]!.channels.length));
    const electrodes = this.electrodesAt[position]!;
    if (electrodes.length > 0) {
      // A one-channel ROI: its windows are the channel's normalised windows, (0 + z) / 1.
      this.scratch ??= new Float64Array(windows.length);
      this.scratch.fill(0);
      add(this.scratch, 1);
      normalizeRoiWindows(this.scratch, nFreqs, windowSamples, this.spans, this.normalization, this.baseline);
      const means = this.groups.map((g, i) => {
        const { start, count } = this.spans[i]!;
        return { ...describeGroup(g), mean: meanOfWindows(this.scratch!.subarray(start * per, (start + count) * per), count, per) };
      });
      for (const e of electrodes) this.electrodeGroups.set(e, means);
    }
  }

  /** The ROIs' windows (after the mode's ROI step) and means, group by group; called once, at the end. */
  roiGroups(): WindowGroup[][] {
    return this.sums.map((sum) => {
      normalizeRoiWindows(sum, this.nFreqs, this.windowSamples, this.spans, this.normalization, this.baseline);
      return splitGroups(this.groups, sum, this.nFreqs, this.windowSamples);
    });
  }

  /** The electrodes' means, in the order given. */
  electrodeMeans(): ElectrodeMeans[] {
    return this.electrodes.map(({ electrode, channel }) => ({ electrode, channel, groups: this.electrodeGroups.get(electrode) ?? [] }));
  }
}
