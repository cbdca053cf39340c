/**
 * What a submission needs, and validation of the sbatch resource values, so that a typo fails at
 * `slurm submit` (exit 2, one line) instead of hours later in the queue.
 */
import { InvalidParameterError } from '../errors.js';

/** sbatch resources of the per-rat tasks (the aggregation job reuses mem/time/partition/account). */
export interface SlurmResources {
  partition?: string;
  account?: string;
  cpusPerTask: number;
  /** sbatch --mem, e.g. "8G". */
  mem: string;
  /** sbatch --time, e.g. "01:00:00". */
  time: string;
}

/** Everything the scripts are generated from; every path absolute. */
export interface SubmitRequest {
  dataFile: string;
  outputDir: string;
  /** Node binary run on the compute nodes (default: the one running this command). */
  nodeBinary: string;
  /** The eeg-parallel CLI script (bin/eeg-parallel of this installation). */
  cliPath: string;
  /** analyze-rat options passed through verbatim (ROI, frequencies, strategy…), already validated. */
  analyzeArgs: string[];
  /** aggregate options passed through (e.g. --no-plots). */
  aggregateArgs: string[];
  /** Shell lines run before the analysis in every job, e.g. `module load nodejs/20`. */
  setup: string[];
  resources: SlurmResources;
}

/**
 * Defaults as in docs/method.md §5's example. Measured need (docs/cluster.md): a rat of 22 real-size sessions,
 * frontal ROI, takes ~20 s and < 0.5 GB with 2–4 workers, so these leave ample headroom.
 */
export const DEFAULT_RESOURCES: SlurmResources = { cpusPerTask: 4, mem: '8G', time: '01:00:00' };

/** sbatch --mem: an integer with an optional K/M/G/T unit (megabytes without). */
export function parseSlurmMem(text: string): string {
  if (!/^[1-9]\d*[KMGT]?$/i.test(text.trim())) {
    throw new InvalidParameterError(`--mem: '${text}' is not a SLURM memory size (e.g. 8G, 500M, 16000)`);
  }
  return text.trim().toUpperCase();
}

/** sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
export function parseSlurmTime(text: string): string {
  const t = text.trim();
  const ok = /^\d+(:\d{1,2}){0,2}$/.test(t) || /^\d+-\d{1,2}(:\d{1,2}){0,2}$/.test(t);
  if (!ok || /^0+$/.test(t)) {
    throw new InvalidParameterError(`--time: '${text}' is not a SLURM time limit (e.g. 01:00:00, 90, 1-12:00:00)`);
  }
  return t;
}

/** Partition / account names: letters, digits, `_ . -`, partitions may be a comma list. */
export function parseSlurmName(option: string, text: string, allowList: boolean): string {
  const re = allowList ? /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/ : /^[A-Za-z0-9_.-]+$/;
  if (!re.test(text.trim())) throw new InvalidParameterError(`${option}: '${text}' is not a valid SLURM name`);
  return text.trim();
}

/**
 * Rat ids become file names (rat_<ID>) and lines of the rats file read by bash: accept only
 * characters that are safe in both.
 */
export function checkRatId(ratId: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(ratId) || ratId.startsWith('.')) {
    throw new InvalidParameterError(`rat id '${ratId}' cannot be used in file names for SLURM tasks (letters, digits, _ . - only)`);
  }
  return ratId;
}
