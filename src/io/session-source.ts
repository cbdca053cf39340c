/**
 * What an opened source of sessions offers, whatever its format: the lab's pickle
 * (session-file.ts) or a directory of .npy files (session-dir.ts).
 */
import type { SessionData } from '../model/session-data.js';
import type { SessionInfo } from './pickle/types.js';

/** An opened, indexed session file. */
export interface SessionFile {
  /** The path as given. */
  path: string;
  /** Every session, in file order (`sessions[k].index === k`). */
  sessions: readonly SessionInfo[];
  /** True when the index came from the cache rather than a scan. */
  fromCache: boolean;
  /** Distinct rat ids (numeric order when all are digits, else lexicographic). */
  ratIds(): string[];
  /**
   * Sessions of one rat in file order (including ones whose `problem` makes them unreadable).
   * @throws EegParallelError('unknown-rat') listing the rats present
   */
  sessionsOfRat(ratId: string): SessionInfo[];
  /**
   * Reads one session; with `channels`, only those EEG rows (in that order; `loadedChannels` set).
   * @throws EegParallelError('session-index') for an index outside 0…n−1, ChannelRangeError,
   *   SessionDataError / ArrayFormatError for an unreadable session
   */
  readSession(index: number, options?: { channels?: readonly number[] }): Promise<SessionData>;
  /** Releases the file handle. */
  close(): Promise<void>;
}
