/**
 * The WebAssembly kernel (src/dsp/kernel.ts): its FFT against a plain O(n²) DFT, the independence
 * of its two lanes (what makes any split of blocks and frequencies bitwise reproducible), its scans
 * and its z-score rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { MorletKernel } from '../../src/dsp/kernel.js';
import { naiveDft } from '../helpers.js';

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
