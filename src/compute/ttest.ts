/**
 * The theta trend test's numerics (docs/method.md §8.3): each rat's least-squares slope of theta
 * over the NM sizes, and the one-sample t test of the slopes against 0, as SciPy computes them.
 */
import { InvalidParameterError } from '../errors.js';
import { numpySum } from './cluster-test.js';
import { tSf } from './t-dist.js';

/** A one-sample t test against 0. */
export interface TTestResult {
  t: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Two-sided p-value, 2 · P(T > |t|). */
  p: number;
}

function checkFinite(values: Float64Array, what: string): void {
  const i = values.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) throw new InvalidParameterError(`${what} has a non-finite value (${values[i]}) at index ${i}`);
}

/**
 * `scipy.stats.ttest_1samp(values, 0)` (SciPy 1.10): `t = mean / sqrt(var_ddof1 / n)`, with the
 * mean and the variance computed as SciPy does (numpy sums; the ddof-0 second moment scaled by
 * n / (n − 1)), and the two-sided p = 2 · sf(|t|, n − 1). Identical values give t = NaN (0 / 0)
 * or ±Infinity, and p NaN or 0, as SciPy does.
 *
 * @throws InvalidParameterError for fewer than 2 values or a non-finite value
 */
export function ttest1samp(values: Float64Array): TTestResult {
  const n = values.length;
  if (n < 2) throw new InvalidParameterError(`the t test needs at least 2 values, got ${n}`);
  checkFinite(values, 'the t test input');
  const mean = numpySum(values) / n;
  const squares = values.map((v) => (v - mean) * (v - mean));
  const variance = (numpySum(squares) / n) * (n / (n - 1));
  const t = mean / Math.sqrt(variance / n);
  const df = n - 1;
  return { t, df, p: 2 * tSf(Math.abs(t), df) };
}

/**
 * The least-squares slope of ys over xs, `Σ(x − x̄)(y − ȳ) / Σ(x − x̄)²` (numpy.polyfit(xs, ys,
 * 1)[0], which solves the same problem by SVD: equal to rounding).
 *
 * @throws InvalidParameterError for different lengths, fewer than 2 points, non-finite values or
 *   xs all equal
 */
export function lstsqSlope(xs: Float64Array, ys: Float64Array): number {
  const n = xs.length;
  if (ys.length !== n) throw new InvalidParameterError(`lstsqSlope: ${n} x values but ${ys.length} y values`);
  if (n < 2) throw new InvalidParameterError(`a slope needs at least 2 points, got ${n}`);
  checkFinite(xs, 'the slope x values');
  checkFinite(ys, 'the slope y values');
  const xMean = numpySum(xs) / n;
  const yMean = numpySum(ys) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - xMean;
    sxy += dx * (ys[i]! - yMean);
    sxx += dx * dx;
  }
  if (sxx === 0) throw new InvalidParameterError('a slope needs at least two different x values');
  return sxy / sxx;
}
