/**
 * Fault handling of the parallel engine, with faults injected into workers
 * (src/engine/faults.ts): a task that throws, a worker that exits, a worker out of memory,
 * Ctrl-C on the CLI. Policy: channel-level strategies fail the run naming the channel; the
 * sessions strategy reports the session as failed and continues.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import {
  analyzeRat,
  computeRoiThetaSpectrogram,
  encodeNpy,
  shutdownPools,
  syntheticSession,
  WorkerCrashError,
  type Backend,
} from '../../src/index.js';
import { childPids } from '../../src/bench/proc.js';
import { FAULT_ENV } from '../../src/engine/faults.js';
import { assertBitwiseEqual, spawnCli, tempDir } from '../helpers.js';

/** Runs `body` with a fault armed in fresh pools (workers read the environment when they start). */
async function withFault<T>(fault: string, body: () => Promise<T>): Promise<T> {
  await shutdownPools(true);
  process.env[FAULT_ENV] = fault;
  try {
    return await body();
  } finally {
    delete process.env[FAULT_ENV];
  }
}

afterEach(() => shutdownPools(true));

const session = syntheticSession({ seed: 9, nChannels: 4, nTimes: 4000 });
const BACKENDS: Backend[] = ['threads', 'processes'];

describe('faults in channel tasks', () => {
  for (const backend of BACKENDS) {
    // Faults are injected into workers: under threads, keep the calling thread out of the tasks.
    const workersOnly = backend === 'threads' ? { callerComputes: false } : {};
    test(`${backend}: a task that throws fails the run but not the pool`, async () => {
      await withFault('throw:channel 2', async () => {
        const options = { nFreqs: 3, strategy: 'channels' as const, backend, jobs: 2, ...workersOnly };
        await assert.rejects(computeRoiThetaSpectrogram(session, [0, 1, 2, 3], options), /task channel 2 failed in a worker: injected fault in channel 2/);
        // The same pool (same workers) still serves work that avoids the faulty channel.
        const ok = await computeRoiThetaSpectrogram(session, [0, 1, 3], options);
        const seq = await computeRoiThetaSpectrogram(session, [0, 1, 3], { nFreqs: 3 });
        assertBitwiseEqual(ok.roiPower, seq.roiPower, 'after a throwing task');
      });
    });

    test(`${backend}: a worker that exits is reported with its channel and rows`, async () => {
      await withFault('exit:channel 1, frequency rows 2–3', async () => {
        const options = { nFreqs: 4, strategy: 'frequencies' as const, batchSize: 2, backend, jobs: 2, ...workersOnly };
        await assert.rejects(
          computeRoiThetaSpectrogram(session, [0, 1, 2], options),
          (e: unknown) => e instanceof WorkerCrashError && e.label === 'channel 1, frequency rows 2–3' && /worker died while computing channel 1/.test(e.message),
        );
        const ok = await computeRoiThetaSpectrogram(session, [0, 2], options);
        assert.equal(ok.roiPower.length, 4 * session.nTimes, 'the pool replaced the dead worker');
      });
    });

    test(`${backend}: a worker out of memory is reported, not a crash of the run`, async () => {
      await withFault('oom:channel 0', async () => {
        await assert.rejects(
          computeRoiThetaSpectrogram(session, [0, 1], { nFreqs: 2, strategy: 'channels', backend, jobs: 2, workerHeapLimitMb: 64, ...workersOnly }),
          (e: unknown) => e instanceof WorkerCrashError && e.label === 'channel 0',
        );
      });
    });
  }
});

test('threads: a task that throws on the calling thread fails the run, names the task, and the next run works', async () => {
  // jobs 1 with callerComputes: no worker, the task runs on this thread.
  const options = { nFreqs: 3, strategy: 'frequencies' as const, jobs: 1, callerComputes: true };
  await withFault('throw:channel 2, frequency rows 0–2', async () => {
    await assert.rejects(
      computeRoiThetaSpectrogram(session, [0, 1, 2, 3], options),
      /^Error: task channel 2, frequency rows 0–2 failed: injected fault in channel 2, frequency rows 0–2$/m,
    );
    const ok = await computeRoiThetaSpectrogram(session, [0, 1, 3], options);
    const seq = await computeRoiThetaSpectrogram(session, [0, 1, 3], { nFreqs: 3 });
    assertBitwiseEqual(ok.roiPower, seq.roiPower, 'after a throwing task');
  });
});

describe('faults in session tasks', () => {
  for (const backend of BACKENDS) {
    const workersOnly = backend === 'threads' ? { callerComputes: false } : {};
    test(`${backend}: a dead worker fails its session only; the rat run continues`, async () => {
      const sessions = [0, 1, 2, 3].map((index) => ({ index, session: syntheticSession({ seed: 20 + index, nChannels: 2, nTimes: 5000, nEvents: 6 }) }));
      const options = { roi: { channels: [0, 1] }, nFreqs: 3 };
      const reference = await analyzeRat('9151', sessions.filter((s) => s.index !== 1), options);
      const rat = await withFault('exit:session 1', () => analyzeRat('9151', sessions, { ...options, strategy: 'sessions', backend, jobs: 2, ...workersOnly }));
      assert.deepEqual(rat.failed.map((f) => [f.index, f.kind]), [[1, 'worker-crashed']]);
      assert.match(rat.failed[0]!.reason, /worker died while computing session 1/);
      assert.deepEqual(rat.sessions.map((s) => s.sessionIndex), [0, 2, 3]);
      rat.sizes.forEach((s, i) => assertBitwiseEqual(s.mean, reference.sizes[i]!.mean, `size ${s.label}`));
    });
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Ctrl-C', () => {
  test('SIGINT stops all worker processes, leaves no orphan and no output file', async () => {
    const dir = tempDir();
    const input = join(dir, 'x.npy');
    writeFileSync(input, encodeNpy(syntheticSession({ seed: 1, nChannels: 2, nTimes: 4000 }).eeg, [2, 4000]));
    const output = join(dir, 'p.npy');
    const cli = spawnCli(['tfr', '--input', input, '--sfreq', '200', '--output', output, '--strategy', 'channels', '--backend', 'processes', '--jobs', '2'], {
      env: { ...process.env, [FAULT_ENV]: 'hang:channel 0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    cli.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until both worker processes are up and the hanging task is running.
    let workers: number[] = [];
    for (let i = 0; i < 200 && workers.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      workers = childPids(cli.pid!);
    }
    assert.equal(workers.length, 2, `worker processes seen: ${workers}`);
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    cli.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(workers.filter(alive), [], 'worker processes left behind');
    assert.deepEqual(readdirSync(dir).sort(), ['x.npy'], 'no output or temporary file');
  });
});
