/**
 * `--preset lab-report` against the lab's own code: scripts/lab_reference.py follows the lab's
 * analysis (fylxo/EEG-near_mistakes: nm_theta_single_basic.analyze_session_nm_theta_roi,
 * baseline_normalization, nm_theta_multi_session, nm_theta_cross_rats) step by step in numpy +
 * MNE 1.3 and wrote test/fixtures/lab/ from a seeded lab-layout pickle of 3 rats × 2 sessions.
 * `analyze-all` on that pickle gives the same frequencies bit for bit, and the same pre-event
 * windows, means (session, rat, cross-rat) and theta scalars of every ROI and electrode to 1e-12,
 * except where eeg-parallel differs on purpose (docs/method.md §8.4): the flat electrode of the
 * last session is left out rather than z-scored to 0, and the cross-rat means are not smoothed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { readNpyFloat64 } from '../../src/index.js';
import { fixturePath, readJson, runCli, tempDir } from '../helpers.js';

const RTOL = 1e-12;
const lab = (...parts: string[]): string => fixturePath('lab', ...parts);

interface FileRecord {
  file: string;
  quantity: string;
  level: 'session' | 'rat' | 'cross_rat';
  session?: number;
  rat?: string;
  roi: string;
  events: 'nm' | 'iti';
  size: number;
  n_events?: number;
  shape: number[];
  subset: boolean;
}
const index = readJson<{
  data: { sha256_pkl: string };
  parameters: { freqs: number[] };
  subset: { freq_rows: number[]; time_samples: number[] };
  sessions: { index: number; rat_id: string }[];
  files: FileRecord[];
  theta: Record<'session' | 'rat' | 'cross_rat', { theta_file: string; axes: [(number | string)[], string[], string[], number[]] | [string[], string[], number[]] }>;
}>(lab('index.json'));

/** The flat electrode of the fixture (session 5, electrode 4, in ROI ss): left out by eeg-parallel, z-scored to 0 by the lab. */
const FLAT = { session: 5, rat: '442', rois: ['ss', 'e4'] };
const touchesFlat = (r: { level: string; session?: number; rat?: string; roi: string }): boolean =>
  FLAT.rois.includes(r.roi) && (r.level === 'cross_rat' || (r.level === 'rat' && r.rat === FLAT.rat) || (r.level === 'session' && r.session === FLAT.session));

const npy = (path: string): { data: Float64Array; shape: number[] } => readNpyFloat64(path, { minDims: 1, maxDims: 4 });

/** ours[..., rows, :][..., samples] of a (…, n_freqs, window_samples) array. */
function subset(data: Float64Array, shape: number[]): Float64Array {
  const [nFreqs, nSamples] = shape.slice(-2) as [number, number];
  const n = data.length / (nFreqs * nSamples);
  const { freq_rows: rows, time_samples: samples } = index.subset;
  const out = new Float64Array(n * rows.length * samples.length);
  let k = 0;
  for (let e = 0; e < n; e++) for (const f of rows) for (const t of samples) out[k++] = data[(e * nFreqs + f) * nSamples + t]!;
  return out;
}

function assertClose(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(...Array.from(expected, Math.abs));
  let worst = 0;
  actual.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]!))));
  assert.ok(worst <= RTOL * scale, `${what}: max|ours − lab| ${worst} > ${RTOL} × ${scale}`);
}

function csvRows(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const keys = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i]!, v])));
}

let out = '';
let pkl = '';

before(() => {
  const dir = tempDir();
  pkl = join(dir, 'lab_sessions.pkl');
  const bytes = gunzipSync(readFileSync(lab('lab_sessions.pkl.gz')));
  assert.equal(createHash('sha256').update(bytes).digest('hex'), index.data.sha256_pkl, 'the fixture pickle');
  writeFileSync(pkl, bytes);
  out = join(dir, 'out');
  const r = runCli(['analyze-all', '--data', pkl, '--preset', 'lab-report', '--no-plots', '--output-dir', out]);
  assert.equal(r.status, 0, r.stderr);
});

/** Where eeg-parallel writes what a fixture record holds. */
function ourFile(r: FileRecord, root: string): string {
  const name = `${r.events}_size_${r.size}_${r.quantity === 'windows' ? 'windows' : 'mean'}.npy`;
  if (r.level === 'cross_rat') return join(root, 'cross_rat', `roi_${r.roi}`, name);
  const rat = r.rat ?? index.sessions[r.session!]!.rat_id;
  const ratDir = join(root, `rat_${rat}`);
  return r.level === 'rat' ? join(ratDir, `roi_${r.roi}`, name) : join(ratDir, `session_${r.session}`, `roi_${r.roi}`, name);
}

describe('--preset lab-report equals the lab\'s code', () => {
  test('the 61 frequencies the lab\'s code analyses, bit for bit, in results.json and freqs.npy', () => {
    const json = readJson(join(out, 'rat_9151', 'session_0', 'results.json'));
    assert.deepEqual(json.parameters.freqs, index.parameters.freqs);
    assert.deepEqual(Array.from(npy(join(out, 'cross_rat', 'freqs.npy')).data), index.parameters.freqs);
    assert.deepEqual(Array.from(npy(lab('freqs.npy')).data), index.parameters.freqs);
  });

  test('pre-event means of the ROIs and electrodes: sessions, rats (events pooled) and cross-rat', () => {
    const means = index.files.filter((r) => r.quantity === 'mean' && !touchesFlat(r));
    assert.ok(means.length > 200, `${means.length} means compared`);
    for (const r of means) {
      const ours = npy(ourFile(r, out));
      assertClose(subset(ours.data, ours.shape), npy(lab(r.file)).data, r.file);
    }
  });

  test('pre-event windows of session 0 (frontal, motor; e2 analysed on its own)', () => {
    const e2 = join(tempDir(), 'e2');
    const r = runCli(['analyze-session', '--data', pkl, '--session', '0', '--preset', 'lab-report', '--roi', '2', '--no-plots', '--output-dir', e2]);
    assert.equal(r.status, 0, r.stderr);
    const windows = index.files.filter((f) => f.quantity === 'windows');
    assert.deepEqual([...new Set(windows.map((f) => f.roi))], ['frontal', 'motor', 'e2']);
    for (const f of windows) {
      const path = f.roi === 'e2' ? join(e2, `${f.events}_size_${f.size}_windows.npy`) : ourFile(f, out);
      const ours = npy(path);
      assert.equal(ours.shape[0], f.shape[0], `${f.file}: events`);
      assertClose(subset(ours.data, ours.shape), npy(lab(f.file)).data, f.file);
    }
  });

  test('the session-z windows before the baseline step (session 0, frontal and motor)', () => {
    const z = join(tempDir(), 'z');
    const r = runCli(['analyze-session', '--data', pkl, '--session', '0', '--preset', 'lab-report', '--roi', 'frontal,motor', '--normalize', 'session-z', '--no-plots', '--output-dir', z]);
    assert.equal(r.status, 0, r.stderr);
    for (const f of index.files.filter((x) => x.session === 0 && ['frontal', 'motor'].includes(x.roi) && (x.quantity === 'session_z_windows' || x.quantity === 'session_z_mean'))) {
      const ours = npy(join(z, `roi_${f.roi}`, `${f.events}_size_${f.size}_${f.quantity === 'session_z_windows' ? 'windows' : 'mean'}.npy`));
      assertClose(subset(ours.data, ours.shape), npy(lab(f.file)).data, f.file);
    }
  });

  test('theta of all 5 ROIs and 32 electrodes, per session, per rat and across rats (mean ± SE of the rats)', () => {
    const theta = (level: 'session' | 'rat' | 'cross_rat') => ({ ...npy(lab(index.theta[level].theta_file)), axes: index.theta[level].axes });
    const [rois, kinds, sizes] = theta('cross_rat').axes as [string[], string[], number[]];
    const at = (data: Float64Array, shape: number[], ...ix: number[]) => data[ix.reduce((a, i, d) => a * shape[d]! + i, 0)]!;
    const check = (ours: number, ref: number, what: string) => assert.ok(Math.abs(ours - ref) <= RTOL * Math.max(1, Math.abs(ref)), `${what}: ${ours} vs ${ref}`);
    const roiKey = (row: Record<string, string>) => (row['roi'] ?? `e${row['electrode']}`);
    const per = theta('session');
    const rat = theta('rat');
    const ratIds = rat.axes[0] as string[];
    let compared = 0;
    for (const id of ratIds) {
      const rows = [...csvRows(join(out, `rat_${id}`, 'theta_summary.csv')), ...csvRows(join(out, `rat_${id}`, 'electrode_theta.csv'))];
      for (const row of rows) {
        const roi = roiKey(row);
        const [r, k, s] = [rois.indexOf(roi), kinds.indexOf(row['events']!), sizes.indexOf(Number(row['size']))];
        if (row['session'] === 'all') {
          if (touchesFlat({ level: 'rat', rat: id, roi })) continue;
          check(Number(row['theta']), at(rat.data, rat.shape, ratIds.indexOf(id), r, k, s), `rat ${id} ${roi} ${row['events']} ${row['size']}`);
        } else {
          check(Number(row['theta']), at(per.data, per.shape, Number(row['session']), r, k, s), `session ${row['session']} ${roi} ${row['events']} ${row['size']}`);
        }
        compared++;
      }
    }
    const cross = theta('cross_rat');
    const se = npy(lab('theta_se_cross_rat.npy'));
    for (const row of [...csvRows(join(out, 'cross_rat', 'theta_summary.csv')), ...csvRows(join(out, 'cross_rat', 'electrode_theta.csv'))]) {
      const roi = roiKey(row);
      if (touchesFlat({ level: 'cross_rat', roi })) continue;
      const ix = [rois.indexOf(roi), kinds.indexOf(row['events']!), sizes.indexOf(Number(row['size']))];
      check(Number(row['theta_mean']), at(cross.data, cross.shape, ...ix), `cross-rat ${roi} ${row['events']} ${row['size']}`);
      check(Number(row['theta_se']), at(se.data, se.shape, ...ix), `cross-rat SE ${roi} ${row['events']} ${row['size']}`);
      compared++;
    }
    assert.ok(compared > 1500, `${compared} theta values compared`);
  });

  test('the flat electrode: its ROI and electrode are left out of that session with the reason, and pooled from the rat\'s other session', () => {
    const session = readJson(join(out, `rat_${FLAT.rat}`, `session_${FLAT.session}`, 'results.json'));
    assert.deepEqual(session.skipped_rois.map((s: { key: string }) => s.key), FLAT.rois);
    for (const s of session.skipped_rois) assert.match(s.reason, /channel 26 is flat: all 12000 samples are 0/);
    const rat = readJson(join(out, `rat_${FLAT.rat}`, 'results.json'));
    for (const key of FLAT.rois) {
      const groups = key.startsWith('e') ? rat.electrodes.find((e: { electrode: number }) => `e${e.electrode}` === key).groups : rat.rois.find((r: { key: string }) => r.key === key).groups;
      for (const g of groups) assert.deepEqual(g.sessions ?? [FLAT.session - 1], [FLAT.session - 1], `${key} ${g.events} ${g.size}`);
    }
  });
});
