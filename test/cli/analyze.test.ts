/**
 * The real-data commands of src/cli/analyze.ts (inspect, analyze-session, analyze-rat, aggregate) on
 * pickles written by Python (protocols 2/4/5, numpy 1.x and 2.x spellings): results equal the
 * Python/MNE reference path (scripts/reference_analysis.py) to 1e-9, are readable with plain numpy,
 * and bad input exits 2 without writing anything.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readNpyFloat64 } from '../../src/index.js';
import { packagePath } from '../../src/paths.js';
import { assertRowsClose, pickleFixture, readJson, runCli, runPython, runPythonFile, SHORT_SESSION_PARAMS, skipWithoutMne, spawnCli, syntheticLabFile, tempDir } from '../helpers.js';

const skipNoMne = skipWithoutMne();

const VARIANTS = ['lab_p2.pkl', 'lab_p4.pkl', 'lab_p5.pkl', 'np2_p4.pkl', 'np2_p5.pkl', 'strscalars_p4.pkl', 'mixed_p4.pkl'];
const PARAMS = SHORT_SESSION_PARAMS;

function reference(mode: 'session' | 'rat', data: string, target: string[], channels: string, out: string): void {
  runPythonFile(packagePath('scripts', 'reference_analysis.py'), [mode, '--data', data, ...target, '--channels', channels, '--out', out, ...PARAMS]);
}

/** Every nm_size_* file of the reference equals ours to 1e-9 per row; same set of sizes. */
function assertSameResults(ours: string, ref: string, what: string): void {
  const sizeFiles = (dir: string): string[] => readdirSync(dir).filter((f) => /^nm_size_.*_mean\.npy$/.test(f)).sort();
  assert.deepEqual(sizeFiles(ours), sizeFiles(ref), `${what}: sizes`);
  for (const f of [...sizeFiles(ref), ...sizeFiles(ref).map((m) => m.replace('_mean', '_windows')).filter((w) => existsSync(join(ref, w)) && existsSync(join(ours, w)))]) {
    const a = readNpyFloat64(join(ours, f), { minDims: 2, maxDims: 3 });
    const b = readNpyFloat64(join(ref, f), { minDims: 2, maxDims: 3 });
    assert.deepEqual(a.shape, b.shape, `${what} ${f}: shape`);
    assertRowsClose(a.data, b.data, a.shape.at(-1)!, 1e-9, `${what} ${f}`);
  }
}

describe('analyze-session / analyze-rat vs the Python + MNE path', { skip: skipNoMne }, () => {
  for (const variant of VARIANTS) {
    test(variant, () => {
      const dir = tempDir();
      // Sessions and rats present, from our own inspect.
      const inspect = runCli(['inspect', '--data', pickleFixture(variant), '--json']);
      assert.equal(inspect.status, 0, inspect.stderr);
      const sessions: { index: number; ratId: string; nChannels: number; problem?: unknown }[] = JSON.parse(inspect.stdout).sessions;
      const first = sessions.find((s) => s.problem === undefined)!;
      const ours = join(dir, 'ours');
      const r = runCli(['analyze-session', '--data', pickleFixture(variant), '--session', String(first.index), '--channels', '1,0', ...PARAMS, '--output-dir', ours]);
      assert.equal(r.status, 0, r.stderr);
      reference('session', pickleFixture(variant), ['--session', String(first.index)], '1,0', join(dir, 'ref'));
      assertSameResults(ours, join(dir, 'ref'), `${variant} session ${first.index}`);
      const summary = readJson(join(ours, 'results.json'));
      const refSummary = readJson(join(dir, 'ref', 'summary.json'));
      for (const [label, v] of Object.entries(refSummary.sizes) as [string, { valid_events: number[] }][]) {
        assert.deepEqual(summary.sizes[label].valid_events, v.valid_events, `${variant} size ${label} valid events`);
      }

      const ratOut = join(dir, 'rat');
      const rr = runCli(['analyze-rat', '--data', pickleFixture(variant), '--rat', first.ratId, '--channels', '0,1', ...PARAMS, '--output-dir', ratOut, '--strategy', 'sessions', '--jobs', '2']);
      assert.equal(rr.status, 0, rr.stderr);
      reference('rat', pickleFixture(variant), ['--rat', first.ratId], '0,1', join(dir, 'ratref'));
      assertSameResults(ratOut, join(dir, 'ratref'), `${variant} rat ${first.ratId}`);
    });
  }
});

describe('result files', () => {
  test('are readable with plain numpy + json, and results.json has the SPEC 6 fields', () => {
    const dir = join(tempDir(), 'out');
    const r = runCli(['analyze-session', '--data', pickleFixture('lab_p4.pkl'), '--session', '0', '--roi', 'frontal', ...PARAMS, '--output-dir', dir, '--save-roi-power']);
    assert.equal(r.status, 0, r.stderr);
    runPython(
      [
        'import json, sys, os, numpy as np',
        'd = sys.argv[1]; r = json.load(open(os.path.join(d, "results.json")))',
        'for k in ["rat_id", "session_index", "session_date", "eeg_shape", "sfreq", "roi", "parameters", "sizes", "invalid_events", "channel_stats", "timings", "version"]: assert k in r, k',
        'assert r["roi"]["channels"] == [20, 21, 23, 24], r["roi"]',
        'assert r["roi"]["electrodes"] == [29, 2, 31, 32], r["roi"]',
        'f = np.load(os.path.join(d, "freqs.npy")); assert f.shape == (5,)',
        'for s, v in r["sizes"].items():',
        '    w = np.load(os.path.join(d, f"nm_size_{s}_windows.npy")); m = np.load(os.path.join(d, f"nm_size_{s}_mean.npy"))',
        '    assert w.shape == (v["n_events"], 5, 100) and m.shape == (5, 100), (w.shape, m.shape)',
        '    assert np.allclose(w.mean(axis=0), m, rtol=0, atol=1e-12)',
        'p = np.load(os.path.join(d, "roi_power.npy")); assert p.shape == (5, r["eeg_shape"][1]) and p.flags["C_CONTIGUOUS"]',
        'print("ok")',
      ].join('\n'),
      [dir],
    );
    for (const f of ['nm_roi_theta_spectrograms.png', 'nm_roi_theta_spectrograms.svg', 'nm_roi_frequency_profiles.png']) assert.ok(existsSync(join(dir, f)), f);
    const bare = join(tempDir(), 'bare');
    assert.equal(runCli(['analyze-session', '--data', pickleFixture('lab_p4.pkl'), '--session', '0', '--channels', '0', ...PARAMS, '--output-dir', bare, '--no-plots']).status, 0);
    assert.deepEqual(readdirSync(bare).filter((f) => /\.(png|svg)$/.test(f)), []);
  });

  test('aggregate: cross-rat means of per-rat results', () => {
    const dir = tempDir();
    const rats = JSON.parse(runCli(['inspect', '--data', pickleFixture('lab_p4.pkl'), '--json']).stdout).sessions.map((s: { ratId: string }) => s.ratId);
    for (const rat of new Set<string>(rats)) {
      const r = runCli(['analyze-rat', '--data', pickleFixture('lab_p4.pkl'), '--rat', rat, '--channels', '0,1', ...PARAMS, '--output-dir', join(dir, `rat_${rat}`)]);
      assert.equal(r.status, 0, r.stderr);
    }
    const r = runCli(['aggregate', '--output-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'cross_rat', 'nm_roi_theta_summary.png')));
    const cross = readJson(join(dir, 'cross_rat', 'results.json'));
    for (const [label, v] of Object.entries(cross.sizes) as [string, { rats: string[]; n_rats: number }][]) {
      const means = v.rats.map((rat) => readNpyFloat64(join(dir, `rat_${rat}`, `nm_size_${label}_mean.npy`)).data);
      const expected = means[0]!.map((_, j) => means.reduce((sum, m) => sum + m[j]!, 0) / means.length);
      assert.deepEqual(Array.from(readNpyFloat64(join(dir, 'cross_rat', `nm_size_${label}_mean.npy`)).data), Array.from(expected));
      assert.equal(v.n_rats, v.rats.length);
    }
  });
});

describe('session directories of .npy files', () => {
  test('give the same results as the same session in a pickle; a missing file is a clear error', () => {
    const dir = join(tempDir(), 'session');
    runPython(
      [
        'import pickle, numpy as np, json, os, sys',
        's = pickle.load(open(sys.argv[1], "rb"))[0]  # our own fixture',
        'd = sys.argv[2]; os.makedirs(d)',
        'np.save(d + "/eeg.npy", np.asfortranarray(s["eeg"]))',
        'for k in ["eeg_time", "nm_peak_times", "nm_sizes"]: np.save(d + "/" + k + ".npy", s[k])',
        'json.dump({"rat_id": s["rat_id"], "session_date": s["session_date"]}, open(d + "/meta.json", "w"))',
      ].join('\n'),
      [pickleFixture('lab_p4.pkl'), dir],
    );
    const a = join(tempDir(), 'a');
    const b = join(tempDir(), 'b');
    assert.equal(runCli(['analyze-session', '--data', dir, '--session', '0', '--roi', 'frontal', ...PARAMS, '--output-dir', a]).status, 0);
    assert.equal(runCli(['analyze-session', '--data', pickleFixture('lab_p4.pkl'), '--session', '0', '--roi', 'frontal', ...PARAMS, '--output-dir', b]).status, 0);
    const ra = readJson(join(a, 'results.json'));
    assert.deepEqual(ra.sizes, readJson(join(b, 'results.json')).sizes);
    assert.deepEqual(ra.roi.channels, [20, 21, 23, 24]);
    for (const f of readdirSync(b).filter((n) => n.endsWith('.npy'))) {
      assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
    }
    const bad = join(tempDir(), 'empty');
    mkdirSync(bad);
    const r = runCli(['analyze-session', '--data', bad, '--session', '0', '--channels', '0', '--output-dir', join(bad, 'out')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /lacks eeg\.npy, eeg_time\.npy/);
  });
});

describe('bad input → one line, exit 2, nothing written', () => {
  const manifest = readJson<{ files: { file: string; error: string; when: string; session?: number; message: string }[] }>(pickleFixture('bad_manifest.json'));
  test('every bad pickle of the manifest, through analyze-session', () => {
    for (const bad of manifest.files) {
      const out = join(tempDir(), 'out');
      const r = runCli(['analyze-session', '--data', pickleFixture(bad.file), '--session', String(bad.session ?? 0), '--channels', '0', ...PARAMS, '--output-dir', out]);
      assert.equal(r.status, 2, `${bad.file}: exit ${r.status} ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${bad.file}: one line, got ${r.stderr}`);
      assert.ok(r.stderr.toLowerCase().includes(bad.message.toLowerCase()), `${bad.file}: '${bad.message}' not in ${r.stderr}`);
      assert.equal(existsSync(out), false, `${bad.file}: output written`);
    }
  });
  test('session out of range, unknown rat, channel beyond a short session, unknown ROI', () => {
    const cases: [string[], RegExp][] = [
      [['analyze-session', '--session', '99', '--channels', '0'], /session 99 is out of range: .* has 3 sessions \(0–2\)/],
      [['analyze-rat', '--rat', '123', '--channels', '0'], /rat '123' has no session .*; rats present: 9442, 10501/],
      [['analyze-session', '--session', '2', '--channels', '0,30'], /channel.*30.*out of range/],
      [['analyze-session', '--session', '0', '--roi', 'cerebellum'], /unknown ROI 'cerebellum'; known ROIs: frontal/],
      [['analyze-session', '--session', '0', '--roi', '2,40'], /electrode 40 is outside 1–32/],
      [['analyze-session', '--session', '0', '--roi', 'frontal', '--channels', '1'], /exactly one of --roi/],
    ];
    for (const [args, message] of cases) {
      const out = join(tempDir(), 'out');
      const r = runCli([...args, '--data', pickleFixture('lab_p4.pkl'), ...PARAMS, '--output-dir', out]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(existsSync(out), false);
    }
  });
  test('a rat session with fewer channels than the ROI needs is skipped, not fatal', () => {
    const out = join(tempDir(), 'rat');
    // Rat 9442's session has 28 channels; channel 30 exists only in 32-channel sessions.
    const r = runCli(['analyze-rat', '--data', pickleFixture('lab_p4.pkl'), '--rat', '9442', '--channels', '0,30', ...PARAMS, '--output-dir', out]);
    assert.equal(r.status, 2, 'the only session fails → the rat fails');
    assert.match(r.stderr, /no session could be analysed.*channel/);
    assert.equal(existsSync(out), false);
  });
  test('analyze-rat writes each session as it is analysed; a session that cannot be written fails the rat', () => {
    const dir = tempDir();
    const args = ['analyze-rat', '--data', pickleFixture('lab_p4.pkl'), '--rat', '10501', '--channels', '0,1', ...PARAMS, '--no-plots'];
    const ok = join(dir, 'ok');
    assert.equal(runCli([...args, '--output-dir', ok]).status, 0);
    for (const f of ['results.json', 'session_0/results.json', 'session_1/results.json', 'session_1/nm_size_2_windows.npy']) {
      assert.ok(existsSync(join(ok, f)), f);
    }
    // session_1's directory is taken by a file: its results cannot be written.
    const blocked = join(dir, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'session_1'), 'not a directory');
    const r = runCli([...args, '--output-dir', blocked]);
    assert.notEqual(r.status, 0, 'the failed write fails the run');
    assert.match(r.stderr, /session_1/);
    assert.equal(existsSync(join(blocked, 'results.json')), false, 'no rat results.json: the rat is not complete');
    assert.ok(existsSync(join(blocked, 'session_0', 'results.json')), 'the other session was written in full');
  });
  test('a file changed after indexing is re-indexed, not misread', () => {
    const dir = tempDir();
    const data = join(dir, 'data.pkl');
    copyFileSync(pickleFixture('lab_p4.pkl'), data);
    assert.equal(runCli(['inspect', '--data', data]).status, 0);
    writeFileSync(data, readFileSync(pickleFixture('lab_p5.pkl')));
    const r = runCli(['inspect', '--data', data, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).fromCache, false);
  });
});

describe('an interrupted analyze-rat resumes', () => {
  const ARGS = ['--roi', 'all', '--events', 'nm,iti', '--n-freqs', '20', '--window', '1.0', '--no-plots', '--strategy', 'sequential'];

  /** Every .npy and .csv under `dir`, relative, sorted. */
  const resultFiles = (dir: string): string[] =>
    (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.(npy|csv)$/.test(f)).sort();

  test('killed after its first session: the rerun keeps that session, and the results equal an uninterrupted run bit for bit', async () => {
    const pkl = syntheticLabFile(['9151', '9151', '9151'], 60_000, 30);
    const ref = join(tempDir(), 'ref');
    const full = runCli(['analyze-rat', '--data', pkl, '--rat', '9151', ...ARGS, '--output-dir', ref]);
    assert.equal(full.status, 0, full.stderr);

    const out = join(tempDir(), 'out');
    const child = spawnCli(['analyze-rat', '--data', pkl, '--rat', '9151', ...ARGS, '--output-dir', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    // Stopped once session 0's results are complete (results.json is written last).
    const poll = setInterval(() => {
      if (existsSync(join(out, 'session_0', 'results.json')) && !child.killed) child.kill('SIGTERM');
    }, 10);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearInterval(poll);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /eeg-parallel: SIGTERM: stopped/);
    assert.ok(!existsSync(join(out, 'results.json')), 'the rat is not complete');
    assert.deepEqual((readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');

    const again = runCli(['analyze-rat', '--data', pkl, '--rat', '9151', ...ARGS, '--output-dir', out]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /session 0: .*\(kept from an earlier run\)/);
    assert.doesNotMatch(again.stderr, /session 2: .*kept/, 'sessions the interrupted run did not finish are computed');
    assert.deepEqual(resultFiles(out), resultFiles(ref));
    for (const f of resultFiles(ref)) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(ref, f))), f);

    // Other options: nothing is kept, and the files of the earlier options are gone.
    const other = runCli(['analyze-rat', '--data', pkl, '--rat', '9151', '--roi', 'frontal', '--n-freqs', '6', '--window', '1.0', '--no-plots', '--output-dir', out]);
    assert.equal(other.status, 0, other.stderr);
    assert.doesNotMatch(other.stderr, /kept from an earlier run/);
    assert.ok(!resultFiles(out).some((f) => f.includes('iti_') || f.includes('roi_')), resultFiles(out).join(' '));
  });
});
