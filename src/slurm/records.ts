/**
 * DIR/slurm/submissions.json: what each `slurm submit` handed to SLURM. `slurm status` needs it to
 * map a rat to its array job and index (hence its log and its squeue/sacct entry), and resubmission
 * needs it to refuse doubling a submission that is still queued.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SessionDataError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { recordsPath } from './run-dirs.js';

/** One submission (JSON keys snake_case, like the other result files). */
export interface SubmissionRecord {
  number: number;
  submitted_at: string;
  data_file: string;
  /** Rats of the array job; array index k ↔ rats[k]. Empty when only aggregation was submitted. */
  rats: string[];
  array_job_id: string | null;
  aggregate_job_id: string | null;
  array_script: string | null;
  aggregate_script: string;
  rats_file: string | null;
  analyze_args: string[];
}

interface RecordsFile {
  kind: 'eeg-parallel-slurm-submissions';
  submissions: SubmissionRecord[];
}

/** Every submission recorded under `outputDir`, oldest first (none when there is no file). */
export function readRecords(outputDir: string): SubmissionRecord[] {
  const path = recordsPath(outputDir);
  if (!existsSync(path)) return [];
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as Partial<RecordsFile>;
    if (json.kind !== 'eeg-parallel-slurm-submissions' || !Array.isArray(json.submissions)) throw new Error('not a submissions file');
    return json.submissions;
  } catch (e) {
    throw new SessionDataError(`${path} is not a readable submissions file (${(e as Error).message}); move it away to start over`);
  }
}

/** Adds or replaces (same number) one record; atomic, so a crash never loses the others. */
export async function saveRecord(outputDir: string, record: SubmissionRecord): Promise<void> {
  const records = readRecords(outputDir).filter((r) => r.number !== record.number);
  records.push(record);
  records.sort((a, b) => a.number - b.number);
  const path = recordsPath(outputDir);
  mkdirSync(dirname(path), { recursive: true });
  const file: RecordsFile = { kind: 'eeg-parallel-slurm-submissions', submissions: records };
  await writeFileAtomic(path, JSON.stringify(file, null, 1) + '\n');
}

/** The latest submission whose array job ran `ratId`, with the rat's array index. */
export function latestForRat(records: readonly SubmissionRecord[], ratId: string): { record: SubmissionRecord; index: number } | null {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    const index = record.rats.indexOf(ratId);
    if (index >= 0 && record.array_job_id !== null) return { record, index };
  }
  return null;
}
