/**
 * `slurm status`: the state of every rat of the submissions under DIR, and of the aggregation.
 *
 * Sources, most trusted first: the result marker (DIR/rat_<ID>/results.json complete → done,
 * whatever the scheduler says), squeue (live jobs and recently finished ones), sacct (finished
 * jobs, if the site keeps accounting), and the task log (an error line → failed). Without any
 * scheduler command, a started task without a result is `unknown`: it may be running.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidParameterError } from '../errors.js';
import { isCompleteRatDir, RESULTS_FILE } from '../results/result-files.js';
import { aggregateLogPath, CROSS_RAT_SUBDIR, ratDir, ratLogPath, recordsPath } from './run-dirs.js';
import { logShowsFailure, logTail } from './logs.js';
import { completeRatDirs, crossRatIsCurrent } from './plan.js';
import { latestForRat, readRecords } from './records.js';
import { sacctStates, squeueStates, type StateQuery } from './scheduler.js';
import { classifyState } from './states.js';

export type JobPhase = 'done' | 'running' | 'pending' | 'failed' | 'not-submitted' | 'unknown' | 'stale';

/** One job's (or array task's) status. JSON keys snake_case. */
export interface JobStatus {
  state: JobPhase;
  job_id: string | null;
  /** Where the state came from. */
  source: 'marker' | 'squeue' | 'sacct' | 'log' | 'none';
  detail: string;
  log: string | null;
  log_tail: string[];
}

export interface RatStatus extends JobStatus {
  rat: string;
  submission: number | null;
}

export interface SlurmStatus {
  output_dir: string;
  scheduler: { squeue: boolean; sacct: boolean; notes: string[] };
  counts: Partial<Record<JobPhase, number>>;
  rats: RatStatus[];
  aggregate: JobStatus;
}

function compareRats(a: string, b: string): number {
  return /^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a.localeCompare(b);
}

/** Rat ids of complete result directories (whoever wrote them). */
function completeRatIds(outputDir: string): string[] {
  return completeRatDirs(outputDir).map((d) => String((JSON.parse(readFileSync(join(d, RESULTS_FILE), 'utf8')) as { rat_id: unknown }).rat_id));
}

const STALE = 'cross_rat predates the current rat results; resubmit to refresh it';
const COMPLETED_NO_RESULT = 'COMPLETED, but no complete result was written';

/** The status of a job that has not produced its result (yet). */
function judge(key: string, log: string, squeue: StateQuery, sacct: StateQuery): JobStatus {
  const tail = logTail(log);
  const base = { job_id: key, log: existsSync(log) ? log : null, log_tail: tail };
  const live = squeue.states?.get(key);
  const acct = sacct.states?.get(key);
  const found = live ?? acct;
  if (found !== undefined) {
    const source = live !== undefined ? 'squeue' : 'sacct';
    const detail = `${found.state}${found.detail && found.detail !== 'None' ? ` (${found.detail})` : ''}`;
    const cls = classifyState(found.state);
    if (cls === 'pending' || cls === 'running') return { ...base, state: cls, source, detail };
    if (cls === 'completed') return { ...base, state: 'failed', source, detail: COMPLETED_NO_RESULT };
    return { ...base, state: 'failed', source, detail };
  }
  if (logShowsFailure(tail)) return { ...base, state: 'failed', source: 'log', detail: 'the log shows an error' };
  if (squeue.states === null && sacct.states === null) {
    return { ...base, state: 'unknown', source: base.log ? 'log' : 'none', detail: base.log ? 'started, no result yet (no scheduler to ask)' : 'no result and no log (no scheduler to ask)' };
  }
  return { ...base, state: 'failed', source: 'none', detail: base.log ? 'no longer in the queue, no complete result' : 'not in the queue, no log and no result' };
}

export function slurmStatus(outputDir: string): SlurmStatus {
  const records = readRecords(outputDir);
  const done = new Set(completeRatIds(outputDir));
  const rats = [...new Set([...records.flatMap((r) => r.rats), ...done])].sort(compareRats);
  if (records.length === 0 && rats.length === 0) {
    throw new InvalidParameterError(`nothing to report under '${outputDir}': no ${recordsPath(outputDir)} and no rat results`);
  }
  // Ask the scheduler once, about the jobs whose state we need.
  const latest = new Map(rats.map((r) => [r, latestForRat(records, r)]));
  const lastAggregate = [...records].reverse().find((r) => r.aggregate_job_id !== null) ?? null;
  const ids = new Set<string>();
  for (const [rat, l] of latest) if (l !== null && !isCompleteRatDir(ratDir(outputDir, rat))) ids.add(l.record.array_job_id!);
  if (lastAggregate !== null) ids.add(lastAggregate.aggregate_job_id!);
  const squeue = squeueStates([...ids]);
  const sacct = sacctStates([...ids]);

  const ratStatus = rats.map((rat): RatStatus => {
    const l = latest.get(rat) ?? null;
    const submission = l?.record.number ?? null;
    const dir = ratDir(outputDir, rat);
    if (isCompleteRatDir(dir) || (done.has(rat) && l === null)) {
      return { rat, submission, state: 'done', job_id: null, source: 'marker', detail: 'complete result', log: null, log_tail: [] };
    }
    if (l === null) return { rat, submission, state: 'not-submitted', job_id: null, source: 'none', detail: 'no submission ran this rat', log: null, log_tail: [] };
    const jobId = l.record.array_job_id!;
    return { rat, submission, ...judge(`${jobId}_${l.index}`, ratLogPath(outputDir, jobId, l.index), squeue, sacct) };
  });

  let aggregate: JobStatus;
  const crossExists = existsSync(join(outputDir, CROSS_RAT_SUBDIR, RESULTS_FILE));
  if (crossRatIsCurrent(outputDir)) {
    aggregate = { state: 'done', job_id: lastAggregate?.aggregate_job_id ?? null, source: 'marker', detail: 'cross_rat is complete and current', log: null, log_tail: [] };
  } else if (lastAggregate === null) {
    aggregate = { state: crossExists ? 'stale' : 'not-submitted', job_id: null, source: 'none', detail: crossExists ? STALE : 'no aggregation job submitted', log: null, log_tail: [] };
  } else {
    const id = lastAggregate.aggregate_job_id!;
    aggregate = judge(id, aggregateLogPath(outputDir, id), squeue, sacct);
    // The job did its work, but rats finished since (e.g. run by hand): the cross-rat result is old.
    if (aggregate.state === 'failed' && crossExists && (aggregate.detail === COMPLETED_NO_RESULT || aggregate.source === 'none')) {
      aggregate = { ...aggregate, state: 'stale', detail: STALE };
    }
    if (aggregate.detail.includes('DependencyNeverSatisfied')) aggregate.detail += ': a rat task failed; fix it and resubmit';
  }

  const counts: Partial<Record<JobPhase, number>> = {};
  for (const r of ratStatus) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return {
    output_dir: outputDir,
    scheduler: {
      squeue: squeue.states !== null,
      sacct: sacct.states !== null,
      notes: [squeue.note, sacct.note].filter((n): n is string => n !== null),
    },
    counts,
    rats: ratStatus,
    aggregate,
  };
}
