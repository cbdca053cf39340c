/**
 * Normalisation modes, ITI events, several ROIs and theta scalars (src/analysis/normalize.ts,
 * roi-set.ts, theta.ts through analyzeSession / analyzeRat) against the numpy + MNE 1.3 fixtures
 * of scripts/make_analysis_fixtures.py, and several-ROI runs against one-ROI runs, bit for bit.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { analyzeRat, analyzeSession, InvalidParameterError, shutdownPools, type AnalysisOptions, type SessionData } from '../../src/index.js';
import type { EventKind } from '../../src/analysis/events.js';
import type { BaselineMode, NormalizeMode } from '../../src/analysis/normalize.js';
import { roiNames } from '../../src/analysis/roi.js';
import type { GroupMean, WindowGroup } from '../../src/analysis/session.js';
import { thetaOf } from '../../src/analysis/theta.js';
import { readNpyFloat64 } from '../../src/io/npy.js';
import { openSessionFile } from '../../src/io/session-file.js';
import { nmMinusIti } from '../../src/results/result-files.js';
import { assertBitwiseEqual, assertRowsClose, fixturePath, readJson } from '../helpers.js';

after(() => shutdownPools());

const RTOL = 1e-9;
const root = fixturePath('mne', 'analysis');

interface Params {
  sessions: string[];
  freqs?: number[];
  freq_range?: [number, number];
  n_freqs?: number;
  n_cycles?: number;
  n_cycles_factor?: number;
  window_duration: number;
  normalize: NormalizeMode;
  baseline: [number, number];
  baseline_mode: BaselineMode;
  min_events: number;
  events: EventKind[];
  rois: string[];
  theta_band: [number, number];
  theta_window: [number, number];
}

interface ThetaRow {
  roi?: string;
  electrode?: number;
  channel?: number;
  session?: number;
  events: EventKind;
  size: number;
  n_events: number;
  theta: number;
}

const json = <T>(...parts: string[]): T => readJson<T>(join(root, ...parts));
const npy = (...parts: string[]): Float64Array => readNpyFloat64(join(root, ...parts), { minDims: 1, maxDims: 3 }).data;

function optionsOf(p: Params): AnalysisOptions {
  const all = p.rois.includes('all');
  return {
    roi: all ? roiNames().map((name) => ({ name })) : p.rois.length === 1 ? { name: p.rois[0]! } : p.rois.map((name) => ({ name })),
    electrodes: all,
    ...(p.freqs !== undefined ? { freqs: p.freqs } : { freqRange: p.freq_range!, nFreqs: p.n_freqs! }),
    cycles: p.n_cycles !== undefined ? { kind: 'fixed', nCycles: p.n_cycles } : { kind: 'factor', factor: p.n_cycles_factor! },
    windowDuration: p.window_duration,
    normalize: p.normalize,
    ...(p.normalize !== 'session-z' && { baseline: p.baseline }),
    ...(p.normalize === 'baseline' && { baselineMode: p.baseline_mode }),
    minEvents: p.min_events,
    events: p.events,
    thetaBand: p.theta_band,
    thetaWindow: p.theta_window,
  };
}

async function readSession(dir: string): Promise<SessionData> {
  const file = await openSessionFile(dir);
  try {
    return await file.readSession(0);
  } finally {
    await file.close();
  }
}

/** Compares groups with the fixture's files in `dir` (windows when the fixture has them). */
function assertGroups(groups: readonly (Pick<GroupMean, 'events' | 'size' | 'label' | 'mean'> & { windows?: Float64Array })[], dir: string, files: readonly string[], windowSamples: number, what: string): void {
  for (const g of groups) {
    const stem = `${g.events}_size_${g.label}`;
    assertRowsClose(g.mean, npy(dir, `${stem}_mean.npy`), windowSamples, RTOL, `${what} ${stem} mean`);
    if (g.windows !== undefined && files.includes(join(dir, `${stem}_windows.npy`))) {
      assertRowsClose(g.windows, npy(dir, `${stem}_windows.npy`), windowSamples, RTOL, `${what} ${stem} windows`);
    }
  }
  for (const c of nmMinusIti(groups)) assertRowsClose(c.mean, npy(dir, `nm_minus_iti_size_${c.label}_mean.npy`), windowSamples, RTOL, `${what} nm-iti ${c.label}`);
}

/** Theta values agree relative to the largest |value| of their mean window (theta itself may be near 0). */
function assertTheta(actual: number, expected: number, mean: Float64Array, what: string): void {
  const scale = Math.max(...Array.from(mean, Math.abs), 1);
  assert.ok(Math.abs(actual - expected) <= RTOL * scale, `${what}: theta ${actual} vs ${expected}`);
}

const cases = json<{ cases: { name: string }[] }>('cases.json').cases.map((c) => c.name);

describe('session analyses vs numpy + MNE', () => {
  for (const name of cases.filter((c) => !c.startsWith('rat_'))) {
    test(name, async () => {
      const params = json<Params>(name, 'params.json');
      const expected = json<{ rois: Record<string, { channels: number[] }>; events: Record<EventKind, { sizes: Record<string, { n_events: number; valid_events: number[] }> }>; theta: ThetaRow[]; electrode_theta?: ThetaRow[]; files: string[] }>(name, 'expected.json');
      const session = await readSession(join(root, name, params.sessions[0]!));
      const a = await analyzeSession(session, optionsOf(params));
      assertRowsClose(a.windowTimes, npy(name, 'window_times.npy'), a.windowSamples, 1e-12, 'window times');
      assertRowsClose(a.freqs, npy(name, 'freqs.npy'), a.freqs.length, 1e-12, 'freqs');
      const files = expected.files.map((f) => join(name, f));
      const several = a.rois.length > 1 || a.electrodes !== null;
      assert.deepEqual(
        [...a.rois.map((r) => r.key), ...(a.electrodes ?? []).map((e) => `e${e.electrode}`)],
        Object.keys(expected.rois),
        'ROIs, then electrodes',
      );
      for (const r of a.rois) {
        assert.deepEqual(r.roi.channels, expected.rois[r.key]!.channels, `${r.key} channels`);
        for (const g of r.groups) {
          assert.deepEqual(g.validEvents, expected.events[g.events].sizes[g.label]!.valid_events, `${r.key} ${g.events} ${g.label} events`);
        }
        assertGroups(r.groups, join(name, several ? `roi_${r.key}` : ''), files, a.windowSamples, r.key);
      }
      const thetaRows = a.rois.flatMap((r) => r.groups.map((g) => ({ roi: r.key, g })));
      assert.equal(thetaRows.length, expected.theta.length, 'theta rows');
      for (const [i, { roi, g }] of thetaRows.entries()) {
        const row = expected.theta[i]!;
        assert.deepEqual([roi, g.events, g.size, g.nEvents], [row.roi, row.events, row.size, row.n_events], `theta row ${i}`);
        assertTheta(thetaOf(g.mean, a.windowSamples, a.theta!), row.theta, g.mean, `${roi} ${g.events} ${g.size}`);
      }
      if (expected.electrode_theta !== undefined) {
        const rows = a.electrodes!.flatMap((e) => e.groups.map((g) => ({ e, g })));
        assert.equal(rows.length, expected.electrode_theta.length, 'electrode theta rows');
        for (const [i, { e, g }] of rows.entries()) {
          const row: ThetaRow = expected.electrode_theta[i]!;
          assert.deepEqual([e.electrode, e.channel, g.events, g.size, g.nEvents], [row.electrode, row.channel, row.events, row.size, row.n_events], `electrode row ${i}`);
          assertTheta(thetaOf(g.mean, a.windowSamples, a.theta!), row.theta, g.mean, `e${e.electrode} ${g.events} ${g.size}`);
        }
        const e2 = a.electrodes!.find((e) => e.electrode === 2)!;
        assertGroups(e2.groups, join(name, 'roi_e2'), files, a.windowSamples, 'e2');
      }
    });
  }
});

test('rat: pre-event normalisation within each session, windows pooled over sessions', async () => {
  const name = 'rat_pre_event';
  const params = json<Params>(name, 'params.json');
  const expected = json<{ theta: ThetaRow[]; session_theta: ThetaRow[]; events: Record<EventKind, { sizes: Record<string, { n_events: number; sessions: number[] }> }> }>(name, 'expected.json');
  const sessions = await Promise.all(params.sessions.map((s) => readSession(join(root, name, s))));
  const rat = await analyzeRat('9151', sessions.map((session, index) => ({ index, session })), optionsOf(params));
  const groups = rat.rois[0]!.groups;
  for (const g of groups) assert.deepEqual([g.nEvents, g.sessions], [expected.events[g.events].sizes[g.label]!.n_events, expected.events[g.events].sizes[g.label]!.sessions], `${g.events} ${g.label}`);
  assertGroups(groups, name, [], rat.windowSamples, 'rat');
  const theta = rat.sessions[0]!.theta;
  for (const [i, g] of groups.entries()) assertTheta(thetaOf(g.mean, rat.windowSamples, theta!), expected.theta[i]!.theta, g.mean, `rat ${g.events} ${g.size}`);
  const perSession = rat.sessions.flatMap((a) => a.rois[0]!.groups.map((g) => ({ a, g })));
  assert.equal(perSession.length, expected.session_theta.length);
  for (const [i, { a, g }] of perSession.entries()) {
    const row = expected.session_theta[i]!;
    assert.deepEqual([a.sessionIndex, g.events, g.size], [row.session, row.events, row.size]);
    assertTheta(thetaOf(g.mean, a.windowSamples, a.theta!), row.theta, g.mean, `session ${row.session} ${g.events} ${g.size}`);
  }
});

describe('several ROIs in one pass equal one-ROI runs, bit for bit', () => {
  const base = (params: Params, over: Partial<AnalysisOptions>): AnalysisOptions => ({ ...optionsOf(params), ...over });
  const same = (a: readonly WindowGroup[], b: readonly WindowGroup[], what: string): void => {
    assert.equal(a.length, b.length, `${what}: groups`);
    a.forEach((g, i) => {
      assertBitwiseEqual(g.windows, b[i]!.windows, `${what} ${g.events} ${g.label} windows`);
      assertBitwiseEqual(g.mean, b[i]!.mean, `${what} ${g.events} ${g.label} mean`);
    });
  };

  test('session-z and both pre-event forms, any strategy, backend and job count', async () => {
    const params = json<Params>('session_z_frontal_motor', 'params.json');
    const session = await readSession(join(root, 'session_z_frontal_motor', params.sessions[0]!));
    const modes = ['session-z', 'pre-event', 'pre-event-channel'] as const;
    const single = new Map<string, WindowGroup[]>();
    for (const normalize of modes) {
      for (const name of ['frontal', 'motor']) {
        single.set(`${normalize} ${name}`, (await analyzeSession(session, base(params, { roi: { name }, normalize, minEvents: 2, strategy: 'sequential' }))).rois[0]!.groups);
      }
    }
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...modes),
        fc.constantFrom('sequential', 'channels', 'auto'),
        fc.constantFrom('threads', 'processes'),
        fc.integer({ min: 1, max: 3 }),
        async (normalize, strategy, backend, jobs) => {
          const a = await analyzeSession(session, base(params, { roi: [{ name: 'frontal' }, { name: 'motor' }], normalize, minEvents: 2, strategy, backend, jobs }));
          for (const r of a.rois) same(r.groups, single.get(`${normalize} ${r.key}`)!, `${normalize} ${r.key} (${strategy}/${backend}/${jobs})`);
        },
      ),
      { numRuns: 10, seed: 20261206 },
    );
  });

  test('pre-event on one ROI (the session-z path, whose tasks may split rows): every strategy, backend, job count and batch size', async () => {
    const params = json<Params>('pre_event_frontal', 'params.json');
    const session = await readSession(join(root, 'pre_event_frontal', params.sessions[0]!));
    const reference = (await analyzeSession(session, base(params, { strategy: 'sequential' }))).rois[0]!.groups;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('sequential', 'channels', 'frequencies', 'auto'),
        fc.constantFrom('threads', 'processes'),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (strategy, backend, jobs, batchSize, saveRoiPower) => {
          const a = await analyzeSession(session, base(params, { strategy, backend, jobs, batchSize, saveRoiPower }));
          same(a.rois[0]!.groups, reference, `pre-event frontal (${strategy}/${backend}/${jobs}/${batchSize}${saveRoiPower ? '/roi power' : ''})`);
        },
      ),
      { numRuns: 10, seed: 20261207 },
    );
  });

  test('an electrode of --roi all equals that electrode analysed alone', async () => {
    const params = json<Params>('pre_event_all', 'params.json');
    const session = await readSession(join(root, 'pre_event_all', params.sessions[0]!));
    const all = await analyzeSession(session, base(params, { strategy: 'channels', jobs: 2 }));
    const alone = await analyzeSession(session, base(params, { roi: { electrodes: [2] }, electrodes: false, strategy: 'sequential' }));
    const e2 = all.electrodes!.find((e) => e.electrode === 2)!;
    alone.rois[0]!.groups.forEach((g, i) => assertBitwiseEqual(e2.groups[i]!.mean, g.mean, `e2 ${g.events} ${g.label}`));
  });
});

describe('bad normalisation and theta options are clear errors', () => {
  const params = (): Params => json<Params>('pre_event_frontal', 'params.json');
  const check = async (over: Partial<AnalysisOptions>, message: RegExp): Promise<void> => {
    const session = await readSession(join(root, 'pre_event_frontal', params().sessions[0]!));
    await assert.rejects(analyzeSession(session, { ...optionsOf(params()), ...over }), (e: unknown) => e instanceof InvalidParameterError && message.test(e.message));
  };
  test('baseline outside the window, or holding no sample', () => check({ baseline: [-1.5, -0.5] }, /baseline -1.5,-0.5 s is outside the event window/));
  test('baseline between two samples', () => check({ baseline: [-0.501, -0.5005] }, /holds no sample/));
  test('an empty theta band', () => check({ thetaBand: [10, 12] }, /theta band 10,12 Hz holds none of the frequencies/));
  test('an unknown normalisation or baseline mode', async () => {
    await check({ normalize: 'bogus' as NormalizeMode }, /normalisation 'bogus' is unknown/);
    await check({ normalize: 'baseline', baselineMode: 'bogus' as BaselineMode }, /baseline mode 'bogus' is unknown/);
    await check({ normalize: 'session-z', baselineMode: 'ratio' }, /needs --normalize baseline/);
  });
});
