/**
 * Parallel == sequential, bitwise, for every strategy × backend × jobs (1…cores+1) × batch size,
 * on randomized problems (fast-check): the channel-level runs (src/compute/channel-runs.ts) under
 * tfr power, ROI spectrograms and session windows, and the sessions strategy of a rat.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  analyzeRat,
  analyzeSession,
  availableCores,
  computeRoiThetaSpectrogram,
  computeTfrPower,
  cyclesFor,
  shutdownPools,
  syntheticSession,
  type Backend,
  type CyclesSpec,
  type ParallelOptions,
} from '../../src/index.js';
import { assertBitwiseEqual } from '../helpers.js';

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
