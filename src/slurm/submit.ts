/**
 * `slurm submit`: plan (skip complete rats), write the scripts under DIR/slurm, submit the per-rat
 * array job and the aggregation job that depends on it, and record both job ids.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { MAX_ELECTRODE } from '../analysis/roi.js';
import { resolveSessionRois, type AnalysisOptions } from '../analysis/session.js';
import { EegParallelError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { openSessionFile } from '../io/session-file.js';
import { logsDir, submissionFiles, type SubmissionFiles } from './run-dirs.js';
import { checkRatId, type SubmitRequest } from './options.js';
import { planSubmission, type SubmitPlan } from './plan.js';
import { readRecords, saveRecord, type SubmissionRecord } from './records.js';
import { requireSbatch, sbatch, squeueStates } from './scheduler.js';
import { aggregateScript, arrayScript, ratsFileText } from './scripts.js';
import { isActive } from './states.js';

/** What a submission did (or, with dry-run, would do). */
export interface SubmitOutcome {
  plan: SubmitPlan;
  /** Submission number (file suffix under DIR/slurm). */
  number: number;
  files: SubmissionFiles;
  /** Generated texts; array script and rats file are null when no rat needs a task. */
  texts: { ratsFile: string | null; arrayScript: string | null; aggregateScript: string | null };
  /** The sbatch command lines (shell), with $ARRAY_JOB_ID standing for the array job's id. */
  commands: string[];
  dryRun: boolean;
  arrayJobId: string | null;
  aggregateJobId: string | null;
  /** Warnings to show (e.g. parameters differing from the previous submission). */
  warnings: string[];
}

/** Rats to consider: the ones asked for (each must be in the file), or every rat of the file. */
async function ratsOf(dataFile: string, requested: readonly string[] | undefined): Promise<string[]> {
  const file = await openSessionFile(dataFile);
  try {
    if (requested === undefined) return file.ratIds();
    for (const r of requested) file.sessionsOfRat(r); // throws 'unknown-rat' listing the rats present
    return [...new Set(requested)];
  } finally {
    await file.close();
  }
}

/** Jobs of earlier submissions still pending or running (a resubmission would run rats twice). */
function activeJobs(records: readonly SubmissionRecord[]): string[] {
  const ids = records.flatMap((r) => [r.array_job_id, r.aggregate_job_id]).filter((id): id is string => id !== null);
  const { states } = squeueStates(ids);
  if (states === null) return [];
  return [...states].filter(([, s]) => isActive(s.state)).map(([id, s]) => `${id} ${s.state}`);
}

export async function submitToSlurm(req: SubmitRequest, options: AnalysisOptions, requestedRats: readonly string[] | undefined, dryRun: boolean): Promise<SubmitOutcome> {
  const rats = (await ratsOf(req.dataFile, requestedRats)).map(checkRatId);
  // Resolve the ROI of every rat now: an unknown rat in the electrode table fails here, not in the queue.
  for (const rat of rats) {
    try {
      resolveSessionRois(options, rat, MAX_ELECTRODE);
    } catch (e) {
      if (e instanceof EegParallelError) throw new EegParallelError(e.code, `rat ${rat}: ${e.message} (leave it out with --rats)`);
      throw e;
    }
  }
  const plan = planSubmission(req.outputDir, rats);
  const records = readRecords(req.outputDir);
  const warnings: string[] = [];
  const previous = records.at(-1);
  if (previous !== undefined && previous.analyze_args.join('\u0000') !== req.analyzeArgs.join('\u0000')) {
    warnings.push(`analysis options differ from submission ${previous.number} (${previous.analyze_args.join(' ')}); aggregate will refuse rats analysed with other frequencies or windows`);
  }
  const active = activeJobs(records);
  if (active.length > 0) {
    const message = `earlier submissions still have jobs in the queue (${active.join(', ')}): wait for them or scancel them first`;
    if (!dryRun) throw new EegParallelError('slurm', message);
    warnings.push(message);
  }

  const number = Math.max(0, ...records.map((r) => r.number)) + 1;
  const files = submissionFiles(req.outputDir, number);
  const withArray = plan.toRun.length > 0;
  const withAggregate = withArray || !plan.crossRatCurrent;
  const texts = {
    ratsFile: withArray ? ratsFileText(plan.toRun) : null,
    arrayScript: withArray ? arrayScript(req, files, plan.toRun.length) : null,
    aggregateScript: withAggregate ? aggregateScript(req) : null,
  };
  const commands = [
    ...(withArray ? [`ARRAY_JOB_ID=$(sbatch --parsable ${files.arrayScript} | cut -d';' -f1)`] : []),
    ...(withAggregate ? [`sbatch --parsable ${withArray ? '--dependency=afterok:$ARRAY_JOB_ID ' : ''}${files.aggregateScript}`] : []),
  ];
  const outcome: SubmitOutcome = { plan, number, files, texts, commands, dryRun, arrayJobId: null, aggregateJobId: null, warnings };
  if (dryRun || !withAggregate) return outcome;

  // Nothing is written when nothing can be submitted.
  requireSbatch();
  mkdirSync(logsDir(req.outputDir), { recursive: true });
  if (texts.ratsFile !== null) await writeFileAtomic(files.ratsFile, texts.ratsFile);
  for (const [path, text] of [[files.arrayScript, texts.arrayScript], [files.aggregateScript, texts.aggregateScript]] as const) {
    if (text === null) continue;
    await writeFileAtomic(path, text);
    chmodSync(path, 0o755);
  }
  const record: SubmissionRecord = {
    number,
    submitted_at: new Date().toISOString(),
    data_file: req.dataFile,
    rats: withArray ? plan.toRun : [],
    array_job_id: null,
    aggregate_job_id: null,
    array_script: withArray ? files.arrayScript : null,
    aggregate_script: files.aggregateScript,
    rats_file: withArray ? files.ratsFile : null,
    analyze_args: req.analyzeArgs,
  };
  if (withArray) {
    record.array_job_id = outcome.arrayJobId = sbatch(files.arrayScript);
    // Recorded at once: if the aggregation submission fails, status still finds the rat tasks.
    await saveRecord(req.outputDir, record);
  }
  const dependency = withArray ? [`--dependency=afterok:${record.array_job_id}`] : [];
  try {
    record.aggregate_job_id = outcome.aggregateJobId = sbatch(files.aggregateScript, dependency);
  } catch (e) {
    if (e instanceof EegParallelError && withArray) {
      throw new EegParallelError(e.code, `${e.message}; array job ${record.array_job_id} was submitted: once it is done, submit again to aggregate`);
    }
    throw e;
  }
  await saveRecord(req.outputDir, record);
  return outcome;
}
