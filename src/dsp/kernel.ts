/**
 * The WebAssembly SIMD kernel of the Morlet transform: loader and memory layout.
 *
 * Why our own kernel: the transform is ~85 % FFTs, and no double-precision WASM FFT is published
 * on npm (the ports there are float32, which cannot meet 1e-9 against MNE), while pure-JS FFTs
 * (`fft.js`, `ooura`) run a 4096-point transform in ~65–100 µs here. This kernel, written in
 * AssemblyScript (`kernel/morlet-kernel.as.ts`, compiled by the `assemblyscript` npm package at
 * build time), runs two transforms at once, one per f64x2 lane, in ~40 µs per pair:
 * ~4× `fft.js` per transform (measured in docs/performance.md).
 *
 * The two lanes never mix, so a frequency's power does not depend on which other frequency
 * shares its pair: any split of frequencies into jobs gives bitwise identical rows.
 *
 * One instance per thread (main thread and each worker), created on first use; its memory holds
 * the twiddles, four pair buffers, two power blocks and a copy of the bank's wavelet spectra.
 */
import { readFileSync } from 'node:fs';
import type { WaveletBank } from './convolve.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  fftPair(x: number, y: number, twiddles: number, n: number): number;
  spectrumProducts(x: number, specA: number, specB: number, out: number, n: number): void;
  pairPower(y: number, from: number, count: number, powerA: number, powerB: number): void;
}

const WASM_PAGE_BYTES = 65536;
/** Bytes of one element of a pair buffer: [re lane 0, re lane 1, im lane 0, im lane 1]. */
const PAIR_BYTES = 32;
const COMPLEX_BYTES = 16;
const F64 = 8;

let compiled: WebAssembly.Module | undefined;

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./kernel/morlet-kernel.wasm', import.meta.url)));
  return compiled;
}

/** Byte offsets of the kernel's buffers for one FFT size M. */
interface Layout {
  fftSize: number;
  twiddles: number;
  /** Two pair buffers for the signal's transform, two for the frequencies'. */
  signalA: number;
  signalB: number;
  workA: number;
  workB: number;
  powerA: number;
  powerB: number;
  /** The bank's spectra, shape (n_freqs, M) complex. */
  spectra: number;
}

/** A thread's kernel instance (see the module comment). */
export class MorletKernel {
  private readonly exports: KernelExports;
  private layout: Layout | null = null;
  private spectraSource: Float64Array | null = null;
  private f64: Float64Array;
  /** Power of lane 0 / lane 1 of the last {@link pairPowerBlock}, views of the kernel memory. */
  powerA: Float64Array = new Float64Array(0);
  powerB: Float64Array = new Float64Array(0);

  constructor() {
    const instance = new WebAssembly.Instance(kernelModule(), {
      env: {
        abort: () => {
          throw new Error('morlet kernel aborted');
        },
      },
    });
    this.exports = instance.exports as unknown as KernelExports;
    this.f64 = new Float64Array(this.exports.memory.buffer);
  }

  /** Sizes the buffers for `bank.fftSize` and copies the bank's spectra (unless already there). */
  prepare(bank: WaveletBank): void {
    const M = bank.fftSize;
    if (this.layout === null || this.layout.fftSize !== M || this.spectraSource !== bank.spectra) {
      const layout = this.allocate(M, bank.spectra.length * F64);
      this.f64.set(bank.spectra, layout.spectra / F64);
      this.spectraSource = bank.spectra;
    }
  }

  private allocate(M: number, spectraBytes: number): Layout {
    const base = Math.ceil(this.exports.heapBase() / 64) * 64;
    const pair = M * PAIR_BYTES;
    const layout: Layout = {
      fftSize: M,
      twiddles: base,
      signalA: base + M * COMPLEX_BYTES,
      signalB: base + M * COMPLEX_BYTES + pair,
      workA: base + M * COMPLEX_BYTES + 2 * pair,
      workB: base + M * COMPLEX_BYTES + 3 * pair,
      powerA: base + M * COMPLEX_BYTES + 4 * pair,
      powerB: base + M * COMPLEX_BYTES + 4 * pair + M * F64,
      spectra: base + M * COMPLEX_BYTES + 4 * pair + 2 * M * F64,
    };
    const needed = layout.spectra + spectraBytes;
    const memory = this.exports.memory;
    if (needed > memory.buffer.byteLength) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / WASM_PAGE_BYTES));
    }
    // Growing detaches old views: make new ones.
    this.f64 = new Float64Array(memory.buffer);
    this.powerA = new Float64Array(memory.buffer, layout.powerA, M);
    this.powerB = new Float64Array(memory.buffer, layout.powerB, M);
    if (this.layout?.fftSize !== M) {
      const tw = layout.twiddles / F64;
      for (let k = 0; k < M; k++) {
        const angle = (-2 * Math.PI * k) / M;
        this.f64[tw + 2 * k] = Math.cos(angle);
        this.f64[tw + 2 * k + 1] = Math.sin(angle);
      }
    }
    this.layout = layout;
    return layout;
  }

  private current(): Layout {
    if (this.layout === null) throw new Error('MorletKernel.prepare() was not called');
    return this.layout;
  }

  /**
   * Transforms two real segments of M samples at once: lane 0 holds `signal[fromA …]`, lane 1
   * `signal[fromB …]` (zero outside the signal; lane 1 all zero when `fromB` is null).
   *
   * @returns the byte offset of the pair buffer holding both spectra, for {@link pairPowerBlock}
   */
  signalSpectra(signal: Float64Array, fromA: number, fromB: number | null): number {
    const { fftSize: M, signalA, signalB, twiddles } = this.current();
    const f64 = this.f64;
    const o = signalA / F64;
    const n = signal.length;
    for (let k = 0; k < M; k++) {
      const ia = fromA + k;
      f64[o + 4 * k] = ia >= 0 && ia < n ? signal[ia]! : 0;
      f64[o + 4 * k + 2] = 0;
      f64[o + 4 * k + 3] = 0;
    }
    for (let k = 0; k < M; k++) {
      const ib = fromB === null ? -1 : fromB + k;
      f64[o + 4 * k + 1] = ib >= 0 && ib < n ? signal[ib]! : 0;
    }
    return this.exports.fftPair(signalA, signalB, twiddles, M);
  }

  /**
   * Power of two frequency rows for one block: |FFT(conj(X)·S_f)|² at elements [from, from + count)
   * into {@link powerA} (frequency `freqA`) and {@link powerB} (`freqB`), where X is lane `lane`
   * of the pair buffer `spectraPair` and S_f the bank's spectrum conj(FFT(G_f))/M.
   */
  pairPowerBlock(spectraPair: number, lane: number, freqA: number, freqB: number, from: number, count: number): void {
    const { fftSize: M, twiddles, workA, workB, powerA, powerB, spectra } = this.current();
    const e = this.exports;
    const rowBytes = M * COMPLEX_BYTES;
    e.spectrumProducts(spectraPair + lane * F64, spectra + freqA * rowBytes, spectra + freqB * rowBytes, workA, M);
    const result = e.fftPair(workA, workB, twiddles, M);
    e.pairPower(result, from, count, powerA, powerB);
  }
}

let threadKernel: MorletKernel | undefined;

/** This thread's kernel instance. */
export function morletKernel(): MorletKernel {
  threadKernel ??= new MorletKernel();
  return threadKernel;
}
