/**
 * The run plan: parallel options resolved and the strategy chosen once, at the entry point of a
 * run (an API function or a CLI command), then passed down unchanged to everything that runs it,
 * the CLI's early worker start included.
 *
 * The `auto` strategy rule (documented in docs/parallelism.md, thresholds measured there):
 *
 * 1. One job, or less work than AUTO_MIN_TF_POINTS time-frequency points per task wave → sequential:
 *    pool dispatch and result hand-over cost more than they save.
 * 2. Several sessions and at least as many sessions as jobs → `sessions` (coarsest unit, no
 *    per-channel synchronisation, each worker streams its own session).
 * 3. Each channel's windows handed whole to the caller (`channelWindows`) → `channels`: a
 *    task must compute every row of its channel. Fewer frequencies than jobs but at least as many
 *    channels (a piece of a `tfr` written in pieces) → `channels` too, as batches of frequencies
 *    could not give every thread a task (and, for kept power, the rows of jobs + 1 channels fit
 *    the memory budget).
 * 4. The full ROI power → `frequencies` with batches of ⌈n_freqs / jobs⌉ rows: each task sums its
 *    rows of the ROI mean itself, in kernel memory, where `channels` must add every row to a
 *    shared sum in ROI order (measured faster for 8 and 16 channels, docs/parallelism.md).
 * 5. The calling thread computes (threads, `callerComputes`) → `frequencies` with batches of
 *    ⌈n_freqs / jobs⌉ rows: one task per computing thread. `channels` with more channels than
 *    jobs needs `jobs` workers (the calling thread cannot hand out a task while it computes one),
 *    one more to start in a one-shot CLI run, which costs more than it saves end to end
 *    (docs/parallelism.md).
 * 6. ROI channels a multiple of the jobs, or at least AUTO_MIN_CHANNELS_PER_JOB per job →
 *    `channels` (one task per channel, all its frequencies share each block's signal FFT),
 *    unless keeping `jobs` channels' power rows in flight would exceed the memory budget.
 * 7. Otherwise → `frequencies` with batches of ⌈n_freqs / jobs⌉ rows, which balances uneven
 *    channel counts (e.g. 3 channels on 2 cores) at the price of one extra signal FFT per batch.
 */
import { totalmem } from 'node:os';
import type { PoolOptions } from '../engine/pool.js';
import { poolOptionsFor } from '../engine/schedule.js';
import { InvalidParameterError } from '../errors.js';
import { resolveParallelOptions, warnAboveCores, type ParallelOptions, type ResolvedParallelOptions } from './options.js';

/** Below this many time-frequency points of work in total, auto runs sequentially. */
export const AUTO_MIN_TF_POINTS = 400_000;
/** With at least this many channels per job, the channel imbalance is small enough. */
export const AUTO_MIN_CHANNELS_PER_JOB = 3;

/** The size of a problem, as the rule sees it. */
export interface ProblemSize {
  /** ROI (or tfr) channels per session. */
  nChannels: number;
  nFreqs: number;
  /** Samples per channel (per session). */
  nTimes: number;
  /** Sessions in the run (1 for a single session or array). */
  nSessions: number;
  /**
   * What is made of the power: the ROI mean of full power rows (`roiPower`), the ROI mean of the
   * event windows (`windows`), every channel's power rows kept as they are (`channelPower`), or
   * each channel's event windows handed whole to the caller (`channelWindows`: several ROIs, or
   * windows normalised per channel).
   */
  output: 'roiPower' | 'windows' | 'channelPower' | 'channelWindows';
  /** What the run goes over: one recording (default), or a list of sessions (`sessions` allowed). */
  unit?: 'recording' | 'sessions';
}

export interface AutoChoice {
  strategy: 'sequential' | 'channels' | 'frequencies' | 'sessions';
  batchSize: number | null;
  /** One sentence: why. */
  reason: string;
}

/** Applies the rule; see the module comment. */
export function chooseStrategy(problem: ProblemSize, options: Pick<ResolvedParallelOptions, 'jobs' | 'maxMemoryBytes' | 'callerComputes'>): AutoChoice {
  const { nChannels, nFreqs, nTimes, nSessions } = problem;
  const jobs = options.jobs;
  const tfPoints = nChannels * nFreqs * nTimes * nSessions;
  if (jobs === 1) return { strategy: 'sequential', batchSize: null, reason: 'one job' };
  if (tfPoints < AUTO_MIN_TF_POINTS) {
    return {
      strategy: 'sequential',
      batchSize: null,
      reason: `${tfPoints} time-frequency points < ${AUTO_MIN_TF_POINTS}: too little work to pay for dispatch`,
    };
  }
  if (nSessions >= 2 && nSessions >= jobs) {
    return { strategy: 'sessions', batchSize: 1, reason: `${nSessions} sessions >= ${jobs} jobs` };
  }
  if (problem.output === 'channelWindows') {
    return { strategy: 'channels', batchSize: null, reason: `each of the ${nChannels} channels' windows is used whole: one task per channel` };
  }
  const powerBytes = problem.output === 'channelPower' ? nFreqs * nTimes * 8 * (jobs + 1) : 0;
  if (nFreqs < jobs && nChannels >= jobs && powerBytes <= options.maxMemoryBytes) {
    return { strategy: 'channels', batchSize: null, reason: `${nFreqs} frequencies < ${jobs} jobs but ${nChannels} channels: one task per channel` };
  }
  if (problem.output === 'roiPower') {
    const batchSize = defaultFrequencyBatch(nFreqs, jobs);
    return { strategy: 'frequencies', batchSize, reason: `full ROI power: batches of ${batchSize} frequencies, each summed inside its task` };
  }
  if (options.callerComputes) {
    const batchSize = defaultFrequencyBatch(nFreqs, jobs);
    return { strategy: 'frequencies', batchSize, reason: `the calling thread computes too: one batch of ${batchSize} frequencies per thread` };
  }
  const balanced = nChannels % jobs === 0 || nChannels >= AUTO_MIN_CHANNELS_PER_JOB * jobs;
  if (balanced && powerBytes <= options.maxMemoryBytes) {
    return { strategy: 'channels', batchSize: null, reason: `${nChannels} channels spread evenly over ${jobs} jobs` };
  }
  const batchSize = defaultFrequencyBatch(nFreqs, jobs);
  return {
    strategy: 'frequencies',
    batchSize,
    reason: balanced
      ? `full power of ${jobs + 1} channels exceeds the memory budget; batches of ${batchSize} frequencies`
      : `${nChannels} channels do not divide evenly over ${jobs} jobs; batches of ${batchSize} frequencies`,
  };
}

/** Default `frequencies` batch: the rows split evenly over the workers. */
export function defaultFrequencyBatch(nFreqs: number, jobs: number): number {
  return Math.max(1, Math.ceil(nFreqs / jobs));
}

/** A strategy that runs (auto resolved). */
export type ConcreteStrategy = AutoChoice['strategy'];

/** Everything a run needs to know about how it runs. */
export interface RunPlan extends Omit<ResolvedParallelOptions, 'strategy' | 'batchSize'> {
  strategy: ConcreteStrategy;
  /** Frequency rows per `frequencies` task (always set for it), sessions per `sessions` task; null otherwise. */
  batchSize: number | null;
  /** Why this strategy: the `auto` rule's reason, or "requested". */
  reason: string;
  /** Tasks of the run (channel strategies: per recording; sessions: Infinity, a stream); 1 for sequential. */
  nTasks: number;
  /** The pool the run's tasks go to; null when everything runs on the calling thread. */
  pool: PoolOptions | null;
}

/**
 * Whether the `channels` tasks add the full-power ROI rows to a shared sum themselves, taking
 * ROI turns (roi-sum.ts): under threads. Such tasks wait for each other, so the calling thread
 * must not compute one (pool.ts, callerComputes).
 */
export function tasksTakeRoiTurns(strategy: ConcreteStrategy, backend: ResolvedParallelOptions['backend'], output: ProblemSize['output']): boolean {
  return strategy === 'channels' && backend === 'threads' && output === 'roiPower';
}

/**
 * Resolves `options` and chooses the strategy for `problem`: the run plan.
 *
 * @throws InvalidParameterError for bad options, or `sessions` for a single recording
 */
export function planRun(problem: ProblemSize, options: ParallelOptions = {}): RunPlan {
  const resolved = resolveParallelOptions(options);
  let strategy: ConcreteStrategy;
  let batchSize = resolved.batchSize;
  let reason = 'requested';
  if (resolved.strategy === 'auto') {
    ({ strategy, batchSize, reason } = chooseStrategy(problem, resolved));
  } else {
    strategy = resolved.strategy;
  }
  if (strategy === 'frequencies' && problem.output === 'channelWindows') {
    throw new InvalidParameterError(
      "strategy 'frequencies' splits a channel's rows over tasks; several ROIs and baseline normalisations need whole channels: use channels, sequential or auto",
    );
  }
  if (strategy === 'sessions' && problem.unit !== 'sessions') {
    throw new InvalidParameterError(
      "strategy 'sessions' parallelises across sessions; for one recording use channels, frequencies, auto or sequential",
    );
  }
  let jobsAsked = resolved.jobs;
  const wholeRun = problem.nChannels * problem.nFreqs * problem.nTimes;
  // A task on the calling thread cannot be stopped: with a task time limit every task runs in a worker.
  const callerMayCompute = resolved.taskTimeoutSeconds === null;
  if (strategy === 'sequential' && (options.callerComputes === false || !callerMayCompute || wholeRun > resolved.callerTaskLimit)) {
    // The calling thread must stay free: the sequential path as one task in one worker, which
    // computes every row of every channel in order, as the sequential path does.
    const whole = problem.output === 'channelWindows' ? 'channels' : 'frequencies';
    strategy = whole;
    batchSize = whole === 'frequencies' ? problem.nFreqs : null;
    jobsAsked = 1;
    reason = `${reason === 'requested' ? 'sequential' : reason}; as one task in one worker, the calling thread staying free`;
  }
  if (strategy === 'frequencies') batchSize = Math.min(batchSize ?? defaultFrequencyBatch(problem.nFreqs, resolved.jobs), problem.nFreqs);
  if (strategy === 'sessions') batchSize ??= 1;
  const nTasks =
    strategy === 'sequential'
      ? 1
      : strategy === 'sessions'
        ? Math.ceil(problem.nSessions / batchSize!)
        : strategy === 'channels'
          ? problem.nChannels
          : Math.ceil(problem.nFreqs / batchSize!);
  const jobs = strategy === 'sequential' ? resolved.jobs : capJobs(jobsAsked, nTasks, resolved, options.jobs !== undefined);
  if (strategy !== 'sequential') warnAboveCores(jobs);
  const perTask = strategy === 'channels' ? problem.nFreqs * problem.nTimes : strategy === 'frequencies' ? problem.nChannels * batchSize! * problem.nTimes : wholeRun;
  const callerComputes = resolved.callerComputes && callerMayCompute && perTask <= resolved.callerTaskLimit && !tasksTakeRoiTurns(strategy, resolved.backend, problem.output);
  const pool =
    strategy === 'sequential'
      ? null
      : poolOptionsFor(
          {
            backend: resolved.backend,
            jobs,
            callerComputes,
            ...(resolved.workerHeapLimitMb !== null && { workerHeapLimitMb: resolved.workerHeapLimitMb }),
          },
          nTasks,
        );
  return { ...resolved, jobs, strategy, batchSize, reason, nTasks, pool };
}

/**
 * What a worker costs before it computes anything: a worker thread's isolate, or a child process
 * (an order of magnitude, docs/performance.md); used to cap the workers a memory budget allows.
 */
export const WORKER_OVERHEAD_BYTES = { threads: 16 * 2 ** 20, processes: 64 * 2 ** 20 } as const;

const warnedCaps = new Set<string>();

/**
 * The workers a run starts: at most one per task (a worker without a task only costs start-up and
 * memory) and as many as the memory budget allows; a warning says when a `--jobs` the user gave
 * was lowered (the default, one per core, is lowered silently).
 */
function capJobs(requested: number, nTasks: number, options: Pick<ResolvedParallelOptions, 'backend' | 'maxMemoryBytes'>, given: boolean): number {
  const byMemory = Math.max(1, Math.floor(Math.min(options.maxMemoryBytes, totalmem() / 2) / WORKER_OVERHEAD_BYTES[options.backend]));
  const jobs = Math.max(1, Math.min(requested, nTasks, byMemory));
  const key = `${requested}/${jobs}`;
  if (given && jobs < requested && !warnedCaps.has(key)) {
    warnedCaps.add(key);
    const why = jobs === nTasks ? `the run has ${nTasks} task${nTasks === 1 ? '' : 's'}` : `${jobs} workers' start-up memory fills the memory budget`;
    process.emitWarning(`jobs=${requested} lowered to ${jobs}: ${why}`, 'EegParallelWarning');
  }
  return jobs;
}

/** The plan of the sequential reference path (and of each session inside a `sessions` worker). */
export function sequentialPlan(plan: RunPlan): RunPlan {
  return { ...plan, strategy: 'sequential', batchSize: null, reason: 'inside a session task', nTasks: 1, pool: null };
}
