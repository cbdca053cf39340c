/**
 * Fuzzing the pickle reader: seeded mutations of the good fixtures (bit flips, truncations, byte
 * insertions/deletions, opcode swaps, forged length fields, spliced chunks) are indexed and read in
 * memory. Every case must either succeed or fail with an EegParallelError subclass (never a
 * TypeError/RangeError/crash), and finish quickly (a per-case time guard catches hangs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { EegParallelError } from '../../../src/errors.js';
import { openSessionSource } from '../../../src/io/session-file.js';
import { OP } from '../../../src/io/pickle/opcodes.js';
import { memorySource } from '../../../src/io/pickle/source.js';
import { pickleFixture, seededRandom as rng } from '../../helpers.js';

const CASES = Number(process.env['PICKLE_FUZZ_CASES'] ?? 12_000);
const SEED = Number(process.env['PICKLE_FUZZ_SEED'] ?? 0x5eed);
const CASE_LIMIT_MS = 5_000;

interface Base {
  name: string;
  bytes: Uint8Array;
  /** Byte positions outside array payloads: mutations there hit the pickle structure. */
  structure: number[];
}

const OPCODES = Object.values(OP) as number[];
const EXTREMES = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff];

async function loadBases(): Promise<Base[]> {
  const names = ['lab_p4', 'lab_p2', 'lab_p5', 'np2_p4', 'np2_p5', 'strscalars_p4', 'mixed_p4', 'bad_missing_key', 'bad_object_array', 'bad_complex_dtype'];
  const out: Base[] = [];
  for (const name of names) {
    const bytes = new Uint8Array(readFileSync(pickleFixture(`${name}.pkl`)));
    const sf = await openSessionSource(memorySource(bytes, name));
    const inPayload = new Uint8Array(bytes.length);
    for (const s of sf.sessions) {
      for (const ref of Object.values(s.arrays)) inPayload.fill(1, ref.offset, ref.offset + (ref.fileLength ?? ref.nbytes));
    }
    const structure: number[] = [];
    inPayload.forEach((p, i) => {
      if (p === 0) structure.push(i);
    });
    out.push({ name, bytes, structure });
  }
  return out;
}

function mutate(base: Base, r: () => number): { bytes: Uint8Array; how: string } {
  const int = (n: number): number => Math.floor(r() * n);
  // 85 % of positions in the structure, the rest anywhere (payload bytes are just data)
  const pos = (): number => (r() < 0.85 ? base.structure[int(base.structure.length)]! : int(base.bytes.length));
  const b = base.bytes;
  const kind = int(7);
  switch (kind) {
    case 0: {
      const out = b.slice();
      const flips = 1 + int(8);
      for (let i = 0; i < flips; i++) {
        const p = pos();
        out[p] = out[p]! ^ (1 << int(8));
      }
      return { bytes: out, how: `flip ${flips} bits` };
    }
    case 1: {
      const at = r() < 0.5 ? pos() : int(b.length);
      return { bytes: b.slice(0, at), how: `truncate at ${at}` };
    }
    case 2: {
      const at = pos();
      const n = 1 + int(16);
      const ins = Uint8Array.from({ length: n }, () => (r() < 0.5 ? OPCODES[int(OPCODES.length)]! : int(256)));
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, at));
      out.set(ins, at);
      out.set(b.subarray(at), at + n);
      return { bytes: out, how: `insert ${n} at ${at}` };
    }
    case 3: {
      const at = pos();
      const n = 1 + int(16);
      const tail = b.subarray(Math.min(b.length, at + n));
      const out = new Uint8Array(at + tail.length);
      out.set(b.subarray(0, at));
      out.set(tail, at);
      return { bytes: out, how: `delete ${n} at ${at}` };
    }
    case 4: {
      const out = b.slice();
      const swaps = 1 + int(3);
      for (let i = 0; i < swaps; i++) out[pos()] = OPCODES[int(OPCODES.length)]!;
      return { bytes: out, how: `swap ${swaps} opcodes` };
    }
    case 5: {
      // forge a length/int field: write an extreme 4- or 8-byte little-endian value
      const out = b.slice();
      const at = pos();
      const v = EXTREMES[int(EXTREMES.length)]!;
      const width = r() < 0.5 ? 4 : 8;
      for (let i = 0; i < width && at + i < out.length; i++) out[at + i] = i < 4 ? (v >>> (8 * i)) & 0xff : v === 0xffffffff ? 0xff : 0;
      return { bytes: out, how: `forge ${width}-byte ${v} at ${at}` };
    }
    default: {
      // splice: copy a chunk of the file over another place (repeats opcodes, memo indices…)
      const out = b.slice();
      const from = pos();
      const to = pos();
      const n = 1 + int(64);
      out.set(b.subarray(from, Math.min(b.length, from + n)).subarray(0, Math.max(0, out.length - to)), to);
      return { bytes: out, how: `splice ${n} from ${from} to ${to}` };
    }
  }
}

/** Index then read every session (all channels, and one subset); returns 'ok' or the error. */
async function exercise(bytes: Uint8Array): Promise<'ok' | Error> {
  try {
    const sf = await openSessionSource(memorySource(bytes, 'fuzz.pkl'));
    for (const s of sf.sessions) {
      try {
        await sf.readSession(s.index);
        if (s.nChannels > 1) await sf.readSession(s.index, { channels: [s.nChannels - 1, 0] });
      } catch (e) {
        if (!(e instanceof EegParallelError)) throw e;
      }
    }
    return 'ok';
  } catch (e) {
    return e as Error;
  }
}

test(`fuzz: ${CASES} mutated pickles give success or an EegParallelError, quickly`, { timeout: 600_000 }, async (t) => {
  const bases = await loadBases();
  const r = rng(SEED);
  const tally = new Map<string, number>();
  let slowest = 0;
  const t0 = performance.now();
  for (let i = 0; i < CASES; i++) {
    const base = bases[i % bases.length]!;
    const { bytes, how } = mutate(base, r);
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<Error>((resolve) => {
      timer = setTimeout(() => resolve(new Error(`case ${i} did not finish in ${CASE_LIMIT_MS} ms`)), CASE_LIMIT_MS);
    });
    const result = await Promise.race([exercise(bytes), guard]);
    clearTimeout(timer);
    const ms = performance.now() - start;
    slowest = Math.max(slowest, ms);
    const context = `case ${i} (seed ${SEED}, ${base.name}, ${how})`;
    if (result !== 'ok') {
      assert.ok(result instanceof EegParallelError, `${context}: ${result.constructor.name}: ${result.message}\n${result.stack}`);
      assert.ok(!result.message.includes('\n'), `${context}: one-line message: ${result.message}`);
    }
    assert.ok(ms < CASE_LIMIT_MS, `${context} took ${ms.toFixed(0)} ms`);
    const key = result === 'ok' ? 'ok' : (result as EegParallelError).code;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  const total = (performance.now() - t0) / 1000;
  t.diagnostic(`fuzz: ${CASES} cases in ${total.toFixed(1)} s, slowest ${slowest.toFixed(1)} ms; outcomes ${JSON.stringify(Object.fromEntries(tally))}`);
  assert.ok((tally.get('array-format') ?? 0) > CASES / 4, 'most mutations should hit the structure');
});
