/**
 * Z-scored ROI theta spectrogram (SPEC 3.4): Morlet power of each ROI channel, z-scored per
 * (channel, frequency) over time, averaged over the ROI channels in the order given.
 */
import { createWaveletBank, type WaveletBank, type WaveletParams } from '../dsp/convolve.js';
import { cyclesFor, DEFAULT_CYCLES, frequencyGrid, validateFreqs, type CyclesSpec } from '../dsp/grid.js';
import { RoiError } from '../errors.js';
import { accumulateZ, computeChannelRows, divideInPlace, type ChannelOutputs, type WindowLayout } from './channel-power.js';
import { assertFiniteChannels, channelSamples, sessionSfreq, type EegMatrix } from './session-data.js';

/** Time-frequency parameters as a user gives them. */
export interface TfrOptions {
  /** Explicit frequencies, Hz; overrides freqRange/nFreqs. */
  freqs?: ArrayLike<number>;
  /** [f_lo, f_hi], Hz, for a geomspace grid (default [3, 8]). */
  freqRange?: readonly [number, number];
  /** Number of frequencies of the grid (default 20). */
  nFreqs?: number;
  /** Cycles rule (default: max(3, 3·f)). */
  cycles?: CyclesSpec;
  /** Zero-mean wavelets (default true). */
  zeroMean?: boolean;
}

export const DEFAULT_FREQ_RANGE: readonly [number, number] = [3, 8];
export const DEFAULT_N_FREQS = 20;

/** Resolves user options to validated wavelet parameters for `sfreq` Hz. */
export function resolveTfrParams(options: TfrOptions, sfreq: number): WaveletParams {
  let freqs: Float64Array;
  if (options.freqs !== undefined) {
    freqs = Float64Array.from(options.freqs);
    validateFreqs(freqs, sfreq);
  } else {
    const [lo, hi] = options.freqRange ?? DEFAULT_FREQ_RANGE;
    freqs = frequencyGrid(lo, hi, options.nFreqs ?? DEFAULT_N_FREQS, sfreq);
  }
  const nCycles = cyclesFor(freqs, options.cycles ?? DEFAULT_CYCLES);
  return { sfreq, freqs, nCycles, zeroMean: options.zeroMean ?? true };
}

/** Result of {@link computeRoiThetaSpectrogram}. */
export interface RoiSpectrogram {
  /** Frequencies, Hz, shape (n_freqs,). */
  freqs: Float64Array;
  /** Cycles per frequency, shape (n_freqs,). */
  nCycles: Float64Array;
  /** ROI channels (recording indices), in averaging order. */
  roiChannels: readonly number[];
  /** Mean over ROI channels of the z-scored power, shape (n_freqs, n_times). */
  roiPower: Float64Array;
  /** Per-channel mean power over time, shape (n_roi, n_freqs). */
  channelMean: Float64Array;
  /** Per-channel std of power over time (ddof 0, floored at 1e-12), shape (n_roi, n_freqs). */
  channelStd: Float64Array;
  /** Per-channel power, shape (n_roi, n_freqs, n_times), only with `returnChannelPower`. */
  channelPower: Float64Array | null;
}

/** Per-channel statistics and the ROI mean of z-scored event windows. */
export interface RoiWindows {
  /** Shape (n_windows, n_freqs, window_samples). */
  windows: Float64Array;
  /** Shape (n_roi, n_freqs). */
  channelMean: Float64Array;
  /** Shape (n_roi, n_freqs). */
  channelStd: Float64Array;
}

/**
 * Accumulates per-channel z-scores into the ROI mean strictly in ROI order, whatever order the
 * channels complete in, so every execution order gives bitwise identical sums.
 */
export class OrderedRoiAccumulator {
  readonly sum: Float64Array;
  readonly channelMean: Float64Array;
  readonly channelStd: Float64Array;
  private next = 0;
  private readonly pending = new Map<number, ChannelOutputs>();

  /**
   * @param nRoi number of ROI channels
   * @param nFreqs frequencies per channel
   * @param length elements of one channel's reduced output (n_freqs·n_times or n_windows·n_freqs·W)
   * @param rowLength samples per row (n_times, or window_samples)
   * @param source which output of a channel is reduced
   */
  constructor(
    private readonly nRoi: number,
    private readonly nFreqs: number,
    length: number,
    private readonly rowLength: number,
    private readonly source: 'power' | 'windows',
  ) {
    this.sum = new Float64Array(length);
    this.channelMean = new Float64Array(nRoi * nFreqs);
    this.channelStd = new Float64Array(nRoi * nFreqs);
  }

  /** Hands over ROI channel `position`'s finished outputs (any order, once each). */
  add(position: number, outputs: ChannelOutputs): void {
    this.pending.set(position, outputs);
    for (let o = this.pending.get(this.next); o !== undefined; o = this.pending.get(this.next)) {
      this.pending.delete(this.next);
      const values = this.source === 'power' ? o.power : o.windows;
      if (values === null) throw new Error(`channel ${this.next} has no ${this.source} output`);
      accumulateZ(this.sum, values, o.mean, o.std, this.nFreqs, this.rowLength);
      this.channelMean.set(o.mean, this.next * this.nFreqs);
      this.channelStd.set(o.std, this.next * this.nFreqs);
      this.next++;
    }
  }

  /** The ROI mean; call once all channels were added. */
  finish(): Float64Array {
    if (this.next !== this.nRoi) throw new Error(`only ${this.next} of ${this.nRoi} ROI channels were added`);
    divideInPlace(this.sum, this.nRoi);
    return this.sum;
  }
}

/** Checks ROI channels against the recording and for non-finite samples. */
export function validateRoiChannels(recording: EegMatrix, roiChannels: readonly number[]): void {
  if (roiChannels.length === 0) throw new RoiError('ROI is empty: give at least one channel');
  for (const c of roiChannels) channelSamples(recording, c);
  assertFiniteChannels(recording, roiChannels);
}

function allFrequencies(bank: WaveletBank): number[] {
  return Array.from(bank.freqs, (_, i) => i);
}

/**
 * Sequential ROI spectrogram with a prepared bank (the reference path that every parallel
 * strategy must match bitwise). Memory: the output plus one channel's power at a time (all
 * channels' when `returnChannelPower`).
 */
export function roiSpectrogramSequential(
  recording: EegMatrix,
  roiChannels: readonly number[],
  bank: WaveletBank,
  returnChannelPower = false,
): RoiSpectrogram {
  const nFreqs = bank.freqs.length;
  const nTimes = bank.nTimes;
  const rowSize = nFreqs * nTimes;
  const acc = new OrderedRoiAccumulator(roiChannels.length, nFreqs, rowSize, nTimes, 'power');
  const channelPower = returnChannelPower ? new Float64Array(roiChannels.length * rowSize) : null;
  let scratch: Float64Array | null = null;
  roiChannels.forEach((c, position) => {
    const power = channelPower?.subarray(position * rowSize, (position + 1) * rowSize) ?? (scratch ??= new Float64Array(rowSize));
    const out: ChannelOutputs = { mean: new Float64Array(nFreqs), std: new Float64Array(nFreqs), power, windows: null };
    computeChannelRows(channelSamples(recording, c), bank, allFrequencies(bank), out, null);
    acc.add(position, out);
  });
  return {
    freqs: bank.freqs,
    nCycles: bank.nCycles,
    roiChannels: [...roiChannels],
    roiPower: acc.finish(),
    channelMean: acc.channelMean,
    channelStd: acc.channelStd,
    channelPower,
  };
}

/**
 * Sequential ROI event windows: the same values as slicing {@link roiSpectrogramSequential}'s
 * ROI power at the window starts (bitwise), without ever holding a full power row.
 */
export function roiWindowsSequential(
  recording: EegMatrix,
  roiChannels: readonly number[],
  bank: WaveletBank,
  layout: WindowLayout,
): RoiWindows {
  const nFreqs = bank.freqs.length;
  const size = layout.starts.length * nFreqs * layout.windowSamples;
  const acc = new OrderedRoiAccumulator(roiChannels.length, nFreqs, size, layout.windowSamples, 'windows');
  const windows = new Float64Array(size);
  roiChannels.forEach((c, position) => {
    const out: ChannelOutputs = { mean: new Float64Array(nFreqs), std: new Float64Array(nFreqs), power: null, windows };
    computeChannelRows(channelSamples(recording, c), bank, allFrequencies(bank), out, layout);
    acc.add(position, out);
  });
  return { windows: acc.finish(), channelMean: acc.channelMean, channelStd: acc.channelStd };
}

/** Options of {@link computeRoiThetaSpectrogram}. */
export interface RoiSpectrogramOptions extends TfrOptions {
  /** Also return per-channel power, shape (n_roi, n_freqs, n_times) (large). */
  returnChannelPower?: boolean;
}

/**
 * Z-scored ROI theta spectrogram of a recording (SPEC 3.4).
 *
 * @param recording EEG (n_channels, n_times) with its sampling rate (default 200 Hz)
 * @param roiChannels 0-based channel indices, averaged in this order
 * @throws RoiError empty ROI; ChannelRangeError channel out of range; NonFiniteDataError NaN/Inf
 *   in a used channel; InvalidParameterError bad freqs/cycles
 */
export async function computeRoiThetaSpectrogram(
  recording: EegMatrix,
  roiChannels: readonly number[],
  options: RoiSpectrogramOptions = {},
): Promise<RoiSpectrogram> {
  const params = resolveTfrParams(options, sessionSfreq(recording));
  validateRoiChannels(recording, roiChannels);
  const bank = createWaveletBank(params, recording.nTimes);
  return roiSpectrogramSequential(recording, roiChannels, bank, options.returnChannelPower ?? false);
}
