/**
 * Morlet power by blocked overlap-save convolution (docs/method.md §3.3).
 *
 * MNE convolves each channel with one FFT of size next_fast_len(N + L_max − 1). We instead cut
 * the signal into blocks and use one power-of-two FFT size M for every block and frequency:
 * the result is the same exact linear convolution (zero padding outside the signal), but the
 * transforms stay cache-sized, the real signal's spectrum of a block is computed once and reused
 * for all frequencies, and only one block of power per frequency exists at a time.
 *
 * Layout of one block, for output samples [s, s + B) of a signal x of length N:
 *   segment[k] = x[s − H + k], k = 0…M−1 (zero outside [0, N)),  B = M − 2H,
 * where H is the largest wavelet half-width (L − 1)/2. Every wavelet is stored as a centred
 * kernel G (G[j mod M] = W[j + h], |j| ≤ h), so circular convolution of the segment with G is
 * exact for k ∈ [H, H + B).
 *
 * Numerical note: we store S = FFT(G)/M and compute FFT(conj(X)·S) = conj(IFFT(X·G)), which has
 * the same modulus; this saves the inverse transform's separate 1/M pass. S is real: MNE's
 * wavelet is conjugate-symmetric about its middle sample (t and −t are exact negations, so
 * W[−j] = conj(W[j]) bit for bit), and G is W centred on sample 0, so FFT(G) is real in exact
 * arithmetic. The transform leaves imaginary parts of rounding size (< 4e-16 of the peak,
 * measured); we keep only the real parts — half the memory, and two multiplications per value
 * in the kernel instead of four and two additions.
 */
import { totalmem } from 'node:os';
import { formatBytes, InvalidParameterError } from '../errors.js';
import { morletKernel } from './kernel.js';
import { morletLength, morletWavelet } from './morlet.js';
import type { WaveletBank, WaveletParams } from './wavelet-bank.js';

export type { WaveletBank, WaveletParams };

/** Options for {@link createWaveletBank}. */
export interface WaveletBankOptions {
  /** Force an FFT size (power of two ≥ 2H + 2); by default chosen by a cost model. */
  fftSize?: number;
}

/** Smallest power of two ≥ n, and at least 2. */
export function nextPowerOfTwo(n: number): number {
  let size = 2;
  while (size < n) size *= 2;
  return size;
}

/**
 * Largest FFT size the cost model picks on its own: bigger transforms fall out of the L2 cache
 * (measured in docs/performance.md: 4096 beat 8192–32768 per output sample on this machine).
 */
const MAX_AUTO_FFT_SIZE = 1 << 12;

/**
 * Chooses M minimising estimated work per signal, (blocks · (n_freqs + ½) · M·log2 M), among
 * powers of two from the smallest that fits one wavelet to the smallest that fits the whole
 * padded signal (capped at {@link MAX_AUTO_FFT_SIZE} unless the wavelets need more).
 */
function chooseFftSize(nTimes: number, halfWidth: number, nFreqs: number): number {
  const smallest = nextPowerOfTwo(2 * halfWidth + 2);
  const largest = Math.max(smallest, Math.min(nextPowerOfTwo(nTimes + 2 * halfWidth), MAX_AUTO_FFT_SIZE));
  let best = smallest;
  let bestCost = Infinity;
  for (let size = smallest; size <= largest; size *= 2) {
    const blocks = Math.ceil(Math.max(nTimes, 1) / (size - 2 * halfWidth));
    const cost = blocks * (nFreqs + 0.5) * size * Math.log2(size);
    if (cost < bestCost) {
      bestCost = cost;
      best = size;
    }
  }
  return best;
}

/**
 * Wavelet spectra by (sfreq, zero-mean, M, freqs, cycles), most recently used last: they do not
 * depend on n_times, so the sessions of a rat or repeated calls share them instead of recomputing
 * (tens of milliseconds per bank otherwise). Read-only once made.
 */
const spectraCache = new Map<string, Float64Array>();
const SPECTRA_CACHE_ENTRIES = 8;

/** FFT_M(G_f) / M of each (centred, zero-padded) wavelet, real parts, shape (n_freqs, M), shared memory. */
function waveletSpectra({ sfreq, freqs, nCycles, zeroMean }: WaveletParams, fftSize: number): Float64Array {
  const nFreqs = freqs.length;
  const wavelets = Array.from(freqs, (f, i) => morletWavelet(sfreq, f, nCycles[i]!, zeroMean));
  const spectra = new Float64Array(new SharedArrayBuffer(nFreqs * fftSize * Float64Array.BYTES_PER_ELEMENT));
  const kernel = morletKernel();
  // Two reused buffers of the centred, zero-padded wavelets (interleaved complex).
  const [gA, gB] = [new Float64Array(2 * fftSize), new Float64Array(2 * fftSize)];
  const centre = (f: number, g: Float64Array): Float64Array => {
    const w = wavelets[f]!;
    const h = (w.re.length - 1) / 2;
    g.fill(0);
    for (let j = -h; j <= h; j++) {
      const dst = 2 * ((j + fftSize) % fftSize);
      g[dst] = w.re[j + h]!;
      g[dst + 1] = w.im[j + h]!;
    }
    return g;
  };
  const row = (f: number): Float64Array => spectra.subarray(f * fftSize, (f + 1) * fftSize);
  for (let f = 0; f < nFreqs; f += 2) {
    const paired = f + 1 < nFreqs;
    kernel.realSpectra(centre(f, gA), paired ? centre(f + 1, gB) : null, row(f), paired ? row(f + 1) : null, fftSize);
  }
  return spectra;
}

/**
 * Refuses wavelets the machine cannot hold before anything is allocated: the bank keeps one real
 * spectrum per frequency of at least twice the longest wavelet (a power of two), and every
 * computing thread a few buffers of that size; half the machine's memory is the bound.
 *
 * @throws InvalidParameterError naming the longest wavelet, or the bytes against the bound
 */
export function checkBankSize(params: WaveletParams): void {
  const { sfreq, freqs, nCycles } = params;
  const limit = totalmem() / 2;
  let longest = 0;
  let at = 0;
  freqs.forEach((f, i) => {
    const length = morletLength(sfreq, f, nCycles[i]!);
    if (length > longest) [longest, at] = [length, i];
  });
  const fft = nextPowerOfTwo(longest + 1);
  const bytes = (freqs.length + 16) * fft * Float64Array.BYTES_PER_ELEMENT;
  if (!Number.isSafeInteger(longest) || longest > 2 ** 31 - 1 || bytes > limit) {
    throw new InvalidParameterError(
      `the wavelets need ${formatBytes(bytes)} (${freqs.length} frequencies; the longest, ${freqs[at]} Hz with ${nCycles[at]} cycles, ` +
        `is ${longest} samples), more than half this machine's memory (${formatBytes(limit)}); give fewer cycles or frequencies`,
    );
  }
}

/** Builds the wavelet spectra and block plan for signals of `nTimes` samples. */
export function createWaveletBank(params: WaveletParams, nTimes: number, options: WaveletBankOptions = {}): WaveletBank {
  const { sfreq, freqs, nCycles, zeroMean } = params;
  const nFreqs = freqs.length;
  if (nCycles.length !== nFreqs) {
    throw new InvalidParameterError(`n_cycles has ${nCycles.length} values for ${nFreqs} frequencies`);
  }
  if (!Number.isInteger(nTimes) || nTimes < 1) {
    throw new InvalidParameterError(`n_times must be an integer >= 1, got ${nTimes}`);
  }
  checkBankSize(params);
  const lengths = Int32Array.from(freqs, (f, i) => morletLength(sfreq, f, nCycles[i]!));
  let halfWidth = 0;
  for (const l of lengths) halfWidth = Math.max(halfWidth, (l - 1) / 2);
  const fftSize = options.fftSize ?? chooseFftSize(nTimes, halfWidth, nFreqs);
  if (fftSize < 2 * halfWidth + 2 || nextPowerOfTwo(fftSize) !== fftSize) {
    throw new InvalidParameterError(
      `fftSize ${fftSize} must be a power of two >= ${2 * halfWidth + 2} (longest wavelet ${2 * halfWidth + 1} samples)`,
    );
  }
  const key = `${sfreq},${zeroMean},${fftSize},${freqs.join(',')},${nCycles.join(',')}`;
  let spectra = spectraCache.get(key);
  if (spectra === undefined) {
    spectra = waveletSpectra(params, fftSize);
    if (spectraCache.size >= SPECTRA_CACHE_ENTRIES) spectraCache.delete(spectraCache.keys().next().value!);
  } else {
    spectraCache.delete(key); // re-inserted below as the most recently used
  }
  spectraCache.set(key, spectra);
  return {
    sfreq,
    freqs,
    nCycles,
    zeroMean,
    nTimes,
    fftSize,
    halfWidth,
    blockLength: fftSize - 2 * halfWidth,
    lengths,
    spectra,
  };
}

/**
 * Receives power blocks: `power[0 … count)` are the power values of frequency row `freqIndex`
 * for samples `[start, start + count)`, `blockMean` their mean and `blockM2` the sum of their
 * squared deviations from it (two-pass). Calls arrive in increasing `start` per row; the buffer
 * is reused after the call returns.
 */
export type PowerBlockSink = (
  freqIndex: number,
  start: number,
  power: Float64Array,
  count: number,
  blockMean: number,
  blockM2: number,
) => void;

/**
 * Streams Morlet power |x * W_f|² ('same' mode, docs/method.md §3.3) of one channel through `sink`, block by
 * block, for the frequency rows `freqIndices` of `bank`.
 *
 * Runs on this thread's WASM kernel (./kernel.ts), two consecutive full blocks at a time (one
 * per SIMD lane); a short last block, or one left over, runs alone. Which blocks share a
 * transform depends only on n_times and the bank, never on the frequencies asked for, and every
 * block's power is the same whichever order the blocks are streamed in.
 *
 * Order: by default block pair after block pair, each for every row (the signal's spectra are
 * used at once). `rowMajor` streams every block of a row before the next row, so a caller can
 * finish a row while it is still in cache; it keeps the channel's block-pair spectra in the
 * kernel meanwhile ((M/2 + 1) × 32 bytes per pair, ~1.3 × the signal's bytes).
 *
 * @param signal one channel, shape (n_times,), n_times = bank.nTimes
 * @param bank wavelet spectra and block plan
 * @param freqIndices which rows of the bank to compute (any subset, any order)
 * @param sink receives the power blocks
 */
export function streamMorletPower(
  signal: Float64Array,
  bank: WaveletBank,
  freqIndices: ArrayLike<number>,
  sink: PowerBlockSink,
  rowMajor = false,
): void {
  const nTimes = bank.nTimes;
  if (signal.length !== nTimes) {
    throw new InvalidParameterError(`signal has ${signal.length} samples; the wavelet bank was planned for ${nTimes}`);
  }
  const { halfWidth: H, blockLength: B } = bank;
  const kernel = morletKernel();
  kernel.prepare(bank);
  // Block pairs: the block starting at output sample s is computed from the segment x[s − H …],
  // zero outside; `paired` pairs it with the next full block.
  const maxPairs = Math.ceil(nTimes / B);
  const starts = new Int32Array(maxPairs);
  const pairedAt = new Uint8Array(maxPairs);
  let nPairs = 0;
  for (let start = 0; start < nTimes; nPairs++) {
    const count = Math.min(B, nTimes - start);
    const paired = count === B && nTimes - (start + B) >= B;
    starts[nPairs] = start;
    pairedAt[nPairs] = paired ? 1 : 0;
    start += paired ? 2 * B : count;
  }
  const spectraOf = (p: number, slot?: number): number =>
    kernel.signalSpectra(signal, starts[p]! - H, pairedAt[p] === 1 ? starts[p]! + B - H : null, slot);
  const emit = (spectraPair: number, p: number, f: number): void => {
    const start = starts[p]!;
    const count = Math.min(B, nTimes - start);
    kernel.blockPower(spectraPair, f, H, count);
    const { powerA, powerB, stats } = kernel;
    sink(f, start, powerA, count, stats[0]!, stats[2]!);
    if (pairedAt[p] === 1) sink(f, start + B, powerB, count, stats[1]!, stats[3]!);
  };
  if (rowMajor) {
    kernel.savePairs(nPairs);
    const saved = Int32Array.from({ length: nPairs }, (_, p) => spectraOf(p, p));
    for (let r = 0; r < freqIndices.length; r++) {
      for (let p = 0; p < nPairs; p++) emit(saved[p]!, p, freqIndices[r]!);
    }
    return;
  }
  for (let p = 0; p < nPairs; p++) {
    const spectraPair = spectraOf(p);
    for (let r = 0; r < freqIndices.length; r++) emit(spectraPair, p, freqIndices[r]!);
  }
}

/**
 * Morlet power of every channel, like MNE `tfr_array_morlet(x[None], …, output='power')[0]`.
 *
 * @param data EEG, shape (n_channels, n_times), C order
 * @param nChannels number of channels
 * @param bank wavelet bank planned for n_times = data.length / nChannels
 * @param out optional output, shape (n_channels, n_freqs, n_times)
 * @returns power, shape (n_channels, n_freqs, n_times), C order
 */
export function morletPower(data: Float64Array, nChannels: number, bank: WaveletBank, out?: Float64Array): Float64Array {
  const nTimes = bank.nTimes;
  const nFreqs = bank.freqs.length;
  if (data.length !== nChannels * nTimes) {
    throw new InvalidParameterError(`data has ${data.length} values; expected ${nChannels} channels × ${nTimes} samples`);
  }
  const power = out ?? new Float64Array(nChannels * nFreqs * nTimes);
  const allFreqs = Array.from({ length: nFreqs }, (_, i) => i);
  for (let c = 0; c < nChannels; c++) {
    const channelOut = c * nFreqs * nTimes;
    streamMorletPower(data.subarray(c * nTimes, (c + 1) * nTimes), bank, allFreqs, (f, start, block, count) => {
      power.set(block.subarray(0, count), channelOut + f * nTimes + start);
    });
  }
  return power;
}
