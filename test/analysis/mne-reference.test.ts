/**
 * Agreement with MNE-Python 1.3 + numpy on the committed golden fixtures, made by
 * scripts/make_mne_fixtures.py (see its docstring and test/fixtures/mne/README.json).
 * Criterion (SPEC 3.3): max|ours − MNE| ≤ 1e-9 · max|MNE| per (channel, frequency) row.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  analyzeRat,
  analyzeSession,
  computeRoiThetaSpectrogram,
  createWaveletBank,
  FlatChannelError,
  crossRatMeans,
  cyclesFor,
  geomspace,
  linspace,
  morletPower,
  morletWavelet,
  readNpyFloat64,
  type AnalysisOptions,
  type CyclesSpec,
  type SessionData,
} from '../../src/index.js';
import { assertBitwiseEqual, assertRowsClose, fixturePath, readJson } from '../helpers.js';

const RTOL = 1e-9;
const mne = (...p: string[]): string => fixturePath('mne', ...p);
const npy = (path: string): Float64Array => readNpyFloat64(path, { minDims: 1, maxDims: 3 }).data;
const subdirs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

describe('Morlet power vs MNE tfr_array_morlet / cwt', () => {
  for (const name of subdirs(mne('tfr'))) {
    test(name, () => {
      const dir = mne('tfr', name);
      const p = readJson(join(dir, 'params.json'));
      const input = readNpyFloat64(join(dir, 'input.npy'), { minDims: 2, maxDims: 2 });
      const [nChannels, nTimes] = input.shape as [number, number];
      const freqs = npy(join(dir, 'freqs.npy'));
      const cycles: CyclesSpec = Array.isArray(p.n_cycles)
        ? { kind: 'perFrequency', nCycles: p.n_cycles }
        : p.n_cycles_factor !== undefined
          ? { kind: 'factor', factor: p.n_cycles_factor }
          : { kind: 'fixed', nCycles: p.n_cycles };
      const nCycles = cyclesFor(freqs, cycles);
      assertBitwiseEqual(nCycles, npy(join(dir, 'n_cycles.npy')), 'n_cycles');
      const bank = createWaveletBank({ sfreq: p.sfreq, freqs, nCycles, zeroMean: p.zero_mean }, nTimes);
      const power = morletPower(input.data, nChannels, bank);
      assertRowsClose(power, npy(join(dir, 'power.npy')), nTimes, RTOL, name);
    });
  }
});

describe('wavelets and grids vs MNE/numpy', () => {
  test('Morlet wavelets: numpy arange length rule and values', () => {
    for (const c of readJson(mne('wavelets', 'cases.json'))) {
      const expected = readNpyFloat64(mne('wavelets', c.file), { minDims: 2, maxDims: 2 }).data;
      const w = morletWavelet(c.sfreq, c.freq, c.n_cycles, c.zero_mean);
      assert.equal(w.re.length, c.length, `${c.file}: length`);
      const ours = new Float64Array(2 * w.re.length);
      w.re.forEach((v, i) => {
        ours[2 * i] = v;
        ours[2 * i + 1] = w.im[i]!;
      });
      assertRowsClose(ours, expected, ours.length, 1e-12, c.file);
    }
  });
  test('geomspace: endpoints exact, interior within 2 ulp', () => {
    for (const g of readJson(mne('wavelets', 'geomspace.json'))) {
      const ours = geomspace(g.start, g.stop, g.num);
      const want: number[] = g.values;
      assert.equal(ours.length, want.length);
      if (want.length > 0) assert.equal(ours[0], want[0]);
      if (want.length > 1) assert.equal(ours[want.length - 1], want[want.length - 1]);
      want.forEach((v, i) => assert.ok(Math.abs(ours[i]! - v) <= 2 * Number.EPSILON * v, `geomspace(${g.start}, ${g.stop}, ${g.num})[${i}]`));
    }
  });
  test('linspace: bitwise', () => {
    for (const g of readJson(mne('wavelets', 'linspace.json'))) {
      assert.deepEqual([...linspace(g.start, g.stop, g.num)], g.values, `linspace(${g.start}, ${g.stop}, ${g.num})`);
    }
  });
});

/** Loads a fixture session directory (the TS side of scripts/make_mne_fixtures.py's layout). */
function loadSessionDir(dir: string, ratId?: string): SessionData {
  const p = readJson(join(dir, 'params.json'));
  const eeg = readNpyFloat64(join(dir, 'eeg.npy'), { minDims: 2, maxDims: 2 });
  return {
    ratId: ratId ?? p.rat_id,
    sessionDate: p.session_date ?? '',
    nChannels: eeg.shape[0]!,
    nTimes: eeg.shape[1]!,
    eeg: eeg.data,
    eegTime: npy(join(dir, 'eeg_time.npy')),
    sfreq: p.sfreq,
    nmPeakTimes: npy(join(dir, 'nm_peak_times.npy')),
    nmSizes: npy(join(dir, 'nm_sizes.npy')),
  };
}

function analysisOptions(p: any): AnalysisOptions {
  return {
    roi: p.roi,
    freqRange: p.freq_range,
    nFreqs: p.n_freqs,
    cycles: { kind: 'factor', factor: p.n_cycles_factor },
    windowDuration: p.window_duration,
    zeroMean: p.zero_mean,
  };
}

describe('session analysis vs numpy + MNE', () => {
  for (const name of subdirs(mne('session'))) {
    test(name, async () => {
      const dir = mne('session', name);
      const p = readJson(join(dir, 'params.json'));
      const expected = readJson(join(dir, 'expected.json'));
      const session = loadSessionDir(dir);
      const options = analysisOptions(p);
      if (name.includes('zero_channel')) {
        // A flat channel has no time course to z-score: the analysis refuses it, while the z-score
        // itself (§3.4, std floored at 1e-12) gives MNE's numbers.
        await assert.rejects(analyzeSession(session, options), (e: unknown) => e instanceof FlatChannelError && /channel 2 is flat: all 2000 samples are 0/.test(e.message));
        const spec = await computeRoiThetaSpectrogram(session, expected.roi_channels, { ...options, cycles: { kind: 'factor', factor: p.n_cycles_factor } });
        assertRowsClose(spec.roiPower, npy(join(dir, 'roi_power.npy')), session.nTimes, RTOL, 'roi_power');
        return;
      }
      const full = await analyzeSession(session, { ...options, saveRoiPower: true });
      const lean = await analyzeSession(session, options);

      assert.deepEqual(full.roi.channels, expected.roi_channels);
      if (p.expected_channels) assert.deepEqual(full.roi.channels, p.expected_channels);
      assertRowsClose(full.freqs, npy(join(dir, 'freqs.npy')), full.freqs.length, 2 * Number.EPSILON, 'freqs');
      assertBitwiseEqual(full.windowTimes, npy(join(dir, 'window_times.npy')), 'window_times');
      assert.equal(full.windowSamples, expected.window_samples);
      const nTimes = session.nTimes;
      assertRowsClose(full.roiPower!, npy(join(dir, 'roi_power.npy')), nTimes, RTOL, 'roi_power');
      assertRowsClose(full.channelMean, npy(join(dir, 'channel_mean.npy')), full.freqs.length, RTOL, 'channel mean');
      assertRowsClose(full.channelStd, npy(join(dir, 'channel_std.npy')), full.freqs.length, RTOL, 'channel std');

      assert.deepEqual(
        full.sizes.map((s) => [s.label, s.nEvents, s.validEvents]),
        Object.entries(expected.sizes).map(([k, v]: [string, any]) => [k, v.n_events, v.valid_events]),
      );
      assert.deepEqual(
        full.invalidEvents.map((e) => [e.index, e.reason]),
        expected.invalid_events.map((e: any) => [e.index, e.reason]),
      );
      const w = full.windowSamples;
      for (const s of full.sizes) {
        assertRowsClose(s.windows, npy(join(dir, `nm_size_${s.label}_windows.npy`)), w, RTOL, `size ${s.label} windows`);
        assertRowsClose(s.mean, npy(join(dir, `nm_size_${s.label}_mean.npy`)), w, RTOL, `size ${s.label} mean`);
      }
      // Windows computed without the full ROI power are bitwise the slices of it.
      lean.sizes.forEach((s, i) => assertBitwiseEqual(s.windows, full.sizes[i]!.windows, `lean vs full windows, size ${s.label}`));
      assertBitwiseEqual(lean.channelStd, full.channelStd, 'lean vs full std');
    });
  }
});

describe('rat and cross-rat analyses vs numpy + MNE', () => {
  test('rat: failing sessions reported and skipped, windows pooled in session order', async () => {
    const dir = mne('rat', 'four_sessions_two_failing');
    const p = readJson(join(dir, 'params.json'));
    const expected = readJson(join(dir, 'expected.json'));
    const sessions = subdirs(dir).map((d) => ({ index: Number(d.split('_')[1]), session: loadSessionDir(join(dir, d), p.rat_id) }));
    const rat = await analyzeRat(p.rat_id, sessions, analysisOptions(p));
    assert.deepEqual(rat.sessions.map((s) => s.sessionIndex), expected.sessions_ok);
    assert.deepEqual(rat.failed.map((f) => [f.index, f.kind]), expected.sessions_failed.map((f: any) => [f.index, f.kind]));
    const nan = expected.sessions_failed.find((f: any) => f.kind === 'non-finite-data');
    assert.match(rat.failed.find((f) => f.index === nan.index)!.reason, new RegExp(`channel ${nan.channel} .*sample ${nan.sample}`));
    assert.deepEqual(
      rat.sizes.map((s) => [s.label, s.nEvents, s.nSessions, s.sessions]),
      Object.entries(expected.sizes).map(([k, v]: [string, any]) => [k, v.n_events, v.n_sessions, v.sessions]),
    );
    for (const s of rat.sizes) {
      assertRowsClose(s.mean, npy(join(dir, `nm_size_${s.label}_mean.npy`)), rat.windowSamples, RTOL, `rat size ${s.label}`);
    }
  });

  test('cross-rat: per size, mean over rats of the rat means', async () => {
    const dir = mne('cross_rat');
    const p = readJson(join(dir, 'params.json'));
    const expected = readJson(join(dir, 'expected.json'));
    const rats = [];
    for (const ratDir of subdirs(dir)) {
      const ratId = ratDir.replace(/^rat_/, '');
      const sessions = subdirs(join(dir, ratDir)).map((d, index) => ({ index, session: loadSessionDir(join(dir, ratDir, d), ratId) }));
      rats.push(await analyzeRat(ratId, sessions, analysisOptions(p)));
    }
    const order: string[] = p.rats ?? p.rat_order ?? rats.map((r) => r.ratId);
    rats.sort((a, b) => order.indexOf(a.ratId) - order.indexOf(b.ratId));
    const cross = crossRatMeans(rats);
    assert.deepEqual(
      cross.map((s) => [s.label, s.nRats]),
      Object.entries(expected.sizes).map(([k, v]: [string, any]) => [k, v.n_rats]),
    );
    for (const s of cross) {
      assertRowsClose(s.mean, npy(join(dir, `nm_size_${s.label}_mean.npy`)), rats[0]!.windowSamples, RTOL, `cross-rat size ${s.label}`);
    }
  });
});
