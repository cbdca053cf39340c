/**
 * Where `slurm submit` puts things under the output directory DIR:
 *
 *   DIR/rat_<ID>/                 analyze-rat result of one rat (complete when results.json says so)
 *   DIR/cross_rat/                aggregate result
 *   DIR/slurm/submissions.json    one record per submission (job ids, rats, array index → rat)
 *   DIR/slurm/rats-<n>.txt        submission n's rats, line k = array index k
 *   DIR/slurm/array-<n>.sbatch, aggregate-<n>.sbatch
 *   DIR/slurm/logs/rat_<job>_<index>.out, logs/rat_<ID>.out (symlink to the latest), logs/aggregate_<job>.out
 *
 * Why numbered per submission: a resubmission runs a different subset of rats, so array index k
 * means another rat; the scripts and logs of earlier submissions must stay valid for `slurm status`.
 */
import { join } from 'node:path';

export const SLURM_SUBDIR = 'slurm';
export const CROSS_RAT_SUBDIR = 'cross_rat';

/** DIR/rat_<ID>: analyze-rat output of one rat. */
export function ratDir(outputDir: string, ratId: string): string {
  return join(outputDir, `rat_${ratId}`);
}

/** DIR/slurm. */
export function slurmDir(outputDir: string): string {
  return join(outputDir, SLURM_SUBDIR);
}

/** DIR/slurm/submissions.json. */
export function recordsPath(outputDir: string): string {
  return join(slurmDir(outputDir), 'submissions.json');
}

/** DIR/slurm/logs. */
export function logsDir(outputDir: string): string {
  return join(slurmDir(outputDir), 'logs');
}

/** The files of submission `n`. */
export interface SubmissionFiles {
  ratsFile: string;
  arrayScript: string;
  aggregateScript: string;
}

export function submissionFiles(outputDir: string, n: number): SubmissionFiles {
  const dir = slurmDir(outputDir);
  return {
    ratsFile: join(dir, `rats-${n}.txt`),
    arrayScript: join(dir, `array-${n}.sbatch`),
    aggregateScript: join(dir, `aggregate-${n}.sbatch`),
  };
}

/** Log of array task `index` of array job `jobId` (the script's `#SBATCH --output` pattern, expanded). */
export function ratLogPath(outputDir: string, jobId: string, index: number): string {
  return join(logsDir(outputDir), `rat_${jobId}_${index}.out`);
}

/** Log of aggregation job `jobId`. */
export function aggregateLogPath(outputDir: string, jobId: string): string {
  return join(logsDir(outputDir), `aggregate_${jobId}.out`);
}
