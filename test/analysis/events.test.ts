/** Event windows (SPEC 3.5, src/analysis/events.ts): valid and invalid events, window starts, size labels. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planEventWindows, searchSortedLeft, sizeLabel } from '../../src/index.js';

describe('event windows', () => {
  const sfreq = 200;
  const times = Float64Array.from({ length: 2000 }, (_, i) => i / sfreq); // 0 … 9.995 s

  test('valid/invalid bookkeeping and starts (searchsorted left)', () => {
    const events = Float64Array.from([0.4, 5.0, 9.6, 3.0025, 0.5]);
    const sizes = Float64Array.from([1, 2, 3, 1, 2]);
    const plan = planEventWindows(times, events, sizes, 1.0, sfreq);
    assert.equal(plan.windowSamples, 200);
    assert.deepEqual(
      plan.windows.map((w) => [w.index, w.start]),
      [
        [1, 900],
        [3, 501], // 2.5025 s falls between samples 500 and 501 → first index ≥ it
        [4, 0], // t − half = 0 exactly: valid, starts at sample 0
      ],
    );
    assert.deepEqual(
      plan.invalid.map((e) => [e.index, e.reason]),
      [
        [0, 'starts-before-recording'],
        [2, 'ends-after-recording'],
      ],
    );
    assert.equal(plan.windowTimes[0], -0.5);
    assert.equal(plan.windowTimes[199], 0.5);
  });
  test('window_samples truncates duration × sfreq', () => {
    const plan = planEventWindows(times, Float64Array.from([5]), Float64Array.from([1]), 1.23, sfreq);
    assert.equal(plan.windowSamples, 246);
  });
  test('a window reaching past the last sample is exceeds-samples', () => {
    // A gap before the last sample: t ± half lies inside [times[0], times[-1]] but the window needs
    // samples beyond the end of the array.
    const gappy = Float64Array.from(times);
    gappy[gappy.length - 1] = 20;
    const plan = planEventWindows(gappy, Float64Array.from([15, 5]), Float64Array.from([1, 1]), 1.0, sfreq);
    assert.deepEqual(plan.invalid.map((e) => e.reason), ['exceeds-samples']);
  });
  test('searchSortedLeft matches numpy side=left', () => {
    const a = Float64Array.from([1, 2, 2, 3]);
    assert.deepEqual([0, 1, 2, 2.5, 3, 4].map((v) => searchSortedLeft(a, v)), [0, 0, 1, 3, 3, 4]);
  });
  test('size labels', () => {
    assert.equal(sizeLabel(1), '1');
    assert.equal(sizeLabel(2.0), '2');
    assert.equal(sizeLabel(1.5), '1.5');
  });
});
