/** Memory-order conversion shared by the .npy and pickle readers. */

/** Reorder column-major `src` with dimensions `shape` into a new row-major array. */
export function fortranToC(src: Float64Array, shape: readonly number[]): Float64Array {
  const n = src.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const nd = shape.length;
  if (nd === 2) {
    const rows = shape[0] as number;
    const cols = shape[1] as number;
    for (let j = 0; j < cols; j++) {
      const base = j * rows;
      for (let i = 0; i < rows; i++) out[i * cols + j] = src[base + i] as number;
    }
    return out;
  }
  // General N-d: walk the source in Fortran order (first index fastest), tracking the C offset.
  const cStride = new Array<number>(nd);
  cStride[nd - 1] = 1;
  for (let d = nd - 2; d >= 0; d--) cStride[d] = (cStride[d + 1] as number) * (shape[d + 1] as number);
  const idx = new Array<number>(nd).fill(0);
  let dst = 0;
  for (let k = 0; k < n; k++) {
    out[dst] = src[k] as number;
    for (let d = 0; d < nd; d++) {
      const s = cStride[d] as number;
      dst += s;
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (shape[d] as number)) break;
      // carry: reset this index and continue with the next dimension
      idx[d] = 0;
      dst -= s * (shape[d] as number);
    }
  }
  return out;
}
