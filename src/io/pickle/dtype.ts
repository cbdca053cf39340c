/**
 * numpy dtypes as they appear in pickles: `numpy.dtype('f8', False, True)` followed by
 * `__setstate__((3, '<', None, None, None, -1, -1, 0))` (version, byte order, subarray, names, fields,
 * elsize, alignment, flags). Only the element type, size and byte order matter here.
 */

import { ArrayFormatError } from '../../errors.js';
import type { NpyDtype } from '../npy.js';

/** Byte-order character as numpy writes it: little, big, not applicable, native. */
export type ByteOrderChar = '<' | '>' | '|' | '=';

/** What a pickled dtype says. */
export interface DtypeInfo {
  /** numpy kind character: f, i, u, b, c, U, S, O, V, M, m… */
  kind: string;
  /** Bytes per element. */
  itemsize: number;
  /** Byte order from the dtype state (`=` until a state sets it). */
  order: ByteOrderChar;
  /** Readable name for messages and the index (`float64`, `complex128`, `str`, `object`…). */
  name: string;
  /** The element type when this reader can convert it to float64, else null. */
  numeric: NpyDtype | null;
  /** True for structured/sub-array dtypes (fields or a subarray in the state). */
  structured: boolean;
}

const NUMERIC: Readonly<Record<string, NpyDtype>> = {
  f8: 'float64',
  f4: 'float32',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
};

const KIND_NAMES: Readonly<Record<string, string>> = {
  f: 'float',
  i: 'int',
  u: 'uint',
  c: 'complex',
  U: 'str',
  S: 'bytes',
  O: 'object',
  V: 'void',
  M: 'datetime64',
  m: 'timedelta64',
  b: 'bool',
};

/** The dtypes arrays may have, for messages. */
export const SUPPORTED_DTYPES = 'float64, float32, (u)int8/16/32/64 or bool';

/** Host byte order: typed-array views are in this order. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Parses the type string numpy pickles as the first argument of `numpy.dtype`, e.g. `'f8'`, `'<i4'`,
 * `'U5'` (5 characters), `'O8'`, `'c16'`, `'b1'`, `'?'`.
 * @throws ArrayFormatError when it is not a numpy type code
 */
export function parseTypeString(s: string, where: string): DtypeInfo {
  const m = /^([<>|=]?)([a-zA-Z?])(\d{0,9})$/.exec(s);
  if (m === null) {
    throw new ArrayFormatError(
      `${where}: numpy.dtype(${JSON.stringify(s.slice(0, 40))}) is not a type code; expected one like 'f8', '<i4' or 'U5'`,
    );
  }
  const order = (m[1] || '=') as ByteOrderChar;
  const kind = m[2] === '?' ? 'b' : (m[2] as string);
  const digits = m[3] === '' ? (kind === 'b' ? 1 : 0) : Number(m[3]);
  const itemsize = kind === 'U' ? digits * 4 : digits;
  const code = `${kind}${digits}`;
  const numeric = NUMERIC[code] ?? null;
  const base = KIND_NAMES[kind] ?? `kind '${kind}'`;
  const name = numeric ?? (kind === 'O' || kind === 'U' || kind === 'S' || kind === 'V' ? base : `${base}${itemsize * 8}`);
  return { kind, itemsize, order, name, numeric, structured: false };
}

/** Effective byte order of stored elements: `=` and `|` become the host order for multi-byte types. */
export function effectiveByteOrder(info: DtypeInfo): '<' | '>' | '|' {
  if (info.itemsize <= 1) return '|';
  if (info.order === '<' || info.order === '>') return info.order;
  return HOST_LITTLE_ENDIAN ? '<' : '>';
}

/** Why arrays of this dtype cannot be read, or undefined when they can. */
export function unsupportedReason(info: DtypeInfo): string | undefined {
  if (info.structured) return `structured dtype (fields or sub-array) is not supported; expected ${SUPPORTED_DTYPES}`;
  if (info.numeric !== null) return undefined;
  if (info.kind === 'O') return `object arrays (dtype 'O') are not supported; expected ${SUPPORTED_DTYPES}`;
  return `dtype ${info.name} is not supported; expected ${SUPPORTED_DTYPES}`;
}
