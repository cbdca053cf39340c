/** Parallel options (src/compute/options.ts): invalid jobs, batch sizes, strategies and backends; more jobs than cores warns. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  availableCores,
  computeRoiThetaSpectrogram,
  InvalidParameterError,
  resolveParallelOptions,
  shutdownPools,
  syntheticSession,
} from '../../src/index.js';
import { assertBitwiseEqual } from '../helpers.js';

after(() => shutdownPools());

const CORES = availableCores();

describe('pool lifecycle and options', () => {
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
});
