/**
 * The wavelet bank and the block convolution of src/dsp/convolve.ts: spectra made once and shared,
 * spectra that are the exact (real) DFT of the centred wavelets, and power independent of the FFT size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { createWaveletBank, morletPower, nextPowerOfTwo } from '../../src/dsp/convolve.js';
import { morletWavelet } from '../../src/dsp/morlet.js';
import { resolveTfrParams } from '../../src/index.js';
import { naiveDft } from '../helpers.js';

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
