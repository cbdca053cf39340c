/**
 * The WebAssembly kernel's FFT against a plain O(n²) DFT, and the independence of its two lanes
 * (what makes any split of blocks and frequencies bitwise reproducible).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { MorletKernel } from '../src/dsp/kernel.js';
import { createWaveletBank, resolveTfrParams } from '../src/index.js';
import { morletPower, nextPowerOfTwo } from '../src/dsp/convolve.js';
import { morletWavelet } from '../src/dsp/morlet.js';

/** Forward DFT, e^{−2πi jk/n}, of interleaved complex input. */
function naiveDft(x: Float64Array): Float64Array {
  const n = x.length / 2;
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      re += x[2 * j]! * Math.cos(a) - x[2 * j + 1]! * Math.sin(a);
      im += x[2 * j]! * Math.sin(a) + x[2 * j + 1]! * Math.cos(a);
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  }
  return out;
}

/**
 * The kernel's paired forward FFT of interleaved complex `a` (and `b`), as complex outputs, through
 * its real-part transform: Re(FFT(i·x)) = −Im(FFT(x)) bit for bit, as multiplying the input by i
 * only swaps and negates values, which every later operation commutes with exactly.
 */
function pairFft(kernel: MorletKernel, a: Float64Array, b: Float64Array | null): [Float64Array, Float64Array] {
  const n = a.length / 2;
  const timesI = (x: Float64Array) => Float64Array.from(x, (_, k) => (k % 2 === 0 ? -x[k + 1]! : x[k - 1]!));
  const [reA, reB, imA, imB] = Array.from({ length: 4 }, () => new Float64Array(n));
  kernel.realSpectra(a, b, reA, b === null ? null : reB, 1);
  kernel.realSpectra(timesI(a), b === null ? null : timesI(b), imA, b === null ? null : imB, 1);
  const complex = (re: Float64Array, im: Float64Array) => Float64Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? re[k / 2]! : -im[(k - 1) / 2]!));
  return [complex(reA, imA), complex(reB, imB)];
}

const complexVector = (n: number) =>
  fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 2 * n, maxLength: 2 * n }).map((v) => Float64Array.from(v));

test('paired FFT equals the DFT in both lanes, for radix-4 and radix-2-ending sizes', () => {
  const kernel = new MorletKernel();
  for (const n of [2, 4, 8, 16, 32, 64, 128, 256]) {
    fc.assert(
      fc.property(complexVector(n), complexVector(n), (a, b) => {
        const [outA, outB] = pairFft(kernel, a, b);
        for (const [out, input] of [
          [outA, a],
          [outB, b],
        ] as const) {
          const want = naiveDft(input);
          const scale = Math.max(1, ...Array.from(want, Math.abs));
          for (let i = 0; i < want.length; i++) {
            assert.ok(Math.abs(out[i]! - want[i]!) <= 1e-12 * scale, `n=${n}, element ${i}: ${out[i]} vs ${want[i]}`);
          }
        }
      }),
      { numRuns: 20 },
    );
  }
});

test("a lane's result does not depend on the other lane", () => {
  const kernel = new MorletKernel();
  const n = 4096;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      let s = seed;
      const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const a = Float64Array.from({ length: 2 * n }, rnd);
      const b = Float64Array.from({ length: 2 * n }, rnd);
      assert.deepEqual(pairFft(kernel, a, b)[0], pairFft(kernel, a, null)[0]);
    }),
    { numRuns: 5 },
  );
});

test('wavelet spectra are made once per (parameters, FFT size) and shared by later banks', () => {
  const params = resolveTfrParams({ nFreqs: 5 }, 200);
  const a = createWaveletBank(params, 50_000);
  const b = createWaveletBank(params, 60_000);
  assert.equal(a.fftSize, b.fftSize);
  assert.equal(b.spectra, a.spectra, 'same spectra for another length with the same FFT size');
  assert.notEqual(createWaveletBank(params, 50_000, { fftSize: 2 * a.fftSize }).spectra, a.spectra);
  assert.notEqual(createWaveletBank(resolveTfrParams({ nFreqs: 5, zeroMean: false }, 200), 50_000).spectra, a.spectra);
  const fresh = createWaveletBank(resolveTfrParams({ nFreqs: 5, freqRange: [3, 8.0001] }, 200), 50_000);
  assert.notEqual(fresh.spectra, a.spectra, 'other frequencies, other spectra');
});

test('wavelet spectra are the real DFT of the centred wavelets: their imaginary parts vanish', () => {
  // The bank keeps only real parts (convolve.ts): valid because MNE's wavelet is conjugate-
  // symmetric, so the exact DFT of the centred wavelet is real. Checked against the O(M²) DFT.
  const cases = [
    { options: { nFreqs: 4 }, sfreq: 200, nTimes: 300 },
    { options: { freqs: [7.3, 21, 44.5], cycles: { kind: 'fixed', nCycles: 2.5 } as const, zeroMean: false }, sfreq: 250, nTimes: 200 },
    { options: { freqRange: [11, 30] as const, nFreqs: 3, cycles: { kind: 'factor', factor: 0.4 } as const }, sfreq: 512, nTimes: 150 },
  ];
  for (const { options, sfreq, nTimes } of cases) {
    const params = resolveTfrParams(options, sfreq);
    const bank = createWaveletBank(params, nTimes);
    const M = bank.fftSize;
    assert.equal(bank.spectra.length, params.freqs.length * M, 'one real value per frequency and bin');
    params.freqs.forEach((freq, f) => {
      const w = morletWavelet(sfreq, freq, params.nCycles[f]!, params.zeroMean);
      const h = (w.re.length - 1) / 2;
      const centred = new Float64Array(2 * M);
      for (let j = -h; j <= h; j++) {
        centred[2 * ((j + M) % M)] = w.re[j + h]!;
        centred[2 * ((j + M) % M) + 1] = w.im[j + h]!;
      }
      const dft = naiveDft(centred);
      const peak = Math.max(...Array.from({ length: M }, (_, k) => Math.abs(dft[2 * k]!)));
      for (let k = 0; k < M; k++) {
        assert.ok(Math.abs(dft[2 * k + 1]!) <= 1e-14 * peak, `${freq} Hz, bin ${k}: imaginary part ${dft[2 * k + 1]} of peak ${peak}`);
        const stored = bank.spectra[f * M + k]! * M;
        assert.ok(Math.abs(stored - dft[2 * k]!) <= 1e-14 * peak, `${freq} Hz, bin ${k}: ${stored} vs DFT ${dft[2 * k]}`);
      }
    });
  }
});

test('power is the same for every FFT size, down to 2 (radix-2-ending and too-short-for-radix-4 transforms)', () => {
  // Wavelets of 1 sample (so M = 2 fits) and of 7 (M ≥ 8): every FFT size from the smallest
  // that fits to 64 must give the power of the cost model's choice, up to rounding.
  for (const [freqs, nCycles] of [[[30, 40], [0.1, 0.5]], [[30, 20], [0.1, 1]]] as const) {
    const params = { sfreq: 100, freqs: Float64Array.from(freqs), nCycles: Float64Array.from(nCycles), zeroMean: true };
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 70 }), (values) => {
        const signal = Float64Array.from(values);
        const reference = morletPower(signal, 1, createWaveletBank(params, signal.length));
        const smallest = createWaveletBank(params, signal.length, { fftSize: 64 }).halfWidth * 2 + 2;
        for (let fftSize = nextPowerOfTwo(smallest); fftSize <= 64; fftSize *= 2) {
          const power = morletPower(signal, 1, createWaveletBank(params, signal.length, { fftSize }));
          const scale = Math.max(...reference, 1e-300);
          power.forEach((p, i) => assert.ok(Math.abs(p - reference[i]!) <= 1e-12 * scale, `M ${fftSize}, sample ${i}: ${p} vs ${reference[i]}`));
        }
      }),
      { numRuns: 30 },
    );
  }
});

test('kernel scans find the first non-finite value and the first non-increasing time, across chunks', () => {
  // Reference: the plain loops the scans replaced (session-data.ts).
  const firstNonFinite = (x: Float64Array): number => x.findIndex((v) => !Number.isFinite(v));
  const firstNotIncreasing = (x: Float64Array): number => x.findIndex((v, i) => !Number.isFinite(v) || (i > 0 && !(v > x[i - 1]!)));
  const kernel = new MorletKernel();
  const bad = fc.constantFrom(NaN, Infinity, -Infinity);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30_000 }), fc.option(fc.tuple(fc.nat(), bad)), (n, spoil) => {
      const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);
      if (spoil !== null) x[spoil[0] % n] = spoil[1];
      assert.equal(kernel.firstNonFinite(x), firstNonFinite(x));
    }),
    { numRuns: 200 },
  );
  // Violations anywhere, including at 0 and on both sides of the 8,192-value chunk boundary.
  const violation = fc.constantFrom('equal', 'smaller', NaN, Infinity, -Infinity);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20_000 }), fc.option(fc.tuple(fc.oneof(fc.nat(), fc.constantFrom(0, 8191, 8192, 8193)), violation)), (n, spoil) => {
      const t = Float64Array.from({ length: n }, (_, i) => 12.5 + i / 200);
      if (spoil !== null) {
        const i = spoil[0] % n;
        const v = spoil[1];
        t[i] = typeof v === 'number' ? v : v === 'equal' ? (i > 0 ? t[i - 1]! : t[i]!) : t[i]! - 1;
      }
      assert.equal(kernel.firstNotIncreasing(t), firstNotIncreasing(t));
    }),
    { numRuns: 300 },
  );
});

test('kernel addZRows equals the scalar z-score expression bitwise, for short rows sharing a chunk and long rows split across chunks', () => {
  const kernel = new MorletKernel();
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.oneof(fc.integer({ min: 1, max: 400 }), fc.constantFrom(8191, 8192, 8193, 12_345)),
      fc.constantFrom(1, 3, 7),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (nRows, rowLength, divisor, seed) => {
        let state = seed;
        const random = (): number => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 20 - 10;
        const acc = Float64Array.from({ length: nRows * rowLength }, random);
        const values = Float64Array.from({ length: nRows * rowLength }, random);
        const mean = Float64Array.from({ length: nRows }, random);
        const std = Float64Array.from({ length: nRows }, () => Math.abs(random()) + 0.1);
        const expected = acc.map((a, i) => (a + (values[i]! - mean[Math.floor(i / rowLength)]!) / std[Math.floor(i / rowLength)]!) / divisor);
        kernel.addZRows(acc, values, mean, std, rowLength, divisor);
        assert.deepEqual(acc, expected);
      },
    ),
    { numRuns: 150 },
  );
});
