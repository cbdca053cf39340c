/**
 * What the allow-listed globals do when a pickle calls them (REDUCE) or sets their state (BUILD),
 * emulated on metadata only: arrays keep a {@link ByteRef} to their element bytes in the file.
 *
 * numpy's pickle forms:
 * - `_reconstruct(ndarray, (0,), b'b')` then `__setstate__((version, shape, dtype, is_fortran, raw))`
 *   (protocols 2–4, and 5 for non-contiguous arrays); `raw` is bytes, or a list for object arrays;
 * - `_frombuffer(buffer, dtype, shape, order)` (protocol 5, contiguous arrays; order 'C' or 'F');
 * - `dtype(type_code, align, copy)` then `__setstate__((3, order, subarray, names, fields, elsize, alignment, flags))`;
 * - `scalar(dtype, raw_bytes)` for numpy scalars (np.float64, np.str_…).
 */

import { ArrayFormatError } from '../../errors.js';
import { effectiveByteOrder, parseTypeString, unsupportedReason, type DtypeInfo } from './dtype.js';
import { countLatin1 } from './latin1.js';
import { readExactly, type ByteSource } from './source.js';
import { describe, keyOf, type ByteRef, type GlobalRole, type NdarrayValue, type PyValue } from './values.js';

/** Where a call happens, for messages and for reading latin-1 payloads. */
export interface CallContext {
  src: ByteSource;
  /** Byte offset of the REDUCE/BUILD opcode. */
  at: number;
}

/** numpy's maximum number of dimensions. */
const MAX_DIMS = 64;

function fail(ctx: CallContext, msg: string): never {
  throw new ArrayFormatError(`${ctx.src.name}: ${msg} (at byte ${ctx.at})`);
}

function asStr(v: PyValue | undefined): string | undefined {
  return v !== undefined && v.t === 'str' ? v.v : undefined;
}

function asBool(v: PyValue | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v.t === 'bool') return v.v;
  if (v.t === 'int') return v.v !== 0n;
  return undefined;
}

/** A shape tuple (or a bare int, as numpy's reshape accepts) as non-negative safe integers. */
function asShape(v: PyValue | undefined, ctx: CallContext, what: string): number[] {
  const items = v?.t === 'tuple' || v?.t === 'list' ? v.items : v?.t === 'int' ? [v] : undefined;
  if (items === undefined) fail(ctx, `${what}: shape is ${v === undefined ? 'missing' : describe(v)}; expected a tuple of non-negative ints`);
  if (items.length > MAX_DIMS) fail(ctx, `${what}: shape has ${items.length} dimensions; expected at most ${MAX_DIMS}`);
  return items.map((d) => {
    if (d.t !== 'int' || d.v < 0n || d.v > BigInt(Number.MAX_SAFE_INTEGER)) {
      fail(ctx, `${what}: shape entry ${describe(d)} is invalid; expected a non-negative int`);
    }
    return Number(d.v);
  });
}

/** Bytes of an array of `shape` and `itemsize`, or fails when it does not fit in a safe integer. */
function byteCount(shape: readonly number[], itemsize: number, ctx: CallContext, what: string): number {
  let n = itemsize;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) fail(ctx, `${what}: shape (${shape.join(', ')}) is too large`);
  return n;
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** A synthesized empty bytes object. */
function emptyBytes(mutable: boolean): PyValue {
  return { t: 'bytes', ref: { offset: 0, length: 0, encoding: 'raw', fileLength: 0, data: new Uint8Array(0) }, mutable };
}

/** `text.encode('latin1')` for a str stored in the file. */
async function encodeLatin1(text: PyValue | undefined, enc: PyValue | undefined, ctx: CallContext, mutable: boolean): Promise<PyValue> {
  const e = asStr(enc)?.toLowerCase();
  if (text?.t !== 'str' || (e !== 'latin1' && e !== 'latin-1' && e !== 'iso-8859-1')) {
    fail(
      ctx,
      `bytes from text: got (${text === undefined ? 'nothing' : describe(text)}, ${enc === undefined ? 'no encoding' : describe(enc)}); expected (str, 'latin1')`,
    );
  }
  const ref: ByteRef = { offset: text.offset, length: 0, encoding: 'latin1', fileLength: text.fileLength };
  if (text.v !== undefined) {
    const s = text.v;
    const data = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) fail(ctx, `bytes from text: character U+${c.toString(16).padStart(4, '0')} is not latin-1; expected code points ≤ U+00FF`);
      data[i] = c;
    }
    ref.length = data.length;
    ref.data = data;
  } else {
    ref.length = await countLatin1(ctx.src, text.offset, text.fileLength);
  }
  return { t: 'bytes', ref, mutable };
}

/** Checks the element-byte count of a new array against its buffer and builds the value. */
function makeArray(
  dtype: DtypeInfo,
  shape: number[],
  fortranOrder: boolean,
  data: ByteRef,
  ctx: CallContext,
  what: string,
): NdarrayValue {
  const nbytes = byteCount(shape, dtype.itemsize, ctx, what);
  if (data.length !== nbytes) {
    fail(
      ctx,
      `${what}: array data has ${data.length} bytes but shape ${shapeText(shape)} of ${dtype.name} ` +
        `(${dtype.itemsize} bytes each) needs ${nbytes}; the file is corrupt`,
    );
  }
  const out: NdarrayValue = { t: 'ndarray', ready: true, dtype: { ...dtype }, shape, fortranOrder: fortranOrder && shape.length > 1, data };
  const why = unsupportedReason(dtype);
  if (why !== undefined) out.unsupported = why;
  return out;
}

function decodeUtf32(b: Uint8Array, littleEndian: boolean): string {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let s = '';
  for (let i = 0; i + 4 <= b.length; i += 4) {
    const cp = dv.getUint32(i, littleEndian);
    if (cp === 0) continue; // numpy pads with NULs (trailing); interior NULs are dropped too
    s += cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
  }
  return s;
}

/** Largest scalar payload fetched from the file when the scanner did not keep it inline. */
const MAX_SCALAR_BYTES = 1024 * 1024;

/** numpy `scalar(dtype, raw)`: a Python-level value for numeric, str and bytes scalars. */
async function makeScalar(args: PyValue[], ctx: CallContext): Promise<PyValue> {
  const [dt, raw] = args;
  if (dt?.t !== 'dtype') fail(ctx, `numpy scalar: first argument is ${dt === undefined ? 'missing' : describe(dt)}; expected a numpy dtype`);
  const info = dt.info;
  if (info.kind === 'O') {
    if (raw === undefined) fail(ctx, 'numpy object scalar: missing value');
    return raw; // numpy returns the wrapped object itself
  }
  if (raw?.t !== 'bytes' || (raw.ref.data === undefined && (raw.ref.length > MAX_SCALAR_BYTES || raw.ref.encoding !== 'raw'))) {
    fail(ctx, `numpy ${info.name} scalar: data is ${raw === undefined ? 'missing' : describe(raw)}; expected ${info.itemsize} bytes`);
  }
  let b = raw.ref.data;
  if (b === undefined) {
    b = new Uint8Array(raw.ref.length);
    await readExactly(ctx.src, raw.ref.offset, b, b.length, 'numpy scalar data');
  }
  if (b.length < info.itemsize) fail(ctx, `numpy ${info.name} scalar: data has ${b.length} bytes; expected ${info.itemsize}`);
  const bytes = b.subarray(0, info.itemsize);
  const little = effectiveByteOrder(info) !== '>';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (info.structured) return { t: 'opaque', what: `numpy structured scalar` };
  switch (info.numeric) {
    case 'float64':
      return { t: 'float', v: dv.getFloat64(0, little) };
    case 'float32':
      return { t: 'float', v: dv.getFloat32(0, little) };
    case 'int8':
      return { t: 'int', v: BigInt(dv.getInt8(0)) };
    case 'uint8':
      return { t: 'int', v: BigInt(dv.getUint8(0)) };
    case 'int16':
      return { t: 'int', v: BigInt(dv.getInt16(0, little)) };
    case 'uint16':
      return { t: 'int', v: BigInt(dv.getUint16(0, little)) };
    case 'int32':
      return { t: 'int', v: BigInt(dv.getInt32(0, little)) };
    case 'uint32':
      return { t: 'int', v: BigInt(dv.getUint32(0, little)) };
    case 'int64':
      return { t: 'int', v: dv.getBigInt64(0, little) };
    case 'uint64':
      return { t: 'int', v: dv.getBigUint64(0, little) };
    case 'bool':
      return { t: 'bool', v: bytes[0] !== 0 };
    case null:
      break;
  }
  if (info.kind === 'U') return { t: 'str', v: decodeUtf32(bytes, little), offset: raw.ref.offset, fileLength: raw.ref.fileLength };
  if (info.kind === 'S') {
    let n = bytes.length;
    while (n > 0 && bytes[n - 1] === 0) n--;
    const data = bytes.slice(0, n);
    return { t: 'bytes', ref: { offset: raw.ref.offset, length: n, encoding: 'raw', fileLength: n, data }, mutable: false };
  }
  return { t: 'opaque', what: `numpy ${info.name} scalar` };
}

/**
 * Emulates `callable(*args)` for an allow-listed global.
 * @throws ArrayFormatError when the arguments are not what numpy/pickle would write
 */
export async function callGlobal(role: GlobalRole, name: string, args: PyValue[], ctx: CallContext): Promise<PyValue> {
  switch (role) {
    case 'reconstruct': {
      const [cls] = args;
      if (cls?.t !== 'global' || cls.role !== 'ndarray') {
        fail(ctx, `${name}: first argument is ${cls === undefined ? 'missing' : describe(cls)}; expected numpy.ndarray`);
      }
      return { t: 'ndarray', ready: false, dtype: null, shape: [0], fortranOrder: false, data: null };
    }
    case 'dtype': {
      const code = asStr(args[0]);
      if (code === undefined) fail(ctx, `numpy.dtype: type code is ${args[0] === undefined ? 'missing' : describe(args[0])}; expected a str like 'f8'`);
      return { t: 'dtype', info: parseTypeString(code, `${ctx.src.name} (at byte ${ctx.at})`) };
    }
    case 'scalar':
      return await makeScalar(args, ctx);
    case 'frombuffer': {
      const [buf, dt, shapeV, orderV] = args;
      const what = name;
      if (buf?.t !== 'bytes') fail(ctx, `${what}: buffer is ${buf === undefined ? 'missing' : describe(buf)}; expected in-band bytes or bytearray`);
      if (dt?.t !== 'dtype') fail(ctx, `${what}: dtype is ${dt === undefined ? 'missing' : describe(dt)}; expected a numpy dtype`);
      const shape = asShape(shapeV, ctx, what);
      const order = asStr(orderV);
      if (order !== 'C' && order !== 'F' && order !== 'A' && order !== 'K') {
        fail(ctx, `${what}: order is ${orderV === undefined ? 'missing' : describe(orderV)}; expected 'C' or 'F'`);
      }
      return makeArray(dt.info, shape, order === 'F', buf.ref, ctx, what);
    }
    case 'codecs_encode':
      return encodeLatin1(args[0], args[1], ctx, false);
    case 'bytes':
    case 'bytearray': {
      const mutable = role === 'bytearray';
      if (args.length === 0) return emptyBytes(mutable);
      const [a0] = args;
      if (args.length === 1 && a0?.t === 'bytes') return { t: 'bytes', ref: a0.ref, mutable };
      return encodeLatin1(a0, args[1], ctx, mutable);
    }
    case 'set':
    case 'frozenset': {
      const [items] = args;
      if (args.length > 1 || (items !== undefined && items.t !== 'list' && items.t !== 'tuple')) {
        fail(ctx, `${name}: arguments are not (list,); expected set([...]) as protocol 2 writes it`);
      }
      const set: PyValue = { t: 'set', items: new Map(), frozen: role === 'frozenset' };
      const failKey = (m: string): never => fail(ctx, `${name}: ${m}`);
      for (const v of items?.t === 'list' || items?.t === 'tuple' ? items.items : []) set.items.set(keyOf(v, failKey), v);
      return set;
    }
    case 'ndarray':
      return fail(ctx, `calling numpy.ndarray directly is not supported; expected numpy's _reconstruct or _frombuffer`);
  }
}

/** Emulates `obj.__setstate__(state)` (BUILD) for numpy dtypes and arrays. */
export function buildObject(obj: PyValue, state: PyValue, ctx: CallContext): void {
  if (obj.t === 'dtype') {
    buildDtype(obj.info, state, ctx);
  } else if (obj.t === 'ndarray' && !obj.ready) {
    buildArray(obj, state, ctx);
  } else {
    fail(ctx, `BUILD (set state) on ${describe(obj)} is not supported; expected a numpy array or dtype being reconstructed`);
  }
}

function buildDtype(info: DtypeInfo, state: PyValue, ctx: CallContext): void {
  if (state.t !== 'tuple' || state.items.length < 2) fail(ctx, `numpy dtype state is ${describe(state)}; expected (3, '<', None, None, None, -1, -1, 0)`);
  const order = asStr(state.items[1]);
  if (order !== '<' && order !== '>' && order !== '|' && order !== '=') {
    fail(ctx, `numpy dtype byte order is ${describe(state.items[1] as PyValue)}; expected '<', '>', '|' or '='`);
  }
  info.order = order;
  if (state.items.length >= 8) {
    const [, , subarray, names, fields, elsize] = state.items;
    if (subarray?.t !== 'none' || names?.t !== 'none' || fields?.t !== 'none') info.structured = true;
    // Flexible types (str, bytes, void) carry their real size here.
    if (elsize?.t === 'int' && elsize.v > 0n && elsize.v < 1n << 31n && 'USV'.includes(info.kind)) info.itemsize = Number(elsize.v);
  }
}

function buildArray(arr: NdarrayValue, state: PyValue, ctx: CallContext): void {
  if (state.t !== 'tuple' || (state.items.length !== 5 && state.items.length !== 4)) {
    fail(ctx, `numpy array state is ${describe(state)}; expected (version, shape, dtype, is_fortran, data)`);
  }
  const items = state.items.length === 5 ? state.items.slice(1) : state.items;
  const [shapeV, dt, fortranV, raw] = items as [PyValue, PyValue, PyValue, PyValue];
  const what = 'numpy array state';
  const shape = asShape(shapeV, ctx, what);
  if (dt.t !== 'dtype') fail(ctx, `${what}: dtype is ${describe(dt)}; expected a numpy dtype`);
  const fortran = asBool(fortranV);
  if (fortran === undefined) fail(ctx, `${what}: is_fortran is ${describe(fortranV)}; expected True or False`);
  if (raw.t === 'list') {
    // Object arrays pickle their elements as a list: valid numpy, but no numbers to read.
    if (dt.info.kind !== 'O') fail(ctx, `${what}: data is a list but dtype is ${dt.info.name}; expected bytes`);
    Object.assign(arr, { ready: true, dtype: { ...dt.info }, shape, fortranOrder: fortran, data: null, unsupported: unsupportedReason(dt.info) });
    return;
  }
  if (raw.t !== 'bytes') fail(ctx, `${what}: data is ${describe(raw)}; expected bytes`);
  if (dt.info.kind === 'O') fail(ctx, `${what}: object dtype with raw bytes data; expected a list of objects`);
  Object.assign(arr, makeArray(dt.info, shape, fortran, raw.ref, ctx, what));
}
