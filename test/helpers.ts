/** Shared test helpers: fixture paths, numeric comparisons, running the CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_PYTHON } from '../src/bench/lab-file.js';
import { packagePath } from '../src/paths.js';

/** Debian's Python (with python3-numpy / python3-mne), not whatever python is first on PATH. */
export { DEBIAN_PYTHON };

/** Path under test/fixtures. */
export function fixturePath(...parts: string[]): string {
  return packagePath('test', 'fixtures', ...parts);
}

const tempDirs: string[] = [];
// Removed when the test file's process exits (each test file runs in its own process).
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(prefix = 'eeg-parallel-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/**
 * Asserts `max|actual − expected| ≤ rtol · max|expected|` for every row of `rowLength` values
 * (the SPEC's per-(channel, frequency) criterion). Rows whose expected values are all zero must
 * match within `rtol` absolutely.
 */
export function assertRowsClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rowLength: number,
  rtol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let r = 0; r * rowLength < expected.length; r++) {
    let maxRef = 0;
    let maxErr = 0;
    let worst = -1;
    for (let i = r * rowLength; i < (r + 1) * rowLength; i++) {
      maxRef = Math.max(maxRef, Math.abs(expected[i]!));
      const err = Math.abs(actual[i]! - expected[i]!);
      if (!(err <= maxErr)) {
        maxErr = err;
        worst = i;
      }
    }
    const bound = rtol * (maxRef > 0 ? maxRef : 1);
    assert.ok(
      maxErr <= bound,
      `${what}: row ${r}: max|diff| ${maxErr} > ${bound} (at ${worst}: ${actual[worst]} vs ${expected[worst]})`,
    );
  }
}

/** Asserts two float arrays are bitwise identical (NaN payloads and signed zeros included). */
export function assertBitwiseEqual(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint8Array(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength);
  const i = a.findIndex((v, k) => v !== b[k]);
  assert.ok(i < 0, `${what}: first difference at element ${Math.floor(i / 8)}: ${actual[Math.floor(i / 8)]} vs ${expected[Math.floor(i / 8)]}`);
}

/** Result of running the CLI. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `./bin/eeg-parallel args…` synchronously. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, [packagePath('bin', 'eeg-parallel'), ...args], {
    cwd: options.cwd ?? packagePath(),
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}


/** Runs Debian's python3 with a script; returns stdout (throws on failure). */
export function runPython(code: string, args: readonly string[] = []): string {
  const r = spawnSync(DEBIAN_PYTHON, ['-c', code, ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
