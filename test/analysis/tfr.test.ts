/**
 * The transform of a whole array (src/analysis/tfr.ts): written to a file in pieces of frequency
 * rows, it is byte for byte the file of the power computed whole, for any piece size, strategy,
 * backend and job count (fast-check); a failing write leaves the target as it was.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  computeTfrPower,
  cyclesFor,
  encodeNpy,
  NonFiniteDataError,
  OutputFileError,
  planTfrFileRun,
  shutdownPools,
  syntheticSession,
  writeTfrPower,
} from '../../src/index.js';
import { arbitraryChannelParallel, arbitraryTfrProblem, skipWithoutMount, tempDir, withSmallFilesystem, withTempDir, withoutWarnings } from '../helpers.js';

after(() => shutdownPools());

const BYTES = Float64Array.BYTES_PER_ELEMENT;

describe('writeTfrPower', () => {
  test('pieces of any size, any strategy: the bytes of the power computed whole', async () => {
    const dir = tempDir();
    await withoutWarnings(() =>
      fc.assert(
        fc.asyncProperty(arbitraryTfrProblem, arbitraryChannelParallel, fc.integer({ min: 1, max: 8 }), async (p, par, rowsPerPiece) => {
          const s = syntheticSession({ seed: p.seed, nChannels: p.nChannels, nTimes: p.nTimes, sfreq: p.sfreq, nEvents: 0 });
          const params = { sfreq: p.sfreq, freqs: Float64Array.from(p.freqs), nCycles: cyclesFor(p.freqs, p.cycles), zeroMean: p.zeroMean };
          const nFreqs = p.freqs.length;
          const whole = encodeNpy(await computeTfrPower(s.eeg, p.nChannels, params), [p.nChannels, nFreqs, p.nTimes]);
          // A budget of exactly `rowsPerPiece` rows of every channel.
          const parallel = { ...par, maxMemoryBytes: rowsPerPiece * p.nChannels * p.nTimes * BYTES };
          const plan = planTfrFileRun(p.nChannels, nFreqs, p.nTimes, parallel);
          assert.equal(plan.rowsPerPiece, Math.min(rowsPerPiece, nFreqs));
          const path = join(dir, 'p.npy');
          const pieces = await writeTfrPower(path, s.eeg, p.nChannels, params, parallel);
          assert.equal(pieces, Math.ceil(nFreqs / plan.rowsPerPiece));
          assert.ok(Buffer.from(whole).equals(readFileSync(path)), `${JSON.stringify(parallel)}: the file differs from the power computed whole`);
        }),
        { numRuns: 40, seed: 61206 },
      ),
    );
    assert.deepEqual(readdirSync(dir), ['p.npy'], 'no temporary file left');
  });

  test('one row of every channel when even that exceeds the budget', () => {
    assert.equal(planTfrFileRun(4, 20, 1000, { maxMemoryBytes: 1 }).rowsPerPiece, 1);
    assert.equal(planTfrFileRun(4, 20, 1000, { maxMemoryBytes: 4 * 1000 * BYTES * 7.5 }).rowsPerPiece, 7);
    assert.equal(planTfrFileRun(4, 20, 1000).rowsPerPiece, 20);
  });

  test('non-finite input: refused before anything is written', withTempDir(async (dir) => {
    const data = new Float64Array(2000).map((_, i) => Math.sin(i / 7));
    data[1500] = NaN;
    const params = { sfreq: 200, freqs: Float64Array.of(5, 7), nCycles: Float64Array.of(3, 3), zeroMean: true };
    await assert.rejects(writeTfrPower(join(dir, 'p.npy'), data, 2, params), NonFiniteDataError);
    assert.deepEqual(readdirSync(dir), []);
  }));

  test('a full disk: OutputFileError, the earlier file left as it was, no temporary file', { skip: skipWithoutMount() }, withSmallFilesystem(192 * 1024, async (dir) => {
    const path = join(dir, 'p.npy');
    writeFileSync(path, 'the earlier result');
    const data = new Float64Array(2 * 4000).map((_, i) => Math.cos(i / 5));
    const params = { sfreq: 200, freqs: Float64Array.of(4, 5, 6, 7), nCycles: Float64Array.of(3, 3, 3, 3), zeroMean: true };
    // 2 × 4 × 4000 values: 256,000 bytes of power, more than the 192 KiB filesystem holds.
    await assert.rejects(writeTfrPower(path, data, 2, params, { maxMemoryBytes: 2 * 4000 * BYTES }), (e: Error) => {
      assert.ok(e instanceof OutputFileError, String(e));
      assert.match(e.message, /^cannot write '.*p\.npy': no space left on the device; nothing was written in its place$/);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), 'the earlier result');
    assert.deepEqual(readdirSync(dir), ['p.npy']);
    assert.ok(existsSync(path));
  }));
});
