/**
 * `slurm submit --dry-run` and `slurm status` without a cluster: the generated scripts (valid bash,
 * absolute paths, one task per rat still to run), resume planning, option validation, and status
 * from result markers and logs alone. The real cluster run is in test/slurm/cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { packagePath } from '../../src/paths.js';
import { pickleFixture, runCli, SHORT_SESSION_PARAMS, tempDir } from '../helpers.js';

const DATA = pickleFixture('lab_p4.pkl'); // rats 10501 (2 sessions) and 9442 (1 session, 28 channels)
const PARAMS = [...SHORT_SESSION_PARAMS, '--channels', '0,1'];
/** No sbatch/squeue/sacct: every test here must work on a machine without SLURM. */
const NO_SLURM_ENV = { ...process.env, PATH: '/nonexistent' };

interface DryRunJson {
  dry_run: boolean;
  rats: string[];
  complete: string[];
  to_run: string[];
  cross_rat_current: boolean;
  files: { ratsFile: string; arrayScript: string; aggregateScript: string };
  scripts: { ratsFile: string | null; arrayScript: string | null; aggregateScript: string | null };
  commands: string[];
}

function dryRun(out: string, extra: string[] = []): DryRunJson {
  const r = runCli(['slurm', 'submit', '--data', DATA, ...PARAMS, '--output-dir', out, '--dry-run', '--json', ...extra], { env: NO_SLURM_ENV });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as DryRunJson;
}

function analyzeRat(out: string, rat: string): void {
  const r = runCli(['analyze-rat', '--data', DATA, '--rat', rat, ...PARAMS, '--no-plots', '--output-dir', join(out, `rat_${rat}`)]);
  assert.equal(r.status, 0, r.stderr);
}

describe('slurm submit --dry-run', () => {
  test('prints a rats file, an array script and an aggregation script; writes nothing', () => {
    const out = join(tempDir(), 'results');
    const r = runCli(['slurm', 'submit', '--data', DATA, ...PARAMS, '--output-dir', out, '--dry-run', '--cpus-per-task', '3', '--mem', '2G', '--time', '00:30:00', '--partition', 'short'], { env: NO_SLURM_ENV });
    assert.equal(r.status, 0, r.stderr);
    for (const expected of [
      '# rats: 2 (9442, 10501); 0 complete, 2 to run',
      `# ===== ${out}/slurm/rats-1.txt`,
      '#SBATCH --array=0-1',
      '#SBATCH --cpus-per-task=3',
      '#SBATCH --mem=2G',
      '#SBATCH --time=00:30:00',
      '#SBATCH --partition=short',
      `#SBATCH --output=${out}/slurm/logs/rat_%A_%a.out`,
      `#SBATCH --output=${out}/slurm/logs/aggregate_%j.out`,
      '#SBATCH --kill-on-invalid-dep=yes',
      'set -euo pipefail',
      `CPUS=\${SLURM_CPUS_PER_TASK:-1}`,
      `${process.execPath} ${packagePath('bin', 'eeg-parallel')} analyze-rat --data ${DATA} --rat "$RAT"`,
      '--jobs "$CPUS"',
      `--output-dir ${out}/"rat_$RAT"`,
      `${process.execPath} ${packagePath('bin', 'eeg-parallel')} aggregate --output-dir ${out}`,
      `ARRAY_JOB_ID=$(sbatch --parsable ${out}/slurm/array-1.sbatch | cut -d';' -f1)`,
      `sbatch --parsable --dependency=afterok:$ARRAY_JOB_ID ${out}/slurm/aggregate-1.sbatch`,
    ]) {
      assert.ok(r.stdout.includes(expected), `dry-run output lacks '${expected}':\n${r.stdout}`);
    }
    assert.equal(r.stdout.split('\nexport GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"\n').length - 1, 2, 'huge pages in both jobs, as bin/eeg-parallel sets them');
    assert.equal(existsSync(out), false, 'a dry run must not create the output directory');
  });

  test('scripts are valid bash with absolute paths; the rats file maps index k to line k+1', () => {
    const out = join(tempDir(), 'results');
    const j = dryRun(out);
    assert.equal(j.dry_run, true);
    assert.deepEqual(j.rats, ['9442', '10501']);
    assert.equal(j.scripts.ratsFile, '9442\n10501\n');
    for (const [name, text] of [['array', j.scripts.arrayScript], ['aggregate', j.scripts.aggregateScript]] as const) {
      assert.ok(text !== null && text.startsWith('#!/bin/bash\n'), `${name} script`);
      const check = spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' });
      assert.equal(check.status, 0, `${name} script is not valid bash: ${check.stderr}`);
      // Every #SBATCH line comes before the first command (sbatch stops reading directives there).
      const lines = text.split('\n');
      const firstCommand = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
      assert.ok(lines.slice(firstCommand).every((l) => !l.startsWith('#SBATCH')), `${name}: #SBATCH after a command`);
    }
    for (const path of Object.values(j.files)) assert.ok(isAbsolute(path), path);
  });

  test("the lab-exactness options reach every task's analyze-rat, a frequency file by its absolute path", () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'freqs.txt'), '4\n5.5\n7\n9\n');
    const out = join(dir, 'results');
    const r = runCli(
      ['slurm', 'submit', '--data', DATA, '--channels', '0,1', '--freqs-file', 'freqs.txt', '--freq-range', '5,6', '--normalize', 'pre-event', '--window', '0.5', '--baseline=-0.25,-0.1', '--min-events', '4', '--output-dir', out, '--dry-run', '--json'],
      { env: NO_SLURM_ENV, cwd: dir },
    );
    assert.equal(r.status, 0, r.stderr);
    const script = (JSON.parse(r.stdout) as DryRunJson).scripts.arrayScript!;
    for (const arg of [`--freqs-file=${join(dir, 'freqs.txt')}`, '--freq-range=5,6', '--normalize=pre-event', '--min-events=4']) assert.ok(script.includes(arg), `${arg} in:\n${script}`);
  });

  test('--setup lines run before the checks; a bare --node-binary is looked up on PATH', () => {
    const j = dryRun(join(tempDir(), 'results'), ['--setup', 'module load nodejs/20', '--node-binary', 'node']);
    for (const text of [j.scripts.arrayScript!, j.scripts.aggregateScript!]) {
      assert.match(text, /\nset \+u\nmodule load nodejs\/20\nset -u\ncommand -v node >\/dev\/null \|\| fail /);
      assert.match(text, /\nnode \/\S+\/bin\/eeg-parallel (analyze-rat|aggregate) /);
      assert.equal(spawnSync('bash', ['-n'], { input: text }).status, 0);
    }
  });

  test('--rats restricts the array; unknown rats and bad resources exit 2 with one line', () => {
    const out = join(tempDir(), 'results');
    assert.deepEqual(dryRun(out, ['--rats', '10501']).to_run, ['10501']);
    for (const [args, message] of [
      [['--rats', '10501,777'], /rat '777' has no session .*rats present: 9442, 10501/],
      [['--mem', '8X'], /--mem: '8X' is not a SLURM memory size/],
      [['--time', 'soon'], /--time: 'soon' is not a SLURM time limit/],
      [['--cpus-per-task', '0'], /--cpus-per-task: '0' must be an integer >= 1/],
      [['--strategy', 'fastest'], /--strategy: 'fastest' is not one of/],
      [['--partition', 'a b'], /--partition: 'a b' is not a valid SLURM name/],
    ] as const) {
      const r = runCli(['slurm', 'submit', '--data', DATA, ...PARAMS, '--output-dir', out, '--dry-run', ...args], { env: NO_SLURM_ENV });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const noRoi = runCli(['slurm', 'submit', '--data', DATA, '--output-dir', out, '--dry-run'], { env: NO_SLURM_ENV });
    assert.equal(noRoi.status, 2);
    assert.match(noRoi.stderr, /give exactly one of --roi/);
  });

  test('without sbatch, a real submission exits 2 and writes nothing', () => {
    const out = join(tempDir(), 'results');
    const r = runCli(['slurm', 'submit', '--data', DATA, ...PARAMS, '--output-dir', out], { env: NO_SLURM_ENV });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /sbatch not found on PATH/);
    assert.equal(existsSync(out), false);
  });
});

describe('resume planning', () => {
  const out = join(tempDir(), 'results');
  before(() => analyzeRat(out, '10501'));

  test('complete rats are skipped', () => {
    const j = dryRun(out);
    assert.deepEqual(j.complete, ['10501']);
    assert.deepEqual(j.to_run, ['9442']);
    assert.equal(j.scripts.ratsFile, '9442\n');
    assert.match(j.scripts.arrayScript!, /#SBATCH --array=0-0\n/);
  });

  test('all rats complete: aggregation only, then (cross_rat current) nothing', () => {
    analyzeRat(out, '9442');
    const j = dryRun(out);
    assert.deepEqual(j.to_run, []);
    assert.equal(j.scripts.arrayScript, null);
    assert.deepEqual(j.commands, [`sbatch --parsable ${out}/slurm/aggregate-1.sbatch`]);
    const agg = runCli(['aggregate', '--output-dir', out]);
    assert.equal(agg.status, 0, agg.stderr);
    const after = dryRun(out);
    assert.equal(after.cross_rat_current, true);
    assert.deepEqual(after.commands, []);
    const text = runCli(['slurm', 'submit', '--data', DATA, ...PARAMS, '--output-dir', out, '--dry-run'], { env: NO_SLURM_ENV });
    assert.match(text.stdout, /every rat and cross_rat are complete: nothing to submit/);
  });
});

describe('slurm status without a scheduler', () => {
  test('one complete rat, one failed (error in its log), one started without a result', () => {
    const out = join(tempDir(), 'results');
    analyzeRat(out, '10501');
    // What `slurm submit` records, for an array job the scheduler has long forgotten.
    const logs = join(out, 'slurm', 'logs');
    mkdirSync(logs, { recursive: true });
    const record = {
      number: 1,
      submitted_at: '2026-01-01T00:00:00.000Z',
      data_file: DATA,
      rats: ['9442', '10501', '422'],
      array_job_id: '4242',
      aggregate_job_id: '4243',
      array_script: join(out, 'slurm', 'array-1.sbatch'),
      aggregate_script: join(out, 'slurm', 'aggregate-1.sbatch'),
      rats_file: join(out, 'slurm', 'rats-1.txt'),
      analyze_args: PARAMS,
    };
    writeFileSync(join(out, 'slurm', 'submissions.json'), JSON.stringify({ kind: 'eeg-parallel-slurm-submissions', submissions: [record] }));
    writeFileSync(join(logs, 'rat_4242_0.out'), 'eeg-parallel slurm: rat 9442 (job 4242_0) on node7, 4 CPUs, started\neeg-parallel: error: rat 9442: no session could be analysed\n');
    writeFileSync(join(logs, 'rat_4242_2.out'), 'eeg-parallel slurm: rat 422 (job 4242_2) on node7, 4 CPUs, started\nsession 5: size 1: 3\n');

    const r = runCli(['slurm', 'status', '--output-dir', out, '--json'], { env: NO_SLURM_ENV });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { scheduler: { squeue: boolean }; rats: { rat: string; state: string; job_id: string | null; log_tail: string[] }[]; aggregate: { state: string } };
    assert.equal(s.scheduler.squeue, false);
    const byRat = new Map(s.rats.map((x) => [x.rat, x]));
    assert.equal(byRat.get('10501')!.state, 'done');
    assert.equal(byRat.get('9442')!.state, 'failed');
    assert.equal(byRat.get('9442')!.job_id, '4242_0');
    assert.ok(byRat.get('9442')!.log_tail.some((l) => l.includes('no session could be analysed')));
    assert.equal(byRat.get('422')!.state, 'unknown', 'started, no result, nobody to ask: may still be running');
    assert.equal(s.aggregate.state, 'unknown');

    const text = runCli(['slurm', 'status', '--output-dir', out], { env: NO_SLURM_ENV });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /3 rats: 1 done, 1 failed, 1 unknown/);
    assert.match(text.stdout, /rat 9442 +failed +4242_0/);
    assert.match(text.stdout, /\| eeg-parallel: error: rat 9442: no session could be analysed/);
  });

  test('a directory without submissions or results exits 2', () => {
    const r = runCli(['slurm', 'status', '--output-dir', tempDir()], { env: NO_SLURM_ENV });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /nothing to report/);
  });
});
