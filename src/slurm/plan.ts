/**
 * Resume: which rats still need a task, and whether the cross-rat result must be (re)computed.
 * A rat is done when DIR/rat_<ID>/results.json marks a complete result (written last, atomically,
 * by analyze-rat), so an interrupted or failed task is simply run again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findRatDirs, isCompleteRatDir, RESULTS_FILE } from '../results/result-files.js';
import { CROSS_RAT_SUBDIR, ratDir } from './run-dirs.js';

export interface SubmitPlan {
  /** Rats asked for, in order. */
  rats: string[];
  /** Those with a complete result already. */
  complete: string[];
  /** Those that need an array task. */
  toRun: string[];
  /** DIR/cross_rat is complete and was computed from exactly the complete rat directories. */
  crossRatCurrent: boolean;
}

/** Complete rat result directories `aggregate` would read. */
export function completeRatDirs(outputDir: string): string[] {
  return existsSync(outputDir) ? findRatDirs(outputDir).complete.filter((d) => basename(d) !== CROSS_RAT_SUBDIR) : [];
}

/**
 * True when DIR/cross_rat/results.json exists and lists the same rat directories as are complete
 * now (a rat finished since makes it stale).
 */
export function crossRatIsCurrent(outputDir: string): boolean {
  const path = join(outputDir, CROSS_RAT_SUBDIR, RESULTS_FILE);
  if (!existsSync(path)) return false;
  let used: unknown;
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { kind?: string; rat_directories?: unknown };
    if (json.kind !== 'cross-rat') return false;
    used = json.rat_directories;
  } catch {
    return false;
  }
  if (!Array.isArray(used) || !used.every((d): d is string => typeof d === 'string')) return false;
  const a = used.map((d) => basename(d)).sort();
  const b = completeRatDirs(outputDir).map((d) => basename(d)).sort();
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function planSubmission(outputDir: string, rats: readonly string[]): SubmitPlan {
  const complete = rats.filter((r) => isCompleteRatDir(ratDir(outputDir, r)));
  return {
    rats: [...rats],
    complete,
    toRun: rats.filter((r) => !complete.includes(r)),
    crossRatCurrent: crossRatIsCurrent(outputDir),
  };
}
