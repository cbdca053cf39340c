/**
 * The Python values the pickle scanner builds. They mirror what `pickle.load` would create, except
 * that large payloads are never held in memory: a bytes/str object records where its bytes live in
 * the file ({@link ByteRef}) so the scanner can seek past it and a reader can fetch it later.
 */

import type { DtypeInfo } from './dtype.js';

/**
 * Where the bytes of a Python `bytes`/`bytearray` live in the pickle file.
 *
 * - `raw`: the object's bytes are stored verbatim at [offset, offset + length).
 * - `latin1`: protocol 2 stores bytes as `_codecs.encode(text, 'latin1')`, where `text` is UTF-8 in the
 *   file at [offset, offset + fileLength); each code point (≤ 0xFF) is one byte of the object, so
 *   `length` (decoded bytes) ≤ `fileLength`.
 */
export interface ByteRef {
  /** Absolute file offset of the first stored byte (0 for synthesized empty bytes). */
  offset: number;
  /** Length of the Python bytes object, in bytes. */
  length: number;
  encoding: 'raw' | 'latin1';
  /** Bytes occupied in the file (equals `length` for `raw`). */
  fileLength: number;
  /** The bytes themselves, when small enough to keep (see the scanner's inline limit). */
  data?: Uint8Array;
}

/** A numpy array as described by the pickle: metadata plus where its raw element bytes are. */
export interface NdarrayValue {
  t: 'ndarray';
  /** False between `_reconstruct(...)` and its `__setstate__` (BUILD). */
  ready: boolean;
  dtype: DtypeInfo | null;
  /** Dimensions (numpy shape). */
  shape: number[];
  /** True when the raw bytes are in column-major (Fortran) order. */
  fortranOrder: boolean;
  /** The raw element bytes (memory order per `fortranOrder`); null for object arrays. */
  data: ByteRef | null;
  /** Why this array cannot be read (object dtype, complex, strings…); undefined if readable. */
  unsupported?: string;
}

/** A numpy dtype object (`numpy.dtype(...)` plus its `__setstate__`). */
export interface DtypeValue {
  t: 'dtype';
  info: DtypeInfo;
}

/** The allow-listed callables, by canonical role (module spelling is checked in `globals.ts`). */
export type GlobalRole =
  | 'reconstruct'
  | 'ndarray'
  | 'dtype'
  | 'scalar'
  | 'frombuffer'
  | 'codecs_encode'
  | 'bytearray'
  | 'bytes'
  | 'set'
  | 'frozenset';

/** A value on the scanner's stack / in its memo. Containers are mutable, as in Python. */
export type PyValue =
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  /** `v` is absent for a string too long to keep in memory (only usable as latin-1 payload). */
  | { t: 'str'; v?: string; offset: number; fileLength: number }
  | { t: 'bytes'; ref: ByteRef; mutable: boolean }
  | { t: 'list'; items: PyValue[] }
  | { t: 'tuple'; items: PyValue[] }
  | { t: 'dict'; entries: Map<string, [PyValue, PyValue]> }
  | { t: 'set'; items: Map<string, PyValue>; frozen: boolean }
  | { t: 'global'; role: GlobalRole; name: string }
  /** A well-formed value this reader does not interpret (e.g. a complex numpy scalar). */
  | { t: 'opaque'; what: string }
  | NdarrayValue
  | DtypeValue;

const MAX_KEY_NODES = 1000;

/** Hashable identity of a dict key / set item, as a string. Bounded work (keys are tiny in practice). */
export function keyOf(v: PyValue, fail: (m: string) => never, budget = { n: MAX_KEY_NODES }): string {
  if (--budget.n < 0) fail('dict key or set item is too deeply nested');
  switch (v.t) {
    case 'none':
      return 'N';
    case 'bool':
      return v.v ? 'i1' : 'i0'; // True == 1 in Python
    case 'int':
      return `i${v.v}`;
    case 'float':
      return Number.isInteger(v.v) ? `i${BigInt(v.v)}` : `f${v.v}`;
    case 'str':
      if (v.v === undefined) fail('a very long str is used as a dict key');
      return `s${v.v}`;
    case 'bytes':
      if (v.mutable) fail('unhashable type bytearray used as a dict key');
      if (v.ref.data === undefined) fail('a very long bytes object is used as a dict key');
      return `b${Buffer.from(v.ref.data).toString('hex')}`;
    case 'tuple':
      return `t(${v.items.map((x) => keyOf(x, fail, budget)).join(',')})`;
    case 'global':
      return `g${v.name}`;
    default:
      return fail(`unhashable type ${describe(v)} used as a dict key or set item`);
  }
}

/** Short Python-like type name of a value, for messages (never recurses). */
export function typeName(v: PyValue): string {
  switch (v.t) {
    case 'none':
      return 'None';
    case 'int':
      return 'int';
    case 'float':
      return 'float';
    case 'bool':
      return 'bool';
    case 'str':
      return 'str';
    case 'bytes':
      return v.mutable ? 'bytearray' : 'bytes';
    case 'list':
      return 'list';
    case 'tuple':
      return 'tuple';
    case 'dict':
      return 'dict';
    case 'set':
      return v.frozen ? 'frozenset' : 'set';
    case 'global':
      return `global '${v.name}'`;
    case 'opaque':
      return v.what;
    case 'ndarray':
      return v.dtype === null ? 'numpy array' : `numpy ${v.dtype.name} array`;
    case 'dtype':
      return `numpy dtype '${v.info.name}'`;
  }
}

/** A short description with the value for scalars (`int 3`, `str 'abc'`), else the type name. */
export function describe(v: PyValue): string {
  switch (v.t) {
    case 'int':
      return `int ${v.v}`;
    case 'float':
      return `float ${v.v}`;
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'str':
      return v.v === undefined ? `str of ${v.fileLength} bytes` : `str ${JSON.stringify(abbreviate(v.v, 40))}`;
    case 'tuple':
    case 'list':
      return `${v.t} of ${v.items.length} items`;
    default:
      return typeName(v);
  }
}

/** {@link describe} with an English article where one fits: `an int 3`, `a dict`, `None`. */
export function aDescribe(v: PyValue): string {
  const d = describe(v);
  if (v.t === 'none' || v.t === 'bool' || v.t === 'global') return d;
  return `${/^[aeiou]/i.test(d) ? 'an' : 'a'} ${d}`;
}

/** `s` cut to `max` characters with a trailing `...`. */
export function abbreviate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 3))}...`;
}
