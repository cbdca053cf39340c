/**
 * Morlet power of every channel of an array (the `tfr` command), with any channel strategy: into
 * memory ({@link computeTfrPower}) or into a `.npy` file as it is computed
 * ({@link writeTfrPower}), for outputs larger than memory.
 */
import { totalmem } from 'node:os';
import { createWaveletBank, type WaveletParams } from '../dsp/convolve.js';
import type { WaveletBank } from '../dsp/wavelet-bank.js';
import { formatBytes, InvalidParameterError } from '../errors.js';
import { NpyFileWriter } from '../io/npy.js';
import { runChannelJobs, toShared, type ChannelJobs } from '../compute/channel-runs.js';
import { rowsOfChannel } from '../compute/channel-power.js';
import { resolveParallelOptions, type ParallelOptions } from '../compute/options.js';
import { planRun, type RunPlan } from '../compute/plan.js';
import { assertFiniteChannels } from './session-checks.js';

const BYTES = Float64Array.BYTES_PER_ELEMENT;

/**
 * Power like MNE `tfr_array_morlet(data[None], …, output='power')[0]`, bitwise identical for
 * every strategy, backend and job count.
 *
 * @param data EEG, shape (n_channels, n_times), C order
 * @param params sampling rate, frequencies (Hz), cycles and zero-mean flag
 * @param plan how it runs; by default planned from `parallel` ({@link planTfrRun})
 * @returns power, shape (n_channels, n_freqs, n_times), C order
 * @throws NonFiniteDataError naming the first channel and sample holding NaN or ±Inf;
 *   InvalidParameterError when the power would take more than half the machine's memory
 *   ({@link writeTfrPower} streams such outputs to a file)
 */
export async function computeTfrPower(
  data: Float64Array,
  nChannels: number,
  params: WaveletParams,
  parallel: ParallelOptions = {},
  plan?: RunPlan,
): Promise<Float64Array> {
  const nTimes = timesOf(data, nChannels);
  const nFreqs = params.freqs.length;
  const outputBytes = nChannels * nFreqs * nTimes * BYTES;
  if (outputBytes > totalmem() / 2) {
    throw new InvalidParameterError(
      `the power of ${nChannels} channels × ${nFreqs} frequencies × ${nTimes} samples is ${formatBytes(outputBytes)}, ` +
        `more than half this machine's memory (${formatBytes(totalmem() / 2)}); write it to a file (writeTfrPower, the tfr command), which streams it`,
    );
  }
  const bank = prepareTfr(data, nChannels, nTimes, params);
  const keptPower = new Float64Array(new SharedArrayBuffer(outputBytes));
  const result = await runChannelJobs(tfrJobs(data, nChannels, bank, keptPower), plan ?? planTfrRun(nChannels, nFreqs, nTimes, parallel));
  return result.keptPower!;
}

/** The run plan of {@link computeTfrPower} for an (n_channels, n_times) array and n_freqs frequencies. */
export function planTfrRun(nChannels: number, nFreqs: number, nTimes: number, parallel: ParallelOptions = {}): RunPlan {
  return planRun({ nChannels, nFreqs, nTimes, nSessions: 1, output: 'channelPower' }, parallel);
}

/** How {@link writeTfrPower} runs: the power in pieces of frequency rows, each run by one plan. */
export interface TfrFilePlan {
  /** Frequency rows of every channel held in memory at once (the last piece may have fewer). */
  rowsPerPiece: number;
  /** The plan of each piece: a transform of `rowsPerPiece` frequencies. */
  piece: RunPlan;
}

/**
 * Most bytes of output a piece of {@link writeTfrPower} holds by default. Small pieces let the
 * operating system write one piece to disk while the next is computed; one piece of the whole
 * output leaves all the writing to the end. On a 2-core machine, a 2.4 GiB output (8 × 2,000,000
 * samples, 20 frequencies) took 19.6 s computed whole and then written, 8.1–8.5 s in pieces of one
 * row (122 MiB), 9.0 s in 256 MiB and 11.4 s in 1 GiB, at 453, 564 and 1307 MiB peak RSS
 * (docs/performance.md, `npm run bench:tfr-file`): the smallest pieces are as fast and hold least.
 */
export const TFR_PIECE_BYTES = 128 * 2 ** 20;

/**
 * The plan of {@link writeTfrPower}: as many frequency rows of every channel per piece as
 * `pieceBytes` and the memory budget (`maxMemoryBytes`, default 4 GiB) hold, at least one — one
 * row of every channel is the size of the input, which is in memory already.
 */
export function planTfrFileRun(nChannels: number, nFreqs: number, nTimes: number, parallel: ParallelOptions = {}, pieceBytes = TFR_PIECE_BYTES): TfrFilePlan {
  const { maxMemoryBytes } = resolveParallelOptions(parallel);
  const rowBytes = nChannels * nTimes * BYTES;
  const rowsPerPiece = Math.max(1, Math.min(nFreqs, Math.floor(Math.min(maxMemoryBytes, pieceBytes) / rowBytes)));
  return { rowsPerPiece, piece: planTfrRun(nChannels, rowsPerPiece, nTimes, parallel) };
}

/**
 * {@link computeTfrPower} written to a `.npy` file at `path`, shape (n_channels, n_freqs, n_times),
 * float64, C order, as it is computed: a piece of frequency rows of every channel at a time, so
 * the output may be larger than memory. Every row is computed by the same operations in any
 * piece, so the file holds the bits of {@link computeTfrPower} (and of `numpy.save` of them).
 * The file appears complete or not at all: an error or a stop leaves `path` as it was.
 *
 * @param data EEG, shape (n_channels, n_times), C order
 * @returns the number of pieces written
 * @throws NonFiniteDataError before anything is written; OutputFileError when writing fails
 */
export async function writeTfrPower(
  path: string,
  data: Float64Array,
  nChannels: number,
  params: WaveletParams,
  parallel: ParallelOptions = {},
  plan?: TfrFilePlan,
): Promise<number> {
  const nTimes = timesOf(data, nChannels);
  const nFreqs = params.freqs.length;
  const bank = prepareTfr(data, nChannels, nTimes, params);
  const { rowsPerPiece, piece } = plan ?? planTfrFileRun(nChannels, nFreqs, nTimes, parallel);
  // Worker threads read the channels from shared memory: copied there once, not once per piece.
  const signals = piece.strategy !== 'sequential' && piece.backend === 'threads' ? toShared(data) : data;
  const keptPower = new Float64Array(new SharedArrayBuffer(nChannels * Math.min(rowsPerPiece, nFreqs) * nTimes * BYTES));
  const file = await NpyFileWriter.create(path, [nChannels, nFreqs, nTimes]);
  try {
    let pieces = 0;
    for (let first = 0; first < nFreqs; first += rowsPerPiece, pieces++) {
      const count = Math.min(rowsPerPiece, nFreqs - first);
      const held = keptPower.subarray(0, nChannels * count * nTimes);
      await runChannelJobs({ ...tfrJobs(signals, nChannels, bank, held), rows: { first, count } }, piece);
      // Channel c's rows [first, first + count) are contiguous in the file's C order.
      for (let c = 0; c < nChannels; c++) {
        await file.write((c * nFreqs + first) * nTimes, rowsOfChannel(held, c, count, 0, count, nTimes));
      }
    }
    await file.commit();
    return pieces;
  } catch (err) {
    await file.discard();
    throw err;
  }
}

/** n_times of an (n_channels, n_times) array. @throws InvalidParameterError when it does not split */
function timesOf(data: Float64Array, nChannels: number): number {
  if (!Number.isInteger(nChannels) || nChannels < 1 || data.length % nChannels !== 0 || data.length === 0) {
    throw new InvalidParameterError(`data of ${data.length} values cannot be split into ${nChannels} channels`);
  }
  return data.length / nChannels;
}

/** Refuses non-finite input and builds the wavelet bank. */
function prepareTfr(data: Float64Array, nChannels: number, nTimes: number, params: WaveletParams): WaveletBank {
  // MNE would give all-NaN rows for a NaN anywhere in a channel; refuse it, naming where.
  assertFiniteChannels({ nChannels, nTimes, eeg: data }, Array.from({ length: nChannels }, (_, c) => c));
  return createWaveletBank(params, nTimes);
}

/** The channel jobs of a transform: every channel's power kept in `keptPower`, no ROI, no windows. */
function tfrJobs(data: Float64Array, nChannels: number, bank: WaveletBank, keptPower: Float64Array): ChannelJobs {
  const nTimes = bank.nTimes;
  return {
    signals: Array.from({ length: nChannels }, (_, c) => data.subarray(c * nTimes, (c + 1) * nTimes)),
    names: Array.from({ length: nChannels }, (_, c) => `channel ${c}`),
    bank,
    windowPositions: null,
    // Shared from the start, so worker threads write the output in place without a copy.
    keptPower,
    roi: null,
  };
}
