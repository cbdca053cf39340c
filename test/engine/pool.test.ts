/** The compute pool (src/engine/pool.ts): one long-lived pool per configuration, reused across calls. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { computeRoiThetaSpectrogram, resolveParallelOptions, shutdownPools, syntheticSession } from '../../src/index.js';
import { sharedPool } from '../../src/engine/pool.js';

after(() => shutdownPools());

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
});
