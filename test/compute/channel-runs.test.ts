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
  createWaveletBank,
  cyclesFor,
  planRun,
  shutdownPools,
  syntheticSession,
  type Backend,
  type ParallelOptions,
} from '../../src/index.js';
import { runChannelJobs, type ChannelJobs } from '../../src/compute/channel-runs.js';
import { arbitraryChannelParallel as channelParallel, arbitraryTfrProblem as problem, assertBitwiseEqual, withCaller, withoutWarnings } from '../helpers.js';

after(() => shutdownPools());

const CORES = availableCores();
const BACKENDS: Backend[] = ['threads', 'processes'];

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

  test('a range of frequency rows: the rows of a run of all rows, for plain power, ROI power and ROI windows', async () => {
    await withoutWarnings(() =>
      fc.assert(
        fc.asyncProperty(
          problem,
          channelParallel,
          fc.constantFrom('none', 'power', 'windows'),
          fc.nat(),
          fc.nat(),
          async (p, par, output, a, b) => {
            const s = syntheticSession({ seed: p.seed, nChannels: p.nChannels, nTimes: p.nTimes, sfreq: p.sfreq, nEvents: 0 });
            const bank = createWaveletBank({ sfreq: p.sfreq, freqs: Float64Array.from(p.freqs), nCycles: cyclesFor(p.freqs, p.cycles), zeroMean: p.zeroMean }, p.nTimes);
            const nFreqs = p.freqs.length;
            const first = a % nFreqs;
            const count = 1 + (b % (nFreqs - first));
            const windowSamples = Math.max(1, Math.floor(p.nTimes / 4));
            const positions = output === 'windows' ? { starts: Int32Array.from([0, p.nTimes - windowSamples, Math.floor(p.nTimes / 3)]), windowSamples } : null;
            const jobs = (nRows: number): ChannelJobs => ({
              signals: Array.from({ length: p.nChannels }, (_, c) => s.eeg.subarray(c * p.nTimes, (c + 1) * p.nTimes)),
              names: Array.from({ length: p.nChannels }, (_, c) => `channel ${c}`),
              bank,
              windowPositions: positions,
              keptPower: output === 'none' ? new Float64Array(p.nChannels * nRows * p.nTimes) : null,
              roi: output === 'none' ? null : { source: output },
            });
            const problemSize = { nChannels: p.nChannels, nFreqs: count, nTimes: p.nTimes, nSessions: 1, output: output === 'none' ? 'channelPower' : output === 'power' ? 'roiPower' : 'windows' } as const;
            const all = await runChannelJobs(jobs(nFreqs), planRun({ ...problemSize, nFreqs }));
            const some = await runChannelJobs({ ...jobs(count), rows: { first, count } }, planRun(problemSize, par));
            const what = `rows ${first}+${count} of ${nFreqs}, ${output}, ${JSON.stringify(par)}`;
            // The rows [first, first + count) of every (group of) rows of the full run.
            const rowsOf = (full: Float64Array, nGroups: number, rowLength: number): Float64Array => {
              const out = new Float64Array(nGroups * count * rowLength);
              for (let g = 0; g < nGroups; g++) out.set(full.subarray((g * nFreqs + first) * rowLength, (g * nFreqs + first + count) * rowLength), g * count * rowLength);
              return out;
            };
            assertBitwiseEqual(some.channelMean, rowsOf(all.channelMean, p.nChannels, 1), `${what} mean`);
            assertBitwiseEqual(some.channelStd, rowsOf(all.channelStd, p.nChannels, 1), `${what} std`);
            if (output === 'none') assertBitwiseEqual(some.keptPower!, rowsOf(all.keptPower!, p.nChannels, p.nTimes), `${what} power`);
            if (output === 'power') assertBitwiseEqual(some.roiMean!, rowsOf(all.roiMean!, 1, p.nTimes), `${what} ROI power`);
            if (output === 'windows') assertBitwiseEqual(some.roiMean!, rowsOf(all.roiMean!, 3, windowSamples), `${what} ROI windows`);
          },
        ),
        { numRuns: 40, seed: 20261206 },
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
