/** The `test` command (src/cli/benchmark.ts) end to end: reports, an injected wrong result caught, the real workload, bad options. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FAULT_ENV } from '../../src/engine/faults.js';
import { pickleFixture, readJson, runCli, tempDir } from '../helpers.js';

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
    const report = readJson(join(dir, 'report.json'));
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
    const report = readJson(join(dir, 'report.json'));
    assert.equal(report.runs[0].valid, false, 'invalid runs are listed first');
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /## Invalid runs/);
    assert.equal(report.machine.parallelCeiling, undefined, '--ceiling-samples 0: not measured');
  });

  test('--real runs the real workload on a session of a lab pickle', () => {
    const dir = tempDir();
    const r = runCli(['test', '--real', pickleFixture('lab_p4.pkl'), '--session', '1', '--output-dir', dir, '--backend', 'threads', ...fast]);
    assert.equal(r.status, 0, r.stderr);
    const report = readJson(join(dir, 'report.json'));
    assert.ok(report.runs.every((x: { workload: string; shape: number[] }) => x.workload === 'real' && x.shape[0] === 15 && x.shape[1] === 300));
    assert.equal(runCli(['test', '--real', pickleFixture('lab_p4.pkl'), '--session', '9', '--output-dir', dir]).status, 2);
  });

  test('--scalability and --full run end to end on tiny sizes (--max-samples)', () => {
    const dir = tempDir();
    const r = runCli(['test', '--scalability', '--full', '--max-samples', '1200', '--output-dir', dir, '--backend', 'threads', ...fast]);
    assert.equal(r.status, 0, r.stderr);
    const report = readJson(join(dir, 'report.json'));
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
