/**
 * What makes a session's values meaningless is refused, through the real CLI
 * (src/analysis/session-checks.ts, the checks of src/analysis/session.ts and rat.ts): a flat
 * channel, values that are not finite, an eeg_time spaced at another rate than the one used. One
 * line and exit 2 for a session on its own; in a rat, the session fails with the reason and
 * nothing that is not finite reaches a rat or cross-rat mean.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readNpyFloat64 } from '../../src/index.js';
import { writeSessionDirectory } from '../../src/io/session-dir.js';
import { writeNpy } from '../../src/io/npy.js';
import { packagePath } from '../../src/paths.js';
import { syntheticSession } from '../../src/synthetic/session.js';
import type { SessionData } from '../../src/model/session-data.js';
import { readJson, runCli, runPythonFile, skipWithoutMne, tempDir } from '../helpers.js';

const skipNoMne = skipWithoutMne();
const ANALYSIS = ['--freq-range', '4,8', '--n-freqs', '3', '--n-cycles', '4', '--window', '1', '--no-plots'];
/** Frontal = electrodes 2, 29, 31, 32 = channels 20, 21, 23, 24 for rat 9151. */
const FRONTAL_CHANNEL = 21;

function session(seed: number, change: (s: SessionData) => void = () => {}): SessionData {
  const s = syntheticSession({ seed, nChannels: 32, nTimes: 8000, nEvents: 12, thetaBursts: true, ratId: '9151' });
  change(s);
  return s;
}

/** Sets every sample of channel `c` to `value`. */
const flatten = (c: number, value: number) => (s: SessionData) => s.eeg.fill(value, c * s.nTimes, (c + 1) * s.nTimes);

async function sessionDir(s: SessionData, options?: { withSfreq?: boolean }): Promise<string> {
  const dir = join(tempDir(), 'session');
  await writeSessionDirectory(dir, s, options);
  return dir;
}

function analyzeSession(data: string, args: string[]): { status: number | null; stderr: string; out: string } {
  const out = join(tempDir(), 'out');
  const r = runCli(['analyze-session', '--data', data, '--session', '0', ...ANALYSIS, ...args, '--output-dir', out]);
  return { status: r.status, stderr: r.stderr, out };
}

function assertOneLineError(r: { status: number | null; stderr: string; out: string }, message: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!existsSync(r.out), 'nothing written');
}

describe('a flat channel', () => {
  test('in the only ROI: the session fails, naming the channel and its value', async () => {
    const dir = await sessionDir(session(1, flatten(FRONTAL_CHANNEL, 3.25)));
    for (const normalize of [['session-z'], ['pre-event', '--baseline=-0.5,-0.25']]) {
      assertOneLineError(analyzeSession(dir, ['--roi', 'frontal', '--normalize', ...normalize]), /channel 21 is flat: all 8000 samples are 3.25; its power has no time course to normalise/);
    }
  });

  test('with several ROIs: the ROIs and the electrode holding it are skipped with the reason, the others analysed', async () => {
    const dir = await sessionDir(session(2, flatten(FRONTAL_CHANNEL, 0)));
    const r = analyzeSession(dir, ['--roi', 'all', '--normalize', 'pre-event', '--baseline=-0.5,-0.25']);
    assert.equal(r.status, 0, r.stderr);
    const json = readJson(join(r.out, 'results.json'));
    const skipped = (json.skipped_rois as { key: string; reason: string }[]).filter((s) => /flat/.test(s.reason));
    // Channel 21 records electrode 2 for rat 9151: frontal and e2 hold it.
    assert.deepEqual(skipped.map((s) => s.key).sort(), ['e2', 'frontal']);
    assert.ok(!existsSync(join(r.out, 'roi_frontal')) && !existsSync(join(r.out, 'roi_e2')));
    assert.ok(existsSync(join(r.out, 'roi_motor', 'nm_size_1_mean.npy')));
    for (const roi of readdirSync(r.out).filter((d) => d.startsWith('roi_'))) {
      for (const f of readdirSync(join(r.out, roi)).filter((f) => f.endsWith('.npy'))) {
        assert.ok(readNpyFloat64(join(r.out, roi, f), { minDims: 2, maxDims: 3 }).data.every((v) => Math.abs(v) < 1e3), `${roi}/${f} holds no blown-up z-score`);
      }
    }
  });
});

describe('values that are not finite', () => {
  test('power that overflows (finite samples of 1e160): the session fails with the ROI, group and first value', async () => {
    const dir = await sessionDir(session(3, (s) => s.eeg.fill(1e160, FRONTAL_CHANNEL * s.nTimes, FRONTAL_CHANNEL * s.nTimes + 4000)));
    assertOneLineError(analyzeSession(dir, ['--roi', 'frontal']), /ROI frontal, nm size \d: \d+ of \d+ mean values are not finite \(first NaN at .* Hz, .* s\) under z-score; the session is left out/);
  });

  test('an all-zero session under --baseline-mode ratio fails with a reason; in a rat it is skipped and the rat and cross-rat means stay finite', { skip: skipNoMne }, async () => {
    const zero = await sessionDir(session(4, (s) => s.eeg.fill(0)), { withSfreq: false });
    const args = ['--normalize', 'baseline', '--baseline-mode', 'ratio', '--baseline=-0.5,-0.25'];
    assertOneLineError(analyzeSession(zero, ['--roi', 'frontal', ...args]), /channel 20 is flat: all 8000 samples are 0/);
    const dirs = [await sessionDir(session(5), { withSfreq: false }), zero, await sessionDir(session(6), { withSfreq: false })];
    const pkl = join(tempDir(), 'lab.pkl');
    runPythonFile(packagePath('scripts', 'write_lab_pickle.py'), [pkl, ...dirs]);
    const out = join(tempDir(), 'all');
    const r = runCli(['analyze-all', '--data', pkl, '--roi', 'frontal', ...ANALYSIS, ...args, '--output-dir', out]);
    assert.equal(r.status, 0, r.stderr);
    const rat = readJson(join(out, 'rat_9151', 'results.json'));
    assert.deepEqual(rat.sessions_failed.map((f: { index: number; kind: string }) => [f.index, f.kind]), [[1, 'flat-channel']]);
    for (const dir of [join(out, 'rat_9151'), join(out, 'cross_rat')]) {
      for (const f of readdirSync(dir).filter((f) => f.endsWith('_mean.npy'))) {
        assert.ok(readNpyFloat64(join(dir, f), { minDims: 2, maxDims: 2 }).data.every(Number.isFinite), `${dir}/${f} is finite`);
      }
    }
  });

  test('aggregate refuses a rat mean holding NaN, naming the rat', { skip: skipNoMne }, async () => {
    const dirs = [await sessionDir(session(7), { withSfreq: false }), await sessionDir(session(8, (s) => (s.ratId = '9441')), { withSfreq: false })];
    const pkl = join(tempDir(), 'lab.pkl');
    runPythonFile(packagePath('scripts', 'write_lab_pickle.py'), [pkl, ...dirs]);
    const out = join(tempDir(), 'all');
    assert.equal(runCli(['analyze-all', '--data', pkl, '--roi', 'frontal', ...ANALYSIS, '--output-dir', out]).status, 0);
    const file = join(out, 'rat_9441', 'nm_size_1_mean.npy');
    const { data, shape } = readNpyFloat64(file, { minDims: 2, maxDims: 2 });
    data[5] = NaN;
    await writeNpy(file, data, shape);
    const r = runCli(['aggregate', '--output-dir', out, '--no-plots']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /rat 9441 nm size 1: its mean holds a non-finite value \(NaN at value 5\); it cannot enter a cross-rat mean/);
  });
});

describe('the rate of eeg_time', () => {
  test('a session without sfreq whose eeg_time is spaced at 333.3 Hz is refused, naming both rates', async () => {
    const s = session(9, (x) => x.eegTime.forEach((_, i) => (x.eegTime[i] = i / 333.3)));
    const dir = await sessionDir(s, { withSfreq: false });
    assertOneLineError(analyzeSession(dir, ['--roi', 'frontal']), /eeg_time is sampled at 333.3 Hz but the session would be analysed at the default rate of 200 Hz \(the session gives no sfreq\)/);
  });

  test('a session whose own sfreq disagrees with its eeg_time is refused too; within 1 % it is analysed', async () => {
    const s = session(10);
    s.sfreq = 250;
    assertOneLineError(analyzeSession(await sessionDir(s), ['--roi', 'frontal']), /eeg_time is sampled at 200 Hz but the session would be analysed at its sfreq of 250 Hz/);
    const jitter = session(11, (x) => x.eegTime.forEach((_, i) => (x.eegTime[i] = i / 200.5)));
    assert.equal(analyzeSession(await sessionDir(jitter, { withSfreq: false }), ['--roi', 'frontal']).status, 0);
  });
});
