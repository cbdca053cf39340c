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

type Dict = Extract<PyValue, { t: 'dict' }>;
type List = Extract<PyValue, { t: 'list' }>;
type PySet = Extract<PyValue, { t: 'set' }>;

/**
 * The state of one run (stack, mark stack, memo) and the reading primitives the opcode handlers
 * share. Every read is bounded by the bytes remaining; every failure names the opcode and offset.
 */
class Machine {
  stack: PyValue[] = [];
  readonly metastack: PyValue[][] = [];
  readonly memo = new Map<number, PyValue>();
  protocol = 0;
  /** Offset of the current opcode. */
  at = 0;
  op = 0;
  /** Set by STOP. */
  result: ScanResult | null = null;
  private created = 0;

  constructor(
    readonly src: ByteSource,
    readonly cur: Cursor,
    private readonly limits: { inlineBytes: number; inlineStr: number; maxValues: number },
  ) {}

  fail(msg: string): never {
    throw new ArrayFormatError(`${this.src.name}: ${msg} (${opcodeName(this.op)} at byte ${this.at})`);
  }

  count(): void {
    if (++this.created > this.limits.maxValues) this.fail(`more than ${this.limits.maxValues} objects; expected a list of session dicts`);
  }

  push(v: PyValue): void {
    this.count();
    this.stack.push(v);
  }

  pop(): PyValue {
    return this.stack.pop() ?? this.fail('stack underflow: the opcode needs a value but none is there');
  }

  top(): PyValue {
    return this.stack[this.stack.length - 1] ?? this.fail('stack underflow: the opcode needs a value but none is there');
  }

  mark(): void {
    this.count();
    this.metastack.push(this.stack);
    this.stack = [];
  }

  popMark(): PyValue[] {
    const items = this.stack;
    this.stack = this.metastack.pop() ?? this.fail('no MARK before this opcode');
    return items;
  }

  /** The top of the stack, which must be of kind `t`. */
  topOf<T extends PyValue['t']>(t: T, doing: string): Extract<PyValue, { t: T }> {
    const v = this.top();
    if (v.t !== t) this.fail(`cannot ${doing} ${describe(v)}; expected a ${t}`);
    return v as Extract<PyValue, { t: T }>;
  }

  async fixed(n: number): Promise<void> {
    if (!this.cur.has(n)) await this.cur.need(n, opcodeName(this.op));
  }

  async u8(): Promise<number> {
    await this.fixed(1);
    return this.cur.u8();
  }

  async u32(): Promise<number> {
    await this.fixed(4);
    return this.cur.u32();
  }

  async i32(): Promise<number> {
    await this.fixed(4);
    return this.cur.i32();
  }

  async line(): Promise<string> {
    const k = Math.min(MAX_LINE, this.cur.remaining);
    await this.cur.need(k, opcodeName(this.op));
    const i = this.cur.indexOf(0x0a, k);
    if (i < 0) this.fail(k < MAX_LINE ? 'truncated text line; expected a newline' : `text line longer than ${MAX_LINE} bytes`);
    const b = this.cur.bytes(i);
    this.cur.skip(1);
    return Buffer.from(b).toString('latin1');
  }

  async str(len: number): Promise<PyValue> {
    this.cur.require(len, opcodeName(this.op));
    const offset = this.cur.pos;
    if (len > this.limits.inlineStr) {
      this.cur.skip(len);
      return { t: 'str', offset, fileLength: len };
    }
    await this.fixed(len);
    try {
      return { t: 'str', v: utf8.decode(this.cur.bytes(len)), offset, fileLength: len };
    } catch {
      return this.fail('string is not valid UTF-8');
    }
  }

  async bytes(len: number, mutable: boolean): Promise<PyValue> {
    this.cur.require(len, opcodeName(this.op));
    const offset = this.cur.pos;
    if (len > this.limits.inlineBytes) {
      this.cur.skip(len); // the payload (array data) stays in the file
      return { t: 'bytes', ref: { offset, length: len, encoding: 'raw', fileLength: len }, mutable };
    }
    await this.fixed(len);
    return { t: 'bytes', ref: { offset, length: len, encoding: 'raw', fileLength: len, data: this.cur.bytes(len) }, mutable };
  }

  async len64(): Promise<number> {
    await this.fixed(8);
    const n = this.cur.u64();
    if (n > this.cur.remaining) this.cur.require(n, opcodeName(this.op)); // throws: names the remaining bytes
    return n;
  }

  async intLine(): Promise<bigint> {
    const s = (await this.line()).trim().replace(/L$/, '');
    if (!/^[+-]?\d{1,400}$/.test(s)) this.fail(`bad integer text ${JSON.stringify(s.slice(0, 40))}`);
    return BigInt(s);
  }

  memoIndex(i: bigint | number): number {
    const n = Number(i);
    if (!Number.isSafeInteger(n) || n < 0) this.fail(`bad memo index ${i}`);
    return n;
  }

  get(i: number): void {
    this.push(this.memo.get(i) ?? this.fail(`memo key ${i} is not defined`));
  }

  setItems(dict: PyValue, items: readonly PyValue[]): void {
    if (dict.t !== 'dict') this.fail(`cannot set an item on ${describe(dict)}; expected a dict`);
    const entries = (dict as Dict).entries;
    for (let i = 0; i + 1 < items.length; i += 2) {
      const key = keyOf(items[i]!, (m) => this.fail(m));
      const old = entries.get(key);
      entries.set(key, [old === undefined ? items[i]! : old[0], items[i + 1]!]);
    }
  }

  pairs(what: string): PyValue[] {
    const items = this.popMark();
    if (items.length % 2 !== 0) this.fail(`odd number of items for ${what}`);
    return items;
  }

  tupleOf(n: number): void {
    if (this.stack.length < n) this.fail('stack underflow: the opcode needs more values');
    this.push({ t: 'tuple', items: this.stack.splice(this.stack.length - n, n) });
  }

  async globalByLine(): Promise<PyValue> {
    const module = await this.line();
    const attr = await this.line();
    return resolveGlobal(module, attr, this.src.name, this.at);
  }
}

/** What one opcode does (CPython `pickle._Unpickler`'s semantics, without importing or calling anything). */
type Handler = (m: Machine) => void | Promise<void>;

const refused = (message: string): Handler => (m) => m.fail(message);

const NOT_INSTANCES = 'creating instances of classes is not supported; expected numpy arrays, dtypes, scalars and builtin containers';

/** The opcode table: one entry per supported (or deliberately refused) opcode. */
const HANDLERS = new Map<number, Handler>([
  // --- framing and control
  [
    OP.PROTO,
    async (m) => {
      m.protocol = await m.u8();
      if (m.protocol < MIN_PROTOCOL || m.protocol > MAX_PROTOCOL) m.fail(`pickle protocol ${m.protocol} is not supported; expected ${MIN_PROTOCOL}–${MAX_PROTOCOL}`);
    },
  ],
  [OP.FRAME, async (m) => void (await m.len64())], // a framing hint only: opcodes read the same inside and outside frames
  [OP.STOP, (m) => void (m.result = { value: m.pop(), protocol: m.protocol, end: m.cur.pos })],
  [OP.MARK, (m) => m.mark()],
  [OP.POP, (m) => void (m.stack.length > 0 ? m.stack.pop() : m.popMark())],
  [OP.POP_MARK, (m) => void m.popMark()],
  [OP.DUP, (m) => m.push(m.top())],
  // --- numbers, None, booleans
  [OP.NONE, (m) => m.push({ t: 'none' })],
  [OP.NEWTRUE, (m) => m.push({ t: 'bool', v: true })],
  [OP.NEWFALSE, (m) => m.push({ t: 'bool', v: false })],
  [OP.BININT1, async (m) => m.push({ t: 'int', v: BigInt(await m.u8()) })],
  [
    OP.BININT2,
    async (m) => {
      await m.fixed(2);
      m.push({ t: 'int', v: BigInt(m.cur.u16()) });
    },
  ],
  [OP.BININT, async (m) => m.push({ t: 'int', v: BigInt(await m.i32()) })],
  [OP.LONG1, async (m) => pushLong(m, await m.u8())],
  [
    OP.LONG4,
    async (m) => {
      const n = await m.i32();
      if (n < 0) m.fail(`negative LONG4 byte count ${n}`);
      await pushLong(m, n);
    },
  ],
  [
    OP.INT,
    async (m) => {
      const s = (await m.line()).trim();
      if (s === '00' || s === '01') m.push({ t: 'bool', v: s === '01' });
      else if (/^[+-]?\d{1,400}$/.test(s)) m.push({ t: 'int', v: BigInt(s) });
      else m.fail(`bad integer text ${JSON.stringify(s.slice(0, 40))}`);
    },
  ],
  [OP.LONG, async (m) => m.push({ t: 'int', v: await m.intLine() })],
  [
    OP.BINFLOAT,
    async (m) => {
      await m.fixed(8);
      m.push({ t: 'float', v: m.cur.f64be() });
    },
  ],
  [
    OP.FLOAT,
    async (m) => {
      const s = (await m.line()).trim();
      const v = Number(s);
      if (s === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(s))) m.fail(`bad float text ${JSON.stringify(s.slice(0, 40))}`);
      m.push({ t: 'float', v });
    },
  ],
  // --- str and bytes (Python 2 str kept as bytes, like encoding='bytes')
  [OP.SHORT_BINUNICODE, async (m) => m.push(await m.str(await m.u8()))],
  [OP.BINUNICODE, async (m) => m.push(await m.str(await m.u32()))],
  [OP.BINUNICODE8, async (m) => m.push(await m.str(await m.len64()))],
  [OP.SHORT_BINBYTES, async (m) => m.push(await m.bytes(await m.u8(), false))],
  [OP.SHORT_BINSTRING, async (m) => m.push(await m.bytes(await m.u8(), false))],
  [OP.BINBYTES, async (m) => m.push(await m.bytes(await m.u32(), false))],
  [
    OP.BINSTRING,
    async (m) => {
      const n = await m.i32();
      if (n < 0) m.fail(`negative BINSTRING length ${n}`);
      m.push(await m.bytes(n, false));
    },
  ],
  [OP.BINBYTES8, async (m) => m.push(await m.bytes(await m.len64(), false))],
  [OP.BYTEARRAY8, async (m) => m.push(await m.bytes(await m.len64(), true))],
  // --- containers
  [OP.EMPTY_LIST, (m) => m.push({ t: 'list', items: [] })],
  [OP.EMPTY_TUPLE, (m) => m.push({ t: 'tuple', items: [] })],
  [OP.EMPTY_DICT, (m) => m.push({ t: 'dict', entries: new Map() })],
  [OP.EMPTY_SET, (m) => m.push({ t: 'set', items: new Map(), frozen: false })],
  [OP.LIST, (m) => m.push({ t: 'list', items: m.popMark() })],
  [OP.TUPLE, (m) => m.push({ t: 'tuple', items: m.popMark() })],
  [OP.TUPLE1, (m) => m.tupleOf(1)],
  [OP.TUPLE2, (m) => m.tupleOf(2)],
  [OP.TUPLE3, (m) => m.tupleOf(3)],
  [
    OP.DICT,
    (m) => {
      const items = m.pairs('a dict');
      const d: PyValue = { t: 'dict', entries: new Map() };
      m.setItems(d, items);
      m.push(d);
    },
  ],
  [
    OP.APPEND,
    (m) => {
      const v = m.pop();
      m.topOf('list', 'append to').items.push(v);
    },
  ],
  [
    OP.APPENDS,
    (m) => {
      const items = m.popMark();
      const target: List['items'] = m.topOf('list', 'append to').items;
      for (const v of items) target.push(v);
    },
  ],
  [
    OP.SETITEM,
    (m) => {
      const v = m.pop();
      const k = m.pop();
      m.setItems(m.top(), [k, v]);
    },
  ],
  [
    OP.SETITEMS,
    (m) => {
      const items = m.pairs('SETITEMS');
      m.setItems(m.top(), items);
    },
  ],
  [
    OP.ADDITEMS,
    (m) => {
      const items = m.popMark();
      const set = m.top();
      if (set.t !== 'set' || set.frozen) m.fail(`cannot add items to ${describe(set)}; expected a set`);
      addToSet(m, set as PySet, items);
    },
  ],
  [
    OP.FROZENSET,
    (m) => {
      const set: PySet = { t: 'set', items: new Map(), frozen: true };
      addToSet(m, set, m.popMark());
      m.push(set);
    },
  ],
  // --- memo
  [OP.MEMOIZE, (m) => void m.memo.set(m.memo.size, m.top())],
  [OP.BINPUT, async (m) => void m.memo.set(await m.u8(), m.top())],
  [OP.LONG_BINPUT, async (m) => void m.memo.set(await m.u32(), m.top())],
  [OP.PUT, async (m) => void m.memo.set(m.memoIndex(await m.intLine()), m.top())],
  [OP.BINGET, async (m) => m.get(await m.u8())],
  [OP.LONG_BINGET, async (m) => m.get(await m.u32())],
  [OP.GET, async (m) => m.get(m.memoIndex(await m.intLine()))],
  // --- globals and calls: only allow-listed globals, "called" by emulation
  [OP.GLOBAL, async (m) => m.push(await m.globalByLine())],
  [
    OP.STACK_GLOBAL,
    (m) => {
      const attr = m.pop();
      const module = m.pop();
      if (module.t !== 'str' || attr.t !== 'str' || module.v === undefined || attr.v === undefined) {
        m.fail(`STACK_GLOBAL needs two str values; got ${describe(module)} and ${describe(attr)}`);
      }
      m.push(resolveGlobal((module as { v: string }).v, (attr as { v: string }).v, m.src.name, m.at));
    },
  ],
  [
    OP.REDUCE,
    async (m) => {
      const args = m.pop();
      const fn = m.pop();
      if (fn.t !== 'global') m.fail(`cannot call ${describe(fn)}; expected an allowed global`);
      if (args.t !== 'tuple') m.fail(`call arguments are ${describe(args)}; expected a tuple`);
      const g = fn as Extract<PyValue, { t: 'global' }>;
      const ctx: CallContext = { src: m.src, at: m.at };
      m.push(await callGlobal(g.role, g.name, (args as Extract<PyValue, { t: 'tuple' }>).items, ctx));
    },
  ],
  [
    OP.BUILD,
    (m) => {
      const state = m.pop();
      buildObject(m.top(), state, { src: m.src, at: m.at });
    },
  ],
  [
    OP.INST,
    async (m) => {
      await m.globalByLine(); // refuses anything not allow-listed, naming it
      m.fail('creating instances (INST) is not supported; expected numpy arrays, dtypes, scalars and builtin containers');
    },
  ],
  [OP.OBJ, refused(NOT_INSTANCES)],
  [OP.NEWOBJ, refused(NOT_INSTANCES)],
  [OP.NEWOBJ_EX, refused(NOT_INSTANCES)],
  [OP.PERSID, refused('persistent ids are not supported; expected a self-contained pickle')],
  [OP.BINPERSID, refused('persistent ids are not supported; expected a self-contained pickle')],
  ...[OP.EXT1, OP.EXT2, OP.EXT4].map((op): [number, Handler] => [op, refused('extension-registry globals are not allowed; only numpy array reconstruction globals are resolved')]),
  ...[OP.NEXT_BUFFER, OP.READONLY_BUFFER].map((op): [number, Handler] => [op, refused('out-of-band buffers (pickle.dump with buffer_callback) are not supported; expected in-band data')]),
  ...[OP.STRING, OP.UNICODE].map((op): [number, Handler] => [op, refused('protocol 0 text strings are not supported; expected a protocol 2–5 pickle')]),
]);

/** LONG1 / LONG4: an n-byte little-endian two's-complement integer. */
async function pushLong(m: Machine, n: number): Promise<void> {
  if (n > MAX_LONG_BYTES) m.fail(`integer of ${n} bytes is too large; expected at most ${MAX_LONG_BYTES}`);
  m.cur.require(n, opcodeName(m.op));
  await m.fixed(n);
  m.push({ t: 'int', v: decodeLong(m.cur.bytes(n)) });
}

function addToSet(m: Machine, set: PySet, items: readonly PyValue[]): void {
  for (const v of items) set.items.set(keyOf(v, (msg) => m.fail(msg)), v);
}

/**
 * Runs the pickle in `src` from byte 0 to its STOP opcode.
 * @returns the top-level object (arrays as metadata + {@link ByteRef}s)
 * @throws ArrayFormatError for anything that is not a well-formed protocol 2–5 pickle of
 *   allow-listed objects, with the byte offset and what was expected
 */
export async function scanPickle(src: ByteSource, options: ScanOptions = {}): Promise<ScanResult> {
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
  const m = new Machine(src, cur, {
    inlineBytes: options.inlineBytes ?? 4096,
    inlineStr: options.inlineStr ?? 1024 * 1024,
    maxValues: options.maxValues ?? 50_000_000,
  });
  while (m.result === null) {
    m.at = cur.pos;
    cur.opStart = m.at;
    m.op = 0;
    if (!cur.has(1)) await cur.need(1, 'next opcode');
    m.op = cur.u8();
    const handler = HANDLERS.get(m.op) ?? m.fail(`byte 0x${m.op.toString(16).padStart(2, '0')} is not a pickle opcode; the file is corrupt or not a pickle`);
    const pending = handler(m);
    if (pending !== undefined) await pending;
  }
  return m.result;
}
