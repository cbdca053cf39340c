/**
 * The wavelet bank's shape: what defines a set of Morlet wavelets, and the precomputed spectra and
 * block plan built from them (convolve.ts builds it, kernel.ts reads it).
 */

/** What defines a set of wavelets. */
export interface WaveletParams {
  /** Sampling rate, Hz. */
  readonly sfreq: number;
  /** Centre frequencies, Hz, shape (n_freqs,). */
  readonly freqs: Float64Array;
  /** Cycles per frequency, shape (n_freqs,). */
  readonly nCycles: Float64Array;
  /** Subtract the wavelet's mean (MNE `zero_mean`). */
  readonly zeroMean: boolean;
}

/**
 * Precomputed wavelet spectra and block plan for one (wavelets, n_times) problem. Built once and
 * shared (read-only) by all channels and workers; every path that must give bitwise identical
 * results uses the same bank.
 */
export interface WaveletBank extends WaveletParams {
  /** Signal length (samples) the block plan was made for. */
  readonly nTimes: number;
  /** FFT size M (power of two). */
  readonly fftSize: number;
  /** H: the largest wavelet half-width, samples. */
  readonly halfWidth: number;
  /** B = M − 2H: output samples per block. */
  readonly blockLength: number;
  /** Wavelet lengths L per frequency (odd), shape (n_freqs,). */
  readonly lengths: Int32Array;
  /**
   * FFT_M(G_f) / M, real (see convolve.ts), shape (n_freqs, M), in a SharedArrayBuffer so
   * worker threads read the same spectra without a copy. Shared by every bank of the same
   * parameters and FFT size (cached): read-only.
   */
  readonly spectra: Float64Array;
}
