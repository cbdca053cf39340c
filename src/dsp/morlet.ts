/**
 * Complex Morlet wavelets exactly as MNE-Python 1.3 `mne.time_frequency.morlet` builds them
 * (docs/method.md §3.2), including numpy's `arange` length rule and MNE's operation order.
 */

/** One complex wavelet, length L = 2m − 1 (always odd), centred on its middle sample. */
export interface MorletWavelet {
  /** Centre frequency, Hz. */
  readonly freq: number;
  /** Number of cycles. */
  readonly nCycles: number;
  /** Real parts, length L. */
  readonly re: Float64Array;
  /** Imaginary parts, length L. */
  readonly im: Float64Array;
}

/**
 * Number of samples of the one-sided time axis: `len(numpy.arange(0, 5·sigma_t, 1/sfreq))`,
 * which numpy computes as `ceil((stop − start) / step)` in float64.
 */
export function morletHalfLength(sfreq: number, freq: number, nCycles: number): number {
  const sigmaT = nCycles / (2.0 * Math.PI * freq);
  const step = 1.0 / sfreq;
  return Math.max(Math.ceil((5.0 * sigmaT) / step), 0);
}

/** Full wavelet length L = 2m − 1 for (sfreq Hz, freq Hz, nCycles). */
export function morletLength(sfreq: number, freq: number, nCycles: number): number {
  return 2 * morletHalfLength(sfreq, freq, nCycles) - 1;
}

/**
 * Builds the Morlet wavelet of `freq` Hz with `nCycles` cycles at `sfreq` Hz:
 * `W = (exp(2πi·f·t) − [zeroMean] exp(−2(π·f·σ)²)) · exp(−t²/(2σ²))`, then
 * `W /= sqrt(0.5)·‖W‖₂`, with `σ = nCycles/(2π·f)` seconds and t sampled every 1/sfreq s
 * on `[−t_{m−1}, …, t_{m−1}]`.
 */
export function morletWavelet(sfreq: number, freq: number, nCycles: number, zeroMean: boolean): MorletWavelet {
  const sigmaT = nCycles / (2.0 * Math.PI * freq);
  const step = 1.0 / sfreq;
  const m = morletHalfLength(sfreq, freq, nCycles);
  const length = 2 * m - 1;
  const re = new Float64Array(length);
  const im = new Float64Array(length);
  // MNE: oscillation = exp(2j·π·f·t) evaluates the phase as ((2π)·f)·t.
  const omega = 2.0 * Math.PI * freq;
  const realOffset = zeroMean ? Math.exp(-2 * (Math.PI * freq * sigmaT) ** 2) : 0;
  const twoSigma2 = 2.0 * sigmaT ** 2;
  let sumRe2 = 0;
  let sumIm2 = 0;
  for (let i = 0; i < length; i++) {
    const k = i - (m - 1);
    // numpy arange fills t_k = 0 + k·step; the negative half is the exact negation.
    const t = k < 0 ? -(-k * step) : k * step;
    const phase = omega * t;
    const envelope = Math.exp(-(t * t) / twoSigma2);
    const wRe = (Math.cos(phase) - realOffset) * envelope;
    const wIm = Math.sin(phase) * envelope;
    re[i] = wRe;
    im[i] = wIm;
    sumRe2 += wRe * wRe;
    sumIm2 += wIm * wIm;
  }
  const scale = Math.sqrt(0.5) * Math.sqrt(sumRe2 + sumIm2);
  for (let i = 0; i < length; i++) {
    re[i] = re[i]! / scale;
    im[i] = im[i]! / scale;
  }
  return { freq, nCycles, re, im };
}
