/** Synthetic sessions (SPEC 7, src/synthetic/session.ts): seeded, with the SPEC's layout and noise. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { syntheticSession } from '../../src/index.js';
import { assertBitwiseEqual } from '../helpers.js';

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
