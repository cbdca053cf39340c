/**
 * The two sbatch scripts of a submission. Deterministic text (no dates, no job ids): the array job
 * id reaches the aggregation job on the sbatch command line (`--dependency=afterok:<id>`).
 *
 * Both scripts use absolute paths only (compute nodes do not share our working directory or PATH),
 * `set -euo pipefail`, and check their inputs first so a missing file fails the task loudly with
 * a message in its log instead of a silent partial result.
 */
import { join } from 'node:path';
import { logsDir, type SubmissionFiles } from './run-dirs.js';
import type { SlurmResources, SubmitRequest } from './options.js';
import { escapeDoubleQuoted, shellJoin, shellQuote } from './shell.js';

function resourceLines(r: SlurmResources, cpus: number): string[] {
  return [
    `#SBATCH --cpus-per-task=${cpus}`,
    `#SBATCH --mem=${r.mem}`,
    `#SBATCH --time=${r.time}`,
    ...(r.partition !== undefined ? [`#SBATCH --partition=${r.partition}`] : []),
    ...(r.account !== undefined ? [`#SBATCH --account=${r.account}`] : []),
  ];
}

const FAIL = 'fail() { echo "eeg-parallel slurm: error: $*" >&2; exit 2; }';

/**
 * Node under glibc's transparent huge pages for large buffers, as bin/eeg-parallel starts it when
 * run as a program (the job runs `node` on the CLI itself), unless the environment or --setup set
 * GLIBC_TUNABLES: fresh memory then costs a page fault per 2 MiB (docs/performance.md, "Fresh memory").
 */
const HUGE_PAGES = 'export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"';

/**
 * Shell checks that the node binary (an absolute path, or a command name found on PATH after
 * --setup), the CLI and (optionally) the data file are usable on this node.
 */
function preflight(req: SubmitRequest, withData: boolean): string[] {
  const node = req.nodeBinary.includes('/')
    ? `[[ -x ${shellQuote(req.nodeBinary)} ]]`
    : `command -v ${shellQuote(req.nodeBinary)} >/dev/null`;
  const checks: [string, string, string][] = [
    [node, req.nodeBinary, 'node binary'],
    [`[[ -r ${shellQuote(req.cliPath)} ]]`, req.cliPath, 'eeg-parallel CLI'],
    ...(withData ? ([[`[[ -r ${shellQuote(req.dataFile)} ]]`, req.dataFile, 'data file']] as [string, string, string][]) : []),
  ];
  return checks.map(([test, path, what]) => `${test} || fail "${what} ${escapeDoubleQuoted(path)} is not available on $(hostname)"`);
}

/** The --setup lines; `set -u` is lifted around them because some module systems trip over it. */
function setupLines(req: SubmitRequest): string[] {
  return req.setup.length === 0 ? [] : ['set +u', ...req.setup, 'set -u'];
}

/** sbatch script of the per-rat array job: task k analyses the rat on line k+1 of the rats file. */
export function arrayScript(req: SubmitRequest, files: SubmissionFiles, nRats: number): string {
  const logs = logsDir(req.outputDir);
  const command = [
    `${shellJoin([req.nodeBinary, req.cliPath, 'analyze-rat', '--data', req.dataFile, '--rat'])} "$RAT"`,
    `  ${shellJoin(req.analyzeArgs)}`,
    `  --jobs "$CPUS" --output-dir ${shellQuote(req.outputDir)}/"rat_$RAT"`,
  ];
  return [
    '#!/bin/bash',
    '# eeg-parallel slurm submit: one array task per rat, each running `eeg-parallel analyze-rat`.',
    '#SBATCH --job-name=eeg-rat',
    `#SBATCH --array=0-${nRats - 1}`,
    ...resourceLines(req.resources, req.resources.cpusPerTask),
    `#SBATCH --output=${join(logs, 'rat_%A_%a.out')}`,
    `#SBATCH --chdir=${req.outputDir}`,
    'set -euo pipefail',
    FAIL,
    ...setupLines(req),
    ...preflight(req, true),
    HUGE_PAGES,
    `RATS_FILE=${shellQuote(files.ratsFile)}`,
    '[[ -r $RATS_FILE ]] || fail "rats file $RATS_FILE is not readable on $(hostname)"',
    'RAT=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$RATS_FILE")',
    '[[ -n $RAT ]] || fail "no rat for array index $SLURM_ARRAY_TASK_ID in $RATS_FILE"',
    'CPUS=${SLURM_CPUS_PER_TASK:-1}',
    `ln -sfn "rat_\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}.out" ${shellQuote(logs)}/"rat_$RAT.out" || true`,
    'echo "eeg-parallel slurm: rat $RAT (job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}) on $(hostname), $CPUS CPUs, started $(date -Is)"',
    ...command.map((line, i) => (i < command.length - 1 ? `${line} \\` : line)),
    'echo "eeg-parallel slurm: rat $RAT finished $(date -Is)"',
    '',
  ].join('\n');
}

/** sbatch script of the aggregation job (submitted with --dependency=afterok:<array job>). */
export function aggregateScript(req: SubmitRequest): string {
  return [
    '#!/bin/bash',
    '# eeg-parallel slurm submit: cross-rat means once every rat task has succeeded.',
    '#SBATCH --job-name=eeg-aggregate',
    ...resourceLines(req.resources, 1),
    `#SBATCH --output=${join(logsDir(req.outputDir), 'aggregate_%j.out')}`,
    `#SBATCH --chdir=${req.outputDir}`,
    '# A failed rat task makes the dependency unsatisfiable: cancel this job instead of leaving it pending forever.',
    '#SBATCH --kill-on-invalid-dep=yes',
    'set -euo pipefail',
    FAIL,
    ...setupLines(req),
    ...preflight(req, false),
    HUGE_PAGES,
    'echo "eeg-parallel slurm: aggregation (job $SLURM_JOB_ID) on $(hostname), started $(date -Is)"',
    shellJoin([req.nodeBinary, req.cliPath, 'aggregate', '--output-dir', req.outputDir, ...req.aggregateArgs]),
    'echo "eeg-parallel slurm: aggregation finished $(date -Is)"',
    '',
  ].join('\n');
}

/** The rats file: line k (0-based) is the rat of array index k. */
export function ratsFileText(rats: readonly string[]): string {
  return rats.join('\n') + '\n';
}
