/** The `tfr` command (src/cli/tfr.ts) as a user runs it: against live MNE, bad input → exit 2, every strategy the same bytes. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { encodeNpy, readNpyFloat64, syntheticSession } from '../../src/index.js';
import { runCli, runPython, skipWithoutMne, skipWithoutMount, tempDir, withSmallFilesystem } from '../helpers.js';

/** Writes an array with numpy (float32/Fortran layouts as a user's file would have them). */
function numpySave(path: string, code: string): void {
  runPython(`import numpy as np, sys\nrng = np.random.default_rng(int(sys.argv[2]))\n${code}\nnp.save(sys.argv[1], x)`, [path, '5']);
}

describe('tfr', () => {
  test('matches live MNE on inputs made by numpy (float32, Fortran order, 1-D)', { skip: skipWithoutMne() }, () => {
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
      // Fails (with the case's relative error in the traceback) unless MNE agrees to 1e-9.
      runPython(
        `import numpy as np, sys, mne\nfrom mne.time_frequency import tfr_array_morlet\nmne.set_log_level("ERROR")\nx = np.load(sys.argv[1])\n${c.mne}\nq = np.load(sys.argv[2])\nassert q.dtype == np.float64 and q.flags["C_CONTIGUOUS"], q.dtype\nassert q.shape == p.shape, (q.shape, p.shape)\nrel = (np.abs(q - p).max(axis=-1) / np.abs(p).max(axis=-1)).max()\nprint(rel)\nassert rel <= 1e-9, (${i}, rel)`,
        [input, output],
      );
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
    const cases = [
      ['--strategy', 'sequential'],
      ['--strategy', 'channels', '--backend', 'processes', '--jobs', '2'],
      ['--strategy', 'frequencies', '--batch-size', '3', '--jobs', '2'],
      ['--strategy', 'auto'],
      // Written in pieces: one row of every channel (72 KiB) at a time, and four rows.
      ['--max-memory', '72K'],
      ['--max-memory', '300K', '--strategy', 'channels', '--jobs', '2'],
    ];
    for (const extra of cases) {
      const output = join(dir, 'p.npy');
      const r = runCli(['tfr', '--input', input, '--sfreq', '200', ...extra, '--output', output]);
      assert.equal(r.status, 0, r.stderr);
      outputs.push(readFileSync(output));
    }
    for (const o of outputs.slice(1)) assert.ok(o.equals(outputs[0]!));
    const p = readNpyFloat64(join(dir, 'p.npy'), { minDims: 3, maxDims: 3 });
    assert.deepEqual(p.shape, [3, 20, 3000]);
  });

  test('an output larger than the free space: refused before any work, one line, exit 2', { skip: skipWithoutMount() }, withSmallFilesystem(64 * 1024, (dir) => {
    const input = join(tempDir(), 'x.npy');
    writeFileSync(input, encodeNpy(syntheticSession({ seed: 3, nChannels: 3, nTimes: 3000 }).eeg, [3, 3000]));
    const r = runCli(['tfr', '--input', input, '--sfreq', '200', '--output', join(dir, 'p.npy')]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^eeg-parallel: error: --output: '.*p\.npy' needs 1\.4 MiB but its filesystem has 64\.0 KiB free\n$/);
    assert.deepEqual(readdirSync(dir), []);
  }));
});
