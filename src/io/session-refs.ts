/**
 * A session to analyse: either data in memory, or a reference into a session file that is read
 * where the session is analysed — on the calling thread, or inside a worker, so that a
 * multi-session run never moves EEG through the main thread and reads only the ROI channels.
 */
import type { SessionData } from '../model/session-data.js';
import { openSessionFile, type SessionFile } from './session-file.js';

export type SessionRef =
  | { index: number; session: SessionData }
  | {
      index: number;
      /** Session `index` of the file at `path`; only `channels` are read; `nTimes` as indexed. */
      file: { path: string; channels: readonly number[]; nTimes: number };
    };

/** Samples per channel of the referenced session. */
export function refTimes(ref: SessionRef): number {
  return 'session' in ref ? ref.session.nTimes : ref.file.nTimes;
}

/** Opened session files, reused by every load in this thread until {@link closeSessionFiles}. */
const openFiles = new Map<string, Promise<SessionFile>>();

/** The session's data: as given, or read from its file (ROI channels only). */
export async function loadSessionRef(ref: SessionRef): Promise<SessionData> {
  if ('session' in ref) return ref.session;
  let file = openFiles.get(ref.file.path);
  if (file === undefined) {
    file = openSessionFile(ref.file.path);
    openFiles.set(ref.file.path, file);
    file.catch(() => openFiles.delete(ref.file.path));
  }
  return (await file).readSession(ref.index, { channels: ref.file.channels });
}

/** Closes the files opened by {@link loadSessionRef}. */
export async function closeSessionFiles(): Promise<void> {
  const files = [...openFiles.values()];
  openFiles.clear();
  await Promise.allSettled(files.map(async (f) => (await f).close()));
}
