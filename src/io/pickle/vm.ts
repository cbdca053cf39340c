/**
 * A pickle virtual machine (protocols 2–5) that never imports or executes anything.
 *
 * Why hand-written: no npm library reads numpy pickles lazily (they either execute nothing and
 * cannot rebuild arrays, or materialize every payload in memory — impossible for a 20 GB file).
 * This VM follows CPython's `pickle._Unpickler` opcode semantics, but
 * - globals are resolved only against an allow-list (`globals.ts`) and "called" by emulation
 *   (`reduce.ts`), so arbitrary code in a pickle is refused, not run;
 * - bytes/bytearray payloads above a small size are skipped with a seek and kept as
 *   {@link ByteRef}s (file offset + length), so scanning a 20 GB file reads a few MB;
 * - every length is checked against the bytes remaining before anything is read or allocated,
 *   and every loop is bounded by the input, so garbage input ends in ArrayFormatError.
 */

import { ArrayFormatError } from '../../errors.js';
import { resolveGlobal } from './globals.js';
import { MAX_PROTOCOL, MIN_PROTOCOL, OP, opcodeName } from './opcodes.js';
import { buildObject, callGlobal, type CallContext } from './reduce.js';
import { Cursor, type ByteSource } from './source.js';
import { describe, keyOf, type PyValue } from './values.js';

/** Tuning knobs (defaults suit the lab's files). */
export interface ScanOptions {
  /** bytes/bytearray payloads up to this size are kept in memory (default 4096). */
  inlineBytes?: number;
  /** str payloads up to this size are decoded (default 1 MiB); longer ones are only referenced. */
  inlineStr?: number;
  /** Read size of the cursor (default 64 KiB). */
  chunk?: number;
  /** Maximum number of values created before giving up (default 50 million). */
  maxValues?: number;
}

/** Result of a scan. */
export interface ScanResult {
  /** The unpickled top-level object. */
  value: PyValue;
  /** Protocol from the PROTO opcode. */
  protocol: number;
  /** Offset just past STOP. */
  end: number;
}

const MAX_LINE = 1024;
const MAX_LONG_BYTES = 4096;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Little-endian two's-complement bytes → bigint (LONG1/LONG4). */
function decodeLong(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let hex = '';
  for (let i = b.length - 1; i >= 0; i--) hex += (b[i] as number).toString(16).padStart(2, '0');
  let v = BigInt(`0x${hex}`);
  if (((b[b.length - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * b.length);
  return v;
}

/**
 * Runs the pickle in `src` from byte 0 to its STOP opcode.
 * @returns the top-level object (arrays as metadata + {@link ByteRef}s)
 * @throws ArrayFormatError for anything that is not a well-formed protocol 2–5 pickle of
 *   allow-listed objects, with the byte offset and what was expected
 */
export async function scanPickle(src: ByteSource, options: ScanOptions = {}): Promise<ScanResult> {
  const inlineBytes = options.inlineBytes ?? 4096;
  const inlineStr = options.inlineStr ?? 1024 * 1024;
  const maxValues = options.maxValues ?? 50_000_000;
  const name = src.name;
  const cur = new Cursor(src, options.chunk);

  if (src.size === 0) throw new ArrayFormatError(`${name}: the file is empty; expected a pickle (protocol 2–5)`);
  await cur.need(Math.min(2, src.size), 'header');
  const first = cur.u8();
  cur.pos = 0;
  if (first !== OP.PROTO) {
    throw new ArrayFormatError(
      `${name}: not a pickle of protocol 2–5: first byte is 0x${first.toString(16).padStart(2, '0')}; ` +
        'expected 0x80 (PROTO), as written by pickle.dump with protocol >= 2',
    );
  }

  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  let protocol = 0;
  let created = 0;
  let at = 0;
  let op = 0;

  const fail = (msg: string): never => {
    throw new ArrayFormatError(`${name}: ${msg} (${opcodeName(op)} at byte ${at})`);
  };
  const push = (v: PyValue): void => {
    if (++created > maxValues) fail(`more than ${maxValues} objects; expected a list of session dicts`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) return fail('stack underflow: the opcode needs a value but none is there');
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined) return fail('stack underflow: the opcode needs a value but none is there');
    return v;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) return fail('no MARK before this opcode');
    stack = prev;
    return items;
  };
  const fixed = async (n: number): Promise<void> => {
    if (!cur.has(n)) await cur.need(n, opcodeName(op));
  };
  const line = async (): Promise<string> => {
    const k = Math.min(MAX_LINE, cur.remaining);
    await cur.need(k, opcodeName(op));
    const i = cur.indexOf(0x0a, k);
    if (i < 0) fail(k < MAX_LINE ? 'truncated text line; expected a newline' : `text line longer than ${MAX_LINE} bytes`);
    const b = cur.bytes(i);
    cur.skip(1);
    return Buffer.from(b).toString('latin1');
  };
  const str = async (len: number): Promise<PyValue> => {
    cur.require(len, opcodeName(op));
    const offset = cur.pos;
    if (len > inlineStr) {
      cur.skip(len);
      return { t: 'str', offset, fileLength: len };
    }
    await fixed(len);
    const b = cur.bytes(len);
    let v: string;
    try {
      v = utf8.decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
    return { t: 'str', v, offset, fileLength: len };
  };
  const bytes = async (len: number, mutable: boolean): Promise<PyValue> => {
    cur.require(len, opcodeName(op));
    const offset = cur.pos;
    if (len > inlineBytes) {
      cur.skip(len); // the payload (array data) stays in the file
      return { t: 'bytes', ref: { offset, length: len, encoding: 'raw', fileLength: len }, mutable };
    }
    await fixed(len);
    return { t: 'bytes', ref: { offset, length: len, encoding: 'raw', fileLength: len, data: cur.bytes(len) }, mutable };
  };
  const len64 = async (): Promise<number> => {
    await fixed(8);
    const n = cur.u64();
    if (n > cur.remaining) cur.require(n, opcodeName(op)); // throws: names the remaining bytes
    return n;
  };
  const intLine = async (): Promise<bigint> => {
    const s = (await line()).trim().replace(/L$/, '');
    if (!/^[+-]?\d{1,400}$/.test(s)) fail(`bad integer text ${JSON.stringify(s.slice(0, 40))}`);
    return BigInt(s);
  };
  const memoIndex = (i: bigint | number): number => {
    const n = Number(i);
    if (!Number.isSafeInteger(n) || n < 0) fail(`bad memo index ${i}`);
    return n;
  };
  const get = (i: number): void => {
    const v = memo.get(i);
    if (v === undefined) fail(`memo key ${i} is not defined`);
    push(v as PyValue);
  };
  const setItem = (dict: PyValue, k: PyValue, v: PyValue): void => {
    if (dict.t !== 'dict') fail(`cannot set an item on ${describe(dict)}; expected a dict`);
    const key = keyOf(k, fail);
    const entries = (dict as Extract<PyValue, { t: 'dict' }>).entries;
    const old = entries.get(key);
    entries.set(key, [old === undefined ? k : old[0], v]);
  };
  const tupleOf = (n: number): void => {
    if (stack.length < n) fail('stack underflow: the opcode needs more values');
    push({ t: 'tuple', items: stack.splice(stack.length - n, n) });
  };

  for (;;) {
    at = cur.pos;
    cur.opStart = at;
    op = 0;
    if (!cur.has(1)) await cur.need(1, 'next opcode');
    op = cur.u8();
    switch (op) {
      case OP.PROTO: {
        await fixed(1);
        protocol = cur.u8();
        if (protocol < MIN_PROTOCOL || protocol > MAX_PROTOCOL) {
          fail(`pickle protocol ${protocol} is not supported; expected ${MIN_PROTOCOL}–${MAX_PROTOCOL}`);
        }
        break;
      }
      case OP.FRAME:
        await len64(); // a framing hint only: opcodes are read the same way inside and outside frames
        break;
      case OP.STOP: {
        const value = pop();
        return { value, protocol, end: cur.pos };
      }
      case OP.MARK:
        if (++created > maxValues) fail(`more than ${maxValues} objects; expected a list of session dicts`);
        metastack.push(stack);
        stack = [];
        break;
      case OP.POP:
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        push(top());
        break;
      // --- numbers, None, booleans
      case OP.NONE:
        push({ t: 'none' });
        break;
      case OP.NEWTRUE:
      case OP.NEWFALSE:
        push({ t: 'bool', v: op === OP.NEWTRUE });
        break;
      case OP.BININT1:
        await fixed(1);
        push({ t: 'int', v: BigInt(cur.u8()) });
        break;
      case OP.BININT2:
        await fixed(2);
        push({ t: 'int', v: BigInt(cur.u16()) });
        break;
      case OP.BININT:
        await fixed(4);
        push({ t: 'int', v: BigInt(cur.i32()) });
        break;
      case OP.LONG1:
      case OP.LONG4: {
        let n: number;
        if (op === OP.LONG1) {
          await fixed(1);
          n = cur.u8();
        } else {
          await fixed(4);
          n = cur.i32();
          if (n < 0) fail(`negative LONG4 byte count ${n}`);
        }
        if (n > MAX_LONG_BYTES) fail(`integer of ${n} bytes is too large; expected at most ${MAX_LONG_BYTES}`);
        cur.require(n, opcodeName(op));
        await fixed(n);
        push({ t: 'int', v: decodeLong(cur.bytes(n)) });
        break;
      }
      case OP.INT: {
        const s = (await line()).trim();
        if (s === '00' || s === '01') push({ t: 'bool', v: s === '01' });
        else if (/^[+-]?\d{1,400}$/.test(s)) push({ t: 'int', v: BigInt(s) });
        else fail(`bad integer text ${JSON.stringify(s.slice(0, 40))}`);
        break;
      }
      case OP.LONG:
        push({ t: 'int', v: await intLine() });
        break;
      case OP.BINFLOAT:
        await fixed(8);
        push({ t: 'float', v: cur.f64be() });
        break;
      case OP.FLOAT: {
        const s = (await line()).trim();
        const v = Number(s);
        if (s === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(s))) fail(`bad float text ${JSON.stringify(s.slice(0, 40))}`);
        push({ t: 'float', v });
        break;
      }
      // --- str and bytes
      case OP.SHORT_BINUNICODE:
        await fixed(1);
        push(await str(cur.u8()));
        break;
      case OP.BINUNICODE:
        await fixed(4);
        push(await str(cur.u32()));
        break;
      case OP.BINUNICODE8:
        push(await str(await len64()));
        break;
      case OP.SHORT_BINBYTES:
      case OP.SHORT_BINSTRING: // Python 2 str, kept as bytes (like encoding='bytes')
        await fixed(1);
        push(await bytes(cur.u8(), false));
        break;
      case OP.BINBYTES:
        await fixed(4);
        push(await bytes(cur.u32(), false));
        break;
      case OP.BINSTRING: {
        await fixed(4);
        const n = cur.i32();
        if (n < 0) fail(`negative BINSTRING length ${n}`);
        push(await bytes(n, false));
        break;
      }
      case OP.BINBYTES8:
        push(await bytes(await len64(), false));
        break;
      case OP.BYTEARRAY8:
        push(await bytes(await len64(), true));
        break;
      // --- containers
      case OP.EMPTY_LIST:
        push({ t: 'list', items: [] });
        break;
      case OP.EMPTY_TUPLE:
        push({ t: 'tuple', items: [] });
        break;
      case OP.EMPTY_DICT:
        push({ t: 'dict', entries: new Map() });
        break;
      case OP.EMPTY_SET:
        push({ t: 'set', items: new Map(), frozen: false });
        break;
      case OP.LIST:
        push({ t: 'list', items: popMark() });
        break;
      case OP.TUPLE:
        push({ t: 'tuple', items: popMark() });
        break;
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3:
        tupleOf(op - OP.TUPLE1 + 1);
        break;
      case OP.DICT: {
        const items = popMark();
        if (items.length % 2 !== 0) fail('odd number of items for a dict');
        const d: PyValue = { t: 'dict', entries: new Map() };
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i] as PyValue, items[i + 1] as PyValue);
        push(d);
        break;
      }
      case OP.APPEND: {
        const v = pop();
        const list = top();
        if (list.t !== 'list') fail(`cannot append to ${describe(list)}; expected a list`);
        (list as Extract<PyValue, { t: 'list' }>).items.push(v);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        const list = top();
        if (list.t !== 'list') fail(`cannot append to ${describe(list)}; expected a list`);
        const target = (list as Extract<PyValue, { t: 'list' }>).items;
        for (const v of items) target.push(v);
        break;
      }
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        if (items.length % 2 !== 0) fail('odd number of items for SETITEMS');
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i] as PyValue, items[i + 1] as PyValue);
        break;
      }
      case OP.ADDITEMS:
      case OP.FROZENSET: {
        const items = popMark();
        let set: PyValue;
        if (op === OP.ADDITEMS) {
          set = top();
          if (set.t !== 'set' || set.frozen) fail(`cannot add items to ${describe(set)}; expected a set`);
        } else {
          set = { t: 'set', items: new Map(), frozen: true };
        }
        const target = (set as Extract<PyValue, { t: 'set' }>).items;
        for (const v of items) target.set(keyOf(v, fail), v);
        if (op === OP.FROZENSET) push(set);
        break;
      }
      // --- memo
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINPUT:
        await fixed(1);
        memo.set(cur.u8(), top());
        break;
      case OP.LONG_BINPUT:
        await fixed(4);
        memo.set(cur.u32(), top());
        break;
      case OP.PUT:
        memo.set(memoIndex(await intLine()), top());
        break;
      case OP.BINGET:
        await fixed(1);
        get(cur.u8());
        break;
      case OP.LONG_BINGET:
        await fixed(4);
        get(cur.u32());
        break;
      case OP.GET:
        get(memoIndex(await intLine()));
        break;
      // --- globals and calls
      case OP.GLOBAL: {
        const module = await line();
        const attr = await line();
        push(resolveGlobal(module, attr, name, at));
        break;
      }
      case OP.STACK_GLOBAL: {
        const attr = pop();
        const module = pop();
        if (module.t !== 'str' || attr.t !== 'str' || module.v === undefined || attr.v === undefined) {
          fail(`STACK_GLOBAL needs two str values; got ${describe(module)} and ${describe(attr)}`);
        }
        push(resolveGlobal((module as { v: string }).v, (attr as { v: string }).v, name, at));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const fn = pop();
        if (fn.t !== 'global') fail(`cannot call ${describe(fn)}; expected an allowed global`);
        if (args.t !== 'tuple') fail(`call arguments are ${describe(args)}; expected a tuple`);
        const g = fn as Extract<PyValue, { t: 'global' }>;
        const ctx: CallContext = { src, at };
        push(await callGlobal(g.role, g.name, (args as Extract<PyValue, { t: 'tuple' }>).items, ctx));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        buildObject(top(), state, { src, at });
        break;
      }
      case OP.INST: {
        const module = await line();
        const attr = await line();
        resolveGlobal(module, attr, name, at); // refuses anything not allow-listed, naming it
        fail('creating instances (INST) is not supported; expected numpy arrays, dtypes, scalars and builtin containers');
        break;
      }
      case OP.OBJ:
      case OP.NEWOBJ:
      case OP.NEWOBJ_EX:
        fail('creating instances of classes is not supported; expected numpy arrays, dtypes, scalars and builtin containers');
        break;
      case OP.PERSID:
      case OP.BINPERSID:
        fail('persistent ids are not supported; expected a self-contained pickle');
        break;
      case OP.EXT1:
      case OP.EXT2:
      case OP.EXT4:
        fail('extension-registry globals are not allowed; only numpy array reconstruction globals are resolved');
        break;
      case OP.NEXT_BUFFER:
      case OP.READONLY_BUFFER:
        fail('out-of-band buffers (pickle.dump with buffer_callback) are not supported; expected in-band data');
        break;
      case OP.STRING:
      case OP.UNICODE:
        fail('protocol 0 text strings are not supported; expected a protocol 2–5 pickle');
        break;
      default:
        fail(`byte 0x${op.toString(16).padStart(2, '0')} is not a pickle opcode; the file is corrupt or not a pickle`);
    }
  }
}
