/** ROI resolution (SPEC 2.2), event windows (SPEC 3.5) and synthetic sessions (SPEC 7). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  loadDefaultElectrodeTable,
  parseElectrodeTable,
  parseRoiMap,
  planEventWindows,
  resolveRoi,
  searchSortedLeft,
  sizeLabel,
  syntheticSession,
  RoiError,
} from '../src/index.js';
import { assertBitwiseEqual } from './helpers.js';

describe('ROI resolution', () => {
  test('frontal → channels [20, 21, 23, 24] for every rat in the table', () => {
    for (const rat of loadDefaultElectrodeTable().keys()) {
      const r = resolveRoi({ name: 'frontal' }, rat);
      assert.deepEqual(r.channels, [20, 21, 23, 24], `rat ${rat}`);
      assert.deepEqual(r.electrodes, [29, 2, 31, 32]);
    }
  });
  test('electrode lists resolve in channel order, not in the order given', () => {
    const r = resolveRoi({ electrodes: [32, 2] }, '9151');
    assert.deepEqual(r.channels, [21, 24]);
  });
  test('channel ROIs keep their order and carry electrodes of known rats', () => {
    const r = resolveRoi({ channels: [3, 0] }, '9151');
    assert.deepEqual(r.channels, [3, 0]);
    assert.deepEqual(r.electrodes, [13, 10]);
    assert.equal(resolveRoi({ channels: [1] }, 'unknown-rat').electrodes, null);
    assert.throws(() => resolveRoi({ channels: [1, 1] }, '9151'), /duplicates/);
    assert.throws(() => resolveRoi({ channels: [-1] }, '9151'), /channel index -1 is invalid/);
  });
  test('electrode ROI for a rat missing from the table names the known rats', () => {
    assert.throws(() => resolveRoi({ name: 'frontal' }, '123'), /rat '123' is not in the electrode table.*known rats: 9151/);
  });
  test('custom tables', () => {
    const roiMap = parseRoiMap('{"a": [1, 2]}');
    const electrodeTable = parseElectrodeTable('rat_id,ch_0,ch_1,ch_2\n7,2,3,1\n');
    assert.deepEqual(resolveRoi({ name: 'a' }, '7', { roiMap, electrodeTable }).channels, [0, 2]);
    assert.throws(() => parseRoiMap('{"a": [0]}'), RoiError);
    assert.throws(() => parseRoiMap('[1]'), /JSON object/);
    assert.throws(() => parseElectrodeTable('rat,ch_0\n1,2'), /expected header/);
    assert.throws(() => parseElectrodeTable('rat_id,ch_0\n1,40'), /electrode 40 is outside 1–32/);
  });
});

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

describe('synthetic sessions', () => {
  test('same seed → same bytes; different seed → different data', () => {
    const a = syntheticSession({ seed: 3, nChannels: 2, nTimes: 5000, thetaBursts: true });
    const b = syntheticSession({ seed: 3, nChannels: 2, nTimes: 5000, thetaBursts: true });
    const c = syntheticSession({ seed: 4, nChannels: 2, nTimes: 5000, thetaBursts: true });
    assertBitwiseEqual(a.eeg, b.eeg, 'eeg');
    assertBitwiseEqual(a.nmPeakTimes, b.nmPeakTimes, 'events');
    assert.notDeepEqual(a.eeg.subarray(0, 10), c.eeg.subarray(0, 10));
  });
  test('SPEC 7 layout: 50 events in [10, T − 10] s, sizes in {1,2,3}, sorted', () => {
    const s = syntheticSession({ seed: 1 });
    assert.equal(s.nChannels, 8);
    assert.equal(s.nTimes, 20_000);
    assert.equal(s.nmPeakTimes.length, 50);
    const T = s.eegTime[s.nTimes - 1]!;
    s.nmPeakTimes.forEach((t, i) => {
      assert.ok(t >= 10 && t <= T - 10, `event ${i} at ${t}`);
      if (i > 0) assert.ok(t >= s.nmPeakTimes[i - 1]!);
    });
    assert.deepEqual([...new Set(s.nmSizes)].sort(), [1, 2, 3]);
    // The signal is the SPEC's sum of sinusoids plus 0.1·N(0,1) noise: residual std ≈ 0.1.
    let ss = 0;
    for (let i = 0; i < s.nTimes; i++) {
      const t = s.eegTime[i]!;
      const clean = 0.5 * Math.sin(2 * Math.PI * 4 * t) + 0.3 * Math.sin(2 * Math.PI * 8 * t) + 0.2 * Math.sin(2 * Math.PI * 15 * t);
      ss += (s.eeg[i]! - clean) ** 2;
    }
    const sd = Math.sqrt(ss / s.nTimes);
    assert.ok(sd > 0.09 && sd < 0.11, `noise std ${sd}`);
  });
});
