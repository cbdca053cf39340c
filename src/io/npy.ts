/**
 * NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0).
 *
 * Hand-written on purpose: the format is tiny (magic, version, a Python-literal header dict,
 * then raw element bytes), and no npm library we found handles Fortran order, big-endian data,
 * all the integer/bool dtypes and strict, typed errors for malformed files together.
 *
 * Format reference: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *
 * Every malformed or unsupported input raises {@link ArrayFormatError} with a one-line message
 * naming the bad value and what was expected. Non-finite values are data, not errors.
 */

import { ArrayFormatError, InvalidParameterError } from '../errors.js';
import { readInputFile } from './files.js';
import { fortranToC } from './memory-order.js';
import { AtomicFile, writeFileAtomic } from './atomic.js';

/** Element types this reader supports (numpy dtype names). */
export type NpyDtype =
  | 'float64'
  | 'float32'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool';

/** Typed array holding the elements; `bool` is stored as a `Uint8Array` of 0/1 bytes. */
export type NpyData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** A decoded `.npy` array. */
export interface NpyArray {
  /** Element type. */
  dtype: NpyDtype;
  /** Dimensions; `[]` for a 0-d (scalar) array. The element count is the product (1 for `[]`). */
  shape: number[];
  /** True if `data` is in Fortran (column-major) order, false for C (row-major) order. */
  fortranOrder: boolean;
  /**
   * The elements in file order (see `fortranOrder`), already converted to host byte order.
   * `data.length` equals the product of `shape`.
   */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] as const; // "\x93NUMPY"
const SUPPORTED = 'float64, float32, (u)int8/16/32/64 or bool';

/** Header type codes (descr without the byte-order character) → dtype and item size in bytes. */
const CODES: Readonly<Record<string, { dtype: NpyDtype; size: number }>> = {
  f8: { dtype: 'float64', size: 8 },
  f4: { dtype: 'float32', size: 4 },
  i1: { dtype: 'int8', size: 1 },
  i2: { dtype: 'int16', size: 2 },
  i4: { dtype: 'int32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u1: { dtype: 'uint8', size: 1 },
  u2: { dtype: 'uint16', size: 2 },
  u4: { dtype: 'uint32', size: 4 },
  u8: { dtype: 'uint64', size: 8 },
  b1: { dtype: 'bool', size: 1 },
  '?': { dtype: 'bool', size: 1 },
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Header dict: a strict parser for the subset of Python literals numpy writes.
// ---------------------------------------------------------------------------------------------

type PyValue =
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'num'; text: string }
  | { t: 'tuple'; items: PyValue[] }
  | { t: 'list'; items: PyValue[] }
  | { t: 'dict'; entries: Map<string, PyValue> };

const MAX_NESTING = 32;

class HeaderParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly name: string,
  ) {}

  fail(reason: string): never {
    throw new ArrayFormatError(
      `malformed .npy header in ${this.name}: ${reason} at offset ${this.pos} of ` +
        `${JSON.stringify(abbreviate(this.text, 100))}; expected a Python dict literal like ` +
        `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`,
    );
  }

  parseAll(): PyValue {
    const v = this.value(0);
    this.ws();
    if (this.pos < this.text.length) this.fail(`unexpected ${describeChar(this.text[this.pos])}`);
    return v;
  }

  private ws(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos] as string)) {
      this.pos++;
    }
  }

  private value(depth: number): PyValue {
    if (depth > MAX_NESTING) this.fail('nesting too deep');
    this.ws();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of header');
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.sequence(depth, ')');
    if (c === '[') return this.sequence(depth, ']');
    if (c === "'" || c === '"') return { t: 'str', v: this.string() };
    if (/[0-9+\-.]/.test(c)) return this.number();
    if (/[A-Za-z_]/.test(c)) {
      const m = /[A-Za-z_][A-Za-z0-9_]*/y;
      m.lastIndex = this.pos;
      const word = (m.exec(this.text) as RegExpExecArray)[0];
      if (word === 'True' || word === 'False') {
        this.pos += word.length;
        return { t: 'bool', v: word === 'True' };
      }
      if (word === 'None') {
        this.pos += word.length;
        return { t: 'none' };
      }
      this.fail(`unexpected name '${abbreviate(word, 20)}'`);
    }
    this.fail(`unexpected ${describeChar(c)}`);
  }

  private string(): string {
    const quote = this.text[this.pos];
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      this.pos++;
      if (c === quote) return out;
      if (c === '\\') {
        const e = this.text[this.pos];
        if (e === undefined) this.fail('unterminated string');
        this.pos++;
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
      } else {
        out += c;
      }
    }
  }

  private number(): PyValue {
    const m = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[lL]?/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.text);
    if (r === null) this.fail(`bad number`);
    this.pos += r[0].length;
    const next = this.text[this.pos];
    if (next !== undefined && /[A-Za-z0-9_.]/.test(next)) this.fail(`bad number`);
    return { t: 'num', text: r[0] };
  }

  /** `(...)` tuple or `[...]` list. `(x)` without a comma is just `x`, as in Python. */
  private sequence(depth: number, close: ')' | ']'): PyValue {
    this.pos++; // opening bracket
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.ws();
      if (this.text[this.pos] === close) {
        this.pos++;
        break;
      }
      items.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.pos];
      if (c === ',') {
        sawComma = true;
        this.pos++;
      } else if (c === close) {
        this.pos++;
        break;
      } else {
        this.fail(c === undefined ? 'unexpected end of header' : `expected ',' or '${close}'`);
      }
    }
    if (close === ']') return { t: 'list', items };
    if (items.length === 1 && !sawComma) return items[0] as PyValue;
    return { t: 'tuple', items };
  }

  private dict(depth: number): PyValue {
    this.pos++; // '{'
    const entries = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      const c = this.text[this.pos];
      if (c === '}') {
        this.pos++;
        return { t: 'dict', entries };
      }
      if (c !== "'" && c !== '"') {
        this.fail(c === undefined ? 'unexpected end of header' : 'expected a quoted string key');
      }
      const keyPos = this.pos;
      const key = this.string();
      if (entries.has(key)) {
        this.pos = keyPos;
        this.fail(`duplicate key '${abbreviate(key, 30)}'`);
      }
      this.ws();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after key '${abbreviate(key, 30)}'`);
      this.pos++;
      entries.set(key, this.value(depth + 1));
      this.ws();
      const d = this.text[this.pos];
      if (d === ',') {
        this.pos++;
      } else if (d === '}') {
        this.pos++;
        return { t: 'dict', entries };
      } else {
        this.fail(d === undefined ? 'unexpected end of header' : "expected ',' or '}'");
      }
    }
  }
}

function abbreviate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

function describeChar(c: string | undefined): string {
  return c === undefined ? 'end of header' : `character ${JSON.stringify(c)}`;
}

/** Python-like repr, for error messages. */
function pyRepr(v: PyValue): string {
  switch (v.t) {
    case 'str':
      return `'${v.v}'`;
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'num':
      return v.text;
    case 'tuple':
      return v.items.length === 1
        ? `(${pyRepr(v.items[0] as PyValue)},)`
        : `(${v.items.map(pyRepr).join(', ')})`;
    case 'list':
      return `[${v.items.map(pyRepr).join(', ')}]`;
    case 'dict':
      return `{${[...v.entries].map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
  }
}

/** Python repr of a shape tuple: `()`, `(5,)`, `(3, 4)`. */
function shapeRepr(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

interface Header {
  dtype: NpyDtype;
  descr: string;
  itemsize: number;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  size: number;
}

function interpretHeader(text: string, name: string): Header {
  const parser: HeaderParser = new HeaderParser(text, name);
  const dict = parser.parseAll();
  if (dict.t !== 'dict') parser.fail(`top-level value is ${abbreviate(pyRepr(dict), 40)}, not a dict`);
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!dict.entries.has(key)) parser.fail(`missing key '${key}'`);
  }
  for (const key of dict.entries.keys()) {
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') {
      parser.fail(`unexpected key '${abbreviate(key, 30)}'`);
    }
  }
  const descrV = dict.entries.get('descr') as PyValue;
  const fortranV = dict.entries.get('fortran_order') as PyValue;
  const shapeV = dict.entries.get('shape') as PyValue;

  // descr: '<f8' etc. A list means a structured dtype, which we do not support.
  if (descrV.t !== 'str') {
    throw new ArrayFormatError(
      `unsupported dtype ${abbreviate(pyRepr(descrV), 60)} in ${name}; expected ${SUPPORTED}`,
    );
  }
  const descr = descrV.v;
  const hasOrder = descr.length > 0 && '<>|='.includes(descr[0] as string);
  const order = hasOrder ? (descr[0] as string) : '=';
  const info = CODES[hasOrder ? descr.slice(1) : descr];
  if (info === undefined) {
    throw new ArrayFormatError(
      `unsupported dtype '${abbreviate(descr, 40)}' in ${name}; expected ${SUPPORTED}`,
    );
  }
  const littleEndian = order === '<' || (order !== '>' && HOST_LITTLE_ENDIAN);

  if (fortranV.t !== 'bool') {
    throw new ArrayFormatError(
      `bad fortran_order ${abbreviate(pyRepr(fortranV), 40)} in ${name}; expected True or False`,
    );
  }

  if (shapeV.t !== 'tuple') {
    throw new ArrayFormatError(
      `bad shape ${abbreviate(pyRepr(shapeV), 40)} in ${name}; expected a tuple of ` +
        'non-negative integers such as (3, 4), (5,) or ()',
    );
  }
  const shape: number[] = [];
  let size = 1;
  for (const item of shapeV.items) {
    const txt = item.t === 'num' ? item.text.replace(/[lL]$/, '') : '';
    if (!/^\+?\d+$/.test(txt)) {
      const what = item.t === 'num' && txt.startsWith('-') ? 'negative' : 'non-integer';
      throw new ArrayFormatError(
        `${what} shape entry ${abbreviate(pyRepr(item), 30)} in ${name} ` +
          `(shape ${abbreviate(pyRepr(shapeV), 60)}); expected non-negative integers`,
      );
    }
    const dim = Number(txt);
    size *= dim;
    if (!Number.isSafeInteger(dim) || !Number.isSafeInteger(size * info.size)) {
      throw new ArrayFormatError(
        `shape ${abbreviate(pyRepr(shapeV), 60)} in ${name} is too large; ` +
          `expected at most ${Number.MAX_SAFE_INTEGER} bytes of data`,
      );
    }
    shape.push(dim);
  }
  return {
    dtype: info.dtype,
    descr,
    itemsize: info.size,
    littleEndian,
    fortranOrder: fortranV.v,
    shape,
    size,
  };
}

function makeView(dtype: NpyDtype, buf: ArrayBufferLike, byteOffset: number, n: number): NpyData {
  switch (dtype) {
    case 'float64':
      return new Float64Array(buf, byteOffset, n);
    case 'float32':
      return new Float32Array(buf, byteOffset, n);
    case 'int8':
      return new Int8Array(buf, byteOffset, n);
    case 'int16':
      return new Int16Array(buf, byteOffset, n);
    case 'int32':
      return new Int32Array(buf, byteOffset, n);
    case 'int64':
      return new BigInt64Array(buf, byteOffset, n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf, byteOffset, n);
    case 'uint16':
      return new Uint16Array(buf, byteOffset, n);
    case 'uint32':
      return new Uint32Array(buf, byteOffset, n);
    case 'uint64':
      return new BigUint64Array(buf, byteOffset, n);
  }
}

/** Reverse the byte order of each `itemsize`-byte element of `b` (itemsize 2, 4 or 8), in place. */
function byteswap(b: Uint8Array, itemsize: number): void {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength); // a view; swaps natively
  if (itemsize === 2) buf.swap16();
  else if (itemsize === 4) buf.swap32();
  else if (itemsize === 8) buf.swap64();
}

function parseImpl(bytes: Uint8Array, name: string, copy: boolean): NpyArray {
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= bytes.length) {
      throw new ArrayFormatError(
        `truncated header in ${name}: file is ${bytes.length} bytes; expected at least 10 ` +
          'bytes of .npy preamble',
      );
    }
    if (bytes[i] !== MAGIC[i]) {
      const got = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new ArrayFormatError(
        `bad magic in ${name}: first bytes are ${got}; expected 93 4e 55 4d 50 59 ('\\x93NUMPY')`,
      );
    }
  }
  if (bytes.length < 8) {
    throw new ArrayFormatError(
      `truncated header in ${name}: file is ${bytes.length} bytes; expected at least 10 bytes ` +
        'of .npy preamble',
    );
  }
  const major = bytes[6] as number;
  const minor = bytes[7] as number;
  if (minor !== 0 || major < 1 || major > 3) {
    throw new ArrayFormatError(
      `unsupported .npy version ${major}.${minor} in ${name}; expected 1.0, 2.0 or 3.0`,
    );
  }
  const lenBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lenBytes;
  if (bytes.length < headerStart) {
    throw new ArrayFormatError(
      `truncated header in ${name}: file is ${bytes.length} bytes; expected at least ` +
        `${headerStart} bytes of version ${major}.0 preamble`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = lenBytes === 2 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw new ArrayFormatError(
      `truncated header in ${name}: header length field says ${headerLen} bytes but only ` +
        `${bytes.length - headerStart} follow; expected a complete header`,
    );
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw new ArrayFormatError(
        `malformed .npy header in ${name}: invalid UTF-8; expected a UTF-8 header (version 3.0)`,
      );
    }
  } else {
    text = Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString(
      'latin1',
    );
  }
  const h = interpretHeader(text, name);

  const nbytes = h.size * h.itemsize;
  const found = bytes.length - dataStart;
  if (found !== nbytes) {
    throw new ArrayFormatError(
      `data size mismatch in ${name}: found ${found} bytes after the header; expected ${nbytes} ` +
        `(shape ${shapeRepr(h.shape)} of '${h.descr}', ${h.itemsize} bytes each)`,
    );
  }
  const swap = h.itemsize > 1 && h.littleEndian !== HOST_LITTLE_ENDIAN;
  const absOffset = bytes.byteOffset + dataStart;
  let data: NpyData;
  if (!copy && !swap && absOffset % h.itemsize === 0) {
    data = makeView(h.dtype, bytes.buffer, absOffset, h.size); // zero-copy view
  } else {
    // Copy (fresh, 0-aligned buffer): requested, misaligned, or needs a byte swap.
    // (Not bytes.slice(): on a Node Buffer that returns a view, not a copy.)
    const own = new Uint8Array(nbytes);
    own.set(bytes.subarray(dataStart, dataStart + nbytes));
    if (swap) byteswap(own, h.itemsize);
    data = makeView(h.dtype, own.buffer, 0, h.size);
  }
  return { dtype: h.dtype, shape: h.shape, fortranOrder: h.fortranOrder, data };
}

/**
 * Decode a complete `.npy` file image.
 *
 * @param bytes The whole file (magic through the last data byte); any byte alignment.
 * @param name Label for error messages (e.g. the file name). Default `'<buffer>'`.
 * @returns The array; `data` is a fresh copy that does not share memory with `bytes`.
 * @throws ArrayFormatError for a bad magic, unsupported version, truncated or malformed header,
 *   unsupported dtype, bad shape, or a data region shorter or longer than shape × itemsize.
 */
export function parseNpy(bytes: Uint8Array, name = '<buffer>'): NpyArray {
  return parseImpl(bytes, name, true);
}

/**
 * Read and decode a `.npy` file synchronously. Errors name the file by `path` as given.
 * File-system errors (e.g. ENOENT) propagate unchanged; format errors are ArrayFormatError.
 *
 * To avoid a second copy of large files, `data` is usually a view into the buffer the file was
 * read into (so `data.byteOffset` is typically the header size, not 0); it is copied only when
 * misaligned or byte-swapped.
 */
export function readNpy(path: string): NpyArray {
  const buf = readInputFile(path);
  return parseImpl(buf, path, false); // we own `buf`, so a view avoids a second copy
}

/**
 * The elements of `arr` as float64 in C (row-major) order: Fortran-ordered data is transposed,
 * integers are converted exactly, bool becomes 0/1. Non-finite floats pass through unchanged.
 *
 * When `arr` already holds float64 in C order (or is ≤1-D), the result is `arr.data` itself
 * (no copy); otherwise it is a new array.
 *
 * @returns Float64Array of length product(shape) (1 for a 0-d array).
 * @throws ArrayFormatError if an int64/uint64 value has |v| > 2^53 − 1 (not exactly
 *   representable), or if `data.length` does not match `shape`.
 */
export function npyToFloat64(arr: NpyArray): Float64Array {
  let size = 1;
  for (const d of arr.shape) size *= d;
  if (arr.data.length !== size) {
    throw new ArrayFormatError(
      `array has ${arr.data.length} elements but shape ${shapeRepr(arr.shape)} needs ${size}; ` +
        'expected data.length to equal the product of shape',
    );
  }
  let flat: Float64Array;
  const src = arr.data;
  if (src instanceof Float64Array) {
    flat = src;
  } else if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    flat = new Float64Array(size);
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < size; i++) {
      const v = src[i] as bigint;
      if (v > max || v < -max) {
        throw new ArrayFormatError(
          `${arr.dtype} value ${v} at flat index ${i} cannot be converted to float64 exactly; ` +
            `expected |v| <= 2^53 - 1`,
        );
      }
      flat[i] = Number(v);
    }
  } else if (arr.dtype === 'bool') {
    flat = new Float64Array(size);
    for (let i = 0; i < size; i++) flat[i] = src[i] !== 0 ? 1 : 0;
  } else {
    flat = new Float64Array(src); // native numeric conversion, exact for these types
  }
  if (!arr.fortranOrder || arr.shape.length < 2) return flat;
  return fortranToC(flat, arr.shape);
}


/**
 * Convenience reader: the array at `path` as C-order float64 plus its shape.
 *
 * @param opts.minDims Minimum number of dimensions accepted (default 1; 0 allows scalars).
 * @param opts.maxDims Maximum number of dimensions accepted (default 3).
 * @returns `data` of length product(shape) in row-major order; `shape` as stored in the file.
 * @throws ArrayFormatError for any format problem or an ndim outside [minDims, maxDims];
 *   InvalidParameterError if the options themselves are invalid.
 */
export function readNpyFloat64(
  path: string,
  opts: { minDims?: number; maxDims?: number } = {},
): { data: Float64Array; shape: number[] } {
  const minDims = opts.minDims ?? 1;
  const maxDims = opts.maxDims ?? 3;
  if (!Number.isInteger(minDims) || !Number.isInteger(maxDims) || minDims < 0 || maxDims < minDims) {
    throw new InvalidParameterError(
      `readNpyFloat64 dims range [${minDims}, ${maxDims}] is invalid; expected integers ` +
        '0 <= minDims <= maxDims',
    );
  }
  const arr = readNpy(path);
  const nd = arr.shape.length;
  if (nd < minDims || nd > maxDims) {
    const what = nd === 0 ? '0-d (scalar) array' : `${nd}-d array (shape ${shapeRepr(arr.shape)})`;
    const expected = minDims === maxDims ? `${minDims}` : `${minDims} to ${maxDims}`;
    throw new ArrayFormatError(`${what} in ${path}; expected ${expected} dimensions`);
  }
  return { data: npyToFloat64(arr), shape: arr.shape };
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;

/**
 * Encode float64 data as a `.npy` file image, byte-for-byte like `numpy.save` (numpy ≥ 1.23):
 * descr `'<f8'`, C order, version 1.0 header (2.0 only if the header exceeds 65535 bytes),
 * padded with spaces and a final newline so the data starts at a multiple of 64 bytes.
 *
 * @param data Elements in C (row-major) order; length must equal the product of `shape`.
 * @param shape Dimensions (non-negative integers); `[]` for a 0-d array of one element.
 * @throws ArrayFormatError if `shape` is invalid or does not match `data.length`.
 */
export function encodeNpy(data: Float64Array, shape: readonly number[]): Uint8Array {
  const [header, body] = npyParts(data, shape);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/**
 * The `.npy` image of {@link encodeNpy} as its header and its data bytes — on a little-endian
 * host a view of `data` itself, so writing a file never copies the array.
 */
function npyParts(data: Float64Array, shape: readonly number[]): [Uint8Array, Uint8Array] {
  const size = checkedSize(shape);
  if (size !== data.length) {
    throw new ArrayFormatError(
      `cannot encode .npy: shape ${shapeRepr(shape)} has ${size} elements but data has ` +
        `${data.length}; expected them to match`,
    );
  }
  return [npyHeader(shape), littleEndianBytes(data)];
}

/** The number of elements of `shape`. @throws ArrayFormatError for a bad shape entry */
function checkedSize(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ArrayFormatError(
        `cannot encode .npy: bad shape entry ${d} in shape [${shape.join(', ')}]; expected ` +
          'non-negative integers',
      );
    }
    size *= d;
  }
  return size;
}

/** The header of a C-order float64 `.npy` file of `shape`, as `numpy.save` writes it. */
function npyHeader(shape: readonly number[]): Uint8Array {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) {
    header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  }
  const hlen = header.length + 1; // + final '\n'
  let major = 1;
  let prefix = 10;
  let padlen = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  if (hlen + padlen > 0xffff) {
    major = 2;
    prefix = 12;
    padlen = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  }
  const headerTotal = hlen + padlen;
  const head = new Uint8Array(prefix + headerTotal);
  head.set(MAGIC, 0);
  head[6] = major;
  head[7] = 0;
  const dv = new DataView(head.buffer);
  if (major === 1) dv.setUint16(8, headerTotal, true);
  else dv.setUint32(8, headerTotal, true);
  head.set(Buffer.from(header + ' '.repeat(padlen) + '\n', 'latin1'), prefix);
  return head;
}

/** The bytes of `data` as little-endian float64: a view on a little-endian host, else a swapped copy. */
function littleEndianBytes(data: Float64Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN) return bytes;
  const swapped = bytes.slice();
  byteswap(swapped, 8);
  return swapped;
}

/** Bytes of the `.npy` file of `shape` (header and float64 data), e.g. to check the free space first. */
export function npyFileBytes(shape: readonly number[]): number {
  return npyHeader(shape).length + checkedSize(shape) * Float64Array.BYTES_PER_ELEMENT;
}

/**
 * A C-order float64 `.npy` file written piece by piece, for arrays larger than memory: the header
 * first, then any elements at any offset, then {@link NpyFileWriter.commit} puts the complete file
 * in place atomically (until then the target is untouched). The bytes are those of
 * {@link writeNpy} for the same array.
 */
export class NpyFileWriter {
  private constructor(
    private readonly file: AtomicFile,
    private readonly dataStart: number,
    /** Elements of the array. */
    readonly size: number,
  ) {}

  /**
   * Starts the file of an array of `shape` at `path` (its header written).
   * @throws ArrayFormatError for a bad shape; OutputFileError when the file cannot be written
   */
  static async create(path: string, shape: readonly number[]): Promise<NpyFileWriter> {
    const size = checkedSize(shape);
    const header = npyHeader(shape);
    const file = await AtomicFile.create(path);
    await file.write(header, 0);
    return new NpyFileWriter(file, header.length, size);
  }

  /**
   * Writes `values` as the elements [offset, offset + values.length) of the array (flat C order).
   * @throws InvalidParameterError outside the array; OutputFileError (then the file is discarded)
   */
  async write(offset: number, values: Float64Array): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + values.length > this.size) {
      throw new InvalidParameterError(
        `elements [${offset}, ${offset + values.length}) lie outside the array of ${this.size} elements`,
      );
    }
    await this.file.write(littleEndianBytes(values), this.dataStart + offset * Float64Array.BYTES_PER_ELEMENT);
  }

  /** Puts the complete file in place. @throws OutputFileError; the target is then left as it was */
  commit(): Promise<void> {
    return this.file.commit();
  }

  /** Removes the unfinished file; the target is left as it was. */
  discard(): Promise<void> {
    return this.file.discard();
  }
}

/**
 * Atomically write float64 `data` with `shape` to `path` as a `.npy` file (see
 * {@link encodeNpy}); an interrupted write never leaves a truncated file at `path`.
 */
export async function writeNpy(
  path: string,
  data: Float64Array,
  shape: readonly number[],
): Promise<void> {
  await writeFileAtomic(path, npyParts(data, shape));
}
