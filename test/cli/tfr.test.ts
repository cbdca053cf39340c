/** The CLI as a user runs it: `tfr` against live MNE, bad input → exit 2, `test` end to end. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { encodeNpy, readNpyFloat64, syntheticSession } from '../src/index.js';
import { FAULT_ENV } from '../src/engine/faults.js';
import { packagePath } from '../src/paths.js';
import { DEBIAN_PYTHON, runCli, tempDir } from './helpers.js';

/** Live MNE is required in CI (.ci/run installs it); elsewhere its absence skips, saying why. */
function mneAvailable(): boolean {
  const ok = spawnSync(DEBIAN_PYTHON, ['-c', 'import mne'], { encoding: 'utf8' }).status === 0;
  if (!ok && process.env.CI) throw new Error(`${DEBIAN_PYTHON} cannot import mne; .ci/run must install python3-mne`);
  return ok;
}

/** Writes an array with numpy (float32/Fortran layouts as a user's file would have them). */
function numpySave(path: string, code: string): void {
  const r = spawnSync(DEBIAN_PYTHON, ['-c', `import numpy as np, sys\nrng = np.random.default_rng(int(sys.argv[2]))\n${code}\nnp.save(sys.argv[1], x)`, path, '5'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

describe('tfr', () => {
  test('matches live MNE on inputs made by numpy (float32, Fortran order, 1-D)', { skip: !mneAvailable() && 'Debian python3-mne not installed' }, () => {
    const dir = tempDir();
    const cases: { make: string; args: string[]; mne: string }[] = [
      {
        make: 'x = np.asfortranarray((rng.standard_normal((3, 1501)) * 20).astype(np.float32))',
        args: ['--sfreq', '250', '--freq-range', '2,40', '--n-freqs', '9'],
        mne: 'f = np.geomspace(2, 40, 9); p = tfr_array_morlet(x[None].astype(np.float64), 250.0, f, n_cycles=np.maximum(3, f * 3.0), zero_mean=True, output="power")[0]',
      },
      {
        make: 'x = rng.standard_normal(2000) + np.sin(np.arange(2000) / 10)',
        args: ['--sfreq', '200', '--freqs', '4,6.5,11', '--n-cycles', '5,6,7', '--no-zero-mean', '--strategy', 'frequencies', '--batch-size', '2'],
        mne: 'p = tfr_array_morlet(x[None, None], 200.0, np.array([4, 6.5, 11.0]), n_cycles=np.array([5, 6, 7.0]), zero_mean=False, output="power")[0]',
      },
    ];
    for (const [i, c] of cases.entries()) {
      const input = join(dir, `x${i}.npy`);
      const output = join(dir, `p${i}.npy`);
      numpySave(input, c.make);
      const r = runCli(['tfr', '--input', input, ...c.args, '--output', output]);
      assert.equal(r.status, 0, r.stderr);
      const check = spawnSync(
        DEBIAN_PYTHON,
        [
          '-c',
          `import numpy as np, sys, mne\nfrom mne.time_frequency import tfr_array_morlet\nmne.set_log_level("ERROR")\nx = np.load(sys.argv[1])\n${c.mne}\nq = np.load(sys.argv[2])\nassert q.dtype == np.float64 and q.flags["C_CONTIGUOUS"], q.dtype\nassert q.shape == p.shape, (q.shape, p.shape)\nrel = (np.abs(q - p).max(axis=-1) / np.abs(p).max(axis=-1)).max()\nprint(rel)\nassert rel <= 1e-9, rel`,
          input,
          output,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(check.status, 0, `case ${i}: ${check.stderr}`);
    }
  });

  test('bad input: one line on stderr, exit 2, no output written', () => {
    const dir = tempDir();
    const good = join(dir, 'x.npy');
    writeFileSync(good, encodeNpy(new Float64Array(1000).map((_, i) => Math.sin(i)), [2, 500]));
    const cube = join(dir, 'cube.npy');
    writeFileSync(cube, encodeNpy(new Float64Array(8), [2, 2, 2]));
    const output = join(dir, 'out.npy');
    const cases: [string[], RegExp][] = [
      [['--input', good, '--sfreq', '200', '--freqs', '3,100'], /frequency 100 Hz \(index 1\) must be below the Nyquist frequency 100 Hz/],
      [['--input', good, '--sfreq', '200', '--freqs', '0,5'], /frequency 0 Hz \(index 0\) must be finite and > 0/],
      [['--input', good, '--sfreq', '200', '--freq-range', '8,3'], /f_lo < f_hi/],
      [['--input', good, '--sfreq', '200', '--n-freqs', '0'], /--n-freqs: '0' must be an integer >= 1/],
      [['--input', good, '--sfreq', '200', '--freqs', '4,5', '--n-cycles', '3,4,5'], /3 values but there are 2 frequencies/],
      [['--input', good, '--sfreq', '200', '--n-cycles', '-2'], /--n-cycles: -2 must be > 0/],
      [['--input', good, '--sfreq', 'abc'], /--sfreq: 'abc' is not a number/],
      [['--input', join(dir, 'missing.npy'), '--sfreq', '200'], /cannot read '.*missing\.npy': no such file/],
      [['--input', cube, '--sfreq', '200'], /3 dimensions|expected 1 to 2 dimensions/],
      [['--input', good, '--sfreq', '200', '--jobs', '0'], /--jobs: '0' must be an integer >= 1/],
      [['--input', good, '--sfreq', '200', '--strategy', 'sessions'], /--strategy: 'sessions' is not one of/],
      [['--input', good, '--sfreq', '200', '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['tfr', ...args, '--output', output]);
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(existsSync(output), false, `${args.join(' ')} wrote output`);
    }
    assert.deepEqual(readdirSync(dir).sort(), ['cube.npy', 'x.npy']);
  });

  test('every strategy and backend writes the same bytes', () => {
    const dir = tempDir();
    const input = join(dir, 'x.npy');
    const s = syntheticSession({ seed: 3, nChannels: 3, nTimes: 3000 });
    writeFileSync(input, encodeNpy(s.eeg, [3, 3000]));
    const outputs: Buffer[] = [];
    for (const extra of [['--strategy', 'sequential'], ['--strategy', 'channels', '--backend', 'processes', '--jobs', '2'], ['--strategy', 'frequencies', '--batch-size', '3', '--jobs', '2'], ['--strategy', 'auto']]) {
      const output = join(dir, 'p.npy');
      const r = runCli(['tfr', '--input', input, '--sfreq', '200', ...extra, '--output', output]);
      assert.equal(r.status, 0, r.stderr);
      outputs.push(readFileSync(output));
    }
    for (const o of outputs.slice(1)) assert.ok(o.equals(outputs[0]!));
    const p = readNpyFloat64(join(dir, 'p.npy'), { minDims: 3, maxDims: 3 });
    assert.deepEqual(p.shape, [3, 20, 3000]);
  });
});

describe('test command', () => {
  const fast = ['--repeats', '1', '--rounds', '1', '--jobs', '2'];

  test('--quick with --output_dir writes reports whose runs carry the SPEC keys; exit 0', () => {
    const dir = join(tempDir(), 'reports');
    const r = runCli(['test', '--quick', '--output_dir', dir, '--backend', 'both', ...fast]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^VALID/);
    for (const f of ['report.json', 'report.md', 'report.html', 'scalability.md', 'report_channels_0-3.md']) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.ok(report.machine.cpuModel && report.machine.cores >= 1 && report.machine.memoryBytes > 0 && report.machine.node);
    const keys = ['method', 'strategy', 'backend', 'jobs', 'batchSize', 'wallSeconds', 'cpuSeconds', 'cpuUtilization', 'peakRssBytes', 'shape', 'stats', 'maxAbsDiff', 'valid'];
    assert.equal(report.runs.length, 5, 'sequential + channels/frequencies × 2 backends');
    for (const run of report.runs) {
      for (const k of keys) assert.ok(k in run, `run ${run.method} lacks ${k}`);
      assert.deepEqual(run.shape, [10, 20000]);
      assert.ok(run.wallSeconds > 0 && run.peakRssBytes > 0 && run.cpuSeconds > 0);
      assert.equal(run.maxAbsDiff, 0, `${run.method}: parallel must be bitwise equal`);
    }
    assert.equal(report.runs.filter((x: { strategy: string }) => x.strategy === 'sequential').length, 1);
    // The machine's parallel ceiling, sampled on 2 threads (4 samples in the one round); a
    // one-core machine has none.
    const ceiling = report.machine.parallelCeiling;
    if (availableParallelism() < 2) return assert.equal(ceiling, undefined);
    assert.equal(ceiling.threads, 2);
    assert.equal(ceiling.samples.length, 4);
    assert.ok(ceiling.samples.every((x: number) => Number.isFinite(x) && x > 0), String(ceiling.samples));
    assert.ok(ceiling.min <= ceiling.median && ceiling.median <= ceiling.max);
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /^Parallel ceiling of this machine: .* \*\*[\d.]+×\*\* the work on 2 threads/m);
  });

  test('a deliberately wrong implementation is caught: exit 1, invalid run first', () => {
    const dir = tempDir();
    const r = runCli(['test', '--quick', '--output-dir', dir, '--backend', 'threads', ...fast, '--ceiling-samples', '0', '--json'], {
      env: { ...process.env, [FAULT_ENV]: 'corrupt:channel 1' },
    });
    assert.equal(r.status, 1, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.valid, false);
    assert.ok(summary.invalid.length >= 1);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.equal(report.runs[0].valid, false, 'invalid runs are listed first');
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /## Invalid runs/);
    assert.equal(report.machine.parallelCeiling, undefined, '--ceiling-samples 0: not measured');
  });

  test('--real runs the real workload on a session of a lab pickle', () => {
    const dir = tempDir();
    const r = runCli(['test', '--real', packagePath('test', 'fixtures', 'pickle', 'lab_p4.pkl'), '--session', '1', '--output-dir', dir, '--backend', 'threads', ...fast]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.ok(report.runs.every((x: { workload: string; shape: number[] }) => x.workload === 'real' && x.shape[0] === 15 && x.shape[1] === 300));
    assert.equal(runCli(['test', '--real', packagePath('test', 'fixtures', 'pickle', 'lab_p4.pkl'), '--session', '9', '--output-dir', dir]).status, 2);
  });

  test('--scalability and --full run end to end on tiny sizes (--max-samples)', () => {
    const dir = tempDir();
    const r = runCli(['test', '--scalability', '--full', '--max-samples', '1200', '--output-dir', dir, '--backend', 'threads', ...fast]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    const workloads = new Set(report.runs.map((x: { workload: string }) => x.workload));
    assert.deepEqual([...workloads].sort(), ['full', 'full-sessions', 'scalability']);
    assert.ok(report.runs.some((x: { strategy: string }) => x.strategy === 'sessions'));
    assert.ok(report.runs.some((x: { batchSize: number | null }) => x.batchSize === 5));
    assert.match(readFileSync(join(dir, 'scalability.md'), 'utf8'), /per doubling of channels/);
  });

  test('bad options exit 2', () => {
    for (const args of [['--jobs', '0'], ['--backend', 'gpu'], ['--tolerance', '-1'], ['--repeats', 'x'], ['--ceiling-samples', '-1']]) {
      const r = runCli(['test', '--output-dir', tempDir(), ...args]);
      assert.equal(r.status, 2, `${args}: ${r.stderr}`);
    }
  });
});

test('bench:parallel runs end to end on a tiny workload: paired ratios, ceiling samples, bitwise equality; bad options exit 2', () => {
  const script = packagePath('dist', 'src', 'bench', 'parallel-speedup.js');
  const out = tempDir();
  const r = spawnSync(process.execPath, [script, '--rounds', '2', '--channels', '2', '--samples', '3000', '--out', out], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| frequencies\/threads\/j2 \| .* \| yes \|/);
  const result = JSON.parse(readFileSync(join(out, 'bench-parallel.json'), 'utf8'));
  assert.deepEqual(Object.keys(result.methods), ['sequential', 'frequencies/threads/j2', 'channels/threads/j2']);
  for (const [name, m] of Object.entries<{ seconds: number[]; pairedSpeedups: number[] | null; bitwiseEqual: boolean; peakRssBytes: number }>(result.methods)) {
    assert.equal(m.seconds.length, 2, name);
    assert.equal(m.pairedSpeedups === null, name === 'sequential', name);
    assert.ok(m.bitwiseEqual && m.peakRssBytes > 0, name);
  }
  assert.equal(result.machine.parallelCeiling.samples.length, 2);
  for (const bad of [['--channels', '33'], ['--rounds', '0'], ['--sample', '10']]) {
    assert.equal(spawnSync(process.execPath, [script, ...bad], { encoding: 'utf8' }).status, 2, bad.join(' '));
  }
});

test('examples/quickstart.mjs runs', () => {
  const r = spawnSync(process.execPath, [packagePath('examples', 'quickstart.mjs')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /NM size 1: \d+ events/);
});
