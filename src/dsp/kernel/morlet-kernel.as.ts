// AssemblyScript source of the WebAssembly SIMD kernel (compiled by `npm run build:kernel`, see
// ../kernel.ts for the loader and the reasons). Not part of the TypeScript program.
//
// Two transforms run side by side, one per f64x2 lane (two consecutive blocks of a channel):
// element k of a "pair buffer" is 32 bytes, [re(lane 0), re(lane 1), im(lane 0), im(lane 1)]. Every operation is the same in both lanes, so
// a lane's result depends only on that lane's input, never on what runs beside it.

// First byte free for the loader's buffers.
export function heapBase(): usize {
  return __heap_base;
}

// Stockham autosort radix-4 FFT (radix-2 last stage when log2 n is odd), forward, unscaled:
// Y[k] = Σ_j X[j] exp(−2πi jk/n). `tw` holds n complex twiddles exp(−2πi k/n), 16 bytes each.
// `x` and `y` are pair buffers of n elements; both are overwritten. Returns the one that holds
// the result.
export function fftPair(x: usize, y: usize, tw: usize, n: i32): usize {
  let src = x;
  let dst = y;
  let len = n;
  let s = 1;
  const quarter = (<usize>n >> 2) << 5; // bytes of n/4 elements
  while (len >= 4) {
    const q4 = len >> 2;
    for (let p = 0; p < q4; p++) {
      const t1 = tw + (<usize>(p * s) << 4);
      const t2 = tw + (<usize>(2 * p * s) << 4);
      const t3 = tw + (<usize>(3 * p * s) << 4);
      const w1r = v128.load64_splat(t1);
      const w1i = v128.load64_splat(t1 + 8);
      const w2r = v128.load64_splat(t2);
      const w2i = v128.load64_splat(t2 + 8);
      const w3r = v128.load64_splat(t3);
      const w3i = v128.load64_splat(t3 + 8);
      let a = src + (<usize>(s * p) << 5);
      let o = dst + (<usize>(4 * s * p) << 5);
      const os = <usize>s << 5;
      for (let q = 0; q < s; q++) {
        const ar = v128.load(a);
        const ai = v128.load(a, 16);
        const br = v128.load(a + quarter);
        const bi = v128.load(a + quarter, 16);
        const cr = v128.load(a + 2 * quarter);
        const ci = v128.load(a + 2 * quarter, 16);
        const dr = v128.load(a + 3 * quarter);
        const di = v128.load(a + 3 * quarter, 16);
        const apcR = f64x2.add(ar, cr);
        const apcI = f64x2.add(ai, ci);
        const amcR = f64x2.sub(ar, cr);
        const amcI = f64x2.sub(ai, ci);
        const bpdR = f64x2.add(br, dr);
        const bpdI = f64x2.add(bi, di);
        // j·(b − d)
        const jR = f64x2.sub(di, bi);
        const jI = f64x2.sub(br, dr);
        v128.store(o, f64x2.add(apcR, bpdR));
        v128.store(o, f64x2.add(apcI, bpdI), 16);
        let ur = f64x2.sub(amcR, jR);
        let ui = f64x2.sub(amcI, jI);
        v128.store(o + os, f64x2.sub(f64x2.mul(ur, w1r), f64x2.mul(ui, w1i)));
        v128.store(o + os, f64x2.add(f64x2.mul(ur, w1i), f64x2.mul(ui, w1r)), 16);
        ur = f64x2.sub(apcR, bpdR);
        ui = f64x2.sub(apcI, bpdI);
        v128.store(o + 2 * os, f64x2.sub(f64x2.mul(ur, w2r), f64x2.mul(ui, w2i)));
        v128.store(o + 2 * os, f64x2.add(f64x2.mul(ur, w2i), f64x2.mul(ui, w2r)), 16);
        ur = f64x2.add(amcR, jR);
        ui = f64x2.add(amcI, jI);
        v128.store(o + 3 * os, f64x2.sub(f64x2.mul(ur, w3r), f64x2.mul(ui, w3i)));
        v128.store(o + 3 * os, f64x2.add(f64x2.mul(ur, w3i), f64x2.mul(ui, w3r)), 16);
        a += 32;
        o += 32;
      }
    }
    len = q4;
    s <<= 2;
    const t = src;
    src = dst;
    dst = t;
  }
  if (len == 2) {
    const half = (<usize>s) << 5;
    let a = src;
    let o = dst;
    for (let q = 0; q < s; q++) {
      const ar = v128.load(a);
      const ai = v128.load(a, 16);
      const br = v128.load(a + half);
      const bi = v128.load(a + half, 16);
      v128.store(o, f64x2.add(ar, br));
      v128.store(o, f64x2.add(ai, bi), 16);
      v128.store(o + half, f64x2.sub(ar, br));
      v128.store(o + half, f64x2.sub(ai, bi), 16);
      a += 32;
      o += 32;
    }
    return dst;
  }
  return src;
}

// out[k] = a[k] + 0i in lane 0 and b[k] + 0i in lane 1, k < n: a and b real (8 bytes an element),
// out a pair buffer.
export function realPair(a: usize, b: usize, out: usize, n: i32): void {
  const zero = f64x2.splat(0);
  for (let k = 0; k < n; k++) {
    v128.store(out, f64x2.replace_lane(f64x2.splat(load<f64>(a)), 1, load<f64>(b)));
    v128.store(out, zero, 16);
    a += 8;
    b += 8;
    out += 32;
  }
}

// out[k] = conj(X[k])·S[k] in both lanes, k < n: X and out pair buffers, S interleaved complex
// (16 bytes an element), the same for both lanes.
export function spectrumProducts(x: usize, spectrum: usize, out: usize, n: i32): void {
  for (let k = 0; k < n; k++) {
    const xr = v128.load(x);
    const xi = v128.load(x, 16);
    const gr = v128.load64_splat(spectrum);
    const gi = v128.load64_splat(spectrum + 8);
    v128.store(out, f64x2.add(f64x2.mul(xr, gr), f64x2.mul(xi, gi)));
    v128.store(out, f64x2.sub(f64x2.mul(xr, gi), f64x2.mul(xi, gr)), 16);
    x += 32;
    spectrum += 16;
    out += 32;
  }
}

@inline
function powerAt(e: usize): v128 {
  const re = v128.load(e);
  const im = v128.load(e, 16);
  return f64x2.add(f64x2.mul(re, re), f64x2.mul(im, im));
}

// For k < count (count ≥ 1): powerA[k], powerB[k] = |Y[from + k]|² of lanes 0 and 1, and each
// lane's block statistics: stats = [mean A, mean B, M2 A, M2 B], M2 = Σ (p − mean)².
// Two-pass like numpy; even and odd k go to separate accumulators, which halves the add
// latency chain and keeps the order fixed by `count` alone.
export function powerStats(y: usize, from: i32, count: i32, powerA: usize, powerB: usize, stats: usize): void {
  const first = y + (<usize>from << 5);
  let e = first;
  let sumEven = f64x2.splat(0);
  let sumOdd = f64x2.splat(0);
  let k = 0;
  for (; k + 1 < count; k += 2) {
    const p0 = powerAt(e);
    const p1 = powerAt(e + 32);
    store<f64>(powerA + (<usize>k << 3), f64x2.extract_lane(p0, 0));
    store<f64>(powerB + (<usize>k << 3), f64x2.extract_lane(p0, 1));
    store<f64>(powerA + (<usize>k << 3), f64x2.extract_lane(p1, 0), 8);
    store<f64>(powerB + (<usize>k << 3), f64x2.extract_lane(p1, 1), 8);
    sumEven = f64x2.add(sumEven, p0);
    sumOdd = f64x2.add(sumOdd, p1);
    e += 64;
  }
  if (k < count) {
    const p0 = powerAt(e);
    store<f64>(powerA + (<usize>k << 3), f64x2.extract_lane(p0, 0));
    store<f64>(powerB + (<usize>k << 3), f64x2.extract_lane(p0, 1));
    sumEven = f64x2.add(sumEven, p0);
  }
  const mean = f64x2.div(f64x2.add(sumEven, sumOdd), f64x2.splat(<f64>count));
  let m2Even = f64x2.splat(0);
  let m2Odd = f64x2.splat(0);
  e = first;
  k = 0;
  for (; k + 1 < count; k += 2) {
    const d0 = f64x2.sub(powerAt(e), mean);
    const d1 = f64x2.sub(powerAt(e + 32), mean);
    m2Even = f64x2.add(m2Even, f64x2.mul(d0, d0));
    m2Odd = f64x2.add(m2Odd, f64x2.mul(d1, d1));
    e += 64;
  }
  if (k < count) {
    const d0 = f64x2.sub(powerAt(e), mean);
    m2Even = f64x2.add(m2Even, f64x2.mul(d0, d0));
  }
  v128.store(stats, mean);
  v128.store(stats, f64x2.add(m2Even, m2Odd), 16);
}

// acc[t] += (values[t] − mean) / std for t < n (8 bytes an element): one ROI z-score row, two
// elements per f64x2 op — the same IEEE operations in the same order as the scalar expression.
export function addZRow(acc: usize, values: usize, n: i32, mean: f64, std: f64): void {
  const m = f64x2.splat(mean);
  const s = f64x2.splat(std);
  let t = 0;
  for (; t + 1 < n; t += 2) {
    const at = <usize>t << 3;
    v128.store(acc + at, f64x2.add(v128.load(acc + at), f64x2.div(f64x2.sub(v128.load(values + at), m), s)));
  }
  if (t < n) {
    const at = <usize>t << 3;
    store<f64>(acc + at, load<f64>(acc + at) + (load<f64>(values + at) - mean) / std);
  }
}
