/**
 * Z-scored ROI theta spectrogram (docs/method.md §3.4): Morlet power of each ROI channel, z-scored per
 * (channel, frequency) over time, averaged over the ROI channels in the order given.
 */
import { createWaveletBank, type WaveletBank, type WaveletParams } from '../dsp/convolve.js';
import { cyclesFor, DEFAULT_CYCLES, frequencyGrid, validateFreqs, type CyclesSpec } from '../dsp/grid.js';
import { RoiError } from '../errors.js';
import { planRun, type ProblemSize, type RunPlan } from '../compute/plan.js';
import { runChannelJobs } from '../compute/channel-runs.js';
import type { ParallelOptions } from '../compute/options.js';
import type { WindowPositions } from '../compute/channel-power.js';
import { channelSamples, sessionSfreq, type EegMatrix } from '../model/session-data.js';
import { assertFiniteChannels } from './session-checks.js';

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

/** How many frequencies `options` will give, without validating them (for the `auto` rule). */
export function frequencyCount(options: TfrOptions): number {
  return options.freqs?.length ?? options.nFreqs ?? DEFAULT_N_FREQS;
}

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

/** Checks ROI channels against the recording and for non-finite samples. */
export function validateRoiChannels(recording: EegMatrix, roiChannels: readonly number[]): void {
  if (roiChannels.length === 0) throw new RoiError('ROI is empty: give at least one channel');
  for (const c of roiChannels) channelSamples(recording, c);
  assertFiniteChannels(recording, roiChannels);
}

function roiJobs(recording: EegMatrix, roiChannels: readonly number[], bank: WaveletBank) {
  return {
    signals: roiChannels.map((c) => channelSamples(recording, c)),
    names: roiChannels.map((c) => `channel ${c}`),
    bank,
  };
}

/**
 * ROI spectrogram with a prepared bank. Memory: the output plus the power rows of the channels
 * in flight (all channels' when `returnChannelPower`).
 */
export async function roiSpectrogram(
  recording: EegMatrix,
  roiChannels: readonly number[],
  bank: WaveletBank,
  returnChannelPower: boolean,
  plan: RunPlan,
): Promise<RoiSpectrogram> {
  const rowSize = bank.freqs.length * bank.nTimes;
  const result = await runChannelJobs(
    {
      ...roiJobs(recording, roiChannels, bank),
      windowPositions: null,
      keptPower: returnChannelPower ? new Float64Array(roiChannels.length * rowSize) : null,
      roi: { source: 'power' },
    },
    plan,
  );
  return {
    freqs: bank.freqs,
    nCycles: bank.nCycles,
    roiChannels: [...roiChannels],
    roiPower: result.roiMean!,
    channelMean: result.channelMean,
    channelStd: result.channelStd,
    channelPower: result.keptPower,
  };
}

/**
 * ROI event windows: bitwise the slices of {@link roiSpectrogram}'s ROI power at the window
 * starts, without ever holding a full power row.
 */
export async function roiWindows(
  recording: EegMatrix,
  roiChannels: readonly number[],
  bank: WaveletBank,
  windowPositions: WindowPositions,
  plan: RunPlan,
): Promise<RoiWindows> {
  const result = await runChannelJobs({ ...roiJobs(recording, roiChannels, bank), windowPositions, keptPower: null, roi: { source: 'windows' } }, plan);
  return { windows: result.roiMean!, channelMean: result.channelMean, channelStd: result.channelStd };
}

/** The problem of one recording's ROI. */
export function roiProblem(nChannels: number, nFreqs: number, nTimes: number, output: ProblemSize['output']): ProblemSize {
  return { nChannels, nFreqs, nTimes, nSessions: 1, output };
}

/** Options of {@link computeRoiThetaSpectrogram}. */
export interface RoiSpectrogramOptions extends TfrOptions, ParallelOptions {
  /** Also return per-channel power, shape (n_roi, n_freqs, n_times) (large). */
  returnChannelPower?: boolean;
}

/**
 * Z-scored ROI theta spectrogram of a recording (docs/method.md §3.4).
 *
 * @param recording EEG (n_channels, n_times) with its sampling rate (default 200 Hz)
 * @param roiChannels 0-based channel indices, averaged in this order
 * @param options frequencies/cycles, and the parallel strategy (default sequential); every
 *   strategy gives bitwise identical results
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
  const plan = planRun(roiProblem(roiChannels.length, params.freqs.length, recording.nTimes, 'roiPower'), options);
  const bank = createWaveletBank(params, recording.nTimes);
  return roiSpectrogram(recording, roiChannels, bank, options.returnChannelPower ?? false, plan);
}
