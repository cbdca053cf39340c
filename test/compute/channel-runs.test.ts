/**
 * Parallel == sequential, bitwise, for every strategy × backend × jobs (1…cores+1) × batch size,
 * on randomized problems (fast-check), and the pool's lifecycle.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  analyzeRat,
  analyzeSession,
  availableCores,
  AUTO_MIN_TF_POINTS,
  chooseStrategy,
  computeRoiThetaSpectrogram,
  computeTfrPower,
  cyclesFor,
  InvalidParameterError,
  resolveParallelOptions,
  shutdownPools,
  syntheticSession,
  type AutoChoice,
  type Backend,
  type CyclesSpec,
  type ParallelOptions,
  type ProblemSize,
} from '../src/index.js';
import { sharedPool } from '../src/engine/pool.js';
import { planRun } from '../src/compute/plan.js';
import { kernelRoiLimit } from '../src/compute/channel-power.js';
import { assertBitwiseEqual } from './helpers.js';

after(() => shutdownPools());

const CORES = availableCores();
const BACKENDS: Backend[] = ['threads', 'processes'];

/** With threads, with and without the calling thread computing tasks. */
const withCaller = <T extends { backend: Backend }>(p: T, callerComputes: boolean): T & { callerComputes?: boolean } =>
  p.backend === 'threads' ? { ...p, callerComputes } : p;

/** A random parallel configuration of the channel-level strategies. */
const channelParallel = fc
  .record({
    strategy: fc.constantFrom('channels' as const, 'frequencies' as const, 'auto' as const),
    backend: fc.constantFrom(...BACKENDS),
    jobs: fc.integer({ min: 1, max: CORES + 1 }),
    batchSize: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
    callerComputes: fc.boolean(),
  })
  .map(({ callerComputes, ...p }) => withCaller(p, callerComputes));

/** A random small recording and time-frequency problem. */
const problem = fc
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

function withoutWarnings<T>(run: () => Promise<T>): Promise<T> {
  // jobs = cores + 1 warns by design; keep the test output clean.
  const emit = process.emitWarning;
  process.emitWarning = (() => undefined) as typeof process.emitWarning;
  return run().finally(() => {
    process.emitWarning = emit;
  });
}

describe('bitwise identity (property-based)', () => {
  test('tfr power: any channel strategy/backend/jobs/batch equals sequential', async () => {
    await withoutWarnings(() =>
      fc.assert(
        fc.asyncProperty(problem, channelParallel, async (p, par) => {
          const s = syntheticSession({ seed: p.seed, nChannels: p.nChannels, nTimes: p.nTimes, sfreq: p.sfreq, nEvents: 0 });
          const params = { sfreq: p.sfreq, freqs: Float64Array.from(p.freqs), nCycles: cyclesFor(p.freqs, p.cycles), zeroMean: p.zeroMean };
          const seq = await computeTfrPower(s.eeg, p.nChannels, params);
          const parallel = await computeTfrPower(s.eeg, p.nChannels, params, par);
          assertBitwiseEqual(parallel, seq, `tfr ${JSON.stringify(par)}`);
        }),
        { numRuns: 40, seed: 20261124 },
      ),
    );
  });

  test('ROI spectrogram and channel power: random ROI order and subset', async () => {
    await withoutWarnings(() =>
      fc.assert(
        fc.asyncProperty(problem, channelParallel, fc.integer({ min: 0, max: 1000 }), async (p, par, pick) => {
          const s = syntheticSession({ seed: p.seed, nChannels: p.nChannels, nTimes: p.nTimes, sfreq: p.sfreq, nEvents: 0 });
          // A random ordered subset of the channels, derived from `pick`.
          const roi = [...Array(p.nChannels).keys()].sort((a, b) => ((a * 7919 + pick) % 13) - ((b * 7919 + pick) % 13));
          roi.length = 1 + (pick % p.nChannels);
          const options = { freqs: p.freqs, cycles: p.cycles, zeroMean: p.zeroMean, returnChannelPower: true };
          const seq = await computeRoiThetaSpectrogram(s, roi, options);
          const parallel = await computeRoiThetaSpectrogram(s, roi, { ...options, ...par });
          const what = `ROI ${roi} ${JSON.stringify(par)}`;
          assertBitwiseEqual(parallel.roiPower, seq.roiPower, `${what} roiPower`);
          assertBitwiseEqual(parallel.channelPower!, seq.channelPower!, `${what} channelPower`);
          assertBitwiseEqual(parallel.channelMean, seq.channelMean, `${what} mean`);
          assertBitwiseEqual(parallel.channelStd, seq.channelStd, `${what} std`);
        }),
        { numRuns: 40, seed: 7 },
      ),
    );
  });

  test('session windows, lean and full, with random event layouts', async () => {
    await withoutWarnings(() =>
      fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 1e6 }),
          fc.integer({ min: 2, max: 5 }),
          fc.integer({ min: 3000, max: 9000 }),
          fc.integer({ min: 1, max: 12 }),
          fc.boolean(),
          channelParallel,
          async (seed, nChannels, nTimes, nEvents, saveRoiPower, par) => {
            const s = syntheticSession({ seed, nChannels, nTimes, nEvents, thetaBursts: true });
            const options = { roi: { channels: [...Array(nChannels).keys()].reverse() }, nFreqs: 6, saveRoiPower };
            const seq = await analyzeSession(s, options);
            const parallel = await analyzeSession(s, { ...options, ...par });
            assert.equal(parallel.sizes.length, seq.sizes.length);
            parallel.sizes.forEach((z, i) => {
              assertBitwiseEqual(z.windows, seq.sizes[i]!.windows, `windows size ${z.label} ${JSON.stringify(par)}`);
              assertBitwiseEqual(z.mean, seq.sizes[i]!.mean, `mean size ${z.label}`);
            });
          },
        ),
        { numRuns: 25, seed: 11 },
      ),
    );
  });

  test('sessions strategy: rat means equal sequential for any backend/jobs/batch', async () => {
    const sessions = [0, 1, 2, 3, 4].map((i) => ({
      index: i,
      session: syntheticSession({ seed: 100 + i, nChannels: 3, nTimes: 6000, nEvents: 8, thetaBursts: true }),
    }));
    sessions[3]!.session.eeg[10] = NaN; // a failing session must be reported the same way
    const options = { roi: { channels: [2, 0] }, nFreqs: 5 };
    const seq = await analyzeRat('9151', sessions, options);
    await withoutWarnings(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...BACKENDS),
          fc.integer({ min: 1, max: CORES + 1 }),
          fc.integer({ min: 1, max: 6 }),
          fc.boolean(),
          async (backend, jobs, batchSize, callerComputes) => {
            const par = withCaller({ strategy: 'sessions' as const, backend, jobs, batchSize }, callerComputes);
            const parallel = await analyzeRat('9151', sessions, { ...options, ...par });
            assert.deepEqual(parallel.failed, seq.failed);
            assert.deepEqual(parallel.sessions.map((s) => s.sessionIndex), seq.sessions.map((s) => s.sessionIndex));
            parallel.sizes.forEach((z, i) => assertBitwiseEqual(z.mean, seq.sizes[i]!.mean, `rat mean size ${z.label}`));
          },
        ),
        { numRuns: 12, seed: 3 },
      ),
    );
  });

  test('exhaustive sweep on one problem: every strategy × backend × jobs × batch size', async () => {
    const s = syntheticSession({ seed: 5, nChannels: 3, nTimes: 4000 });
    const options = { nFreqs: 5 };
    const seq = await computeRoiThetaSpectrogram(s, [0, 1, 2], options);
    const configs: ParallelOptions[] = [];
    for (const backend of BACKENDS) {
      for (const callerComputes of backend === 'threads' ? [true, false] : [false]) {
        const where = backend === 'threads' ? { callerComputes } : {};
        for (let jobs = 1; jobs <= CORES + 1; jobs++) {
          configs.push({ strategy: 'channels', backend, jobs, ...where });
          for (const batchSize of [1, 2, 3, 5]) configs.push({ strategy: 'frequencies', backend, jobs, batchSize, ...where });
        }
      }
    }
    await withoutWarnings(async () => {
      for (const c of configs) {
        const r = await computeRoiThetaSpectrogram(s, [0, 1, 2], { ...options, ...c });
        assertBitwiseEqual(r.roiPower, seq.roiPower, JSON.stringify(c));
      }
    });
  });
});

test('full-power ROI rows too big for the kernel are added to the output directly, with the same bits', async () => {
  const s = syntheticSession({ seed: 8, nChannels: 3, nTimes: 5000 });
  const inKernel = await computeRoiThetaSpectrogram(s, [2, 0, 1], { nFreqs: 4, returnChannelPower: true });
  const limit = kernelRoiLimit.values;
  kernelRoiLimit.values = 4999; // below one row: this thread falls back
  try {
    const direct = await computeRoiThetaSpectrogram(s, [2, 0, 1], { nFreqs: 4 });
    assertBitwiseEqual(direct.roiPower, inKernel.roiPower, 'ROI power');
    assertBitwiseEqual(direct.channelStd, inKernel.channelStd, 'statistics');
  } finally {
    kernelRoiLimit.values = limit;
  }
});

describe('the auto rule', () => {
  const problem = (over: Partial<ProblemSize>): ProblemSize => ({ nChannels: 8, nFreqs: 20, nTimes: 100_000, nSessions: 1, output: 'windows', ...over });
  const choose = (over: Partial<ProblemSize>, jobs = 2, maxMemoryBytes = 4 * 1024 ** 3, callerComputes = false) =>
    chooseStrategy(problem(over), { jobs, maxMemoryBytes, callerComputes });
  test('each rule, in order', () => {
    assert.equal(choose({}, 1).strategy, 'sequential');
    assert.deepEqual(pick(choose({}, 2, 4 * 1024 ** 3, true)), ['frequencies', 10], 'the calling thread computes: one batch per thread');
    assert.deepEqual(pick(choose({ output: 'channelPower' }, 2, 4 * 1024 ** 3, true)), ['frequencies', 10]);
    assert.equal(choose({ nChannels: 1, nFreqs: 2, nTimes: AUTO_MIN_TF_POINTS / 2 - 1 }).strategy, 'sequential');
    assert.deepEqual(pick(choose({ nSessions: 3, output: 'roiPower' })), ['sessions', 1]);
    assert.deepEqual(pick(choose({ output: 'roiPower' })), ['frequencies', 10]);
    assert.deepEqual(pick(choose({ output: 'roiPower' }, 3)), ['frequencies', 7]);
    assert.deepEqual(pick(choose({})), ['channels', null]);
    assert.deepEqual(pick(choose({ nChannels: 3 })), ['frequencies', 10]);
    assert.deepEqual(pick(choose({ output: 'channelPower' })), ['channels', null]);
    assert.deepEqual(pick(choose({ output: 'channelPower' }, 2, 40e6)), ['frequencies', 10], 'three channels of power rows exceed 40 MB');
  });
  const pick = (c: AutoChoice) => [c.strategy, c.batchSize];
});

describe('pool lifecycle and options', () => {
  test('one long-lived pool is reused across calls', async () => {
    const s = syntheticSession({ seed: 1, nChannels: 2, nTimes: 3000 });
    for (const callerComputes of [true, false]) {
      const pool = sharedPool({ backend: 'threads', jobs: 2, callerComputes });
      const workers = callerComputes ? 1 : 2; // the calling thread is the second computing thread
      for (let i = 0; i < 5; i++) await computeRoiThetaSpectrogram(s, [0, 1], { strategy: 'channels', jobs: 2, nFreqs: 3, callerComputes });
      assert.equal(sharedPool({ backend: 'threads', jobs: 2, callerComputes }), pool, 'same pool object');
      assert.equal(pool.workerCount, workers, `callerComputes ${callerComputes}: workers started once, none per call`);
    }
    assert.throws(() => resolveParallelOptions({ backend: 'processes', callerComputes: true }), /callerComputes applies to the threads backend only/);
  });

  test("the plan's pool: workers only for channels adding full-power ROI rows in turns and for runs with more tasks than threads", () => {
    const problem = (output: ProblemSize['output'], nChannels = 2): ProblemSize => ({ nChannels, nFreqs: 20, nTimes: 100_000, nSessions: 1, output });
    const plan = (strategy: 'channels' | 'frequencies', output: ProblemSize['output'], nChannels = 2, jobs = 2, batchSize?: number) =>
      planRun(problem(output, nChannels), { strategy, jobs, ...(batchSize !== undefined && { batchSize }) });
    assert.equal(plan('channels', 'roiPower').pool!.callerComputes, false);
    assert.equal(plan('channels', 'windows').pool!.callerComputes, true);
    assert.equal(plan('channels', 'windows', 3).pool!.callerComputes, false, 'more tasks than threads');
    assert.equal(plan('frequencies', 'roiPower').pool!.callerComputes, true);
    assert.equal(plan('frequencies', 'roiPower', 2, 2, 5).pool!.callerComputes, false, 'more tasks than threads');
    assert.equal(plan('frequencies', 'roiPower', 2, 1, 5).pool!.callerComputes, true, 'one job: no worker to keep waiting');
    assert.equal(sequentialPool(), null);
    // A stream of unknown length (a rat's sessions): workers only, but for one job.
    const sessions = (jobs: number) => planRun({ ...problem('windows'), nSessions: 4, unit: 'sessions' }, { strategy: 'sessions', jobs }).pool!;
    assert.equal(sessions(2).callerComputes, false);
    assert.equal(sessions(1).callerComputes, true);
    assert.throws(() => planRun(problem('windows'), { strategy: 'sessions' }), /parallelises across sessions/);
    // The task counts: one per channel, one per batch of rows.
    assert.equal(plan('channels', 'windows', 8).nTasks, 8);
    assert.equal(plan('frequencies', 'windows', 8).nTasks, 2);
    assert.equal(plan('frequencies', 'windows', 8, 3).nTasks, 3);
    assert.equal(plan('frequencies', 'windows', 8, 2, 5).nTasks, 4);
    assert.equal(plan('frequencies', 'windows', 8, 2, 30).nTasks, 1);
    assert.equal(plan('frequencies', 'windows', 8, 2, 30).batchSize, 20, 'a batch is at most every row');
    function sequentialPool() {
      return planRun(problem('windows'), { strategy: 'sequential' }).pool;
    }
  });

  test('jobs of 0, negative or non-integer is a clear error', () => {
    for (const jobs of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => resolveParallelOptions({ strategy: 'channels', jobs }), (e: unknown) => e instanceof InvalidParameterError && /jobs must be an integer >= 1/.test(e.message));
    }
    assert.throws(() => resolveParallelOptions({ batchSize: 0 }), /batch size must be an integer >= 1, got 0/);
    assert.throws(() => resolveParallelOptions({ strategy: 'bogus' as never }), /strategy 'bogus' is unknown/);
    assert.throws(() => resolveParallelOptions({ backend: 'gpu' as never }), /backend 'gpu' is unknown/);
  });

  test('more jobs than cores is allowed, with a warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(`${w.name}: ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      const s = syntheticSession({ seed: 2, nChannels: 3, nTimes: 2000 });
      const seq = await computeRoiThetaSpectrogram(s, [0, 1, 2], { nFreqs: 2 });
      const r = await computeRoiThetaSpectrogram(s, [0, 1, 2], { nFreqs: 2, strategy: 'channels', jobs: CORES + 2 });
      assertBitwiseEqual(r.roiPower, seq.roiPower, 'oversubscribed');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on next tick
    } finally {
      process.off('warning', onWarning);
    }
    assert.ok(warnings.some((w) => w.startsWith('EegParallelWarning') && w.includes(`jobs=${CORES + 2}`)), warnings.join('\n'));
  });

  test('the sessions strategy on one recording is a clear error', async () => {
    const s = syntheticSession({ seed: 3, nChannels: 2, nTimes: 2000 });
    await assert.rejects(computeRoiThetaSpectrogram(s, [0], { strategy: 'sessions' }), /parallelises across sessions/);
  });
});
