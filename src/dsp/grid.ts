/**
 * Frequency and time grids with numpy's exact semantics (`geomspace`, `linspace`), and the
 * cycles rule. Matching numpy's operation order matters: the analysis must agree with the
 * Python/MNE reference to 1e-9, and the grids feed every later step.
 */
import { InvalidParameterError } from '../errors.js';

/**
 * `numpy.linspace(start, stop, num)` (endpoint=True), reproducing numpy 1.x's arithmetic:
 * `y[i] = i * step + start` with `step = (stop - start) / (num - 1)`, and `y[-1] = stop`.
 */
export function linspace(start: number, stop: number, num: number): Float64Array {
  if (!Number.isInteger(num) || num < 0) {
    throw new InvalidParameterError(`linspace: num must be a non-negative integer, got ${num}`);
  }
  const out = new Float64Array(num);
  const delta = stop - start;
  const div = num - 1;
  if (div > 0) {
    const step = delta / div;
    if (step === 0) {
      for (let i = 0; i < num; i++) out[i] = (i / div) * delta + start;
    } else {
      for (let i = 0; i < num; i++) out[i] = i * step + start;
    }
    out[num - 1] = stop;
  } else if (num === 1) {
    out[0] = start;
  }
  return out;
}

/**
 * `numpy.geomspace(start, stop, num)`: log-spaced values whose first and last elements are
 * exactly `start` and `stop`. Both must be positive.
 */
export function geomspace(start: number, stop: number, num: number): Float64Array {
  if (!(start > 0) || !(stop > 0) || !Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new InvalidParameterError(
      `geomspace: start and stop must be finite and > 0, got ${start} and ${stop}`,
    );
  }
  const exponents = linspace(Math.log10(start), Math.log10(stop), num);
  const out = new Float64Array(num);
  for (let i = 0; i < num; i++) out[i] = Math.pow(10, exponents[i]!);
  if (num > 0) out[0] = start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * Most frequencies of one transform: each costs a wavelet spectrum and a pass over every block;
 * far beyond any time-frequency analysis (the lab uses 59), and a typo such as 1000000 would run
 * for hours instead of failing.
 */
export const MAX_FREQS = 10_000;

/**
 * Analysis frequencies (Hz) for a range: `geomspace(fLo, fHi, nFreqs)`, validated against the
 * sampling rate (every frequency must be > 0 and below Nyquist, fLo < fHi unless nFreqs = 1).
 */
export function frequencyGrid(fLo: number, fHi: number, nFreqs: number, sfreq: number): Float64Array {
  if (!Number.isInteger(nFreqs) || nFreqs < 1 || nFreqs > MAX_FREQS) {
    throw new InvalidParameterError(`n_freqs must be an integer from 1 to ${MAX_FREQS}, got ${nFreqs}`);
  }
  if (!(fLo < fHi) && !(nFreqs === 1 && fLo === fHi)) {
    throw new InvalidParameterError(
      `frequency range must have f_lo < f_hi, got f_lo=${fLo} and f_hi=${fHi}`,
    );
  }
  const freqs = geomspace(fLo, fHi, nFreqs);
  validateFreqs(freqs, sfreq);
  return freqs;
}

/** Throws unless sfreq is finite and > 0 (Hz). */
export function validateSfreq(sfreq: number): void {
  if (!Number.isFinite(sfreq) || sfreq <= 0) {
    throw new InvalidParameterError(`sfreq must be a finite number > 0 Hz, got ${sfreq}`);
  }
}

/** Throws unless every frequency is finite, > 0 and strictly below Nyquist (sfreq / 2). */
export function validateFreqs(freqs: ArrayLike<number>, sfreq: number): void {
  validateSfreq(sfreq);
  if (freqs.length < 1) throw new InvalidParameterError('freqs must contain at least one frequency');
  if (freqs.length > MAX_FREQS) throw new InvalidParameterError(`${freqs.length} frequencies are more than the ${MAX_FREQS} a transform takes`);
  const nyquist = sfreq / 2;
  for (let i = 0; i < freqs.length; i++) {
    const f = freqs[i]!;
    if (!Number.isFinite(f) || f <= 0) {
      throw new InvalidParameterError(`frequency ${f} Hz (index ${i}) must be finite and > 0`);
    }
    if (f >= nyquist) {
      throw new InvalidParameterError(
        `frequency ${f} Hz (index ${i}) must be below the Nyquist frequency ${nyquist} Hz (sfreq ${sfreq} Hz)`,
      );
    }
  }
}

/** How the number of wavelet cycles per frequency is chosen. */
export type CyclesSpec =
  | { kind: 'factor'; factor: number } // n = max(3, f * factor), the lab's rule (default factor 3)
  | { kind: 'fixed'; nCycles: number } // same n for every frequency
  | { kind: 'perFrequency'; nCycles: ArrayLike<number> }; // one n per frequency

/** The default cycles rule of the lab's pipeline: `max(3, f * 3.0)`. */
export const DEFAULT_CYCLES: CyclesSpec = { kind: 'factor', factor: 3.0 };

/**
 * Cycles per frequency, shape (n_freqs,). Throws InvalidParameterError for n ≤ 0, non-finite
 * values, or a per-frequency list whose length differs from `freqs`.
 */
export function cyclesFor(freqs: ArrayLike<number>, spec: CyclesSpec): Float64Array {
  const out = new Float64Array(freqs.length);
  switch (spec.kind) {
    case 'factor':
      if (!Number.isFinite(spec.factor) || spec.factor <= 0) {
        throw new InvalidParameterError(`n_cycles_factor must be finite and > 0, got ${spec.factor}`);
      }
      for (let i = 0; i < out.length; i++) out[i] = Math.max(3, freqs[i]! * spec.factor);
      break;
    case 'fixed':
      if (!Number.isFinite(spec.nCycles) || spec.nCycles <= 0) {
        throw new InvalidParameterError(`n_cycles must be finite and > 0, got ${spec.nCycles}`);
      }
      out.fill(spec.nCycles);
      break;
    case 'perFrequency':
      if (spec.nCycles.length !== freqs.length) {
        throw new InvalidParameterError(
          `n_cycles has ${spec.nCycles.length} values but there are ${freqs.length} frequencies; expected one per frequency`,
        );
      }
      for (let i = 0; i < out.length; i++) {
        const n = spec.nCycles[i]!;
        if (!Number.isFinite(n) || n <= 0) {
          throw new InvalidParameterError(`n_cycles[${i}] must be finite and > 0, got ${n}`);
        }
        out[i] = n;
      }
      break;
  }
  return out;
}

/**
 * The frequencies of a table used for a range [lo, hi], by the lab's rule: every value in
 * [lo, hi], plus the nearest value below lo and the nearest above hi when the table has them (so
 * that the band's edges lie inside the analysed grid). Ascending.
 *
 * @throws InvalidParameterError for a range with lo > hi, or one that selects nothing
 */
export function selectFrequencies(table: ArrayLike<number>, lo: number, hi: number): Float64Array {
  if (!(lo <= hi)) throw new InvalidParameterError(`frequency range ${lo},${hi} Hz is not an interval; expected LO,HI with LO <= HI`);
  const sorted = Float64Array.from(table).sort();
  const inside = sorted.filter((f) => f >= lo && f <= hi);
  const below = sorted.filter((f) => f < lo);
  const above = sorted.filter((f) => f > hi);
  if (inside.length === 0 && (below.length === 0 || above.length === 0)) {
    throw new InvalidParameterError(`frequency range ${lo},${hi} Hz selects no frequency of the table (${sorted[0]} to ${sorted[sorted.length - 1]} Hz)`);
  }
  return Float64Array.from([...below.slice(-1), ...inside, ...above.slice(0, 1)]);
}
