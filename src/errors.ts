/**
 * Typed errors. Every error a user can provoke with bad input or bad parameters is an
 * `EegParallelError`; the CLI prints its one-line message and exits with code 2. Anything else
 * reaching the CLI is a bug and exits 1 with a stack trace.
 */

/** A size in bytes as a message states it: `512 B`, `3.0 MiB`, `1.2 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Base class of all user-facing errors (bad input, bad parameters). */
export class EegParallelError extends Error {
  /** Stable machine-readable kind, e.g. `"invalid-parameter"`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A numeric or option parameter is out of its allowed domain (freqs, n_cycles, window, jobs…). */
export class InvalidParameterError extends EegParallelError {
  constructor(message: string) {
    super('invalid-parameter', message);
  }
}

/** An ROI cannot be resolved: unknown name, empty, electrode outside 1–32, unknown rat. */
export class RoiError extends EegParallelError {
  constructor(message: string) {
    super('roi', message);
  }
}

/** A channel index is outside the recording (e.g. rat 9442 sessions with fewer channels). */
export class ChannelRangeError extends EegParallelError {
  constructor(message: string) {
    super('channel-range', message);
  }
}

/** A used channel contains NaN or ±Inf. */
export class NonFiniteDataError extends EegParallelError {
  readonly channel: number;
  readonly sample: number;
  constructor(channel: number, sample: number, value: number) {
    super(
      'non-finite-data',
      `channel ${channel} has a non-finite value (${value}) at sample ${sample}; ` +
        'expected finite EEG samples in every used channel',
    );
    this.channel = channel;
    this.sample = sample;
  }
}

/** A used channel is flat: every sample has one value (a disconnected or saturated electrode). */
export class FlatChannelError extends EegParallelError {
  readonly channel: number;
  constructor(channel: number, value: number, nTimes: number, where = '') {
    super(
      'flat-channel',
      `channel ${channel}${where} is flat: all ${nTimes} samples are ${value}; its power has no time course to normalise ` +
        '(a disconnected or saturated electrode?)',
    );
    this.channel = channel;
  }
}

/** A computed value is NaN or ±Inf (e.g. a baseline ratio over a baseline of zero power). */
export class NonFiniteResultError extends EegParallelError {
  constructor(message: string) {
    super('non-finite-result', message);
  }
}

/** The session data is inconsistent: eeg/eeg_time lengths, non-increasing time axis, bad shapes. */
export class SessionDataError extends EegParallelError {
  constructor(message: string) {
    super('session-data', message);
  }
}

/** No events, or no event with a complete window, or a window longer than the recording. */
export class EventWindowError extends EegParallelError {
  constructor(message: string) {
    super('event-window', message);
  }
}

/** A file is not a valid/supported .npy (or other array container) file. */
export class ArrayFormatError extends EegParallelError {
  constructor(message: string) {
    super('array-format', message);
  }
}

/** An input file cannot be read (missing, a directory, no permission). */
export class InputFileError extends EegParallelError {
  constructor(path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String((cause as Error)?.message ?? cause);
    super('input-file', `cannot read '${path}': ${why}`);
  }
}

/** An output file could not be written (disk full, quota, I/O error): nothing was put in its place. */
export class OutputFileError extends EegParallelError {
  constructor(path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why =
      code === 'ENOSPC'
        ? 'no space left on the device'
        : code === 'EDQUOT'
          ? 'disk quota exceeded'
          : code === 'EROFS'
            ? 'read-only filesystem'
            : code === 'EACCES' || code === 'EPERM'
              ? 'permission denied'
              : String((cause as Error)?.message ?? cause);
    super('output-file', `cannot write '${path}': ${why}; nothing was written in its place`, { cause });
  }
}

/** A worker died (exit, crash, out of memory) while running a task. */
export class WorkerCrashError extends EegParallelError {
  /** What the task was computing ("channel 3"). */
  readonly label: string;
  constructor(label: string, detail: string) {
    super('worker-crashed', `worker died while computing ${label}: ${detail}`);
    this.label = label;
  }
}

/** No session of a rat could be analysed. */
export class NoUsableSessionError extends EegParallelError {
  constructor(ratId: string, failed: readonly { index: number; reason: string }[]) {
    const reasons = failed.map((f) => `#${f.index}: ${f.reason}`).join('; ');
    super('no-usable-session', `rat ${ratId}: no session could be analysed (${failed.length} failed: ${reasons || 'no sessions'})`);
  }
}

/** A task ran longer than the run's per-task time limit (`--task-timeout`); its worker was stopped. */
export class TaskTimeoutError extends EegParallelError {
  constructor(label: string, seconds: number) {
    super('task-timeout', `${label} took longer than the task time limit of ${seconds} s (--task-timeout); its worker was stopped`);
  }
}
