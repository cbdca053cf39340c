/**
 * Real-data commands (docs/method.md §5): `inspect`, `analyze-session`, `analyze-rat`, `aggregate`.
 * The lab's pickle is opened lazily (indexed once, cached), and only the ROI channels of a
 * session are read.
 */
import type { Command } from 'commander';
import { basename, join } from 'node:path';
import { crossRatMeans, analyzeRat } from '../analysis/rat.js';
import { closeSessionFiles, type SessionRef } from '../io/session-refs.js';
import { resolveRoi, type RoiSpec } from '../analysis/roi.js';
import { analyzeSession, planSessionRun, type AnalysisOptions } from '../analysis/session.js';
import { EegParallelError, InvalidParameterError } from '../errors.js';
import { findRatDirs, readRatResults, writeCrossRatResults, writeRatResults, writeSessionResults, type RunContext } from '../results/result-files.js';
import { openSessionFile, type SessionFile } from '../io/session-file.js';
import type { ParallelOptions } from '../compute/options.js';
import type { RunPlan } from '../compute/plan.js';
import { sharedPool } from '../engine/pool.js';
import {
  addParallelOptions,
  parseCycles,
  parseInteger,
  parseParallelOptions,
  parsePositive,
  parseRange,
  parseRoiOption,
  type ParallelCliOptions,
} from './parse.js';

const ANALYSIS_STRATEGIES = ['sequential', 'channels', 'frequencies', 'auto'] as const;
const RAT_STRATEGIES = ['sequential', 'channels', 'frequencies', 'sessions', 'auto'] as const;

interface AnalysisCliOptions extends ParallelCliOptions {
  data: string;
  roi?: string;
  channels?: string;
  freqRange?: string;
  nFreqs?: string;
  nCyclesFactor?: string;
  window?: string;
  outputDir: string;
  plots: boolean;
  saveRoiPower?: boolean;
}

function addAnalysisOptions(command: Command, strategies: readonly (typeof RAT_STRATEGIES)[number][]): Command {
  command
    .requiredOption('--data <FILE.pkl>', "the lab's session pickle (all_eeg_data.pkl layout)")
    .option('--roi <NAME|E1,E2,...>', 'ROI name from data/roi_map.json, or electrode numbers 1–32')
    .option('--channels <I1,I2,...>', '0-based channel indices (instead of --roi)')
    .option('--freq-range <LO,HI>', 'Hz (default 3,8)')
    .option('--n-freqs <N>', 'geomspace frequencies (default 20)')
    .option('--n-cycles-factor <K>', 'cycles = max(3, K·f) (default 3)')
    .option('--window <SECONDS>', 'event window length (default 1.0)')
    .requiredOption('--output-dir <DIR>', 'where results go')
    .option('--no-plots', 'do not draw figures')
    .option('--save-roi-power', 'also write roi_power.npy (n_freqs, n_times) per session');
  return addParallelOptions(command, strategies);
}

function analysisOptions(opts: AnalysisCliOptions, strategies: readonly (typeof RAT_STRATEGIES)[number][]): AnalysisOptions & { roi: RoiSpec } {
  const cycles = parseCycles(undefined, opts.nCyclesFactor);
  const parallel: ParallelOptions = parseParallelOptions(opts, strategies);
  return {
    roi: parseRoiOption(opts.roi, opts.channels),
    ...(opts.freqRange !== undefined && { freqRange: parseRange('--freq-range', opts.freqRange) }),
    ...(opts.nFreqs !== undefined && { nFreqs: parseInteger('--n-freqs', opts.nFreqs, 1) }),
    ...(cycles !== undefined && { cycles }),
    ...(opts.window !== undefined && { windowDuration: parsePositive('--window', opts.window) }),
    saveRoiPower: opts.saveRoiPower ?? false,
    ...parallel,
  };
}

/** The figure renderer (vega, resvg) is loaded only when figures are drawn: it takes long to load. */
function figuresModule(): Promise<typeof import('../results/figures/write.js')> {
  return import('../results/figures/write.js');
}

function contextOf(path: string, options: AnalysisOptions, started: number, figures: string[]): RunContext {
  return {
    dataFile: path,
    figures: figures.map((f) => basename(f)),
    parallel: { strategy: options.strategy ?? 'auto', jobs: options.jobs ?? null, backend: options.backend ?? 'threads' },
    totalSeconds: (performance.now() - started) / 1000,
  };
}

/**
 * The run plan of session `index`, made before the session is read: when it runs in parallel, its
 * worker pool starts now, so that worker start-up overlaps with reading (a single-shot CLI run
 * pays it otherwise). Null when the session or its ROI cannot be resolved (reported when read).
 */
function planAndStartWorkers(file: SessionFile, index: number, options: AnalysisOptions): RunPlan | null {
  const info = file.sessions[index];
  if (info === undefined) return null;
  let nChannels: number;
  try {
    nChannels = resolveRoi(options.roi, info.ratId, options.tables).channels.length;
  } catch {
    return null;
  }
  const plan = planSessionRun(nChannels, info.nTimes, options);
  if (plan.pool !== null) sharedPool(plan.pool);
  return plan;
}

/** Reads session `index` with only the ROI's channels. */
async function readRoiSession(file: SessionFile, index: number, roi: RoiSpec, options: AnalysisOptions) {
  const info = file.sessions[index];
  if (info === undefined) {
    throw new EegParallelError('session-index', `session ${index} is out of range: ${file.path} has ${file.sessions.length} sessions (0–${file.sessions.length - 1})`);
  }
  const channels = resolveRoi(roi, info.ratId, options.tables).channels;
  return file.readSession(index, { channels });
}

export function registerAnalysisCommands(program: Command): void {
  program
    .command('inspect')
    .description('list the sessions of a data file: rat, date, channels × samples, duration, events per NM size')
    .requiredOption('--data <FILE.pkl>', "the lab's session pickle")
    .option('--json', 'machine-readable output')
    .action(async (opts: { data: string; json?: boolean }) => {
      const file = await openSessionFile(opts.data);
      try {
        if (opts.json) {
          process.stdout.write(JSON.stringify({ path: file.path, fromCache: file.fromCache, sessions: file.sessions }, null, 1) + '\n');
          return;
        }
        const sizes = [...new Set(file.sessions.flatMap((s) => Object.keys(s.nEvents)))].sort((a, b) => Number(a) - Number(b));
        const header = ['index', 'rat', 'date', 'channels × samples', 'duration', ...sizes.map((s) => `NM ${s}`), 'note'];
        const rows = file.sessions.map((s) => [
          String(s.index),
          s.ratId,
          s.sessionDate,
          `${s.nChannels} × ${s.nTimes}`,
          `${(s.durationSeconds / 60).toFixed(1)} min`,
          ...sizes.map((z) => String(s.nEvents[z] ?? 0)),
          s.problem?.message ?? '',
        ]);
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
        process.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n');
        process.stdout.write(`${file.sessions.length} sessions, ${file.ratIds().length} rats${file.fromCache ? ' (index from cache)' : ''}\n`);
      } finally {
        await file.close();
      }
    });

  const session = program.command('analyze-session').description('analyse one session: ROI z-scored theta power and NM event windows by size');
  addAnalysisOptions(session, ANALYSIS_STRATEGIES)
    .requiredOption('--session <K>', 'session index in the file (0-based)')
    .action(async (opts: AnalysisCliOptions & { session: string }) => {
      const started = performance.now();
      const options = analysisOptions(opts, ANALYSIS_STRATEGIES);
      const index = parseInteger('--session', opts.session, 0);
      const file = await openSessionFile(opts.data);
      try {
        const plan = planAndStartWorkers(file, index, options);
        const data = await readRoiSession(file, index, options.roi, options);
        const analysis = await analyzeSession(data, options, index, plan ?? undefined);
        const figures = opts.plots ? await (await figuresModule()).writeSessionFigures(opts.outputDir, analysis) : [];
        await writeSessionResults(opts.outputDir, analysis, contextOf(opts.data, options, started, figures));
        const counts = analysis.sizes.map((s) => `size ${s.label}: ${s.nEvents}`).join(', ');
        process.stdout.write(
          `session ${index} (rat ${analysis.ratId}, ${analysis.sessionDate}): ROI ${analysis.roi.label} → channels ${analysis.roi.channels.join(',')}; ` +
            `${counts}; ${analysis.invalidEvents.length} invalid events; ${analysis.computeSeconds.toFixed(2)} s compute → ${opts.outputDir}\n`,
        );
      } finally {
        await file.close();
      }
    });

  const rat = program.command('analyze-rat').description('analyse every session of one rat (file order), pooled per NM size');
  addAnalysisOptions(rat, RAT_STRATEGIES)
    .requiredOption('--rat <ID>', 'rat id as in the file')
    .action(async (opts: AnalysisCliOptions & { rat: string }) => {
      const started = performance.now();
      const options = analysisOptions(opts, RAT_STRATEGIES);
      const file = await openSessionFile(opts.data);
      let refs: SessionRef[];
      try {
        const infos = file.sessionsOfRat(opts.rat);
        // One ROI resolution per rat (the electrode table maps by rat); each session is then read
        // where it is analysed, ROI channels only.
        const channels = resolveRoi(options.roi, opts.rat, options.tables).channels;
        refs = infos.map((info) => ({ index: info.index, file: { path: opts.data, channels, nTimes: info.nTimes } }));
      } finally {
        await file.close();
      }
      // Each session's results are written as soon as it is analysed, while the next sessions are
      // computed (the writes wait on fsync, not on the CPU); the rat's own files come last.
      const sessionWrites: Promise<void>[] = [];
      const writeFailures: unknown[] = [];
      try {
        const result = await analyzeRat(opts.rat, refs, options, (event) => {
          process.stderr.write(
            event.ok
              ? `session ${event.index}: ${event.analysis!.sizes.map((s) => `size ${s.label}: ${s.nEvents}`).join(', ')}\n`
              : `session ${event.index}: skipped: ${event.reason}\n`,
          );
          if (event.ok) {
            const dir = join(opts.outputDir, `session_${event.index}`);
            const write = writeSessionResults(dir, event.analysis!, contextOf(opts.data, options, started, []));
            sessionWrites.push(write.catch((e: unknown) => void writeFailures.push(e)));
          }
        });
        await Promise.all(sessionWrites);
        if (writeFailures.length > 0) throw writeFailures[0];
        const figures = opts.plots ? await (await figuresModule()).writeRatFigures(opts.outputDir, result) : [];
        await writeRatResults(opts.outputDir, result, contextOf(opts.data, options, started, figures), false);
        process.stdout.write(
          `rat ${opts.rat}: ${result.sessions.length} sessions analysed, ${result.failed.length} skipped; ` +
            `${result.sizes.map((s) => `size ${s.label}: ${s.nEvents} events from ${s.nSessions} sessions`).join('; ')} → ${opts.outputDir}\n`,
        );
      } finally {
        await Promise.all(sessionWrites); // never left half-done when the analysis fails
        await closeSessionFiles();
      }
    });

  program
    .command('aggregate')
    .description('cross-rat means from the complete per-rat results under DIR (written to DIR/cross_rat)')
    .requiredOption('--output-dir <DIR>', 'directory holding one analyze-rat result per subdirectory')
    .option('--no-plots', 'do not draw figures')
    .action(async (opts: { outputDir: string; plots: boolean }) => {
      const dirs = findRatDirs(opts.outputDir).filter((d) => !d.endsWith('cross_rat'));
      if (dirs.length === 0) throw new InvalidParameterError(`no complete analyze-rat results under '${opts.outputDir}'`);
      const rats = dirs.map(readRatResults);
      const first = rats[0]!;
      for (const r of rats) {
        if (r.freqs.length !== first.freqs.length || r.freqs.some((f, i) => f !== first.freqs[i]) || r.windowTimes.length !== first.windowTimes.length) {
          throw new InvalidParameterError(`rat ${r.ratId} (${r.dir}) was analysed with other frequencies or windows than rat ${first.ratId}; cannot average`);
        }
      }
      const cross = crossRatMeans(rats);
      const outDir = join(opts.outputDir, 'cross_rat');
      const figures = opts.plots ? await (await figuresModule()).writeCrossRatFigures(outDir, cross, first.freqs, first.windowTimes, first.roiLabel) : [];
      await writeCrossRatResults(outDir, cross, first.freqs, first.windowTimes, dirs, figures);
      process.stdout.write(`${rats.length} rats: ${cross.map((s) => `size ${s.label}: ${s.nRats} rats`).join('; ')} → ${outDir}\n`);
    });
}
