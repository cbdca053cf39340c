/**
 * Theta scalars (docs/method.md §8.2): the mean of a mean window over the theta band's
 * frequencies and a time window's samples, both inclusive.
 */
import { InvalidParameterError } from '../errors.js';
import { samplesWithin } from './normalize.js';

export const DEFAULT_THETA_BAND: readonly [number, number] = [3, 7];
export const DEFAULT_THETA_WINDOW: readonly [number, number] = [-0.2, 0];

/** Where the theta scalar is taken: frequency rows and window samples. */
export interface ThetaSelection {
  /** Hz, [lo, hi]. */
  band: readonly [number, number];
  /** s, [t0, t1]. */
  window: readonly [number, number];
  /** Indices of the frequencies in the band. */
  rows: number[];
  /** Window samples [first, end). */
  samples: { first: number; end: number };
}

/**
 * Resolves the theta band and window against a run's frequencies and window times.
 *
 * @throws InvalidParameterError for an empty band, or a window outside the event window or with
 *   no sample
 */
export function thetaSelection(freqs: Float64Array, windowTimes: Float64Array, band = DEFAULT_THETA_BAND, window = DEFAULT_THETA_WINDOW): ThetaSelection {
  const [lo, hi] = band;
  if (!(lo <= hi)) throw new InvalidParameterError(`theta band ${lo},${hi} Hz is not an interval; expected LO,HI with LO <= HI`);
  const rows: number[] = [];
  freqs.forEach((f, i) => {
    if (f >= lo && f <= hi) rows.push(i);
  });
  if (rows.length === 0) {
    throw new InvalidParameterError(`theta band ${lo},${hi} Hz holds none of the frequencies (${freqs[0]} to ${freqs[freqs.length - 1]} Hz)`);
  }
  return { band: [lo, hi], window: [window[0], window[1]], rows, samples: samplesWithin(windowTimes, window, 'theta window') };
}

/**
 * The theta selection of a run: as {@link thetaSelection} when the band or the window is given;
 * with the defaults, null when they do not fit the run (e.g. frequencies above theta, or windows
 * shorter than the default theta window): its theta scalars are then not computed.
 */
export function runThetaSelection(
  freqs: Float64Array,
  windowTimes: Float64Array,
  band: readonly [number, number] | undefined,
  window: readonly [number, number] | undefined,
): ThetaSelection | null {
  try {
    return thetaSelection(freqs, windowTimes, band ?? DEFAULT_THETA_BAND, window ?? DEFAULT_THETA_WINDOW);
  } catch (e) {
    if (band === undefined && window === undefined && e instanceof InvalidParameterError) return null;
    throw e;
  }
}

/**
 * The theta scalar of a mean window, shape (n_freqs, window_samples): numpy
 * `M[np.ix_(fmask, tmask)].mean()`.
 */
export function thetaOf(mean: Float64Array, windowSamples: number, selection: ThetaSelection): number {
  const { first, end } = selection.samples;
  let sum = 0;
  for (const f of selection.rows) {
    for (let t = first; t < end; t++) sum += mean[f * windowSamples + t]!;
  }
  return sum / (selection.rows.length * (end - first));
}
