/**
 * Real-data commands (docs/method.md §5): `inspect`, `analyze-session`, `analyze-rat`, `aggregate`.
 * The lab's pickle is opened lazily (indexed once, cached), and only the ROI channels of a
 * session are read.
 */
import type { Command } from 'commander';
import { basename, join } from 'node:path';
import { analyzeRat, crossRatAnalysis, type RatAnalysis, type SessionProgress, type SessionSource } from '../analysis/rat.js';
import { analyzeSession, planSessionRun, resolveSessionRois, type AnalysisOptions, type ExcludedGroup } from '../analysis/session.js';
import { resolveNormalization } from '../analysis/normalize.js';
import { runThetaSelection } from '../analysis/theta.js';
import type { RunPlan } from '../compute/plan.js';
import { sharedPool } from '../engine/pool.js';
import { EegParallelError, InvalidParameterError } from '../errors.js';
import { defaultLayoutPath, readElectrodeLayout, type ElectrodeLayout } from '../io/electrode-layout.js';
import { checkOutputDirectory } from '../io/destinations.js';
import { openSessionFile, type SessionFile, type SessionInfo } from '../io/session-file.js';
import { closeSessionFiles } from '../io/session-refs.js';
import { findRatDirs, readRatResults, readSessionResults, storedAnalysisKey, writeCrossRatResults, writeRatResults, writeSessionResults, type RunContext } from '../results/result-files.js';
import { addAnalysisOptions, analysisKey, parseAnalysisOptions, type AnalysisCliOptions } from './analysis-options.js';
import { parseInteger } from './parse.js';

const ANALYSIS_STRATEGIES = ['sequential', 'channels', 'frequencies', 'auto'] as const;
const RAT_STRATEGIES = ['sequential', 'channels', 'frequencies', 'sessions', 'auto'] as const;

interface AnalysisCommandOptions extends AnalysisCliOptions {
  data: string;
  outputDir: string;
}

function addCommandOptions(command: Command, strategies: readonly (typeof RAT_STRATEGIES)[number][]): Command {
  command
    .requiredOption('--data <FILE.pkl>', "the lab's session pickle (all_eeg_data.pkl layout), or a session directory of .npy files")
    .requiredOption('--output-dir <DIR>', 'where results go');
  return addAnalysisOptions(command, strategies);
}

/** The figure renderer (vega, resvg) is loaded only when figures are drawn: it takes long to load. */
function figuresModule(): Promise<typeof import('../results/figures/write.js')> {
  return import('../results/figures/write.js');
}

/** "ROI frontal → channels 20,21,23,24" or "5 ROIs, 32 electrodes". */
function roiLine(rois: readonly { label: string; channels: readonly number[] }[], nElectrodes: number): string {
  if (rois.length === 1 && nElectrodes === 0) return `ROI ${rois[0]!.label} → channels ${rois[0]!.channels.join(',')}`;
  return `${rois.length} ROIs (${rois.map((r) => r.label).join(', ')})${nElectrodes > 0 ? `, ${nElectrodes} electrodes` : ''}`;
}

/** "nm size 1: 12, nm size 2: 9" (NM only: "size 1: 12"). */
function groupCounts(groups: readonly { events: string; label: string; nEvents: number }[]): string {
  const nmOnly = groups.every((g) => g.events === 'nm');
  return groups.map((g) => `${nmOnly ? '' : `${g.events} `}size ${g.label}: ${g.nEvents}`).join(', ');
}

/**
 * One warning line for the events groups a run left out (--min-events): how many, the first few,
 * and where they are listed. Nothing when none was.
 */
function warnExcludedGroups(excluded: readonly { where: string; group: ExcludedGroup }[], options: AnalysisOptions, listedIn: string): void {
  if (excluded.length === 0) return;
  const shown = excluded.slice(0, 3).map(({ where, group: g }) => `${where}${g.events} size ${g.label}: ${g.nEvents}`);
  const more = excluded.length > 3 ? `, … (${excluded.length - 3} more)` : '';
  const { minEvents } = resolveNormalization(options);
  process.emitWarning(
    `${excluded.length} events ${excluded.length === 1 ? 'group' : 'groups'} with fewer than ${minEvents} events left out (${shown.join(', ')}${more}); listed under excluded_groups in ${listedIn}`,
    'EegParallelWarning',
  );
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
    nChannels = resolveSessionRois(options, info.ratId, info.nChannels).channels.length;
  } catch {
    return null;
  }
  const plan = planSessionRun(nChannels, info.nTimes, options);
  if (plan.pool !== null) sharedPool(plan.pool);
  return plan;
}

/** Reads session `index` with only the channels its ROIs use. */
async function readRoiSession(file: SessionFile, index: number, options: AnalysisOptions) {
  const info = file.sessions[index];
  if (info === undefined) {
    throw new EegParallelError('session-index', `session ${index} is out of range: ${file.path} has ${file.sessions.length} sessions (0–${file.sessions.length - 1})`);
  }
  const channels = resolveSessionRois(options, info.ratId, info.nChannels).channels;
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
  addCommandOptions(session, ANALYSIS_STRATEGIES)
    .requiredOption('--session <K>', 'session index in the file (0-based)')
    .action(async (opts: AnalysisCommandOptions & { session: string }) => {
      const started = performance.now();
      const options = parseAnalysisOptions(opts, ANALYSIS_STRATEGIES);
      checkOutputDirectory('--output-dir', opts.outputDir);
      const index = parseInteger('--session', opts.session, 0);
      const file = await openSessionFile(opts.data);
      try {
        const plan = planAndStartWorkers(file, index, options);
        const data = await readRoiSession(file, index, options);
        const analysis = await analyzeSession(data, options, index, plan ?? undefined);
        const figures = opts.plots ? await (await figuresModule()).writeSessionFigures(opts.outputDir, analysis) : [];
        await writeSessionResults(opts.outputDir, analysis, contextOf(opts.data, options, started, figures));
        warnExcludedGroups(analysis.excludedGroups.map((group) => ({ where: '', group })), options, join(opts.outputDir, 'results.json'));
        process.stdout.write(
          `session ${index} (rat ${analysis.ratId}, ${analysis.sessionDate}): ${roiLine(analysis.rois.map((r) => r.roi), analysis.electrodes?.length ?? 0)}; ` +
            `${groupCounts(analysis.rois[0]?.groups ?? [])}; ${analysis.invalidEvents.length + analysis.invalidItiEvents.length} invalid events; ` +
            `${analysis.computeSeconds.toFixed(2)} s compute → ${opts.outputDir}\n`,
        );
      } finally {
        await file.close();
      }
    });

  const rat = program.command('analyze-rat').description('analyse every session of one rat (file order), pooled per events kind and size');
  addCommandOptions(rat, RAT_STRATEGIES)
    .requiredOption('--rat <ID>', 'rat id as in the file')
    .action(async (opts: AnalysisCommandOptions & { rat: string }) => {
      const options = parseAnalysisOptions(opts, RAT_STRATEGIES);
      checkOutputDirectory('--output-dir', opts.outputDir);
      const file = await openSessionFile(opts.data);
      let infos: SessionInfo[];
      try {
        infos = file.sessionsOfRat(opts.rat);
      } finally {
        await file.close();
      }
      try {
        const excluded: { where: string; group: ExcludedGroup }[] = [];
        const result = await runRat(opts.data, opts.rat, infos, options, opts.outputDir, opts.plots, (line) => process.stderr.write(line + '\n'), excluded);
        warnExcludedGroups(excluded, options, `${opts.outputDir}/results.json`);
        process.stdout.write(
          `rat ${opts.rat}: ${result.sessions.length} sessions analysed, ${result.failed.length} skipped; ` +
            `${(result.rois[0]?.groups ?? []).map((s) => `${s.events} size ${s.label}: ${s.nEvents} events from ${s.nSessions} sessions`).join('; ')} → ${opts.outputDir}\n`,
        );
      } finally {
        await closeSessionFiles();
      }
    });

  program
    .command('aggregate')
    .description('cross-rat means from the complete per-rat results under DIR (written to DIR/cross_rat)')
    .requiredOption('--output-dir <DIR>', 'directory holding one analyze-rat result per subdirectory')
    .option('--no-plots', 'do not draw figures')
    .option('--layout <FILE>', 'electrode layout CSV (site,x_mm,y_mm) for the electrode maps (default data/h32_layout.csv)')
    .action(async (opts: { outputDir: string; plots: boolean; layout?: string }) => {
      const summary = await aggregateRats(opts.outputDir, opts.plots, undefined, opts.layout === undefined ? undefined : readElectrodeLayout(opts.layout));
      process.stdout.write(summary + '\n');
    });

  const all = program
    .command('analyze-all')
    .description('analyse every rat of the file into DIR/rat_<id>/ (complete rats with the same options are kept), then aggregate into DIR/cross_rat/');
  addCommandOptions(all, RAT_STRATEGIES)
    .option('--rats <ID,...>', 'only these rats (default: every rat in the file)')
    .action(async (opts: AnalysisCommandOptions & { rats?: string }) => {
      const options = parseAnalysisOptions(opts, RAT_STRATEGIES);
      checkOutputDirectory('--output-dir', opts.outputDir);
      await analyzeAll(opts, options);
    });
}

/**
 * Analyses one rat: each session is read where it is analysed (its ROIs' channels only) and
 * written as soon as it is analysed, while the next sessions compute; the rat's own files come
 * last, results.json with the options' key ({@link analysisKey}) last of all.
 *
 * @param say receives one line per session (done or skipped)
 * @param excluded receives the events groups the sessions left out (--min-events)
 */
async function runRat(
  data: string,
  ratId: string,
  infos: readonly SessionInfo[],
  options: AnalysisOptions,
  outputDir: string,
  plots: boolean,
  say: (line: string) => void,
  excluded?: { where: string; group: ExcludedGroup }[],
): Promise<RatAnalysis> {
  const started = performance.now();
  // One ROI resolution per rat (the electrode table maps by rat; the channels a session lacks are
  // reported by its analysis).
  const maxChannels = Math.max(...infos.map((i) => i.nChannels));
  const channels = resolveSessionRois(options, ratId, maxChannels).channels;
  const key = analysisKey(options, data);
  // A session an earlier run of the same analysis completed is read back, not computed again.
  const sources: SessionSource[] = infos.map((info) => {
    const stored = readSessionResults(join(outputDir, `session_${info.index}`), key);
    return stored !== null ? { index: info.index, stored } : { index: info.index, file: { path: data, channels: channels.filter((c) => c < info.nChannels), nTimes: info.nTimes } };
  });
  const context = (figures: string[]): RunContext => ({ ...contextOf(data, options, started, figures), analysisKey: key });
  const sessionWrites: Promise<void>[] = [];
  const writeFailures: unknown[] = [];
  try {
    const onSession: SessionProgress = (event) => {
      for (const group of event.analysis?.excludedGroups ?? []) excluded?.push({ where: `rat ${ratId} session ${event.index} `, group });
      const kept = event.stored === true ? ' (kept from an earlier run)' : '';
      say(event.ok ? `session ${event.index}: ${groupCounts(event.analysis!.rois[0]?.groups ?? [])}${kept}` : `session ${event.index}: skipped: ${event.reason}`);
      if (event.ok && event.stored !== true) {
        const write = writeSessionResults(join(outputDir, `session_${event.index}`), event.analysis!, context([]));
        sessionWrites.push(write.catch((e: unknown) => void writeFailures.push(e)));
      }
    };
    const result = await analyzeRat(ratId, sources, options, { onSession, keepSessionWindows: false });
    await Promise.all(sessionWrites);
    if (writeFailures.length > 0) throw writeFailures[0];
    const figures = plots ? await (await figuresModule()).writeRatFigures(outputDir, result) : [];
    await writeRatResults(outputDir, result, context(figures), false);
    return result;
  } finally {
    await Promise.all(sessionWrites); // never left half-done when the analysis fails
  }
}

/**
 * Cross-rat means of complete rat results, written to `outputDir/cross_rat`: of `ratDirs`, or of
 * every complete rat result under `outputDir`. Returns a one-line summary.
 */
async function aggregateRats(outputDir: string, plots: boolean, ratDirs?: readonly string[], layout?: ElectrodeLayout): Promise<string> {
  // Read before anything is written: a bad layout file fails the command, not its last figure.
  const electrodeLayout = plots ? (layout ?? readElectrodeLayout(defaultLayoutPath())) : null;
  let dirs = ratDirs;
  if (dirs === undefined) {
    const found = findRatDirs(outputDir);
    if (found.incomplete.length > 0) process.stderr.write(`eeg-parallel: skipping rat directories without results (interrupted runs?): ${found.incomplete.join(', ')}\n`);
    dirs = found.complete;
  }
  if (dirs.length === 0) throw new InvalidParameterError(`no complete analyze-rat results under '${outputDir}'`);
  const rats = dirs.map(readRatResults);
  const first = rats[0]!;
  for (const r of rats) {
    if (r.freqs.length !== first.freqs.length || r.freqs.some((f, i) => f !== first.freqs[i]) || r.windowTimes.length !== first.windowTimes.length) {
      throw new InvalidParameterError(`rat ${r.ratId} (${r.dir}) was analysed with other frequencies or windows than rat ${first.ratId}; cannot average`);
    }
  }
  const cross = crossRatAnalysis(rats);
  const parameters = first.parameters as { theta_band?: [number, number] | null; theta_window?: [number, number] | null };
  // The rats' own theta selection (results from before theta scalars: the defaults, if they fit).
  const theta = runThetaSelection(first.freqs, first.windowTimes, parameters.theta_band ?? undefined, parameters.theta_window ?? undefined);
  const outDir = join(outputDir, 'cross_rat');
  const firstRoi = cross.rois[0];
  const nmMeans = firstRoi?.groups.filter((g) => g.events === 'nm') ?? [];
  const figures = plots && firstRoi !== undefined ? await (await figuresModule()).writeCrossRatFigures(outDir, nmMeans, first.freqs, first.windowTimes, firstRoi.label) : [];
  if (electrodeLayout !== null && firstRoi !== undefined && theta !== null) {
    const { writeCrossRatThetaFigures } = await import('../results/figures/theta.js');
    figures.push(...(await writeCrossRatThetaFigures(outDir, { cross, rats, theta }, electrodeLayout)));
  }
  await writeCrossRatResults(outDir, cross, rats, theta, figures, layout?.path ?? null);
  // The run's overview page, always (it also shows the maps when figures are not drawn).
  const explorerLayout = layout ?? electrodeLayout ?? undefined;
  await (await import('../results/explorer.js')).writeResultsExplorer(outputDir, explorerLayout === undefined ? {} : { layout: explorerLayout });
  return `${rats.length} rats: ${(firstRoi?.groups ?? []).map((s) => `${s.events} size ${s.label}: ${s.nRats} rats`).join('; ')} → ${outDir}`;
}

/**
 * `analyze-all`: every rat (or `--rats`) into DIR/rat_<id>/, skipping rats whose results are
 * complete and were made with the same options; a rat that fails is reported and skipped; then
 * the cross-rat means. A progress bar with ETA on a terminal, one line per rat otherwise.
 */
async function analyzeAll(opts: AnalysisCommandOptions & { rats?: string }, options: AnalysisOptions): Promise<void> {
  // A bad --layout fails now, not after every rat has been analysed.
  const layout = opts.layout === undefined ? undefined : readElectrodeLayout(opts.layout);
  const file = await openSessionFile(opts.data);
  let rats: { ratId: string; infos: SessionInfo[] }[];
  try {
    const present = file.ratIds();
    const wanted = opts.rats === undefined ? present : opts.rats.split(',').map((r) => r.trim());
    const unknown = wanted.filter((r) => !present.includes(r));
    if (unknown.length > 0) throw new InvalidParameterError(`--rats: ${unknown.join(', ')} not in ${opts.data}; rats present: ${present.join(', ')}`);
    rats = wanted.map((ratId) => ({ ratId, infos: file.sessionsOfRat(ratId) }));
  } finally {
    await file.close();
  }
  const key = analysisKey(options, opts.data);
  const progress = await progressReporter(rats.reduce((n, r) => n + r.infos.length, 0));
  const done: string[] = [];
  const kept: string[] = [];
  const failed: { ratId: string; reason: string }[] = [];
  const excluded: { where: string; group: ExcludedGroup }[] = [];
  try {
    for (const { ratId, infos } of rats) {
      const dir = join(opts.outputDir, `rat_${ratId}`);
      if (storedAnalysisKey(dir) === key) {
        kept.push(ratId);
        progress.advance(infos.length, `rat ${ratId}: complete, kept`);
        continue;
      }
      try {
        await runRat(opts.data, ratId, infos, options, dir, opts.plots, (line) => progress.advance(1, `rat ${ratId} ${line}`), excluded);
        done.push(ratId);
      } catch (e) {
        if (!(e instanceof EegParallelError)) throw e;
        failed.push({ ratId, reason: e.message });
        progress.note(`rat ${ratId}: failed: ${e.message}`);
      }
    }
  } finally {
    progress.stop();
    await closeSessionFiles();
  }
  // The cross-rat means of this run's rats: other rat directories under DIR may hold other analyses.
  const ratDirs = rats.filter((r) => done.includes(r.ratId) || kept.includes(r.ratId)).map((r) => join(opts.outputDir, `rat_${r.ratId}`));
  warnExcludedGroups(excluded, options, "the rats' results.json");
  const summary = ratDirs.length > 0 ? await aggregateRats(opts.outputDir, opts.plots, ratDirs, layout) : 'no rat could be analysed';
  process.stdout.write(
    `${done.length} rats analysed, ${kept.length} kept from an earlier run, ${failed.length} failed` +
      `${failed.map((f) => `\n  rat ${f.ratId}: ${f.reason}`).join('')}\n${summary}\n`,
  );
  if (done.length + kept.length === 0) throw new EegParallelError('no-usable-rat', `no rat of ${opts.data} could be analysed`);
}

/** Sessions done out of the total, with an ETA: a bar on a terminal, lines otherwise. */
async function progressReporter(total: number): Promise<{ advance(n: number, line: string): void; note(line: string): void; stop(): void }> {
  if (!process.stderr.isTTY) {
    return { advance: (_n, line) => process.stderr.write(line + '\n'), note: (line) => process.stderr.write(line + '\n'), stop: () => {} };
  }
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar({ format: 'sessions {bar} {value}/{total} | ETA {eta_formatted} | {line}', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0, { line: '' });
  return {
    advance: (n, line) => bar.increment(n, { line }),
    note: (line) => bar.update({ line }),
    stop: () => bar.stop(),
  };
}
