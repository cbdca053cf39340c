/**
 * The SLURM client commands we use: sbatch (submit), squeue (live and recently finished jobs)
 * and sacct (finished jobs, when the site runs accounting). Each is run synchronously with a
 * timeout; a missing command is reported as unavailable rather than thrown, because `slurm status`
 * must still work from the result markers alone (e.g. on a laptop with the output copied over).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EegParallelError } from '../errors.js';

/** Absolute path of `name` on PATH, or null. */
export function whichCommand(name: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return null;
}

interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(path: string, args: readonly string[]): CommandResult {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 120_000 });
  const stderr = r.error !== undefined ? `${r.error.message}\n${r.stderr ?? ''}` : r.stderr;
  return { status: r.status, stdout: r.stdout ?? '', stderr: stderr ?? '' };
}

/** First line of a command's complaint, for one-line error messages. */
function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/**
 * The sbatch path.
 * @throws EegParallelError('slurm') when sbatch is not on PATH
 */
export function requireSbatch(): string {
  const path = whichCommand('sbatch');
  if (path === null) {
    throw new EegParallelError('slurm', 'sbatch not found on PATH: run on a SLURM login node, or use --dry-run to see the scripts');
  }
  return path;
}

/**
 * Submits `script` with `sbatch --parsable` and returns the job id.
 * @throws EegParallelError('slurm') when sbatch is missing, fails, or prints no job id
 */
export function sbatch(script: string, extraArgs: readonly string[] = []): string {
  const path = requireSbatch();
  const r = run(path, ['--parsable', ...extraArgs, script]);
  if (r.status !== 0) throw new EegParallelError('slurm', `sbatch ${script} failed (exit ${r.status}): ${firstLine(r.stderr)}`);
  // --parsable prints "<job id>" or "<job id>;<cluster>".
  const match = /^(\d+)(;\S+)?$/.exec(r.stdout.trim());
  if (match === null) throw new EegParallelError('slurm', `sbatch ${script}: unexpected output '${r.stdout.trim()}' (expected a job id)`);
  return match[1]!;
}

/** A job's (or array task's) state as the scheduler reports it. */
export interface JobState {
  /** SLURM state name, e.g. PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY. */
  state: string;
  /** squeue's reason (e.g. Dependency, Resources) or sacct's exit code. */
  detail: string;
}

/** Job states keyed "<array job id>_<task index>" for array tasks and "<job id>" otherwise. */
export interface StateQuery {
  /** null when the command is unavailable or failed (see `note`). */
  states: Map<string, JobState> | null;
  note: string | null;
}

/**
 * squeue's view of `jobIds`, array tasks expanded; includes finished jobs still held by the
 * controller (MinJobAge, 5 minutes by default).
 */
export function squeueStates(jobIds: readonly string[]): StateQuery {
  const path = whichCommand('squeue');
  if (path === null) return { states: null, note: 'squeue not found on PATH' };
  const states = new Map<string, JobState>();
  if (jobIds.length === 0) return { states, note: null };
  const r = run(path, ['--noheader', '--array', '--states=all', `--jobs=${jobIds.join(',')}`, '--format=%i|%T|%r']);
  // Jobs purged from the controller: squeue fails when none of the ids is known.
  if (r.status !== 0 && /invalid job id/i.test(r.stderr)) return { states, note: null };
  if (r.status !== 0) return { states: null, note: `squeue failed: ${firstLine(r.stderr)}` };
  for (const line of r.stdout.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (id && state) states.set(id, { state, detail: reason ?? '' });
  }
  return { states, note: null };
}

/** sacct's view of `jobIds` (allocations only); unavailable when the site has no accounting. */
export function sacctStates(jobIds: readonly string[]): StateQuery {
  const path = whichCommand('sacct');
  if (path === null) return { states: null, note: 'sacct not found on PATH' };
  const states = new Map<string, JobState>();
  if (jobIds.length === 0) return { states, note: null };
  const r = run(path, ['--noheader', '--parsable2', '--allocations', `--jobs=${jobIds.join(',')}`, '--format=JobID,State,ExitCode']);
  if (r.status !== 0) return { states: null, note: `sacct unavailable: ${firstLine(r.stderr || r.stdout)}` };
  for (const line of r.stdout.split('\n')) {
    const [id, state, exitCode] = line.trim().split('|');
    // "CANCELLED by 1234" → CANCELLED; "12_[3-5]" (unstarted array tasks) is left to squeue.
    if (id && state && !id.includes('[')) states.set(id, { state: state.split(' ')[0]!, detail: `exit code ${exitCode ?? '?'}` });
  }
  return { states, note: null };
}
