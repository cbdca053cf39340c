/**
 * The WebAssembly SIMD kernel of the Morlet transform: loader and memory offsets.
 *
 * Why our own kernel: the transform is ~85 % FFTs, and no double-precision WASM FFT is published
 * on npm (the ports there are float32, which cannot meet 1e-9 against MNE), while pure-JS FFTs
 * (`fft.js`, `ooura`) are several times slower per transform (docs/performance.md). This kernel,
 * written in AssemblyScript (`kernel/morlet-kernel.as.ts`, compiled by the `assemblyscript` npm
 * package at build time), runs two transforms at once, one per f64x2 lane. The lanes hold two consecutive
 * blocks of one channel, so every operation is the same in both and they never mix.
 *
 * One instance per thread (main thread and each worker), created on first use; its memory holds
 * the twiddles, two signal segments, four pair buffers, two power blocks, the block statistics
 * and a copy of the bank's (real) wavelet spectra (n_freqs × M × 8 bytes: 0.66 MB for 20
 * frequencies and M = 4096) and, when a channel is streamed row by row, its block pairs' spectra
 * ((M/2 + 1) × 32 bytes per pair: 1 MB for 100,000 samples at M = 4096), one power row and the
 * ROI accumulator of a batch of full-power rows (batch rows × n_times × 8 bytes). An instance
 * grown past 64 MiB is dropped after the call that grew it ({@link releaseLargeKernel}).
 */
import { readFileSync } from 'node:fs';
import type { WaveletBank } from './wavelet-bank.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  fftPair(x: number, y: number, twiddles: number, n: number): number;
  realPair(a: number, b: number, out: number, n: number): void;
  productFftPair(x: number, spectrum: number, a: number, b: number, twiddles: number, n: number): number;
  powerStats(y: number, from: number, count: number, powerA: number, powerB: number, stats: number): void;
  addZRow(acc: number, values: number, n: number, mean: number, std: number, divisor: number): void;
  packPair(a: number, b: number, out: number, n: number): void;
  firstNonFinite(x: number, n: number): number;
  firstNotIncreasing(x: number, n: number, prev: number): number;
  realParts(pair: number, a: number, b: number, n: number, divisor: number): void;
}

const WASM_PAGE_BYTES = 65536;
/** Bytes of one element of a pair buffer: [re lane 0, re lane 1, im lane 0, im lane 1]. */
const PAIR_BYTES = 32;

/**
 * Bytes of a saved block pair's spectra: elements 0 … M/2 only, as each lane is the spectrum of a
 * real segment (X[M − k] = conj(X[k]); the kernel reads no more), rounded up to a cache line.
 */
function savedPairBytes(M: number): number {
  return Math.ceil(((M / 2 + 1) * PAIR_BYTES) / 64) * 64;
}
const COMPLEX_BYTES = 16;
const F64 = 8;
/** Elements per chunk of {@link MorletKernel.addZRows}: two 64 KiB buffers, cache-resident. */
const Z_CHUNK = 8192;

let compiled: WebAssembly.Module | undefined;

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./kernel/morlet-kernel.wasm', import.meta.url)));
  return compiled;
}

/** Sizes of the kernel's variable regions. */
interface Sizes {
  spectraBytes: number;
  /** f64 values of the power row and of the ROI accumulator. */
  rowLength: number;
  roiLength: number;
  pairCapacity: number;
}

/** Byte offsets of the kernel's buffers for one FFT size M. */
interface BufferOffsets {
  fftSize: number;
  twiddles: number;
  /** Two real segments of M samples, the input of {@link MorletKernel.signalSpectra}. */
  segmentA: number;
  segmentB: number;
  /** Two pair buffers for the signal's transform, two for the frequencies'. */
  signalA: number;
  signalB: number;
  workA: number;
  workB: number;
  powerA: number;
  powerB: number;
  stats: number;
  /** The bank's spectra, shape (n_freqs, M) real; grows to fit the bank. */
  spectra: number;
  spectraBytes: number;
  /** One power row and the ROI accumulator rows (see {@link MorletKernel.reserveRoiRows}), f64. */
  powerRow: number;
  rowLength: number;
  roiRows: number;
  roiLength: number;
  /** Saved signal spectra of block pairs (see {@link MorletKernel.savePairs}), (M/2 + 1) × 32 bytes each. */
  pairs: number;
  /** How many pairs fit at `pairs`. */
  pairCapacity: number;
}

/** A thread's kernel instance (see the module comment). */
export class MorletKernel {
  private readonly exports: KernelExports;
  private offsets: BufferOffsets | null = null;
  private spectraSource: Float64Array | null = null;
  private f64: Float64Array;
  /** Byte offsets of addZRows' two chunk buffers, and of the first byte after them. */
  private readonly zAcc: number;
  private readonly zValues: number;
  private readonly offsetsBase: number;
  /** Power of lane 0 / lane 1 of the last {@link blockPower}, views of the kernel memory. */
  powerA: Float64Array = new Float64Array(0);
  powerB: Float64Array = new Float64Array(0);
  /** Statistics of the last {@link blockPower}: [mean A, mean B, M2 A, M2 B], M2 = Σ(p − mean)². */
  stats: Float64Array = new Float64Array(0);

  constructor() {
    const instance = new WebAssembly.Instance(kernelModule(), {
      env: {
        abort: () => {
          throw new Error('morlet kernel aborted');
        },
      },
    });
    this.exports = instance.exports as unknown as KernelExports;
    this.zAcc = Math.ceil(this.exports.heapBase() / 64) * 64;
    this.zValues = this.zAcc + Z_CHUNK * F64;
    this.offsetsBase = this.zValues + Z_CHUNK * F64;
    const memory = this.exports.memory;
    if (this.offsetsBase > memory.buffer.byteLength) memory.grow(Math.ceil((this.offsetsBase - memory.buffer.byteLength) / WASM_PAGE_BYTES));
    this.f64 = new Float64Array(memory.buffer);
  }

  /** Sizes the buffers for `bank.fftSize` and copies the bank's spectra (unless already there). */
  prepare(bank: WaveletBank): void {
    if (this.offsets?.fftSize === bank.fftSize && this.spectraSource === bank.spectra) return;
    const offsets = this.resize(bank.fftSize, { ...this.sizes(), spectraBytes: bank.spectra.length * F64 });
    this.f64.set(bank.spectra, offsets.spectra / F64);
    this.spectraSource = bank.spectra;
  }

  /** Makes room to save `count` block pairs' spectra ({@link signalSpectra}'s `slot`). */
  savePairs(count: number): void {
    if (this.current().pairCapacity >= count) return;
    // Everything before the pairs (the spectra, the ROI rows) stays where it is.
    this.regrow({ ...this.sizes(), pairCapacity: count });
  }

  /**
   * Makes room for one power row of `rowLength` samples ({@link powerRowView}) and `roiLength`
   * accumulator values ({@link roiView}), zeroes the accumulator, and keeps both until the next
   * call: the ROI rows of a batch are summed in kernel memory, where {@link addZRowResident}
   * needs no copies. Call after {@link prepare}.
   */
  reserveRoiRows(rowLength: number, roiLength: number): void {
    const sizes = this.sizes();
    if (sizes.rowLength < rowLength || sizes.roiLength < roiLength) {
      this.regrow({ ...sizes, rowLength: Math.max(rowLength, sizes.rowLength), roiLength: Math.max(roiLength, sizes.roiLength) });
    }
    const { roiRows } = this.current();
    this.f64.fill(0, roiRows / F64, roiRows / F64 + roiLength);
  }

  /** The first `length` values of the power row buffer: a fresh view (views die when the memory grows). */
  powerRowView(length: number): Float64Array {
    const { powerRow, rowLength } = this.current();
    if (length > rowLength) throw new RangeError(`power row of ${length} values exceeds the ${rowLength} reserved`);
    return new Float64Array(this.exports.memory.buffer, powerRow, length);
  }

  /** The first `length` values of the ROI accumulator: a fresh view. */
  roiView(length: number): Float64Array {
    const { roiRows, roiLength } = this.current();
    if (length > roiLength) throw new RangeError(`ROI accumulator of ${length} values exceeds the ${roiLength} reserved`);
    return new Float64Array(this.exports.memory.buffer, roiRows, length);
  }

  /**
   * roi[at + t] = (roi[at + t] + (values[t] − mean) / std) / divisor for t < values.length, on the
   * accumulator in kernel memory (see {@link addZRows}); `values` is copied in unless it is
   * {@link powerRowView}'s buffer.
   */
  addZRowResident(at: number, values: Float64Array, mean: number, std: number, divisor = 1): void {
    const { powerRow, roiRows } = this.current();
    if (values.buffer !== this.exports.memory.buffer || values.byteOffset !== powerRow) this.f64.set(values, powerRow / F64);
    this.exports.addZRow(roiRows + at * F64, powerRow, values.length, mean, std, divisor);
  }

  /** Bytes of the kernel's memory. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  private sizes(): Sizes {
    const l = this.offsets;
    return {
      spectraBytes: l?.spectraBytes ?? 0,
      rowLength: l?.rowLength ?? 0,
      roiLength: l?.roiLength ?? 0,
      pairCapacity: l?.pairCapacity ?? 0,
    };
  }

  /** Resizes for the current FFT size, keeping the bank's spectra. */
  private regrow(sizes: Sizes): void {
    const spectraSource = this.spectraSource;
    this.resize(this.current().fftSize, sizes);
    this.spectraSource = spectraSource;
  }

  /**
   * Lays the buffers out for FFT size M. Regions come in a fixed order, each sized by `sizes`, so
   * growing a region keeps the contents of every region before it.
   */
  private resize(M: number, sizes: Sizes): BufferOffsets {
    const pair = M * PAIR_BYTES;
    let at = this.offsetsBase;
    const take = (bytes: number): number => {
      const offset = at;
      at += Math.ceil(bytes / 64) * 64;
      return offset;
    };
    const offsets: BufferOffsets = {
      fftSize: M,
      twiddles: take(M * COMPLEX_BYTES),
      segmentA: take(M * F64),
      segmentB: take(M * F64),
      signalA: take(pair),
      signalB: take(pair),
      workA: take(pair),
      workB: take(pair),
      powerA: take(M * F64),
      powerB: take(M * F64),
      stats: take(4 * F64),
      spectra: take(sizes.spectraBytes),
      spectraBytes: sizes.spectraBytes,
      powerRow: take(sizes.rowLength * F64),
      rowLength: sizes.rowLength,
      roiRows: take(sizes.roiLength * F64),
      roiLength: sizes.roiLength,
      pairs: take(sizes.pairCapacity * savedPairBytes(M)),
      pairCapacity: sizes.pairCapacity,
    };
    const memory = this.exports.memory;
    if (at > memory.buffer.byteLength) memory.grow(Math.ceil((at - memory.buffer.byteLength) / WASM_PAGE_BYTES));
    // Growing detaches old views: make new ones.
    this.f64 = new Float64Array(memory.buffer);
    this.powerA = new Float64Array(memory.buffer, offsets.powerA, M);
    this.powerB = new Float64Array(memory.buffer, offsets.powerB, M);
    this.stats = new Float64Array(memory.buffer, offsets.stats, 4);
    if (this.offsets?.fftSize !== M) {
      const tw = offsets.twiddles / F64;
      for (let k = 0; k < M; k++) {
        const angle = (-2 * Math.PI * k) / M;
        this.f64[tw + 2 * k] = Math.cos(angle);
        this.f64[tw + 2 * k + 1] = Math.sin(angle);
      }
    }
    this.offsets = offsets;
    this.spectraSource = null;
    return offsets;
  }

  private current(): BufferOffsets {
    if (this.offsets === null) throw new Error('MorletKernel.prepare() was not called');
    return this.offsets;
  }

  /**
   * Real parts of the forward FFT (unscaled, e^{−2πi jk/M}) of one or two complex sequences of
   * length M, interleaved (re, im), each divided by `divisor`, into `outA` / `outB` (length M each):
   * the wavelet spectra (convolve.ts), whose imaginary parts vanish. The hot path uses
   * {@link signalSpectra} and {@link blockPower}.
   */
  realSpectra(inputA: Float64Array, inputB: Float64Array | null, outA: Float64Array, outB: Float64Array | null, divisor: number): void {
    const M = inputA.length / 2;
    const result = this.pairTransform(inputA, inputB);
    const { signalA } = this.current();
    const outBAt = signalA + M * F64;
    this.exports.realParts(result, signalA, outBAt, M, divisor);
    outA.set(this.f64.subarray(signalA / F64, signalA / F64 + M));
    outB?.set(this.f64.subarray(outBAt / F64, outBAt / F64 + M));
  }

  /**
   * Paired FFT of one or two interleaved complex sequences of length M (lane 1 zero without
   * `inputB`), sizing the buffers for M; returns the pair buffer holding the result. The inputs
   * wait in workB (A, then B: two sequences of 2M values fit in one pair buffer) and are packed in
   * the kernel: JavaScript loops over them would run unoptimised in a one-shot process.
   */
  private pairTransform(inputA: Float64Array, inputB: Float64Array | null): number {
    const M = inputA.length / 2;
    const offsets = this.offsets?.fftSize === M ? this.offsets : this.resize(M, { spectraBytes: 0, rowLength: 0, roiLength: 0, pairCapacity: 0 });
    const { workA, workB, twiddles } = offsets;
    const f64 = this.f64;
    const inB = workB + 2 * M * F64;
    f64.set(inputA, workB / F64);
    if (inputB === null) f64.fill(0, inB / F64, inB / F64 + 2 * M);
    else f64.set(inputB, inB / F64);
    this.exports.packPair(workB, inB, workA, M);
    return this.exports.fftPair(workA, workB, twiddles, M);
  }

  /**
   * Index of the first NaN or ±Inf in `values`, or −1. Runs in the kernel, in cache-sized chunks:
   * a one-shot process scans each array once, before V8 would optimise a JavaScript loop.
   */
  firstNonFinite(values: Float64Array): number {
    return this.scan(values, (at, n) => this.exports.firstNonFinite(at, n));
  }

  /** Index of the first value of `times` that is not finite or not greater than the one before, or −1. */
  firstNotIncreasing(times: Float64Array): number {
    return this.scan(times, (at, n, from) => this.exports.firstNotIncreasing(at, n, from === 0 ? -Infinity : times[from - 1]!));
  }

  /** Runs `find` over `values` chunk by chunk in kernel memory; the first index it reports, or −1. */
  private scan(values: Float64Array, find: (at: number, n: number, from: number) => number): number {
    const { zValues } = this;
    for (let from = 0; from < values.length; from += Z_CHUNK) {
      const to = Math.min(from + Z_CHUNK, values.length);
      this.f64.set(values.subarray(from, to), zValues / F64);
      const k = find(zValues, to - from, from);
      if (k >= 0) return from + k;
    }
    return -1;
  }

  /**
   * acc[r, t] = (acc[r, t] + (values[r, t] − mean[r]) / std[r]) / divisor for every row r and t
   * (z-score rows of the ROI sum; divisor n_roi for the last channel makes it the mean, 1
   * otherwise), with `acc` and `values` of shape (mean.length, rowLength), through the kernel's
   * SIMD loop in cache-sized chunks: bitwise the scalar expression, and faster than the JIT's
   * loop even with the copies in and out (docs/performance.md). Short rows (event
   * windows) share a chunk, so that a window's 200 samples do not cost three copies of their own.
   */
  addZRows(acc: Float64Array, values: Float64Array, mean: Float64Array, std: Float64Array, rowLength: number, divisor = 1): void {
    const { zAcc, zValues } = this;
    const f64 = this.f64;
    const chunk = rowLength <= Z_CHUNK ? Math.floor(Z_CHUNK / rowLength) * rowLength : Z_CHUNK;
    for (let from = 0; from < acc.length; from += chunk) {
      const to = Math.min(from + chunk, acc.length);
      f64.set(acc.subarray(from, to), zAcc / F64);
      f64.set(values.subarray(from, to), zValues / F64);
      // One call per row piece in the chunk (a long row may start or end inside it).
      for (let at = from; at < to; ) {
        const r = Math.floor(at / rowLength);
        const end = Math.min(to, (r + 1) * rowLength);
        const offset = (at - from) * F64;
        this.exports.addZRow(zAcc + offset, zValues + offset, end - at, mean[r]!, std[r]!, divisor);
        at = end;
      }
      acc.set(f64.subarray(zAcc / F64, zAcc / F64 + (to - from)), from);
    }
  }

  /** One paired transform of the work buffers, as it is: the unit of the FFT roofline benchmark. */
  benchmarkTransform(): void {
    const { fftSize: M, workA, workB, twiddles } = this.current();
    this.exports.fftPair(workA, workB, twiddles, M);
  }

  /**
   * Transforms two real segments of M samples at once: lane 0 holds `signal[fromA …]`, lane 1
   * `signal[fromB …]` (zero outside the signal; lane 1 all zero when `fromB` is null). With a
   * `slot` (below the capacity given to {@link savePairs}) the spectra are saved there, and stay
   * valid until the next save to that slot.
   *
   * @returns the byte offset of the pair buffer holding both spectra, for {@link blockPower}
   */
  signalSpectra(signal: Float64Array, fromA: number, fromB: number | null, slot?: number): number {
    const { fftSize: M, segmentA, segmentB, signalA, signalB, twiddles, pairs, pairCapacity } = this.current();
    this.stage(signal, fromA, segmentA / F64, M);
    this.stage(signal, fromB, segmentB / F64, M);
    this.exports.realPair(segmentA, segmentB, signalA, M);
    const result = this.exports.fftPair(signalA, signalB, twiddles, M);
    if (slot === undefined) return result;
    if (!(slot >= 0 && slot < pairCapacity)) throw new RangeError(`pair slot ${slot} outside 0…${pairCapacity - 1}`);
    const saved = pairs + slot * savedPairBytes(M);
    this.f64.copyWithin(saved / F64, result / F64, (result + (M / 2 + 1) * PAIR_BYTES) / F64);
    return saved;
  }

  /** Copies signal[from … from + M) (zero outside the signal; all zero if from is null) to f64[at …]. */
  private stage(signal: Float64Array, from: number | null, at: number, M: number): void {
    const f64 = this.f64;
    if (from === null) {
      f64.fill(0, at, at + M);
      return;
    }
    const lo = Math.max(0, -from);
    const hi = Math.max(lo, Math.min(M, signal.length - from));
    f64.fill(0, at, at + lo);
    f64.set(signal.subarray(from + lo, from + hi), at + lo);
    f64.fill(0, at + hi, at + M);
  }

  /**
   * Power of one frequency row for the two blocks of `spectraPair`: |FFT(conj(X)·S_f)|² at
   * elements [from, from + count) of each lane into {@link powerA} and {@link powerB}, with their
   * {@link stats}; X is the signal spectrum of the lane's block, S_f = FFT(G_f)/M the bank's (real).
   */
  blockPower(spectraPair: number, freq: number, from: number, count: number): void {
    const { fftSize: M, twiddles, workA, workB, powerA, powerB, stats, spectra } = this.current();
    const e = this.exports;
    const result = e.productFftPair(spectraPair, spectra + freq * M * F64, workA, workB, twiddles, M);
    e.powerStats(result, from, count, powerA, powerB, stats);
  }
}

let threadKernel: MorletKernel | undefined;

/** Kernel memory kept between calls; a bigger instance (a long recording's ROI rows) is dropped. */
const RETAINED_KERNEL_BYTES = 64 * 1024 * 1024;

/** Lets this thread's kernel be garbage-collected if it grew past {@link RETAINED_KERNEL_BYTES}. */
export function releaseLargeKernel(): void {
  if (threadKernel !== undefined && threadKernel.memoryBytes > RETAINED_KERNEL_BYTES) threadKernel = undefined;
}

/** This thread's kernel instance. */
export function morletKernel(): MorletKernel {
  threadKernel ??= new MorletKernel();
  return threadKernel;
}
