/** SLURM job state names grouped into what a user of `slurm status` cares about. */

export type StateClass = 'pending' | 'running' | 'completed' | 'failed';

const PENDING = new Set(['PENDING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESV_DEL_HOLD', 'SUSPENDED', 'SPECIAL_EXIT']);
const RUNNING = new Set(['RUNNING', 'CONFIGURING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING', 'RESIZING', 'STOPPED']);
// Everything else that is final and not COMPLETED: FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY,
// NODE_FAIL, BOOT_FAIL, DEADLINE, PREEMPTED, REVOKED.

/** The class of a SLURM state name (unknown names count as failed: they are not progress). */
export function classifyState(state: string): StateClass {
  if (PENDING.has(state)) return 'pending';
  if (RUNNING.has(state)) return 'running';
  if (state === 'COMPLETED') return 'completed';
  return 'failed';
}

/** True while a job can still start or is running. */
export function isActive(state: string): boolean {
  const c = classifyState(state);
  return c === 'pending' || c === 'running';
}
