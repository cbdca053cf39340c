/**
 * `slurm submit` / `slurm status` (src/slurm/) against a real SLURM: a single-node cluster started
 * on this machine by scripts/slurm/local-cluster.sh (Debian's slurm-wlm + munge, installed when
 * missing).
 * The cluster run's per-rat and cross-rat outputs must be bitwise identical to running
 * analyze-rat and aggregate directly.
 *
 * Needs root (to install packages and run the daemons) and Debian's python3 + numpy (to write the
 * dataset). Without them the suite is skipped, unless CI is set: then it must run, and fails if
 * the cluster cannot start.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packagePath } from '../../src/paths.js';
import { DEBIAN_PYTHON, pickleFixture, pythonCanImport, readJson, runCli, runPython, SHORT_SESSION_PARAMS, tempDir } from '../helpers.js';

const CLUSTER = packagePath('scripts', 'slurm', 'local-cluster.sh');
const PARAMS = [...SHORT_SESSION_PARAMS, '--channels', '0,1'];
const WAIT_MS = 5 * 60_000;

function prerequisites(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (installing slurm-wlm/munge and running slurmd need root)';
  const installed = existsSync('/usr/sbin/slurmctld') && existsSync('/usr/sbin/munged');
  if (!installed && spawnSync('apt-get', ['--version']).status !== 0) return 'slurm-wlm is not installed and apt-get is unavailable';
  if (!pythonCanImport('numpy')) return `${DEBIAN_PYTHON} cannot import numpy (needed to write the dataset)`;
  return null;
}

const missing = prerequisites();
if (missing !== null && process.env['CI']) throw new Error(`slurm integration test cannot run under CI: ${missing}`);
const skip = missing !== null && `real-SLURM test skipped: ${missing} (set CI=true to make this a failure)`;

/** A free TCP port, so the test cluster never collides with another slurmctld on this machine. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** 3 rats × 2 sessions in the lab's pickle layout (scripts/make_pickle_fixtures.py's sessions). */
function writeDataset(path: string): void {
  runPython(
    [
      'import pickle, sys',
      'import numpy as np',
      `sys.path.insert(0, ${JSON.stringify(packagePath('scripts'))})`,
      'from make_pickle_fixtures import session',
      'rng = np.random.default_rng(2024)',
      "sessions = [session(rng, rat, f'0{k + 1}0519', 4, 800, 8) for rat in ('10501', '9151', '422') for k in range(2)]",
      "with open(sys.argv[1], 'wb') as f: pickle.dump(sessions, f, protocol=4)",
    ].join('\n'),
    [path],
  );
}

interface StatusJson {
  rats: { rat: string; state: string; detail: string; log_tail: string[] }[];
  aggregate: { state: string; detail: string };
}

describe('slurm submit on a real single-node SLURM cluster', { skip }, () => {
  const work = tempDir('eeg-parallel-slurm-test-');
  const clusterEnv: NodeJS.ProcessEnv = { ...process.env, EEG_SLURM_STATE_DIR: join(work, 'cluster') };
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: join(work, 'cluster', 'etc', 'slurm.conf') };
  const data = join(work, 'three_rats.pkl');
  const out = join(work, 'cluster-run');
  const ref = join(work, 'local-run');
  let started = false;

  before(async () => {
    clusterEnv['EEG_SLURM_CTLD_PORT'] = String(await freePort());
    clusterEnv['EEG_SLURM_SLURMD_PORT'] = String(await freePort());
    started = true; // stop even a half-started cluster
    const r = spawnSync('bash', [CLUSTER, 'start'], { env: clusterEnv, encoding: 'utf8', timeout: 20 * 60_000 });
    assert.equal(r.status, 0, `local SLURM cluster did not start:\n${r.stdout}\n${r.stderr}`);
    writeDataset(data);
  });

  after(() => {
    if (!started) return;
    const r = spawnSync('bash', [CLUSTER, 'stop'], { env: clusterEnv, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) process.stderr.write(`local-cluster.sh stop failed: ${r.stderr}\n`);
  });

  const submit = (args: string[]): { array_job_id: string | null; aggregate_job_id: string | null; to_run: string[] } => {
    const r = runCli(['slurm', 'submit', '--cpus-per-task', '1', '--mem', '1G', '--time', '00:10:00', '--no-plots', '--json', ...args], { env });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  const status = (dir: string): StatusJson => {
    const r = runCli(['slurm', 'status', '--output-dir', dir, '--json'], { env });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as StatusJson;
  };

  /** Polls `slurm status` until no job is pending or running (bounded). */
  async function settle(dir: string): Promise<StatusJson> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const s = status(dir);
      const busy = [...s.rats.map((r) => r.state), s.aggregate.state].some((st) => st === 'pending' || st === 'running');
      if (!busy) return s;
      if (Date.now() > deadline) assert.fail(`jobs still busy after ${WAIT_MS / 1000} s: ${JSON.stringify(s, null, 1)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  const npyFiles = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.npy'))
      .sort();
  const sizesOf = (path: string): unknown => readJson<{ sizes: unknown }>(path).sizes;

  /** Same .npy files with the same bytes, and the same `sizes` in every results.json. */
  function assertSameResults(ours: string, theirs: string): void {
    assert.deepEqual(npyFiles(ours), npyFiles(theirs), `${ours}: .npy files`);
    for (const f of npyFiles(theirs)) {
      assert.ok(readFileSync(join(ours, f)).equals(readFileSync(join(theirs, f))), `${relative(out, join(ours, f))} differs from the local run`);
    }
    const jsons = readdirSync(theirs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('results.json'));
    assert.ok(jsons.length > 0);
    for (const f of jsons) assert.deepEqual(sizesOf(join(ours, f)), sizesOf(join(theirs, f)), `${f}: sizes`);
  }

  test('array job + aggregation: outputs bitwise identical to analyze-rat + aggregate run directly', async () => {
    const s0 = submit(['--data', data, ...PARAMS, '--output-dir', out]);
    assert.deepEqual(s0.to_run, ['422', '9151', '10501']);
    assert.ok(s0.array_job_id !== null && s0.aggregate_job_id !== null);
    const s = await settle(out);
    assert.deepEqual(
      s.rats.map((r) => [r.rat, r.state]),
      [['422', 'done'], ['9151', 'done'], ['10501', 'done']],
      JSON.stringify(s, null, 1),
    );
    assert.equal(s.aggregate.state, 'done', JSON.stringify(s.aggregate));

    for (const rat of ['422', '9151', '10501']) {
      const r = runCli(['analyze-rat', '--data', data, '--rat', rat, ...PARAMS, '--no-plots', '--jobs', '2', '--output-dir', join(ref, `rat_${rat}`)]);
      assert.equal(r.status, 0, r.stderr);
      assertSameResults(join(out, `rat_${rat}`), join(ref, `rat_${rat}`));
    }
    const agg = runCli(['aggregate', '--no-plots', '--output-dir', ref]);
    assert.equal(agg.status, 0, agg.stderr);
    assertSameResults(join(out, 'cross_rat'), join(ref, 'cross_rat'));
    // One log per task, reachable by rat id.
    for (const rat of ['422', '9151', '10501']) assert.match(readFileSync(join(out, 'slurm', 'logs', `rat_${rat}.out`), 'utf8'), new RegExp(`rat ${rat} finished`));
  });

  test('resubmitting: nothing when complete; only aggregation when cross_rat is missing', async () => {
    const again = submit(['--data', data, ...PARAMS, '--output-dir', out]);
    assert.deepEqual(again.to_run, []);
    assert.equal(again.array_job_id, null);
    assert.equal(again.aggregate_job_id, null);

    const before = readFileSync(join(out, 'cross_rat', 'nm_size_1_mean.npy'));
    rmSync(join(out, 'cross_rat'), { recursive: true });
    const aggOnly = submit(['--data', data, ...PARAMS, '--output-dir', out]);
    assert.equal(aggOnly.array_job_id, null);
    assert.ok(aggOnly.aggregate_job_id !== null);
    const s = await settle(out);
    assert.equal(s.aggregate.state, 'done', JSON.stringify(s.aggregate));
    assert.ok(readFileSync(join(out, 'cross_rat', 'nm_size_1_mean.npy')).equals(before));
  });

  test('a failing rat: status shows it failed with its log tail; the aggregation is cancelled', async () => {
    // lab_p4.pkl: rat 9442's sessions have 28 channels, so channel 30 fails it; 10501 has 32.
    const failing = join(work, 'failing-run');
    const params = PARAMS.map((p) => (p === '0,1' ? '0,30' : p));
    submit(['--data', pickleFixture('lab_p4.pkl'), ...params, '--output-dir', failing]);
    const s = await settle(failing);
    const byRat = new Map(s.rats.map((r) => [r.rat, r]));
    assert.equal(byRat.get('10501')?.state, 'done', JSON.stringify(s, null, 1));
    assert.equal(byRat.get('9442')?.state, 'failed', JSON.stringify(s, null, 1));
    assert.match(byRat.get('9442')!.detail, /FAILED/);
    assert.ok(byRat.get('9442')!.log_tail.some((l) => /channel (index )?30 is out of range/.test(l)), JSON.stringify(byRat.get('9442')));
    assert.equal(s.aggregate.state, 'failed');
    assert.match(s.aggregate.detail, /DependencyNeverSatisfied/);

    const text = runCli(['slurm', 'status', '--output-dir', failing], { env });
    assert.match(text.stdout, /2 rats: 1 done, 1 failed/);
    assert.match(text.stdout, /\| eeg-parallel: error: rat 9442: no session could be analysed/);
  });
});
