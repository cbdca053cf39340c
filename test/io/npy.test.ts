/**
 * The .npy reader and writer (src/io/npy.ts): real numpy fixtures of every supported dtype and
 * layout, corrupted and unusual inputs with one-line ArrayFormatErrors, round-trip properties, and
 * byte-for-byte agreement with numpy.save.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

import { ArrayFormatError, InvalidParameterError } from '../../src/errors.js';
import {
  encodeNpy,
  npyFileBytes,
  NpyFileWriter,
  npyToFloat64,
  parseNpy,
  readNpy,
  readNpyFloat64,
  writeNpy,
  type NpyArray,
  type NpyData,
  type NpyDtype,
} from '../../src/io/npy.js';
import { DEBIAN_PYTHON, fixturePath, pythonCanImport, readJson, runPython, withTempDir } from '../helpers.js';

const FIXTURES = fixturePath('npy');

interface ManifestEntry {
  file: string;
  descr: string;
  dtype: string;
  shape: number[];
  fortran_order: boolean;
  version: [number, number];
  values?: (number | string)[];
  error?: boolean;
}

const manifest = readJson<{
  numpy_version: string;
  files: ManifestEntry[];
}>(join(FIXTURES, 'manifest.json'));

function jsonValue(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  throw new Error(`bad manifest value ${v}`);
}

/** Same bytes, copied so that they start at `offset` within a larger ArrayBuffer. */
function atOffset(bytes: Uint8Array, offset: number): Uint8Array {
  const buf = new Uint8Array(bytes.length + offset + 3);
  buf.set(bytes, offset);
  return buf.subarray(offset, offset + bytes.length);
}

/** Build a .npy image from a raw header string and data bytes (padding like numpy). */
function makeNpy(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const enc = version === 3 ? Buffer.from(header, 'utf8') : Buffer.from(header, 'latin1');
  const lenBytes = version === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenBytes + enc.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0], 0);
  const dv = new DataView(out.buffer);
  if (lenBytes === 2) dv.setUint16(8, enc.length, true);
  else dv.setUint32(8, enc.length, true);
  out.set(enc, 8 + lenBytes);
  out.set(data, 8 + lenBytes + enc.length);
  return out;
}

function hdr(descr: string, shape: string, fortran = false): string {
  return `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }   \n`;
}

function f8le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setFloat64(i * 8, v, true));
  return out;
}

/** Elements of any NpyData as a plain array (numbers or bigints). */
function list(data: NpyData): (number | bigint)[] {
  return Array.from(data as ArrayLike<number | bigint>);
}

function assertFormatError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ArrayFormatError, `expected ArrayFormatError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), `message must be one line: ${err.message}`);
    return true;
  });
}

// --------------------------------------------------------------------------------------------
// Real numpy fixtures
// --------------------------------------------------------------------------------------------

const good = manifest.files.filter((e) => e.error !== true);
const bad = manifest.files.filter((e) => e.error === true);

test('manifest lists fixtures for every dtype, both orders, big-endian, 0-d and empty', () => {
  const dtypes = new Set(good.map((e) => e.dtype));
  for (const d of ['float64', 'float32', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool']) {
    assert.ok(dtypes.has(d), `no fixture for ${d}`);
  }
  assert.ok(good.some((e) => e.fortran_order && e.shape.length === 3));
  assert.ok(good.some((e) => e.descr.startsWith('>')));
  assert.ok(good.some((e) => e.shape.length === 0));
  assert.ok(good.some((e) => e.shape.includes(0)));
  assert.equal(bad.length, 3);
});

for (const e of good) {
  test(`fixture ${e.file} (${e.descr}, shape [${e.shape.join(', ')}], ${e.fortran_order ? 'F' : 'C'} order)`, () => {
    const path = join(FIXTURES, e.file);
    const expected = (e.values ?? []).map(jsonValue);
    const bytes = readFileSync(path);
    assert.deepEqual([bytes[6], bytes[7]], e.version);

    const arr = readNpy(path);
    assert.equal(arr.dtype, e.dtype as NpyDtype);
    assert.deepEqual(arr.shape, e.shape);
    assert.equal(arr.fortranOrder, e.fortran_order);
    assert.equal(arr.data.length, expected.length);
    assert.deepEqual(Array.from(npyToFloat64(arr)), expected);

    // Any alignment of the input bytes gives the same result.
    for (let off = 0; off < 8; off++) {
      const a2 = parseNpy(atOffset(bytes, off), e.file);
      assert.deepEqual(Array.from(npyToFloat64(a2)), expected, `offset ${off}`);
    }

    const r = readNpyFloat64(path, { minDims: 0, maxDims: 8 });
    assert.deepEqual(r.shape, e.shape);
    assert.deepEqual(Array.from(r.data), expected);
  });
}

test('typed data matches the dtype (ints stay exact, bool is 0/1 bytes)', () => {
  const i8 = readNpy(join(FIXTURES, 'i8_2d_c.npy'));
  assert.ok(i8.data instanceof BigInt64Array);
  assert.deepEqual(Array.from(i8.data), [-(2n ** 53n - 1n), -3n, 0n, 2n ** 53n - 1n]);
  const u8be = readNpy(join(FIXTURES, 'u8_be_1d.npy'));
  assert.ok(u8be.data instanceof BigUint64Array);
  assert.deepEqual(Array.from(u8be.data), [5n, 2n ** 52n + 3n]);
  const b = readNpy(join(FIXTURES, 'bool_2d_f.npy'));
  assert.ok(b.data instanceof Uint8Array);
  // file order is Fortran: columns [T,F], [F,F], [T,T]
  assert.deepEqual(Array.from(b.data), [1, 0, 0, 0, 1, 1]);
  const f = readNpy(join(FIXTURES, 'f4_be_1d.npy'));
  assert.ok(f.data instanceof Float32Array);
  const i2 = readNpy(join(FIXTURES, 'i2_be_2d_f.npy'));
  assert.ok(i2.data instanceof Int16Array);
  assert.deepEqual(Array.from(i2.data), [-32768, 5, -2, 300, 0, 32767]);
});

test('readNpyFloat64: default dims 1..3; 0-d and too many dims are errors', () => {
  assertFormatError(() => readNpyFloat64(join(FIXTURES, 'f8_0d.npy')), /0-d \(scalar\) array in .*f8_0d\.npy; expected 1 to 3 dimensions/);
  assert.deepEqual(readNpyFloat64(join(FIXTURES, 'f8_0d.npy'), { minDims: 0 }), {
    data: new Float64Array([3.75]),
    shape: [],
  });
  assertFormatError(() => readNpyFloat64(join(FIXTURES, 'f8_3d_c.npy'), { maxDims: 2 }), /3-d array \(shape \(2, 3, 4\)\) in .*; expected 1 to 2 dimensions/);
  assertFormatError(() => readNpyFloat64(join(FIXTURES, 'f8_1d.npy'), { minDims: 2, maxDims: 2 }), /1-d array \(shape \(5,\)\).*expected 2 dimensions/);
  const r = readNpyFloat64(join(FIXTURES, 'f8_3d_f.npy'));
  assert.deepEqual(r.shape, [2, 3, 4]);
  assert.equal(r.data[1 * 12 + 2 * 4 + 3], -7 + 1.5 * 23);
  const empty = readNpyFloat64(join(FIXTURES, 'f8_empty_0x3.npy'));
  assert.deepEqual(empty.shape, [0, 3]);
  assert.equal(empty.data.length, 0);
  assert.throws(() => readNpyFloat64(join(FIXTURES, 'f8_1d.npy'), { minDims: 3, maxDims: 1 }), /invalid/);
});

for (const e of bad) {
  test(`unsupported dtype fixture ${e.file} (${e.descr}) raises ArrayFormatError naming it`, () => {
    const esc = e.descr.replace(/[|<>.*+?^${}()[\]\\]/g, '\\$&');
    assertFormatError(
      () => readNpy(join(FIXTURES, e.file)),
      new RegExp(`unsupported dtype '${esc}' in .*${e.file}; expected float64, float32, \\(u\\)int8/16/32/64 or bool`),
    );
  });
}

// --------------------------------------------------------------------------------------------
// Corrupted / unusual inputs
// --------------------------------------------------------------------------------------------

test('bad magic, unsupported version and truncated preamble', () => {
  const good = encodeNpy(new Float64Array([1, 2, 3]), [3]);
  const flipped = good.slice();
  flipped[1] = 0x6e; // 'n'
  assertFormatError(() => parseNpy(flipped, 'x.npy'), /bad magic in x\.npy: first bytes are 93 6e 55 4d 50 59; expected/);
  assertFormatError(() => parseNpy(Buffer.from('PK\x03\x04 this is a zip'), 'z.npz'), /bad magic in z\.npz/);
  assertFormatError(() => parseNpy(new Uint8Array(0)), /truncated header in <buffer>: file is 0 bytes/);
  assertFormatError(() => parseNpy(good.subarray(0, 4)), /truncated header.*4 bytes/);
  assertFormatError(() => parseNpy(good.subarray(0, 7)), /truncated header.*7 bytes/);
  assertFormatError(() => parseNpy(good.subarray(0, 9)), /truncated header.*9 bytes/);
  for (const [maj, min] of [[0, 0], [4, 0], [1, 1], [2, 5], [255, 255]] as const) {
    const v = good.slice();
    v[6] = maj;
    v[7] = min;
    assertFormatError(() => parseNpy(v, 'v.npy'), new RegExp(`unsupported \\.npy version ${maj}\\.${min} in v\\.npy; expected 1\\.0, 2\\.0 or 3\\.0`));
  }
});

test('truncated header (length field points past the end)', () => {
  const good = encodeNpy(new Float64Array([1, 2, 3]), [3]);
  assertFormatError(() => parseNpy(good.subarray(0, 50), 't.npy'), /truncated header in t\.npy: header length field says 118 bytes but only 40 follow/);
  assertFormatError(() => parseNpy(good.subarray(0, 127), 't.npy'), /truncated header/);
});

test('data shorter or longer than shape x itemsize', () => {
  const good = encodeNpy(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  assertFormatError(() => parseNpy(good.subarray(0, good.length - 8), 'd.npy'), /data size mismatch in d\.npy: found 40 bytes after the header; expected 48 \(shape \(2, 3\) of '<f8', 8 bytes each\)/);
  assertFormatError(() => parseNpy(good.subarray(0, good.length - 1)), /found 47 bytes.*expected 48/);
  assertFormatError(() => parseNpy(good.subarray(0, 128)), /found 0 bytes.*expected 48/);
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  assertFormatError(() => parseNpy(longer), /found 49 bytes.*expected 48/);
  const i2 = makeNpy(hdr('<i2', '(3,)'), new Uint8Array(7));
  assertFormatError(() => parseNpy(i2), /found 7 bytes.*expected 6 \(shape \(3,\) of '<i2', 2 bytes each\)/);
  assertFormatError(() => parseNpy(makeNpy(hdr('<f8', '()'), new Uint8Array(0))), /found 0 bytes.*expected 8 \(shape \(\) of/);
  assertFormatError(() => parseNpy(makeNpy(hdr('<f8', '(0, 3)'), new Uint8Array(8))), /found 8 bytes.*expected 0/);
});

test('malformed header dicts', () => {
  const cases: [string, RegExp][] = [
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (1,), ", /unexpected end of header/],
    ["{'descr': '<f8', 'fortran_order': False}", /missing key 'shape'/],
    ["{'shape': (1,), 'fortran_order': False}", /missing key 'descr'/],
    ["{'descr': '<f8', 'shape': (1,)}", /missing key 'fortran_order'/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", /unexpected key 'extra'/],
    ["{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", /duplicate key 'descr'/],
    ["{'descr': '<f8' 'fortran_order': False, 'shape': (1,)}", /expected ',' or '}'/],
    ["{'descr' '<f8', 'fortran_order': False, 'shape': (1,)}", /expected ':' after key 'descr'/],
    ["{descr: '<f8', 'fortran_order': False, 'shape': (1,)}", /expected a quoted string key/],
    ["{'descr': '<f8, 'fortran_order': False, 'shape': (1,)}", /expected ':' after key|expected ',' or '}'/],
    ["{'descr': '<f8\n', 'fortran_order': False, 'shape': (1,)}", /unterminated string/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} junk", /unexpected character "j"/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}}", /unexpected character "}"/],
    ["{'descr': '<f8', 'fortran_order': false, 'shape': (1,)}", /unexpected name 'false'/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (1 2)}", /expected ',' or '\)'/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}\0", /unexpected character "\\u0000"/],
    ["['descr', '<f8']", /top-level value is \['descr', '<f8'\], not a dict/],
    ['', /unexpected end of header/],
    ['   \n', /unexpected end of header/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': " + '('.repeat(100) + ')'.repeat(100) + '}', /nesting too deep/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (1x,)}", /bad number/],
  ];
  for (const [h, re] of cases) {
    assertFormatError(() => parseNpy(makeNpy(h, f8le([1])), 'm.npy'), new RegExp(`malformed \\.npy header in m\\.npy: .*${re.source}`));
  }
  assertFormatError(() => parseNpy(makeNpy("{'descr': '<f8', 'fortran_order': 1, 'shape': (1,)}", f8le([1]))), /bad fortran_order 1 in <buffer>; expected True or False/);
  assertFormatError(() => parseNpy(makeNpy("{'descr': '<f8', 'fortran_order': 'yes', 'shape': (1,)}", f8le([1]))), /bad fortran_order 'yes'/);
  // invalid UTF-8 in a version 3.0 header
  const v3 = makeNpy(hdr('<f8', '(1,)'), f8le([1]), 3);
  v3[12 + 2] = 0xff;
  assertFormatError(() => parseNpy(v3), /invalid UTF-8/);
});

test('bad shapes: negative, non-integer, not a tuple', () => {
  const cases: [string, RegExp][] = [
    ['(-1,)', /negative shape entry -1 in s\.npy \(shape \(-1,\)\); expected non-negative integers/],
    ['(2, -3)', /negative shape entry -3 .*\(shape \(2, -3\)\)/],
    ['(2.5,)', /non-integer shape entry 2\.5 in s\.npy/],
    ['(2, 1e3)', /non-integer shape entry 1e3/],
    ["(2, '3')", /non-integer shape entry '3'/],
    ['(2, None)', /non-integer shape entry None/],
    ['(True,)', /non-integer shape entry True/],
    ['((2,),)', /non-integer shape entry \(2,\)/],
    ['[2, 3]', /bad shape \[2, 3\] in s\.npy; expected a tuple of non-negative integers/],
    ['(6)', /bad shape 6 in s\.npy; expected a tuple/],
    ['6', /bad shape 6/],
    ["'6'", /bad shape '6'/],
    ['(99999999999, 99999999999)', /shape \(99999999999, 99999999999\) in s\.npy is too large/],
  ];
  for (const [shape, re] of cases) {
    assertFormatError(() => parseNpy(makeNpy(hdr('<f8', shape), f8le([1, 2, 3, 4, 5, 6])), 's.npy'), re);
  }
});

test('unsupported dtypes are named in the error', () => {
  for (const d of ['<c16', '<c8', '|O', '<U5', '|S3', '|V8', '<f2', '<f16', '<M8[ns]', '<m8[s]', 'f', 'd', '<i16', '']) {
    const esc = d.replace(/[|<>.*+?^${}()[\]\\]/g, '\\$&');
    assertFormatError(
      () => parseNpy(makeNpy(hdr(d, '(1,)'), new Uint8Array(8)), 'u.npy'),
      new RegExp(`^unsupported dtype '${esc}' in u\\.npy; expected float64, float32, \\(u\\)int8/16/32/64 or bool$`),
    );
  }
  const structured = "{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }";
  assertFormatError(() => parseNpy(makeNpy(structured, new Uint8Array(12))), /^unsupported dtype \[\('a', '<f8'\), \('b', '<i4'\)\] in <buffer>; expected/);
  assertFormatError(() => parseNpy(makeNpy("{'descr': 8, 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8))), /unsupported dtype 8 in/);
});

test('accepted header variants: quotes, whitespace, no trailing comma, long ints, byte orders, v2/v3', () => {
  const one = f8le([1.5]);
  const two = f8le([1.5, -2]);
  const variants: [Uint8Array, number[], number[]][] = [
    [makeNpy('{"descr": "<f8", "fortran_order": False, "shape": (2,)}', two), [2], [1.5, -2]],
    [makeNpy("{'shape':(2,),'fortran_order':False,'descr':'<f8'}", two), [2], [1.5, -2]],
    [makeNpy("\n { 'descr' : '<f8' ,\n\t'fortran_order' : False , 'shape' : ( 2 , ) , } \r\n", two), [2], [1.5, -2]],
    [makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1L, 2L), }\n", two), [1, 2], [1.5, -2]],
    [makeNpy(hdr('=f8', '()'), one), [], [1.5]],
    [makeNpy(hdr('|f8', '(1,)'), one), [1], [1.5]],
    [makeNpy(hdr('f8', '(1,)'), one), [1], [1.5]],
    [makeNpy(hdr('<f8', '(1, 1, 1, 1, 1, 1)'), one), [1, 1, 1, 1, 1, 1], [1.5]],
    [makeNpy(hdr('<f8', '(2,)'), two, 2), [2], [1.5, -2]],
    [makeNpy(hdr('<f8', '(2,)'), two, 3), [2], [1.5, -2]],
    [makeNpy(hdr('>b1', '(3,)'), new Uint8Array([1, 0, 7])), [3], [1, 0, 1]],
    [makeNpy(hdr('?', '(2,)'), new Uint8Array([0, 1])), [2], [0, 1]],
    [makeNpy(hdr('<i1', '(2,)'), new Uint8Array([255, 128])), [2], [-1, -128]],
  ];
  // Version 3.0 headers are UTF-8: non-ASCII text is decoded (and here rejected as a dtype).
  assertFormatError(() => parseNpy(makeNpy(hdr('\u00e9\u4e2d', '(2,)'), two, 3)), /^unsupported dtype '\u00e9\u4e2d' in/);
  assertFormatError(() => parseNpy(makeNpy(hdr('<f8', '(2,)') + '\u00e9', two, 3)), /unexpected character "\u00e9"/);
  for (const [bytes, shape, values] of variants) {
    const a = parseNpy(bytes);
    assert.deepEqual(a.shape, shape);
    assert.deepEqual(Array.from(npyToFloat64(a)), values);
  }
});

test('big-endian data is byte-swapped for every multi-byte dtype', () => {
  const dv = (n: number) => {
    const b = new Uint8Array(n);
    return [b, new DataView(b.buffer)] as const;
  };
  {
    const [b, v] = dv(16);
    v.setFloat64(0, Math.PI, false);
    v.setFloat64(8, -1e-310, false);
    assert.deepEqual(Array.from(npyToFloat64(parseNpy(makeNpy(hdr('>f8', '(2,)'), b)))), [Math.PI, -1e-310]);
  }
  {
    const [b, v] = dv(8);
    v.setUint32(0, 4000000000, false);
    v.setInt32(4, -7, false);
    assert.deepEqual(list(parseNpy(makeNpy(hdr('>u4', '(2,)'), b)).data), [4000000000, 0xfffffff9]);
    assert.deepEqual(list(parseNpy(makeNpy(hdr('>i4', '(2,)'), b)).data), [-294967296, -7]);
  }
  {
    const [b, v] = dv(8);
    v.setBigInt64(0, -123456789012345n, false);
    assert.deepEqual(Array.from(npyToFloat64(parseNpy(makeNpy(hdr('>i8', '(1,)'), b)))), [-123456789012345]);
  }
});

test('int64/uint64 beyond 2^53 cannot be converted exactly and raise', () => {
  const mk = (descr: string, v: bigint) => {
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    if (descr === '<i8') dv.setBigInt64(0, v, true);
    else dv.setBigUint64(0, v, true);
    return parseNpy(makeNpy(hdr(descr, '(1,)'), b));
  };
  assert.deepEqual(Array.from(npyToFloat64(mk('<i8', 2n ** 53n - 1n))), [2 ** 53 - 1]);
  assert.deepEqual(Array.from(npyToFloat64(mk('<i8', -(2n ** 53n - 1n)))), [-(2 ** 53 - 1)]);
  assertFormatError(() => npyToFloat64(mk('<i8', 2n ** 53n)), /int64 value 9007199254740992 at flat index 0 cannot be converted to float64 exactly; expected \|v\| <= 2\^53 - 1/);
  assertFormatError(() => npyToFloat64(mk('<i8', -(2n ** 63n))), /int64 value -9223372036854775808/);
  assertFormatError(() => npyToFloat64(mk('<u8', 2n ** 64n - 1n)), /uint64 value 18446744073709551615/);
});

test('npyToFloat64 rejects inconsistent NpyArray objects', () => {
  const arr: NpyArray = { dtype: 'float64', shape: [2, 2], fortranOrder: false, data: new Float64Array(3) };
  assertFormatError(() => npyToFloat64(arr), /array has 3 elements but shape \(2, 2\) needs 4/);
});

test('parseNpy returns data that does not alias the input bytes', () => {
  const bytes = encodeNpy(new Float64Array([1, 2]), [2]);
  const a = parseNpy(bytes);
  bytes.fill(0, 128);
  assert.deepEqual(list(a.data), [1, 2]);
  // Node Buffers too (Buffer#slice is a view, so a naive copy would alias), also big-endian.
  const be = Buffer.from(makeNpy(hdr('>f8', '(2,)'), new Uint8Array([0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0])));
  const before = Buffer.from(be);
  const b = parseNpy(be);
  assert.deepEqual(list(b.data), [1, 2]);
  assert.ok(be.equals(before), 'input must not be modified');
  be.fill(0);
  assert.deepEqual(list(b.data), [1, 2]);
});

// --------------------------------------------------------------------------------------------
// Properties
// --------------------------------------------------------------------------------------------

const shapeArb = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 4 });

test('property: encodeNpy -> parseNpy round trip is bit-exact, 64-byte aligned', () => {
  fc.assert(
    fc.property(
      shapeArb.chain((shape) => {
        const n = shape.reduce((a, b) => a * b, 1);
        return fc.tuple(fc.constant(shape), fc.array(fc.double(), { minLength: n, maxLength: n }), fc.integer({ min: 0, max: 7 }));
      }),
      ([shape, values, offset]) => {
        const data = new Float64Array(values);
        const bytes = encodeNpy(data, shape);
        const dataStart = bytes.length - data.byteLength;
        assert.equal(dataStart % 64, 0);
        assert.equal(bytes[dataStart - 1], 0x0a);
        assert.equal(bytes[6], 1);
        const a = parseNpy(atOffset(bytes, offset));
        assert.equal(a.dtype, 'float64');
        assert.equal(a.fortranOrder, false);
        assert.deepEqual(a.shape, shape);
        assert.deepEqual(list(a.data), Array.from(data)); // Object.is: NaN and -0 kept
        assert.deepEqual(Array.from(npyToFloat64(a)), Array.from(data));
      },
    ),
    { numRuns: 300 },
  );
});

type Setter = (dv: DataView, off: number, v: number, le: boolean) => void;
const DTYPE_SPECS: { code: string; size: number; arb: fc.Arbitrary<number>; set: Setter }[] = [
  { code: 'f8', size: 8, arb: fc.double(), set: (d, o, v, le) => d.setFloat64(o, v, le) },
  { code: 'f4', size: 4, arb: fc.float(), set: (d, o, v, le) => d.setFloat32(o, v, le) },
  { code: 'i1', size: 1, arb: fc.integer({ min: -128, max: 127 }), set: (d, o, v) => d.setInt8(o, v) },
  { code: 'u1', size: 1, arb: fc.integer({ min: 0, max: 255 }), set: (d, o, v) => d.setUint8(o, v) },
  { code: 'i2', size: 2, arb: fc.integer({ min: -32768, max: 32767 }), set: (d, o, v, le) => d.setInt16(o, v, le) },
  { code: 'u2', size: 2, arb: fc.integer({ min: 0, max: 65535 }), set: (d, o, v, le) => d.setUint16(o, v, le) },
  { code: 'i4', size: 4, arb: fc.integer(), set: (d, o, v, le) => d.setInt32(o, v, le) },
  { code: 'u4', size: 4, arb: fc.integer({ min: 0, max: 2 ** 32 - 1 }), set: (d, o, v, le) => d.setUint32(o, v, le) },
  { code: 'i8', size: 8, arb: fc.maxSafeInteger(), set: (d, o, v, le) => d.setBigInt64(o, BigInt(v), le) },
  { code: 'u8', size: 8, arb: fc.maxSafeNat(), set: (d, o, v, le) => d.setBigUint64(o, BigInt(v), le) },
  { code: 'b1', size: 1, arb: fc.integer({ min: 0, max: 1 }), set: (d, o, v) => d.setUint8(o, v) },
];

test('property: any dtype, byte order and C/Fortran order decodes to the right C-order values', () => {
  fc.assert(
    fc.property(
      fc.record({
        spec: fc.constantFrom(...DTYPE_SPECS),
        le: fc.boolean(),
        fortran: fc.boolean(),
        shape: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }),
        offset: fc.integer({ min: 0, max: 7 }),
      }).chain((r) => {
        const n = r.shape.reduce((a, b) => a * b, 1);
        return fc.tuple(fc.constant(r), fc.array(r.spec.arb, { minLength: n, maxLength: n }));
      }),
      ([{ spec, le, fortran, shape, offset }, cValues]) => {
        const nd = shape.length;
        const n = cValues.length;
        // Reference layout: element with multi-index idx goes to its C or Fortran flat position.
        const buf = new Uint8Array(n * spec.size);
        const dv = new DataView(buf.buffer);
        const idx = new Array<number>(nd).fill(0);
        for (let c = 0; c < n; c++) {
          let pos = 0;
          if (fortran) {
            for (let d = nd - 1; d >= 0; d--) pos = pos * (shape[d] as number) + (idx[d] as number);
          } else {
            pos = c;
          }
          spec.set(dv, pos * spec.size, cValues[c] as number, le);
          for (let d = nd - 1; d >= 0; d--) {
            idx[d] = (idx[d] as number) + 1;
            if ((idx[d] as number) < (shape[d] as number)) break;
            idx[d] = 0;
          }
        }
        const order = spec.size === 1 ? '|' : le ? '<' : '>';
        const shapeText = nd === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
        const bytes = makeNpy(hdr(order + spec.code, shapeText, fortran), buf);
        const a = parseNpy(atOffset(bytes, offset));
        assert.deepEqual(a.shape, shape);
        assert.equal(a.fortranOrder, fortran);
        assert.deepEqual(Array.from(npyToFloat64(a)), cValues);
      },
    ),
    { numRuns: 500 },
  );
});

// --------------------------------------------------------------------------------------------
// Interoperability with real numpy
// --------------------------------------------------------------------------------------------

const numpyAvailable = pythonCanImport('numpy');
const NO_NUMPY = `${DEBIAN_PYTHON} with numpy is not available; cannot cross-check with real numpy`;

/** Python's repr() of a float (shortest round-trip digits, Python's exponent style). */
function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e16) {
    const s = String(v);
    return /[.e]/.test(s) ? s : `${s}.0`;
  }
  const [mant, exp] = v.toExponential().split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  return `${mant}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
}

test('encodeNpy output is byte-identical to numpy.save', { skip: numpyAvailable ? false : NO_NUMPY }, () => {
  const shapes = [[], [0], [5], [0, 3], [3, 0], [3, 4], [2, 3, 4], [1, 1, 1, 1, 1], [7, 1, 2, 1, 3, 1, 1], [1234567]];
  const script = [
    'import numpy as np, sys, json, io',
    'for shape in json.loads(sys.stdin.read()):',
    '    n = int(np.prod(shape))',
    '    a = (np.arange(n, dtype=np.float64) * 0.5 - 3).reshape(shape)',
    '    b = io.BytesIO(); np.save(b, a); print(b.getvalue().hex())',
  ].join('\n');
  const lines = runPython(script, [], { input: JSON.stringify(shapes) }).trim().split('\n');
  assert.equal(lines.length, shapes.length);
  shapes.forEach((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(n);
    for (let k = 0; k < n; k++) data[k] = k * 0.5 - 3;
    assert.equal(Buffer.from(encodeNpy(data, shape)).toString('hex'), lines[i], `shape [${shape.join(', ')}]`);
  });
});

test('writeNpy output is read back by real numpy', { skip: numpyAvailable ? false : NO_NUMPY }, withTempDir(async (dir) => {
  const cases: [number[], number[]][] = [
    [[3, 4], Array.from({ length: 12 }, (_, i) => i * 0.1 - 0.35)],
    [[2, 2, 2], [NaN, Infinity, -Infinity, -0, 0, 1e-5, 1.5e300, -2.5e-310]],
    [[5], [1, -2, 3.25, 1e16, 123456.789]],
    [[], [42.5]],
    [[0, 3], []],
    [[1, 0, 2], []],
  ];
  for (const [shape, values] of cases) {
    const file = join(dir, 'out.npy');
    await writeNpy(file, new Float64Array(values), shape);
    const stdout = runPython("import numpy as np, sys; a=np.load(sys.argv[1]); print(a.dtype, a.shape, a.flags['C_CONTIGUOUS'], repr(a.ravel().tolist()))", [file]);
    const pyShape = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    assert.equal(stdout.trim(), `float64 ${pyShape} True [${values.map(pyFloatRepr).join(', ')}]`);
    assert.deepEqual(readdirSync(dir), ['out.npy'], 'no temp files left');
    assert.deepEqual(readNpyFloat64(file, { minDims: 0 }), { data: new Float64Array(values), shape });
  }
}, 'npy-test-'));

test('encodeNpy rejects shapes that do not match the data', () => {
  assertFormatError(() => encodeNpy(new Float64Array(5), [2, 3]), /shape \(2, 3\) has 6 elements but data has 5/);
  assertFormatError(() => encodeNpy(new Float64Array(2), []), /shape \(\) has 1 elements but data has 2/);
  assertFormatError(() => encodeNpy(new Float64Array(0), [-1]), /bad shape entry -1/);
  assertFormatError(() => encodeNpy(new Float64Array(2), [2.5]), /bad shape entry 2\.5/);
});

test('encodeNpy handles a Float64Array view at a non-zero offset', () => {
  const base = new Float64Array([9, 1, 2, 3, 9]);
  const a = parseNpy(encodeNpy(base.subarray(1, 4), [3]));
  assert.deepEqual(list(a.data), [1, 2, 3]);
});

test('NpyFileWriter: pieces in any order give the bytes of encodeNpy (property)', withTempDir(async (dir) => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 3 }), fc.nat(), fc.integer({ min: 1, max: 7 }), async (shape, seed, pieces) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = Float64Array.from({ length: size }, (_, i) => Math.sin(seed + i) * 1e3);
      const path = join(dir, 'a.npy');
      const writer = await NpyFileWriter.create(path, shape);
      const bounds = Array.from({ length: pieces + 1 }, (_, k) => Math.round((k * size) / pieces));
      // Last piece first: the file is written at offsets, not appended.
      for (let k = pieces - 1; k >= 0; k--) await writer.write(bounds[k]!, data.subarray(bounds[k]!, bounds[k + 1]!));
      await writer.commit();
      const bytes = readFileSync(path);
      assert.ok(Buffer.from(encodeNpy(data, shape)).equals(bytes));
      assert.equal(npyFileBytes(shape), bytes.length);
    }),
    { numRuns: 60, seed: 6 },
  );
  assert.deepEqual(readdirSync(dir), ['a.npy']);
}));

test('NpyFileWriter: elements outside the array are refused; a bad shape is an ArrayFormatError', withTempDir(async (dir) => {
  const writer = await NpyFileWriter.create(join(dir, 'a.npy'), [2, 3]);
  await assert.rejects(writer.write(5, new Float64Array(2)), (e: Error) => e instanceof InvalidParameterError && /elements \[5, 7\) lie outside the array of 6 elements/.test(e.message));
  await assert.rejects(writer.write(-1, new Float64Array(1)), InvalidParameterError);
  await writer.discard();
  assert.deepEqual(readdirSync(dir), []);
  await assert.rejects(NpyFileWriter.create(join(dir, 'b.npy'), [2, -1]), ArrayFormatError);
  assert.deepEqual(readdirSync(dir), []);
}));
