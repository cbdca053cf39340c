/**
 * The session task, a handler module of the engine (engine/handlers.ts): a batch of whole
 * sessions analysed one after another in a worker (the `sessions` strategy). Workers import it
 * only when they are handed such a task, so a worker that computes channel rows stays small.
 */
import type { HandlerRef, TaskContext } from '../engine/handlers.js';
import type { RunPlan } from '../compute/plan.js';
import { EegParallelError } from '../errors.js';
import { loadSessionRef, type SessionRef } from '../io/session-refs.js';
import { analyzeSession, type AnalysisOptions, type SessionAnalysis } from './session.js';

/** A batch of whole sessions, analysed one after another. */
export interface SessionTask {
  /** "session 3" or "sessions 3, 4". */
  label: string;
  sessions: SessionRef[];
  options: AnalysisOptions;
  /** How each session runs inside the task: sequentially. */
  plan: RunPlan;
}

/** Outcome of one session: the analysis, or the user-facing error that stopped it. */
export type SessionOutcome =
  | { index: number; ok: true; analysis: SessionAnalysis; stored?: boolean }
  | { index: number; ok: false; code: string; message: string };

/**
 * A session of a multi-session run: to analyse (in memory, or in a file), or already analysed by
 * an earlier run with the same options (its results read back: a resumed run skips it).
 */
export type SessionSource = SessionRef | { index: number; stored: SessionAnalysis };

/**
 * Analyses one session; a user-facing error becomes a failed outcome (anything else is a bug and
 * propagates).
 */
export async function sessionOutcome(ref: SessionRef, options: AnalysisOptions, plan: RunPlan): Promise<SessionOutcome> {
  const index = ref.index;
  try {
    return { index, ok: true, analysis: await analyzeSession(await loadSessionRef(ref), options, index, plan) };
  } catch (e) {
    if (!(e instanceof EegParallelError)) throw e;
    return { index, ok: false, code: e.code, message: e.message };
  }
}

async function sessions(task: SessionTask, context: TaskContext): Promise<SessionOutcome[]> {
  context.checkpoint(task.label);
  const outcomes: SessionOutcome[] = [];
  for (const ref of task.sessions) outcomes.push(await sessionOutcome(ref, task.options, task.plan));
  return outcomes;
}

/** The handlers, by name. */
export const handlers = { sessions };

/** This module, as workers import it (bundled: a sibling entry of the worker, same name). */
export const SESSIONS_TASK: HandlerRef = { module: new URL('./session-tasks.js', import.meta.url).href, name: 'sessions' };
