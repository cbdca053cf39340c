/**
 * FFT plans. We use `fft.js` (indutny): a well-kept, dependency-free radix-4 FFT that works on
 * Float64Array in place of plain arrays and is among the fastest pure-JS FFTs. It handles powers
 * of two only, which suits the blocked overlap-save convolution (block sizes are ours to choose).
 */
import FFT from 'fft.js';

const plans = new Map<number, FFT>();

/** A cached fft.js plan for `size` (a power of two ≥ 2). One cache per thread. */
export function fftPlan(size: number): FFT {
  let plan = plans.get(size);
  if (plan === undefined) {
    plan = new FFT(size);
    plans.set(size, plan);
  }
  return plan;
}

/** Smallest power of two ≥ n (n ≥ 1); 2 at least, as fft.js needs size ≥ 2. */
export function nextPowerOfTwo(n: number): number {
  let size = 2;
  while (size < n) size *= 2;
  return size;
}
