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

// One radix-4 butterfly of the Stockham FFT: inputs a, b, c, d (re, im in both lanes) to outputs
// at o, o + os, o + 2·os, o + 3·os, twiddled by w1, w2, w3 (each splat to both lanes).
@inline
function butterfly4(
  ar: v128, ai: v128, br: v128, bi: v128, cr: v128, ci: v128, dr: v128, di: v128,
  w1r: v128, w1i: v128, w2r: v128, w2i: v128, w3r: v128, w3i: v128,
  o: usize, os: usize,
): void {
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
}

// Stockham stages from sub-transform length `len` and stride `s` on (src, dst) to the end: see
// fftPair. Returns the buffer that holds the result.
function stockhamStages(src: usize, dst: usize, tw: usize, n: i32, len: i32, s: i32): usize {
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
        butterfly4(
          v128.load(a), v128.load(a, 16),
          v128.load(a + quarter), v128.load(a + quarter, 16),
          v128.load(a + 2 * quarter), v128.load(a + 2 * quarter, 16),
          v128.load(a + 3 * quarter), v128.load(a + 3 * quarter, 16),
          w1r, w1i, w2r, w2i, w3r, w3i, o, os,
        );
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

// Stockham autosort radix-4 FFT (radix-2 last stage when log2 n is odd), forward, unscaled:
// Y[k] = Σ_j X[j] exp(−2πi jk/n). `tw` holds n complex twiddles exp(−2πi k/n), 16 bytes each.
// `x` and `y` are pair buffers of n elements; both are overwritten. Returns the one that holds
// the result.
export function fftPair(x: usize, y: usize, tw: usize, n: i32): usize {
  return stockhamStages(x, y, tw, n, n, 1);
}

// conj(X[k])·S[k] for the real S (the same in both lanes; the wavelet spectra are real, see
// ../convolve.ts). Each lane of X is the spectrum of a real segment, so X[k] = conj(X[n − k]):
// only X[0 … n/2] is read. For k < n/2 the product is (X_re·S, −X_im·S) at element k ("lower");
// for k ≥ n/2 it is X[n − k]·S = (X_re·S, X_im·S) at element n − k ("mirror"), so only the
// sign of the imaginary part differs.
@inline
function productRe(x: usize, spectrum: usize): v128 {
  return f64x2.mul(v128.load(x), v128.load64_splat(spectrum));
}

@inline
function lowerIm(x: usize, spectrum: usize): v128 {
  return f64x2.neg(f64x2.mul(v128.load(x, 16), v128.load64_splat(spectrum)));
}

@inline
function mirrorIm(x: usize, spectrum: usize): v128 {
  return f64x2.mul(v128.load(x, 16), v128.load64_splat(spectrum));
}

// out[k] = conj(X[k])·S[k] in both lanes, k < n (out a pair buffer), by the rule above:
// productFftPair's first step for transforms too short for a radix-4 stage.
function spectrumProducts(x: usize, spectrum: usize, out: usize, n: i32): void {
  const half = n >> 1;
  for (let k = 0; k < n; k++) {
    const sk = spectrum + (<usize>k << 3);
    const o = out + (<usize>k << 5);
    if (k < half) {
      const xk = x + (<usize>k << 5);
      v128.store(o, productRe(xk, sk));
      v128.store(o, lowerIm(xk, sk), 16);
    } else {
      const xm = x + (<usize>(n - k) << 5);
      v128.store(o, productRe(xm, sk));
      v128.store(o, mirrorIm(xm, sk), 16);
    }
  }
}

// FFT of conj(X[k])·S[k], k < n: the same values as spectrumProducts into `a` followed by
// fftPair(a, b), but the first stage computes the products as it loads them, so they never make
// a round trip through memory. X (a pair buffer of which only elements 0 … n/2 are read) and S
// (n real values) are read only; `a` and `b` are overwritten. Returns the buffer (a or b) that
// holds the result.
export function productFftPair(x: usize, spectrum: usize, a: usize, b: usize, tw: usize, n: i32): usize {
  if (n < 4) {
    spectrumProducts(x, spectrum, a, n);
    return fftPair(a, b, tw, n);
  }
  // The first radix-4 stage (len = n, s = 1): inputs p, p + n/4 (lower), p + n/2, p + 3n/4
  // (mirror: elements n/2 − p and n/4 − p) to outputs 4p … 4p + 3.
  const q4 = n >> 2;
  const quarterX = <usize>q4 << 5;
  const quarterS = <usize>q4 << 3;
  for (let p = 0; p < q4; p++) {
    const t1 = tw + (<usize>p << 4);
    const t2 = tw + (<usize>(2 * p) << 4);
    const t3 = tw + (<usize>(3 * p) << 4);
    const xp = x + (<usize>p << 5);
    const xc = x + (<usize>(2 * q4 - p) << 5);
    const xd = x + (<usize>(q4 - p) << 5);
    const sp = spectrum + (<usize>p << 3);
    butterfly4(
      productRe(xp, sp), lowerIm(xp, sp),
      productRe(xp + quarterX, sp + quarterS), lowerIm(xp + quarterX, sp + quarterS),
      productRe(xc, sp + 2 * quarterS), mirrorIm(xc, sp + 2 * quarterS),
      productRe(xd, sp + 3 * quarterS), mirrorIm(xd, sp + 3 * quarterS),
      v128.load64_splat(t1), v128.load64_splat(t1 + 8),
      v128.load64_splat(t2), v128.load64_splat(t2 + 8),
      v128.load64_splat(t3), v128.load64_splat(t3 + 8),
      a + (<usize>p << 7), 32,
    );
  }
  return stockhamStages(a, b, tw, n, q4, 4);
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

@inline
function powerAt(e: usize): v128 {
  const re = v128.load(e);
  const im = v128.load(e, 16);
  return f64x2.add(f64x2.mul(re, re), f64x2.mul(im, im));
}

// For k < count (count ≥ 1): powerA[k], powerB[k] = |Y[from + k]|² of lanes 0 and 1, and each
// lane's block statistics: stats = [mean A, mean B, M2 A, M2 B], M2 = Σ (p − mean)².
// Two-pass like numpy; even and odd k go to separate accumulators, which halves the add
// latency chain and keeps the order fixed by `count` alone. The second pass reads the stored
// power rows (16 bytes per k) instead of recomputing |Y|² from the pair buffer (32 bytes).
export function powerStats(y: usize, from: i32, count: i32, powerA: usize, powerB: usize, stats: usize): void {
  let e = y + (<usize>from << 5);
  let sumEven = f64x2.splat(0);
  let sumOdd = f64x2.splat(0);
  let k = 0;
  for (; k + 1 < count; k += 2) {
    const p0 = powerAt(e);
    const p1 = powerAt(e + 32);
    // [A_k, A_k+1] and [B_k, B_k+1]
    v128.store(powerA + (<usize>k << 3), v128.shuffle<f64>(p0, p1, 0, 2));
    v128.store(powerB + (<usize>k << 3), v128.shuffle<f64>(p0, p1, 1, 3));
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
  // Per lane of the stored rows: [even k, odd k], the same additions in the same order as
  // accumulating [A, B] pairs per parity.
  const meanA = f64x2.splat(f64x2.extract_lane(mean, 0));
  const meanB = f64x2.splat(f64x2.extract_lane(mean, 1));
  let m2A = f64x2.splat(0);
  let m2B = f64x2.splat(0);
  k = 0;
  for (; k + 1 < count; k += 2) {
    const dA = f64x2.sub(v128.load(powerA + (<usize>k << 3)), meanA);
    const dB = f64x2.sub(v128.load(powerB + (<usize>k << 3)), meanB);
    m2A = f64x2.add(m2A, f64x2.mul(dA, dA));
    m2B = f64x2.add(m2B, f64x2.mul(dB, dB));
  }
  // Lane 0: even k, lane 1: odd k.
  let m2EvenA = f64x2.extract_lane(m2A, 0);
  let m2EvenB = f64x2.extract_lane(m2B, 0);
  if (k < count) {
    const dA = load<f64>(powerA + (<usize>k << 3)) - f64x2.extract_lane(mean, 0);
    const dB = load<f64>(powerB + (<usize>k << 3)) - f64x2.extract_lane(mean, 1);
    m2EvenA += dA * dA;
    m2EvenB += dB * dB;
  }
  v128.store(stats, mean);
  store<f64>(stats, m2EvenA + f64x2.extract_lane(m2A, 1), 16);
  store<f64>(stats, m2EvenB + f64x2.extract_lane(m2B, 1), 24);
}

// acc[t] = (acc[t] + (values[t] − mean) / std) / divisor for t < n (8 bytes an element): one ROI
// z-score row, two elements per f64x2 op — the same IEEE operations in the same order as the
// scalar expression. divisor 1 (every channel but the last) skips the division, which would not
// change a bit; the last channel's divisor n_roi turns the sum into the mean in the same pass.
export function addZRow(acc: usize, values: usize, n: i32, mean: f64, std: f64, divisor: f64): void {
  const m = f64x2.splat(mean);
  const s = f64x2.splat(std);
  const d = f64x2.splat(divisor);
  let t = 0;
  if (divisor == 1.0) {
    for (; t + 1 < n; t += 2) {
      const at = <usize>t << 3;
      v128.store(acc + at, f64x2.add(v128.load(acc + at), f64x2.div(f64x2.sub(v128.load(values + at), m), s)));
    }
  } else {
    for (; t + 1 < n; t += 2) {
      const at = <usize>t << 3;
      v128.store(acc + at, f64x2.div(f64x2.add(v128.load(acc + at), f64x2.div(f64x2.sub(v128.load(values + at), m), s)), d));
    }
  }
  if (t < n) {
    const at = <usize>t << 3;
    store<f64>(acc + at, (load<f64>(acc + at) + (load<f64>(values + at) - mean) / std) / divisor);
  }
}

// out[k] = [re a[k], re b[k], im a[k], im b[k]] for k < n: two interleaved complex sequences (16
// bytes an element) into a pair buffer.
export function packPair(a: usize, b: usize, out: usize, n: i32): void {
  for (let k = 0; k < n; k++) {
    const va = v128.load(a);
    const vb = v128.load(b);
    v128.store(out, v128.shuffle<f64>(va, vb, 0, 2));
    v128.store(out, v128.shuffle<f64>(va, vb, 1, 3), 16);
    a += 16;
    b += 16;
    out += 32;
  }
}

// Index of the first x[k], k < n, that is NaN or ±Inf (v − v is not 0), or −1.
export function firstNonFinite(x: usize, n: i32): i32 {
  for (let k = 0; k < n; k++) {
    const v = load<f64>(x + (<usize>k << 3));
    if (v - v != 0) return k;
  }
  return -1;
}

// Index of the first x[k], k < n, that is not finite or not greater than the value before it
// (`prev` before x[0]), or −1.
export function firstNotIncreasing(x: usize, n: i32, prev: f64): i32 {
  for (let k = 0; k < n; k++) {
    const v = load<f64>(x + (<usize>k << 3));
    if (v - v != 0 || !(v > prev)) return k;
    prev = v;
  }
  return -1;
}

// a[k] = re(lane 0 of pair[k]) / divisor and b[k] = re(lane 1) / divisor, k < n (8 bytes an
// element in a and b).
export function realParts(pair: usize, a: usize, b: usize, n: i32, divisor: f64): void {
  const d = f64x2.splat(divisor);
  for (let k = 0; k < n; k++) {
    const re = f64x2.div(v128.load(pair), d);
    store<f64>(a, f64x2.extract_lane(re, 0));
    store<f64>(b, f64x2.extract_lane(re, 1));
    pair += 32;
    a += 8;
    b += 8;
  }
}
