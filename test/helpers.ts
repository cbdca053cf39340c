/**
 * Shared test helpers: fixture paths, temporary directories, numeric comparisons (and a reference
 * DFT), running the CLI (and other Node scripts) and Debian's Python, reading rendered figures.
 *
 * One module on purpose: the test runner runs every .js file under dist/test/ as a test file, so a
 * helper module elsewhere in test/ would show up in the test count.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { DEBIAN_PYTHON } from '../src/bench/lab-file.js';
import type { BenchReport } from '../src/bench/report/types.js';
import { availableCores, type Backend, type CyclesSpec } from '../src/index.js';
import { packagePath } from '../src/paths.js';
import type { FigureSet, PlotArea } from '../src/plot/render.js';

/** Debian's Python (with python3-numpy / python3-mne), not whatever python is first on PATH. */
export { DEBIAN_PYTHON };

// ---- fixtures ----------------------------------------------------------------------------------

/** Path under test/fixtures. */
export function fixturePath(...parts: string[]): string {
  return packagePath('test', 'fixtures', ...parts);
}

/** Path under test/fixtures/pickle (scripts/make_pickle_fixtures.py's lab pickles and their manifests). */
export function pickleFixture(...parts: string[]): string {
  return fixturePath('pickle', ...parts);
}

/** A JSON file, parsed (fixture shapes are not typed: tests let assert do the checking). */
export function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/**
 * A fixed benchmark report (test/fixtures/figures/bench-report.json: 44 runs of the quick,
 * scalability and full-sessions workloads on a 4-core machine, one of them invalid); a fresh copy
 * on every call, so a test may change it.
 */
export function benchReportFixture(): BenchReport {
  return readJson<BenchReport>(fixturePath('figures', 'bench-report.json'));
}

/**
 * Analysis options for the short sessions of the pickle fixtures (1.5–2 s long): short wavelets and
 * windows keep MNE willing.
 */
export const SHORT_SESSION_PARAMS: readonly string[] = ['--freq-range', '15,45', '--n-freqs', '5', '--n-cycles-factor', '0.1', '--window', '0.5'];

// ---- temporary directories ---------------------------------------------------------------------

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

/** A test body that gets a fresh temporary directory, removed as soon as the body has finished. */
export function withTempDir(body: (dir: string) => Promise<void> | void, prefix?: string): () => Promise<void> {
  return async () => {
    const dir = tempDir(prefix);
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/**
 * A test body that gets a fresh directory on its own filesystem of `bytes` (a tmpfs, mounted and
 * unmounted around the body): for a full disk. Needs root (CI runs as root: there a failed mount is
 * an error, as for {@link skipWithoutMne}); see {@link skipWithoutMount}.
 */
export function withSmallFilesystem(bytes: number, body: (dir: string) => Promise<void> | void): () => Promise<void> {
  return withTempDir(async (dir) => {
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8' });
    assert.equal(mount.status, 0, `mount a tmpfs on ${dir}: ${mount.stderr}`);
    try {
      await body(dir);
    } finally {
      spawnSync('umount', [dir]);
    }
  });
}

/** `skip` for a test that needs {@link withSmallFilesystem}: a reason when this process cannot mount a tmpfs. */
export function skipWithoutMount(): string | false {
  const dir = mkdtempSync(join(tmpdir(), 'eeg-parallel-mount-'));
  try {
    const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=65536', 'tmpfs', dir]).status === 0;
    if (ok) spawnSync('umount', [dir]);
    if (!ok && process.env.CI) throw new Error('cannot mount a tmpfs; CI runs as root');
    return !ok && 'cannot mount a tmpfs (not root)';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- numeric comparisons -----------------------------------------------------------------------

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

/**
 * Forward DFT, e^{−2πi jk/n}, of interleaved complex input: the plain O(n²) reference the kernel's
 * FFT and the wavelet spectra are checked against.
 */
export function naiveDft(x: Float64Array): Float64Array {
  const n = x.length / 2;
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      re += x[2 * j]! * Math.cos(a) - x[2 * j + 1]! * Math.sin(a);
      im += x[2 * j]! * Math.sin(a) + x[2 * j + 1]! * Math.cos(a);
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  }
  return out;
}

// ---- the CLI and other Node scripts ------------------------------------------------------------

/** Result of running the CLI (or another Node script). */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

const CLI = packagePath('bin', 'eeg-parallel');

/** Runs `node <script> args…` synchronously, from the package root unless `cwd` says otherwise. */
export function runNode(script: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, [script, ...args], {
    cwd: options.cwd ?? packagePath(),
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `./bin/eeg-parallel args…` synchronously. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  return runNode(CLI, args, options);
}

/** Starts `./bin/eeg-parallel args…` without waiting for it (to signal it, or to watch its children). */
export function spawnCli(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], options);
}

// ---- Debian's Python ---------------------------------------------------------------------------

function python(argv: readonly string[], input?: string): string {
  const r = spawnSync(DEBIAN_PYTHON, argv, { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 28, ...(input !== undefined && { input }) });
  if (r.status !== 0) throw new Error(`python failed (${r.error?.message ?? r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Runs Debian's python3 with a script (`input` on its stdin); returns stdout (throws with stderr on failure). */
export function runPython(code: string, args: readonly string[] = [], options: { input?: string } = {}): string {
  return python(['-c', code, ...args], options.input);
}

/** Runs a Python file with Debian's python3; returns stdout (throws with stderr on failure). */
export function runPythonFile(path: string, args: readonly string[] = []): string {
  return python([path, ...args]);
}

/** Whether Debian's python3 can import `module`. */
export function pythonCanImport(module: string): boolean {
  return spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' }).status === 0;
}

/**
 * `skip` for a test that needs live MNE: a reason when Debian's python3-mne is missing, else false.
 * Live MNE is required in CI (.ci/run installs it): there its absence is an error, not a skip.
 */
export function skipWithoutMne(): string | false {
  const ok = pythonCanImport('mne');
  if (!ok && process.env.CI) throw new Error(`${DEBIAN_PYTHON} cannot import mne; .ci/run must install python3-mne`);
  return !ok && 'Debian python3-mne not installed';
}

// ---- rendered figures -------------------------------------------------------------------------

/** A colour: red, green, blue, 0–255. */
export type Rgb = [number, number, number];

/** A decoded PNG. */
export interface Image {
  width: number;
  height: number;
  /** Mean colour of the (2r+1)² pixels around (x, y). */
  at(x: number, y: number, r?: number): Rgb;
}

/** Decodes a rendered PNG to read its pixels. */
export function decode(png: Buffer): Image {
  const img = PNG.sync.read(png);
  return {
    width: img.width,
    height: img.height,
    at(x, y, r = 2) {
      const sum: Rgb = [0, 0, 0];
      let n = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const px = Math.floor(x) + dx;
          const py = Math.floor(y) + dy;
          assert.ok(px >= 0 && py >= 0 && px < img.width && py < img.height, `pixel (${px}, ${py}) outside the image`);
          const i = (py * img.width + px) * 4;
          sum[0] += img.data[i]!;
          sum[1] += img.data[i + 1]!;
          sum[2] += img.data[i + 2]!;
          n++;
        }
      }
      return sum.map((v) => Math.round(v / n)) as Rgb;
    },
  };
}

/** How red a colour is: red minus the mean of green and blue (≈ 0 for white and greys, > 0 red, < 0 blue). */
export const redness = ([r, g, b]: Rgb): number => r - (g + b) / 2;
export const isRed = ([r, g, b]: Rgb): boolean => r > b + 60 && r > g + 60;
export const isBlue = ([r, g, b]: Rgb): boolean => b > r + 60 && b > g + 20;
export const isNearWhite = (c: Rgb): boolean => c.every((v) => v > 225);

/** The plot area called `name` of a figure. */
export const plot = (f: FigureSet, name: string): PlotArea => {
  const p = f.plots.find((q) => q.name === name);
  assert.ok(p, `plot ${name} in ${f.plots.map((q) => q.name).join(', ')}`);
  return p;
};

/**
 * A lab pickle (the lab's layout, written by scripts/write_lab_pickle.py) of seeded synthetic
 * 32-channel sessions with theta bursts and ITI events: one session per entry of `rats` (a rat
 * id may repeat for several sessions), the k-th with seed k + 1.
 */
export function syntheticLabFile(rats: readonly string[], samples: number, events: number): string {
  const dir = tempDir();
  const sessions = rats.map((rat, i) => {
    const out = join(dir, `session_${i}_${rat}`);
    const r = runCli(['synthetic', '--output-dir', out, '--rat', rat, '--seed', String(i + 1), '--channels', '32', '--samples', String(samples), '--events', String(events), '--theta-bursts']);
    assert.equal(r.status, 0, r.stderr);
    return out;
  });
  const pkl = join(dir, 'lab.pkl');
  runPythonFile(packagePath('scripts', 'write_lab_pickle.py'), [pkl, ...sessions]);
  return pkl;
}

/** mulberry32: a small seeded generator of uniform numbers in [0, 1), enough to spread fuzz mutations. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Debian's chromium, which the browser tests drive through playwright-core (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';

/** The `skip` of a browser test: skipped without chromium, except under CI=true, where it must run (and fails). */
export function skipWithoutChromium(): string | false {
  const ci = ['1', 'true', 'yes'].includes((process.env['CI'] ?? '').toLowerCase());
  return !existsSync(CHROMIUM) && !ci ? `${CHROMIUM} not found — install Debian's chromium (apt-get install chromium) to run this test; it is required when CI=true` : false;
}

/** A headless chromium with the network closed: every request recorded, only files and inline data served. */
export interface OfflineBrowser {
  /** Every URL the pages asked for. */
  requests: string[];
  /** The URLs refused: anything that is not a file or inline data. */
  network: string[];
  /** Console errors and warnings, and page errors, of every tab. */
  problems: string[];
  /** A new tab whose console and errors go to `problems`. */
  newTab(): Promise<import('playwright-core').Page>;
  close(): Promise<void>;
}

/** Starts an {@link OfflineBrowser}: Debian's chromium, a fresh profile, offline flags, the given viewport. */
export async function offlineBrowser(viewport = { width: 1300, height: 900 }): Promise<OfflineBrowser> {
  if (!existsSync(CHROMIUM)) assert.fail(`CI is set and ${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(tempDir('eeg-chromium-profile-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
  });
  const browser: OfflineBrowser = {
    requests: [],
    network: [],
    problems: [],
    async newTab() {
      const tab = await context.newPage();
      tab.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') browser.problems.push(`console.${m.type()}: ${m.text()}`);
      });
      tab.on('pageerror', (e) => browser.problems.push(`page error: ${e.message}`));
      return tab;
    },
    close: () => context.close(),
  };
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    browser.requests.push(url);
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    browser.network.push(url);
    return route.abort();
  });
  return browser;
}

// ---- property tests ----------------------------------------------------------------------------

/** With threads, with and without the calling thread computing tasks. */
export const withCaller = <T extends { backend: Backend }>(p: T, callerComputes: boolean): T & { callerComputes?: boolean } =>
  p.backend === 'threads' ? { ...p, callerComputes } : p;

/** A random parallel configuration of the channel-level strategies (fast-check). */
export const arbitraryChannelParallel = fc
  .record({
    strategy: fc.constantFrom('channels' as const, 'frequencies' as const, 'auto' as const),
    backend: fc.constantFrom<Backend>('threads', 'processes'),
    jobs: fc.integer({ min: 1, max: availableCores() + 1 }),
    batchSize: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
    callerComputes: fc.boolean(),
  })
  .map(({ callerComputes, ...p }) => withCaller(p, callerComputes));

/** A random small recording and time-frequency problem (fast-check): seed, channels, samples, sfreq, freqs, cycles. */
export const arbitraryTfrProblem = fc
  .record({
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    nChannels: fc.integer({ min: 1, max: 6 }),
    nTimes: fc.integer({ min: 1, max: 2500 }),
    sfreq: fc.constantFrom(200, 250, 512),
    freqFractions: fc.array(fc.double({ min: 0.005, max: 0.45, noNaN: true }), { minLength: 1, maxLength: 7 }),
    cyclesKind: fc.constantFrom('factor', 'fixed', 'perFrequency'),
    cyclesValue: fc.double({ min: 0.5, max: 8, noNaN: true }),
    zeroMean: fc.boolean(),
  })
  .map((p) => {
    const freqs = p.freqFractions.map((x) => x * p.sfreq);
    const cycles: CyclesSpec =
      p.cyclesKind === 'factor'
        ? { kind: 'factor', factor: p.cyclesValue }
        : p.cyclesKind === 'fixed'
          ? { kind: 'fixed', nCycles: p.cyclesValue }
          : { kind: 'perFrequency', nCycles: freqs.map((_, i) => p.cyclesValue + i) };
    return { ...p, freqs, cycles };
  });

/** Runs `run` with process warnings silenced: jobs = cores + 1 warns by design; keeps the test output clean. */
export function withoutWarnings<T>(run: () => Promise<T>): Promise<T> {
  const emit = process.emitWarning;
  process.emitWarning = (() => undefined) as typeof process.emitWarning;
  return run().finally(() => {
    process.emitWarning = emit;
  });
}
