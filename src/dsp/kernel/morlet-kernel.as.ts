// AssemblyScript source of the WebAssembly SIMD kernel (compiled by `npm run build:kernel`, see
// ../kernel.ts for the loader and the reasons). Not part of the TypeScript program.
//
// Two transforms run side by side, one per f64x2 lane: element k of a "pair buffer" is 32 bytes,
// [re(lane 0), re(lane 1), im(lane 0), im(lane 1)]. Every operation is the same in both lanes, so
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

// out[k] = (conj(X[k])·A[k], conj(X[k])·B[k]) for k < n: X one lane of a pair buffer (its
// address plus 8 × lane), A and B interleaved complex (16 bytes an element), out a pair buffer.
export function spectrumProducts(x: usize, specA: usize, specB: usize, out: usize, n: i32): void {
  for (let k = 0; k < n; k++) {
    const xr = v128.load64_splat(x);
    const xi = v128.load64_splat(x + 16);
    const ga = v128.load(specA);
    const gb = v128.load(specB);
    const gr = v128.shuffle<f64>(ga, gb, 0, 2);
    const gi = v128.shuffle<f64>(ga, gb, 1, 3);
    v128.store(out, f64x2.add(f64x2.mul(xr, gr), f64x2.mul(xi, gi)));
    v128.store(out, f64x2.sub(f64x2.mul(xr, gi), f64x2.mul(xi, gr)), 16);
    x += 32;
    specA += 16;
    specB += 16;
    out += 32;
  }
}

// powerA[k], powerB[k] = |Y[from + k]|² of lanes 0 and 1, for k < count.
export function pairPower(y: usize, from: i32, count: i32, powerA: usize, powerB: usize): void {
  let e = y + (<usize>from << 5);
  for (let k = 0; k < count; k++) {
    const re = v128.load(e);
    const im = v128.load(e, 16);
    const p = f64x2.add(f64x2.mul(re, re), f64x2.mul(im, im));
    store<f64>(powerA, f64x2.extract_lane(p, 0));
    store<f64>(powerB, f64x2.extract_lane(p, 1));
    e += 32;
    powerA += 8;
    powerB += 8;
  }
}
