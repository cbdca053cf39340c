/**
 * `eeg-parallel stats` (docs/method.md §8.3): the cross-rat statistics of the per-rat results of
 * `analyze-all` / `analyze-rat` under DIR, written to DIR/stats/. Everything is read and computed
 * before anything is written: bad input leaves DIR untouched.
 */
import type { Command } from 'commander';
import { join, relative } from 'node:path';
import { ratStatistics, type ContrastTest } from '../analysis/rat-stats.js';
import { runThetaSelection } from '../analysis/theta.js';
import type { Tail } from '../compute/cluster-test.js';
import { availableCores, BACKENDS, type Backend } from '../compute/options.js';
import { InvalidParameterError } from '../errors.js';
import type { StatsFigure } from '../results/figures/stats.js';
import { findRatDirs, readRatResults, type StoredRat } from '../results/result-files.js';
import { STATS_DIR, writeStatsResults } from '../results/stats-files.js';
import { parseInteger, parseNumber } from './parse.js';

interface StatsCliOptions {
  outputDir: string;
  nPermutations?: string;
  seed?: string;
  threshold?: string;
  tail?: string;
  jobs?: string;
  backend?: string;
  plots: boolean;
}

/** Recorded parameters that must agree between the rats tested together. */
const SHARED_PARAMETERS = ['n_cycles', 'zero_mean', 'normalize', 'baseline', 'baseline_mode', 'theta_band', 'theta_window'] as const;

/**
 * The rats' common theta selection, from their recorded band and window.
 *
 * @throws InvalidParameterError when rats were analysed differently
 */
function checkParameters(rats: readonly StoredRat[]) {
  const first = rats[0]!;
  for (const r of rats) {
    for (const key of SHARED_PARAMETERS) {
      const a = JSON.stringify(first.parameters[key] ?? null);
      const b = JSON.stringify(r.parameters[key] ?? null);
      if (a !== b) throw new InvalidParameterError(`rat ${r.ratId} (${r.dir}) was analysed with ${key} ${b}, rat ${first.ratId} with ${a}; cannot test them together`);
    }
  }
  const p = first.parameters as { theta_band?: [number, number] | null; theta_window?: [number, number] | null };
  return runThetaSelection(first.freqs, first.windowTimes, p.theta_band ?? undefined, p.theta_window ?? undefined);
}

function parseTail(text: string | undefined): Tail {
  if (text === undefined) return 0;
  const tail = text.trim() === '' ? NaN : Number(text);
  if (tail !== -1 && tail !== 0 && tail !== 1) throw new InvalidParameterError(`--tail: '${text}' must be -1, 0 or 1`);
  return tail;
}

const fmtP = (p: number): string => String(Number(p.toPrecision(2)));

function testLine(t: ContrastTest): string {
  const r = t.result;
  const clusters = r.clusters.length === 0 ? 'no cluster' : `${r.clusters.length} cluster${r.clusters.length === 1 ? '' : 's'}, p = ${r.clusters.map((c) => fmtP(c.pValue)).join(', ')}`;
  const name = t.contrast.startsWith(t.events) ? t.contrast : `${t.events} ${t.contrast}`;
  return `ROI ${t.roi} ${name}: ${t.rats.length} rats, ${clusters} (${r.nPermutations} permutations${r.exact ? ', exact' : ''})`;
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('cluster permutation tests and theta t tests over rats (the observations) of the per-rat results under DIR, written to DIR/stats/')
    .requiredOption('--output-dir <DIR>', 'directory holding the rat_<id>/ results of analyze-all (or analyze-rat)')
    .option('--n-permutations <N>', 'permutations, the observed labelling included; every sign pattern (exact) when N >= 2^(n_rats-1) (default 10000: exact up to 14 rats)')
    .option('--seed <S>', 'seed of the Monte-Carlo draw when not exact (default 0)')
    .option('--threshold <T>', "cluster-forming t threshold (default MNE's: the t quantile at p = 0.05, two-tailed for tail 0)")
    .option('--tail <-1|0|1>', '0: clusters of both signs (default); 1: positive; -1: negative')
    .option('--jobs <N>', 'threads or processes computing permutations (default: available cores); results do not depend on it')
    .option('--backend <name>', 'threads (default) | processes')
    .option('--no-plots', 'do not draw figures')
    .action(async (opts: StatsCliOptions) => {
      const tail = parseTail(opts.tail);
      const threshold = opts.threshold === undefined ? undefined : parseNumber('--threshold', opts.threshold);
      const nPermutations = opts.nPermutations === undefined ? undefined : parseInteger('--n-permutations', opts.nPermutations, 1);
      const seed = opts.seed === undefined ? 0 : parseInteger('--seed', opts.seed, 0);
      const jobs = opts.jobs === undefined ? availableCores() : parseInteger('--jobs', opts.jobs, 1);
      const backend = (opts.backend ?? 'threads') as Backend;
      if (!BACKENDS.includes(backend)) throw new InvalidParameterError(`--backend: '${opts.backend}' is not one of ${BACKENDS.join(', ')}`);

      const found = findRatDirs(opts.outputDir);
      if (found.incomplete.length > 0) process.stderr.write(`eeg-parallel: skipping rat directories without results (interrupted runs?): ${found.incomplete.join(', ')}\n`);
      if (found.complete.length < 3) {
        throw new InvalidParameterError(`statistics need at least 3 complete rat results under '${opts.outputDir}' (rats are the observations), found ${found.complete.length}`);
      }
      const rats = found.complete.map(readRatResults);
      const theta = checkParameters(rats);
      const stats = await ratStatistics(rats, theta, {
        tail,
        seed,
        jobs,
        backend,
        ...(threshold !== undefined && { threshold }),
        ...(nPermutations !== undefined && { nPermutations }),
        onTest: (t) => process.stderr.write(testLine(t) + '\n'),
      });
      let figures: StatsFigure[] = [];
      if (opts.plots) {
        // The renderer is loaded only when figures are drawn: it takes long to load.
        const { statsFigures } = await import('../results/figures/stats.js');
        const { valueTitle } = await import('../results/figures/theta.js');
        figures = await statsFigures(stats, theta, valueTitle(rats));
      }
      const dir = join(opts.outputDir, STATS_DIR);
      const path = await writeStatsResults(dir, stats, {
        ratDirs: rats.map((r) => relative(opts.outputDir, r.dir)),
        parameters: { tail, threshold: threshold ?? null, nPermutations: nPermutations ?? null, seed, theta },
        figures,
      });
      // The run's overview page again, now with the cluster outlines.
      await (await import('../results/explorer.js')).writeResultsExplorer(opts.outputDir);
      const significant = stats.tests.filter((t) => t.result.clusters.some((c) => c.pValue < 0.05)).length;
      const thetaSignificant = stats.theta.filter((t) => t.p < 0.05).length;
      process.stdout.write(
        `${rats.length} rats: ${stats.tests.length} cluster tests (${significant} with a cluster p < 0.05), ` +
          `${stats.theta.length} theta tests (${thetaSignificant} p < 0.05)` +
          `${stats.skipped.length > 0 ? `, ${stats.skipped.length} skipped (too few rats)` : ''} → ${path}\n`,
      );
    });
}
