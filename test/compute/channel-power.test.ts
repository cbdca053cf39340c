/** Channel power (src/compute/channel-power.ts): full-power ROI rows too big for the kernel take the direct path, with the same bits. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeRowBatch, type RowBatchOutputs } from '../../src/compute/channel-power.js';
import { createWaveletBank } from '../../src/dsp/convolve.js';
import { resolveTfrParams } from '../../src/analysis/roi-spectrogram.js';
import { syntheticSession } from '../../src/index.js';
import { assertBitwiseEqual } from '../helpers.js';

/** ROI power and statistics of channels [2, 0, 1] with the given kernel limit. */
function roiPower(kernelRoiLimit: number): { sum: Float64Array; std: Float64Array } {
  const s = syntheticSession({ seed: 8, nChannels: 3, nTimes: 5000 });
  const bank = createWaveletBank(resolveTfrParams({ nFreqs: 4 }, 200), s.nTimes);
  const nFreqs = bank.freqs.length;
  const roi = [2, 0, 1];
  const sum = new Float64Array(nFreqs * s.nTimes);
  const std = new Float64Array(roi.length * nFreqs);
  const out: RowBatchOutputs = {
    channels: roi.map((_, c) => ({ mean: new Float64Array(nFreqs), std: std.subarray(c * nFreqs, (c + 1) * nFreqs), power: null })),
    roi: { source: 'power', sum, nRows: nFreqs, firstRow: 0 },
  };
  const signals = roi.map((c) => s.eeg.subarray(c * s.nTimes, (c + 1) * s.nTimes));
  computeRowBatch(signals, bank, 0, nFreqs, out, null, { kernelRoiLimit });
  return { sum, std };
}

test('full-power ROI rows too big for the kernel are added to the output directly, with the same bits', () => {
  const inKernel = roiPower(Infinity);
  const direct = roiPower(4999); // below one row: the rows are added to the output directly
  assert.ok(inKernel.sum.some((v) => v !== 0), 'the ROI power is computed');
  assertBitwiseEqual(direct.sum, inKernel.sum, 'ROI power');
  assertBitwiseEqual(direct.std, inKernel.std, 'statistics');
});
