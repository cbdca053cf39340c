/**
 * Agreement of eeg-parallel's event windows with the Python/MNE reference (docs/method.md §3.3):
 * per row, the largest |difference| relative to the largest |reference value| of that row.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readNpyFloat64 } from '../io/npy.js';
import { maxAbsDiff } from './runner.js';

/** Max relative difference of `a` to the reference `b`, row by row (rows of `rowLength`); Infinity when the lengths differ. */
export function maxRelativeRowDifference(a: Float64Array, b: Float64Array, rowLength: number): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let r = 0; r < b.length; r += rowLength) {
    const x = a.subarray(r, r + rowLength);
    const y = b.subarray(r, r + rowLength);
    const scale = Math.max(...Array.from(y, Math.abs)) || 1;
    worst = Math.max(worst, maxAbsDiff(x, y) / scale);
  }
  return worst;
}

/** Max relative difference over all window files (`nm_size_*.npy`) of the reference directory `ref`. */
export function compareWindows(ours: string, ref: string): number {
  let worst = 0;
  for (const f of readdirSync(ref).filter((n) => /^nm_size_.*\.npy$/.test(n))) {
    const a = readNpyFloat64(join(ours, f), { minDims: 2, maxDims: 3 });
    const b = readNpyFloat64(join(ref, f), { minDims: 2, maxDims: 3 });
    worst = Math.max(worst, maxRelativeRowDifference(a.data, b.data, b.shape.at(-1)!));
  }
  return worst;
}
