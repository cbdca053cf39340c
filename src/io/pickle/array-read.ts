/**
 * Reading indexed arrays from the file as float64, fetching only the bytes needed.
 *
 * Memory: the result, plus chunk buffers of at most {@link READ_CHUNK} bytes in all (a ring of
 * several smaller ones when rows are gathered from a Fortran-ordered array, so reading overlaps
 * gathering; and the float64 conversion for non-float64 types). Never the whole file.
 */

import { fortranToC } from '../memory-order.js';
import { ArrayFormatError, ChannelRangeError } from '../../errors.js';
import { HOST_LITTLE_ENDIAN } from './dtype.js';
import { readLatin1 } from './latin1.js';
import { readExactly, type ByteSource } from './source.js';
import type { ArrayRef } from './types.js';

/** Bytes per positioned read when streaming an array (1 MiB: as fast as 4–8 MiB here, less memory). */
export const READ_CHUNK = 1024 * 1024;

/**
 * Chunk reads kept in flight while streaming a Fortran-ordered array (see {@link readRows}), in a
 * ring of chunks that together take half a READ_CHUNK: 3 reads of 128 KiB in flight read a
 * 21-minute session as fast as larger rings did, and smaller chunks were slower
 * (docs/performance.md). The ring is garbage once the array is read, but it counts at the peak
 * of `analyze-session`.
 */
const READS_IN_FLIGHT = 3;
const RING_BYTES = READ_CHUNK / 2;

const ITEMSIZE: Readonly<Record<string, number>> = {
  float64: 8,
  float32: 4,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
};

/** Bytes per element of an indexed dtype. */
export function itemsizeOf(ref: ArrayRef): number {
  const n = ITEMSIZE[ref.dtype];
  if (n === undefined) throw new ArrayFormatError(`array dtype '${ref.dtype}' is not supported; expected float64, float32, (u)int8–64 or bool`);
  return n;
}

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Reads array bytes [from, from + length) into `into` (raw data: positioned reads; protocol 2 text: decoded once). */
type RangeReader = (from: number, into: Uint8Array, length: number) => Promise<void>;

function rangeReader(src: ByteSource, ref: ArrayRef, what: string): RangeReader {
  const stored = ref.encoding === 'latin1' ? (ref.fileLength ?? -1) : ref.nbytes;
  if (!(ref.offset >= 0 && stored >= 0 && ref.offset + stored <= src.size)) {
    throw new ArrayFormatError(
      `${src.name}: ${what} data at byte ${ref.offset} (${stored} bytes) lies beyond the end of the file (${src.size} bytes); ` +
        'expected the file that was indexed (was it truncated?)',
    );
  }
  if (ref.encoding === 'latin1') {
    let decoded: Promise<Uint8Array> | undefined;
    return async (from, into, length) => {
      decoded ??= readLatin1(src, { offset: ref.offset, length: ref.nbytes, encoding: 'latin1', fileLength: stored });
      into.set((await decoded).subarray(from, from + length));
    };
  }
  return (from, into, length) => readExactly(src, ref.offset + from, into, length, what);
}

/**
 * Converts `count` elements at the start of `bytes` (which must start 8-byte aligned in a buffer the
 * caller owns: it may be byte-swapped in place) to float64. Returns a view for native float64.
 */
function toFloat64(bytes: Uint8Array, count: number, ref: ArrayRef, itemsize: number, what: string): Float64Array {
  const raw = bytes.subarray(0, count * itemsize);
  const foreign = itemsize > 1 && (ref.byteOrder === '>') === HOST_LITTLE_ENDIAN;
  if (foreign) {
    const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength); // view: swaps in place
    if (itemsize === 2) b.swap16();
    else if (itemsize === 4) b.swap32();
    else b.swap64();
  }
  const buf = raw.buffer;
  const off = raw.byteOffset;
  switch (ref.dtype) {
    case 'float64':
      return new Float64Array(buf, off, count);
    case 'float32':
      return new Float64Array(new Float32Array(buf, off, count));
    case 'int8':
      return new Float64Array(new Int8Array(buf, off, count));
    case 'uint8':
      return new Float64Array(new Uint8Array(buf, off, count));
    case 'bool':
    {
      const b = new Uint8Array(buf, off, count);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = b[i] !== 0 ? 1 : 0;
      return out;
    }
    case 'int16':
      return new Float64Array(new Int16Array(buf, off, count));
    case 'uint16':
      return new Float64Array(new Uint16Array(buf, off, count));
    case 'int32':
      return new Float64Array(new Int32Array(buf, off, count));
    case 'uint32':
      return new Float64Array(new Uint32Array(buf, off, count));
    case 'int64':
    case 'uint64': {
      const src = ref.dtype === 'int64' ? new BigInt64Array(buf, off, count) : new BigUint64Array(buf, off, count);
      const out = new Float64Array(count);
      const max = BigInt(Number.MAX_SAFE_INTEGER);
      for (let i = 0; i < count; i++) {
        const v = src[i] as bigint;
        if (v > max || v < -max) {
          throw new ArrayFormatError(`${what}: ${ref.dtype} value ${v} cannot be converted to float64 exactly; expected |v| <= 2^53 - 1`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    default:
      throw new ArrayFormatError(`${what}: dtype '${ref.dtype}' is not supported; expected float64, float32, (u)int8–64 or bool`);
  }
}

/** A fresh, 8-byte-aligned chunk buffer of at most `bytes` (at least one `unit`). */
function chunkBuffer(total: number, unit: number, bytes = READ_CHUNK): Uint8Array {
  const len = Math.min(total, Math.max(unit, Math.floor(bytes / unit) * unit));
  return new Uint8Array(new ArrayBuffer(Math.max(8, Math.ceil(len / 8) * 8)), 0, len);
}

/**
 * The whole array as float64 in C (row-major) order, length product(shape).
 * Fortran-ordered arrays with ≥ 2 non-trivial dimensions are transposed.
 */
export async function readArrayFloat64(src: ByteSource, ref: ArrayRef, what: string): Promise<Float64Array> {
  const itemsize = itemsizeOf(ref);
  const n = sizeOf(ref.shape);
  if (n * itemsize !== ref.nbytes) throw new ArrayFormatError(`${src.name}: ${what}: index says ${ref.nbytes} bytes for shape (${ref.shape.join(', ')}); expected ${n * itemsize}`);
  const read = rangeReader(src, ref, what);
  const flat = new Float64Array(n);
  if (n > 0 && ref.dtype === 'float64') {
    // Read straight into the result (byte-swapped there if foreign): no chunk buffer, no copy.
    const bytes = new Uint8Array(flat.buffer);
    await read(0, bytes, ref.nbytes);
    toFloat64(bytes, n, ref, itemsize, what);
  } else if (n > 0) {
    const chunk = chunkBuffer(ref.nbytes, itemsize);
    for (let done = 0; done < n; ) {
      const count = Math.min(chunk.length / itemsize, n - done);
      await read(done * itemsize, chunk, count * itemsize);
      flat.set(toFloat64(chunk, count, ref, itemsize, what), done);
      done += count;
    }
  }
  const nonTrivial = ref.shape.filter((d) => d > 1).length;
  return ref.fortranOrder && nonTrivial > 1 ? fortranToC(flat, ref.shape) : flat;
}

/**
 * out[i, t0 + j] = chunk[j, rows[i]] for j < k: one chunk of k time steps of R values (Fortran
 * order) gathered into the rows of `out`, shape (rows.length, T), in one pass over the chunk.
 *
 * A function of its own, not a loop inside the async {@link readRows}: V8 neither optimises an
 * async function called once nor replaces its stack on a loop (OSR), so there the gather would
 * run unoptimised.
 */
function gatherRows(chunk: Float64Array, k: number, R: number, rows: readonly number[], out: Float64Array, t0: number, T: number): void {
  const nRows = rows.length;
  for (let j = 0, src = 0; j < k; j++, src += R) {
    for (let i = 0, dst = t0 + j; i < nRows; i++, dst += T) out[dst] = chunk[src + rows[i]!]!;
  }
}

/**
 * Rows `rows` (in that order, repeats allowed) of a 2-D array (R, T), or of a 1-D array seen as
 * (1, T), as float64 C order: result length rows.length × T.
 *
 * Fortran order keeps the R values of each time step together, so a row is a strided run: the
 * array is streamed in chunks of whole time steps and the wanted rows gathered from each chunk.
 * C order keeps a row contiguous: one streamed run per requested row.
 */
export async function readRows(src: ByteSource, ref: ArrayRef, rows: readonly number[], what: string): Promise<Float64Array> {
  const itemsize = itemsizeOf(ref);
  const [R, T] = ref.shape.length === 1 ? [1, ref.shape[0] as number] : [ref.shape[0] as number, ref.shape[1] as number];
  if (ref.shape.length > 2 || R * T * itemsize !== ref.nbytes) {
    throw new ArrayFormatError(`${src.name}: ${what}: shape (${ref.shape.join(', ')}) with ${ref.nbytes} bytes is not a 2-D array of ${ref.dtype}`);
  }
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= R) {
      throw new ChannelRangeError(`${what}: row ${r} is out of range; expected 0–${R - 1}`); // callers give nicer messages first
    }
  }
  const read = rangeReader(src, ref, what);
  // Shared memory: the parallel engine's worker threads read the rows without a copy.
  const out = new Float64Array(new SharedArrayBuffer(rows.length * T * Float64Array.BYTES_PER_ELEMENT));
  if (rows.length === 0 || T === 0) return out;
  if (ref.fortranOrder && R > 1) {
    const step = R * itemsize; // one time step: all rows of one column
    // A ring of chunk buffers: while one chunk is gathered, the next ones are being read, several
    // at once (libuv's thread pool copies them from the page cache in parallel).
    const chunks = Array.from({ length: READS_IN_FLIGHT + 1 }, () => chunkBuffer(ref.nbytes, step, RING_BYTES / (READS_IN_FLIGHT + 1)));
    const perChunk = chunks[0]!.length / step;
    const nChunks = Math.ceil(T / perChunk);
    const pending: Promise<void>[] = [];
    const readChunk = (c: number): void => {
      if (c < nChunks) {
        const t0 = c * perChunk;
        const p = read(t0 * step, chunks[c % chunks.length]!, Math.min(perChunk, T - t0) * step);
        p.catch(() => {}); // rethrown where it is awaited; must not count as unhandled before that
        pending[c % chunks.length] = p;
      }
    };
    for (let c = 0; c < READS_IN_FLIGHT; c++) readChunk(c);
    for (let c = 0; c < nChunks; c++) {
      readChunk(c + READS_IN_FLIGHT);
      await pending[c % chunks.length];
      const t0 = c * perChunk;
      const k = Math.min(perChunk, T - t0);
      gatherRows(toFloat64(chunks[c % chunks.length]!, k * R, ref, itemsize, what), k, R, rows, out, t0, T);
    }
  } else {
    const chunk = chunkBuffer(T * itemsize, itemsize);
    const perChunk = chunk.length / itemsize;
    for (let i = 0; i < rows.length; i++) {
      const rowStart = (rows[i] as number) * T;
      for (let t0 = 0; t0 < T; t0 += perChunk) {
        const k = Math.min(perChunk, T - t0);
        await read((rowStart + t0) * itemsize, chunk, k * itemsize);
        out.set(toFloat64(chunk, k, ref, itemsize, what), i * T + t0);
      }
    }
  }
  return out;
}
