/**
 * Fuzzing through the CLI and the .npy reader: seeded mutations of good .npy files and pickles.
 * The reader must give a value or a typed error (EegParallelError) for every mutated .npy file
 * (NPY_FUZZ_CASES, default 4,000), quickly; and a sample of mutated files run through the real
 * CLI (CLI_FUZZ_CASES, default 20 of each kind) must exit 0 or 2, with no stack trace and at most
 * one error line. The pickle reader's own fuzz is test/io/pickle/fuzz.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EegParallelError } from '../../src/errors.js';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';
import { pickleFixture, runCli, seededRandom as rng, tempDir } from '../helpers.js';

const NPY_CASES = Number(process.env['NPY_FUZZ_CASES'] ?? 4_000);
const CLI_CASES = Number(process.env['CLI_FUZZ_CASES'] ?? 20);
const SEED = Number(process.env['CLI_FUZZ_SEED'] ?? 0xf22);

/** One seeded mutation: bit flips, a truncation, an insertion, or a forged 4-byte field; mostly in the first `hot` bytes (the header). */
function mutate(bytes: Uint8Array, r: () => number, hot: number): Uint8Array {
  const int = (n: number): number => Math.floor(r() * n);
  const pos = (): number => (r() < 0.8 ? int(Math.min(hot, bytes.length)) : int(bytes.length));
  switch (int(4)) {
    case 0: {
      const out = bytes.slice();
      for (let i = 1 + int(6); i > 0; i--) {
        const p = pos();
        out[p] = out[p]! ^ (1 << int(8));
      }
      return out;
    }
    case 1:
      return bytes.slice(0, pos());
    case 2: {
      const at = pos();
      const ins = Uint8Array.from({ length: 1 + int(12) }, () => int(256));
      return Uint8Array.from([...bytes.subarray(0, at), ...ins, ...bytes.subarray(at)]);
    }
    default: {
      const out = bytes.slice();
      const at = pos();
      const v = [0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff][int(7)]!;
      for (let i = 0; i < 4 && at + i < out.length; i++) out[at + i] = (v >>> (8 * i)) & 0xff;
      return out;
    }
  }
}

const goodNpy = (): Uint8Array[] => [
  encodeNpy(Float64Array.from({ length: 2 * 300 }, (_, i) => Math.sin(i)), [2, 300]),
  encodeNpy(Float64Array.from({ length: 500 }, (_, i) => i / 7), [500]),
];

test(`npy fuzz: ${NPY_CASES} mutated files give a value or an EegParallelError, quickly`, () => {
  const r = rng(SEED);
  const bases = goodNpy();
  const outcomes: Record<string, number> = {};
  let slowest = 0;
  for (let k = 0; k < NPY_CASES; k++) {
    const bytes = mutate(bases[k % bases.length]!, r, 128);
    const started = performance.now();
    let outcome = 'ok';
    try {
      parseNpy(bytes, `case ${k}`);
    } catch (e) {
      assert.ok(e instanceof EegParallelError, `case ${k}: ${(e as Error)?.stack ?? String(e)}`);
      outcome = e.code;
    }
    slowest = Math.max(slowest, performance.now() - started);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  assert.ok(slowest < 5_000, `a case took ${slowest} ms`);
  assert.ok(Object.keys(outcomes).length > 1, JSON.stringify(outcomes));
});

test(`CLI fuzz: ${CLI_CASES} mutated pickles and .npy files exit 0 or 2, one line, no stack`, () => {
  const r = rng(SEED + 1);
  const dir = tempDir();
  const pickle = new Uint8Array(readFileSync(pickleFixture('lab_p4.pkl')));
  const codes: Record<string, number> = {};
  for (let k = 0; k < CLI_CASES; k++) {
    const pkl = join(dir, `case${k}.pkl`);
    writeFileSync(pkl, mutate(pickle, r, pickle.length));
    const npy = join(dir, `case${k}.npy`);
    writeFileSync(npy, mutate(goodNpy()[k % 2]!, r, 128));
    for (const args of [
      ['analyze-session', '--data', pkl, '--session', '0', '--channels', '0,1', '--n-freqs', '3', '--freq-range', '15,45', '--window', '0.5', '--no-plots', '--output-dir', join(dir, `out${k}`)],
      ['tfr', '--input', npy, '--sfreq', '200', '--n-freqs', '3', '--freq-range', '15,45', '--output', join(dir, `p${k}.npy`)],
    ]) {
      const run = runCli(args);
      codes[String(run.status)] = (codes[String(run.status)] ?? 0) + 1;
      assert.ok(run.status === 0 || run.status === 2, `${args.join(' ')}: exit ${run.status}: ${run.stderr}`);
      assert.ok(run.stderr.trim().split('\n').filter((l) => l.startsWith('eeg-parallel: error')).length <= 1, run.stderr);
      assert.doesNotMatch(run.stderr, /^\s+at |internal error/m, run.stderr);
    }
  }
  assert.ok((codes['2'] ?? 0) > 0, JSON.stringify(codes));
});
