/**
 * Morlet power of every channel of an array (the `tfr` command), with any channel strategy.
 */
import { totalmem } from 'node:os';
import { createWaveletBank, type WaveletParams } from '../dsp/convolve.js';
import { InvalidParameterError } from '../errors.js';
import { runChannelJobs } from '../compute/channel-runs.js';
import type { ParallelOptions } from '../compute/options.js';
import { planRun, type RunPlan } from '../compute/plan.js';
import { assertFiniteChannels } from './session-checks.js';

/**
 * Power like MNE `tfr_array_morlet(data[None], …, output='power')[0]`, bitwise identical for
 * every strategy, backend and job count.
 *
 * @param data EEG, shape (n_channels, n_times), C order
 * @param params sampling rate, frequencies (Hz), cycles and zero-mean flag
 * @param plan how it runs; by default planned from `parallel` ({@link planTfrRun})
 * @returns power, shape (n_channels, n_freqs, n_times), C order
 * @throws NonFiniteDataError naming the first channel and sample holding NaN or ±Inf
 */
export async function computeTfrPower(
  data: Float64Array,
  nChannels: number,
  params: WaveletParams,
  parallel: ParallelOptions = {},
  plan?: RunPlan,
): Promise<Float64Array> {
  if (!Number.isInteger(nChannels) || nChannels < 1 || data.length % nChannels !== 0 || data.length === 0) {
    throw new InvalidParameterError(`data of ${data.length} values cannot be split into ${nChannels} channels`);
  }
  const nTimes = data.length / nChannels;
  const outputBytes = nChannels * params.freqs.length * nTimes * Float64Array.BYTES_PER_ELEMENT;
  if (outputBytes > totalmem() / 2) {
    throw new InvalidParameterError(
      `the power of ${nChannels} channels × ${params.freqs.length} frequencies × ${nTimes} samples is ${(outputBytes / 2 ** 30).toFixed(1)} GiB, ` +
        `more than half this machine's memory (${(totalmem() / 2 ** 31).toFixed(1)} GiB); transform fewer channels or frequencies at a time`,
    );
  }
  // MNE would give all-NaN rows for a NaN anywhere in a channel; refuse it, naming where.
  assertFiniteChannels({ nChannels, nTimes, eeg: data }, Array.from({ length: nChannels }, (_, c) => c));
  const bank = createWaveletBank(params, nTimes);
  const nFreqs = params.freqs.length;
  const runPlan = plan ?? planTfrRun(nChannels, nFreqs, nTimes, parallel);
  const result = await runChannelJobs(
    {
      signals: Array.from({ length: nChannels }, (_, c) => data.subarray(c * nTimes, (c + 1) * nTimes)),
      names: Array.from({ length: nChannels }, (_, c) => `channel ${c}`),
      bank,
      windowPositions: null,
      // Shared from the start, so worker threads write the output in place without a copy.
      keptPower: new Float64Array(new SharedArrayBuffer(nChannels * nFreqs * nTimes * Float64Array.BYTES_PER_ELEMENT)),
      roi: null,
    },
    runPlan,
  );
  return result.keptPower!;
}

/** The run plan of {@link computeTfrPower} for an (n_channels, n_times) array and n_freqs frequencies. */
export function planTfrRun(nChannels: number, nFreqs: number, nTimes: number, parallel: ParallelOptions = {}): RunPlan {
  return planRun({ nChannels, nFreqs, nTimes, nSessions: 1, output: 'channelPower' }, parallel);
}
