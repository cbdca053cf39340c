/** Every bad parameter or input named in the core issue gives a typed error with a clear message. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  analyzeSession,
  ChannelRangeError,
  computeRoiThetaSpectrogram,
  cyclesFor,
  EventWindowError,
  frequencyGrid,
  InvalidParameterError,
  NonFiniteDataError,
  RoiError,
  SessionDataError,
  syntheticSession,
  type AnalysisOptions,
  type SessionData,
} from '../src/index.js';

const small = (): SessionData => syntheticSession({ seed: 7, nChannels: 4, nTimes: 6000, nEvents: 6 });
const roi0: AnalysisOptions = { roi: { channels: [0, 1] }, nFreqs: 3 };

describe('parameter errors', () => {
  test('freqs <= 0', () => {
    assert.throws(() => frequencyGrid(0, 8, 5, 200), InvalidParameterError);
    assert.throws(() => frequencyGrid(-1, 8, 5, 200), /must be finite and > 0/);
  });
  test('freqs >= Nyquist names the frequency and Nyquist', async () => {
    assert.throws(() => frequencyGrid(3, 100, 5, 200), /100 Hz .*Nyquist frequency 100 Hz/);
    await assert.rejects(computeRoiThetaSpectrogram(small(), [0], { freqs: [4, 120] }), /120 Hz \(index 1\).*Nyquist/);
  });
  test('f_lo >= f_hi', () => {
    assert.throws(() => frequencyGrid(8, 3, 5, 200), /f_lo < f_hi, got f_lo=8 and f_hi=3/);
    assert.throws(() => frequencyGrid(5, 5, 5, 200), InvalidParameterError);
  });
  test('n_freqs < 1', () => {
    assert.throws(() => frequencyGrid(3, 8, 0, 200), /n_freqs must be an integer from 1 to 10000, got 0/);
    assert.throws(() => frequencyGrid(3, 8, 2.5, 200), InvalidParameterError);
  });
  test('n_cycles <= 0 or wrong length', () => {
    const freqs = [3, 4, 5];
    assert.throws(() => cyclesFor(freqs, { kind: 'fixed', nCycles: 0 }), /n_cycles must be finite and > 0, got 0/);
    assert.throws(() => cyclesFor(freqs, { kind: 'perFrequency', nCycles: [3, -1, 2] }), /n_cycles\[1\] must be finite and > 0, got -1/);
    assert.throws(() => cyclesFor(freqs, { kind: 'perFrequency', nCycles: [3, 4] }), /2 values but there are 3 frequencies/);
    assert.throws(() => cyclesFor(freqs, { kind: 'factor', factor: 0 }), /n_cycles_factor/);
  });
});

describe('ROI errors', () => {
  test('empty ROI', async () => {
    await assert.rejects(analyzeSession(small(), { roi: { channels: [] } }), RoiError);
    await assert.rejects(analyzeSession(small(), { roi: { electrodes: [] } }), /empty/);
  });
  test('unknown ROI name lists the known ones', async () => {
    await assert.rejects(
      analyzeSession(small(), { roi: { name: 'cerebellum' } }),
      /unknown ROI 'cerebellum'; known ROIs: frontal, motor, ss, hippocampus, visual/,
    );
  });
  test('electrode outside 1–32', async () => {
    await assert.rejects(analyzeSession(small(), { roi: { electrodes: [2, 33] } }), /electrode 33 is outside 1–32/);
    await assert.rejects(analyzeSession(small(), { roi: { electrodes: [0] } }), RoiError);
  });
  test('channel index out of range names channel and channel count', async () => {
    await assert.rejects(
      analyzeSession(small(), { roi: { channels: [1, 4] } }),
      (e: unknown) => e instanceof ChannelRangeError && /channel index 4 is out of range.*4 channels/.test(e.message),
    );
    // An electrode ROI that maps to channels beyond a short recording (rat 9442 case).
    await assert.rejects(analyzeSession(small(), { roi: { name: 'frontal' } }), /channel index 20 is out of range/);
  });
});

describe('data errors', () => {
  test('NaN/Inf in a used channel names channel and sample', async () => {
    const s = small();
    s.eeg[2 * s.nTimes + 1234] = NaN;
    await assert.rejects(
      analyzeSession(s, { ...roi0, roi: { channels: [0, 2] } }),
      (e: unknown) => e instanceof NonFiniteDataError && e.channel === 2 && e.sample === 1234 && /channel 2 .*sample 1234/.test(e.message),
    );
    const t = small();
    t.eeg[t.nTimes + 5] = -Infinity;
    await assert.rejects(computeRoiThetaSpectrogram(t, [1], { nFreqs: 2 }), /channel 1 has a non-finite value \(-Infinity\) at sample 5/);
    // An unused channel with NaN is fine.
    await analyzeSession(s, roi0);
  });
  test('eeg/eeg_time length mismatch', async () => {
    const s = small();
    s.eegTime = s.eegTime.subarray(0, s.nTimes - 3);
    await assert.rejects(analyzeSession(s, roi0), (e: unknown) => e instanceof SessionDataError && /eeg_time has 5997 samples but eeg has 6000/.test(e.message));
  });
  test('non-increasing eeg_time', async () => {
    const s = small();
    s.eegTime[100] = s.eegTime[99]!;
    await assert.rejects(analyzeSession(s, roi0), /not strictly increasing at sample 100/);
  });
  test('no events', async () => {
    const s = small();
    s.nmPeakTimes = new Float64Array(0);
    s.nmSizes = new Float64Array(0);
    await assert.rejects(analyzeSession(s, roi0), (e: unknown) => e instanceof EventWindowError && /no NM events/.test(e.message));
  });
  test('no valid window', async () => {
    const s = small();
    s.nmPeakTimes = Float64Array.from([0.1, s.eegTime[s.nTimes - 1]! - 0.1]);
    s.nmSizes = Float64Array.from([1, 2]);
    await assert.rejects(analyzeSession(s, roi0), /none of the 2 NM events has a complete 1 s window/);
  });
  test('window longer than the recording', async () => {
    await assert.rejects(
      analyzeSession(small(), { ...roi0, windowDuration: 31 }),
      /window of 31 s \(6200 samples\) is longer than the recording \(6000 samples\)/,
    );
  });
  test('window shorter than a sample or not positive', async () => {
    await assert.rejects(analyzeSession(small(), { ...roi0, windowDuration: 0 }), InvalidParameterError);
    await assert.rejects(analyzeSession(small(), { ...roi0, windowDuration: 0.001 }), /shorter than one sample/);
  });
});
