/**
 * The pickle VM (src/io/pickle/vm.ts) on its own: Python values round-trip (against CPython's pickle, all protocols, and a
 * property test over a small TS encoder), and hostile or malformed opcode streams fail with
 * ArrayFormatError naming what was wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { ArrayFormatError } from '../../../src/errors.js';
import { memorySource } from '../../../src/io/pickle/source.js';
import type { PyValue } from '../../../src/io/pickle/values.js';
import { scanPickle, type ScanOptions } from '../../../src/io/pickle/vm.js';
import { runPython } from '../../helpers.js';

/** JSON-able plain form of a scanned value (what Python's json of the same object would give). */
type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

/** A dict key as text: scalars as String() gives them, tuples joined with commas. */
function keyText(key: Plain): string {
  return Array.isArray(key) ? key.map(keyText).join(',') : typeof key === 'object' && key !== null ? JSON.stringify(key) : String(key);
}

function plain(v: PyValue): Plain {
  switch (v.t) {
    case 'none':
      return null;
    case 'bool':
      return v.v;
    case 'int':
      return v.v >= -(2n ** 53n) && v.v <= 2n ** 53n ? Number(v.v) : `int:${v.v}`;
    case 'float':
      return Number.isFinite(v.v) ? v.v : `float:${v.v}`;
    case 'str':
      return v.v ?? '<long str>';
    case 'bytes':
      return `bytes:${Buffer.from(v.ref.data!).toString('hex')}`;
    case 'list':
    case 'tuple':
      return v.items.map(plain);
    case 'dict':
      return Object.fromEntries([...v.entries.values()].map(([k, x]) => [keyText(plain(k)), plain(x)]));
    case 'set':
      return [...v.items.values()].map(plain).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    default:
      return `<${v.t}>`;
  }
}

async function scan(bytes: Uint8Array, options?: ScanOptions): Promise<PyValue> {
  return (await scanPickle(memorySource(bytes, 'test.pkl'), options)).value;
}

test('CPython pickles of builtin values scan to the same values (protocols 2–5)', async () => {
  const out = runPython(`
import json, pickle, sys
shared = ['shared', 1]
obj = {
  'none': None, 't': True, 'f': False, 'small': 7, 'neg': -300, 'i2': 65535, 'i4': -2**31, 'big': 2**70, 'nbig': -2**200,
  'zero_long': 2**31, 'float': 1.5e-300, 'inf': float('inf'), 'ninf': -float('inf'),
  'str': 'h\\u00e9llo \\u2603', 'long_str': 'x' * 300, 'bytes': b'\\x00\\xff\\x80abc', 'empty_bytes': b'', 'ba': bytearray(b'\\x01\\x02\\xfe'),
  'list': [1, [2, [3, []]], ()], 'tuple1': (1,), 'tuple4': (1, 2, 3, 4), 'set': {1, 2, 3}, 'fs': frozenset({'a'}),
  'memo': [shared, shared, (shared,)], 'many': list(range(2500)), 'dict': {str(i): i for i in range(1100)},
}
res = {}
for p in (2, 3, 4, 5):
    res[str(p)] = pickle.dumps(obj, protocol=p).hex()
def plain(v):
    if isinstance(v, (bytes, bytearray)): return 'bytes:' + bytes(v).hex()
    if isinstance(v, float) and v in (float('inf'), -float('inf')): return 'float:' + ('Infinity' if v > 0 else '-Infinity')
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53: return 'int:' + str(v)
    if isinstance(v, (set, frozenset)): return sorted((plain(x) for x in v), key=lambda a: json.dumps(a))
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    if isinstance(v, dict): return {str(k): plain(x) for k, x in v.items()}
    return v
res['expected'] = plain(obj)
print(json.dumps(res))
`);
  const r = JSON.parse(out) as Record<string, string> & { expected: Plain };
  for (const p of ['2', '3', '4', '5']) {
    const bytes = Buffer.from(r[p]!, 'hex');
    for (const options of [{}, { chunk: 5, inlineBytes: 1 }]) {
      const v = await scan(bytes, options);
      // With inlineBytes 1 the bytes values are references: compare only where data is kept.
      if (options.inlineBytes === undefined) assert.deepEqual(plain(v), r.expected, `protocol ${p}`);
      else assert.equal(v.t, 'dict');
    }
  }
});

// ---- property: a small protocol 4 encoder and the scanner agree -------------------------------

type Model = null | boolean | { int: bigint } | { float: number } | string | { list: Model[] } | { tuple: Model[] } | { dict: [string, Model][] };

const modelArb: fc.Arbitrary<Model> = fc.letrec<{ m: Model }>((tie) => ({
  m: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }).map((int) => ({ int })),
    fc.double({ noNaN: true }).map((float) => ({ float })),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.array(tie('m'), { maxLength: 5 }).map((list) => ({ list })),
    fc.array(tie('m'), { maxLength: 5 }).map((tuple) => ({ tuple })),
    fc.array(fc.tuple(fc.string({ maxLength: 8 }), tie('m')), { maxLength: 5 }).map((dict) => ({ dict })),
  ),
})).m;

function encodeModel(m: Model, choice: () => number): number[] {
  const out: number[] = [];
  const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  const memo = (): void => {
    if (choice() % 3 === 0) out.push(0x94); // MEMOIZE: must not change anything
  };
  const str = (s: string): void => {
    const b = [...Buffer.from(s, 'utf8')];
    if (b.length < 256 && choice() % 2 === 0) out.push(0x8c, b.length, ...b);
    else out.push(0x58, ...u32(b.length), ...b);
    memo();
  };
  const longBytes = (v: bigint): number[] => {
    const bytes: number[] = [];
    let x = v;
    do {
      bytes.push(Number(BigInt.asUintN(8, x)));
      x >>= 8n;
    } while (!((x === 0n && (bytes[bytes.length - 1]! & 0x80) === 0) || (x === -1n && (bytes[bytes.length - 1]! & 0x80) !== 0)));
    return bytes;
  };
  const enc = (v: Model): void => {
    if (v === null) out.push(0x4e);
    else if (v === true || v === false) out.push(v ? 0x88 : 0x89);
    else if (typeof v === 'string') str(v);
    else if ('int' in v) {
      const n = v.int;
      if (n >= 0n && n < 256n) out.push(0x4b, Number(n));
      else if (n >= -(2n ** 31n) && n < 2n ** 31n && choice() % 2 === 0) out.push(0x4a, ...u32(Number(BigInt.asUintN(32, n))));
      else {
        const b = longBytes(n);
        out.push(0x8a, b.length, ...b);
      }
    } else if ('float' in v) {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v.float);
      out.push(0x47, ...b);
    } else if ('list' in v) {
      out.push(0x5d);
      memo();
      if (choice() % 2 === 0) {
        out.push(0x28);
        v.list.forEach(enc);
        out.push(0x65); // APPENDS
      } else {
        for (const x of v.list) {
          enc(x);
          out.push(0x61); // APPEND
        }
      }
    } else if ('tuple' in v) {
      if (v.tuple.length === 0) out.push(0x29);
      else if (v.tuple.length <= 3 && choice() % 2 === 0) {
        v.tuple.forEach(enc);
        out.push(0x84 + v.tuple.length);
      } else {
        out.push(0x28);
        v.tuple.forEach(enc);
        out.push(0x74);
      }
      memo();
    } else {
      out.push(0x7d);
      memo();
      out.push(0x28);
      for (const [k, x] of v.dict) {
        str(k);
        enc(x);
      }
      out.push(0x75); // SETITEMS
    }
  };
  out.push(0x80, 4);
  enc(m);
  out.push(0x2e);
  return out;
}

function modelPlain(m: Model): Plain {
  if (m === null || typeof m === 'boolean' || typeof m === 'string') return m;
  if ('int' in m) return m.int >= -(2n ** 53n) && m.int <= 2n ** 53n ? Number(m.int) : `int:${m.int}`;
  if ('float' in m) return Number.isFinite(m.float) ? m.float : `float:${m.float}`;
  if ('list' in m) return m.list.map(modelPlain);
  if ('tuple' in m) return m.tuple.map(modelPlain);
  return Object.fromEntries(m.dict.map(([k, x]) => [k, modelPlain(x)]));
}

test('property: encoded values scan back to themselves, whatever the chunk size', async () => {
  await fc.assert(
    fc.asyncProperty(modelArb, fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 64 }), async (m, seed, chunk) => {
      let s = seed;
      const bytes = Uint8Array.from(encodeModel(m, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 16));
      const v = await scan(bytes, { chunk });
      assert.deepEqual(plain(v), modelPlain(m));
    }),
    { numRuns: 300, seed: 4242 },
  );
});

// ---- hostile and malformed input ------------------------------------------------------------

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

async function rejects(bytes: Uint8Array | number[], pattern: RegExp): Promise<void> {
  await assert.rejects(scan(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)), (e: unknown) => {
    assert.ok(e instanceof ArrayFormatError, `ArrayFormatError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, pattern);
    assert.ok(!(e as Error).message.includes('\n'));
    return true;
  });
}

test('globals outside the allow-list are refused by name, never resolved', async () => {
  const global2 = (mod: string, name: string): number[] => [0x80, 2, 0x63, ...ascii(`${mod}\n${name}\n`), 0x29, 0x52, 0x2e];
  for (const [mod, name] of [
    ['os', 'system'],
    ['builtins', 'eval'],
    ['__builtin__', 'getattr'],
    ['subprocess', 'Popen'],
    ['numpy', 'load'],
    ['numpy', 'matrix'],
    ['numpy.core.multiarray', '_reconstructX'],
    ['copyreg', '_reconstructor'],
    ['nt', 'system'],
  ]) {
    await rejects(global2(mod!, name!), new RegExp(`global '${mod!.replace(/\./g, '\\.')}\\.${name}' at byte 2 is not allowed`));
  }
  // STACK_GLOBAL, with control characters in the name shown escaped
  await rejects([0x80, 4, 0x8c, 3, ...ascii('o\ns'), 0x8c, 1, ...ascii('x'), 0x93, 0x2e], /global 'o\\x0as\.x' at byte 10 is not allowed/);
  // INST and extension codes
  await rejects([0x80, 2, 0x28, 0x69, ...ascii('os\nsystem\n'), 0x2e], /global 'os\.system'/);
  await rejects([0x80, 2, 0x82, 1, 0x2e], /extension-registry/);
  // _reconstruct of something other than numpy.ndarray
  await rejects(
    [0x80, 2, 0x63, ...ascii('numpy.core.multiarray\n_reconstruct\n'), 0x63, ...ascii('numpy\ndtype\n'), 0x85, 0x52, 0x2e],
    /expected numpy\.ndarray/,
  );
});

test('malformed opcode streams fail with the offset and the reason', async () => {
  await rejects(hex('80 06 4e 2e'), /protocol 6 is not supported/);
  await rejects(hex('80 04 68 05 2e'), /memo key 5 is not defined/);
  await rejects(hex('80 04 2e'), /stack underflow/);
  await rejects(hex('80 04 65 2e'), /no MARK/);
  await rejects(hex('80 04 4b 01 4b 02 61 2e'), /cannot append to int 1/);
  await rejects(hex('80 04 7d 5d 4e 73 2e'), /unhashable type list/);
  await rejects(hex('80 04 8b 00 00 10 00'), /integer of 1048576 bytes is too large/);
  await rejects(hex('80 04 95 ff ff ff ff ff ff ff 7f'), /truncated pickle: FRAME \(0x95\) at byte 2 needs more than 2\^53 bytes but only 0 remain/);
  await rejects(hex('80 04 8e ff ff ff ff ff ff ff ff 2e'), /truncated pickle: BINBYTES8 .* at byte 2 needs more than 2\^53 bytes/);
  await rejects(hex('80 04 42 ff ff ff 7f 2e'), /truncated pickle: BINBYTES .* needs 2147483647 more bytes but only 1 remain/);
  await rejects(hex('80 04 54 ff ff ff ff 2e'), /negative BINSTRING length/);
  await rejects(hex('80 04 8c 02 ff fe 2e'), /not valid UTF-8/);
  await rejects(hex('80 04 07'), /byte 0x07 is not a pickle opcode/);
  await rejects(hex('80 04 4e'), /truncated pickle: next opcode at byte 3/);
  await rejects(hex('80 04 53'), /protocol 0 text strings/);
  await rejects([0x80, 2, 0x63, ...new Array(2000).fill(0x41)], /longer than 1024 bytes|truncated text line/);
  await rejects(hex('80 04 4e 4e 52 2e'), /cannot call None/);
  // deeply nested tuple used as a dict key: bounded work, no stack overflow
  const deep = [0x80, 4, 0x7d, 0x29, ...new Array(5000).fill(0x85), 0x4e, 0x73, 0x2e];
  await rejects(deep, /too deeply nested/);
  // a value-count bomb is cut off by maxValues
  const many = Uint8Array.from([0x80, 4, ...new Array(2000).fill(0x4e), 0x2e]);
  await assert.rejects(scanPickle(memorySource(many, 'm'), { maxValues: 1000 }), /more than 1000 objects/);
});

test('deep container nesting does not recurse', async () => {
  const n = 200_000;
  const bytes = Uint8Array.from([0x80, 4, ...new Array(n).fill(0x28), ...new Array(n).fill(0x6c), 0x2e]);
  let v = await scan(bytes);
  let depth = 0;
  while (v.t === 'list' && v.items.length === 1) {
    v = v.items[0]!;
    depth++;
  }
  assert.equal(depth, n - 1);
});
