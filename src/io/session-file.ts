/**
 * Lazy, indexed access to the lab's session pickle (`all_eeg_data.pkl`, docs/method.md §2.1): a list of dicts
 * of numpy arrays, ~20 GB for 306 sessions.
 *
 * `openSessionFile` scans the pickle once, streaming (the array payloads are skipped with seeks,
 * never read), and keeps an index of every session: scalar fields, shapes and the byte offset of
 * each array. The index is cached (see `pickle/index-cache.ts`). `readSession(K, {channels})` then
 * reads only session K's small arrays and the requested EEG channels.
 *
 * Safety: the pickle is interpreted by our own VM (`pickle/vm.ts`), which resolves only an
 * allow-list of numpy globals and never imports or executes anything named in the file.
 */

import { open, type FileHandle } from 'node:fs/promises';
import type { SessionData } from '../model/session-data.js';
import { EegParallelError, InputFileError } from '../errors.js';
import { loadIndexCache, saveIndexCache, type FileStamp } from './pickle/index-cache.js';
import { readSessionData } from './pickle/reader.js';
import { buildIndex } from './pickle/session-index.js';
import { fileSource, type ByteSource } from './pickle/source.js';
import type { SessionInfo } from './pickle/types.js';
import { scanPickle, type ScanOptions } from './pickle/vm.js';
import { checkInputPath } from './files.js';
import { openSessionDirectory } from './session-dir.js';
import type { SessionFile } from './session-source.js';

export type { ArrayRef, SessionInfo, SessionProblem } from './pickle/types.js';
export type { SessionFile };

/** Options of {@link openSessionFile}. */
export interface OpenSessionFileOptions {
  /** Directory for the index cache instead of next to the file / the temp directory. */
  cacheDir?: string;
  /** Read and write the index cache (default true). */
  useCache?: boolean;
}

function compareRatIds(a: string, b: string): number {
  return /^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) || a.localeCompare(b) : a < b ? -1 : a > b ? 1 : 0;
}

class IndexedSessionFile implements SessionFile {
  constructor(
    readonly path: string,
    private readonly src: ByteSource,
    readonly sessions: readonly SessionInfo[],
    readonly fromCache: boolean,
    /** Throws when the file no longer matches the index; releases resources on close. */
    private readonly hooks: { check(): Promise<void>; close(): Promise<void> },
  ) {}

  ratIds(): string[] {
    return [...new Set(this.sessions.map((s) => s.ratId).filter((r) => r !== ''))].sort(compareRatIds);
  }

  sessionsOfRat(ratId: string): SessionInfo[] {
    const found = this.sessions.filter((s) => s.ratId === ratId);
    if (found.length === 0) {
      throw new EegParallelError('unknown-rat', `rat '${ratId}' has no session in ${this.path}; rats present: ${this.ratIds().join(', ') || 'none'}`);
    }
    return found;
  }

  async readSession(index: number, options: { channels?: readonly number[] } = {}): Promise<SessionData> {
    const info = Number.isInteger(index) ? this.sessions[index] : undefined;
    if (info === undefined) {
      const n = this.sessions.length;
      throw new EegParallelError(
        'session-index',
        `session index ${index} is out of range: ${this.path} has ${n} session${n === 1 ? '' : 's'}` + (n > 0 ? ` (valid 0–${n - 1})` : ''),
      );
    }
    await this.hooks.check();
    return readSessionData(this.src, info, options.channels);
  }

  close(): Promise<void> {
    return this.hooks.close();
  }
}

/**
 * Indexes a pickle held by any byte source (no cache). Used for files and, in tests, memory.
 * @throws ArrayFormatError (malformed/unsupported pickle), SessionDataError (not a list of dicts)
 */
export async function indexSessionSource(src: ByteSource, scan?: ScanOptions): Promise<SessionInfo[]> {
  const { value } = await scanPickle(src, scan);
  return buildIndex(value, src);
}

/** A {@link SessionFile} over an arbitrary byte source (tests, fuzzing; `scan` tunes the VM); nothing to close. */
export async function openSessionSource(src: ByteSource, scan?: ScanOptions): Promise<SessionFile> {
  const sessions = await indexSessionSource(src, scan);
  return new IndexedSessionFile(src.name, src, sessions, false, { check: async () => undefined, close: async () => undefined });
}

/**
 * Opens and indexes the lab's session pickle (scanning it once, or loading the cached index), or
 * opens a session directory of .npy files (session-dir.ts) as a one-session file.
 * @throws InputFileError (missing/unreadable/not a regular file), ArrayFormatError, SessionDataError
 */
export async function openSessionFile(path: string, options: OpenSessionFileOptions = {}): Promise<SessionFile> {
  const useCache = options.useCache ?? true;
  if (checkInputPath(path, true)) return openSessionDirectory(path);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new InputFileError(path, e);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      return openSessionDirectory(path);
    }
    if (!st.isFile()) throw new InputFileError(path, new Error('not a regular file'));
    const stamp: FileStamp = { size: st.size, mtimeMs: st.mtimeMs };
    const src = fileSource(fh, st.size, path);
    let sessions = useCache ? await loadIndexCache(path, stamp, options.cacheDir) : null;
    const fromCache = sessions !== null;
    if (sessions === null) {
      sessions = await indexSessionSource(src);
      if (useCache) await saveIndexCache(path, stamp, sessions, options.cacheDir);
    }
    const handle = fh;
    let closed = false;
    return new IndexedSessionFile(path, src, sessions, fromCache, {
      async check() {
        if (closed) throw new InputFileError(path, new Error('the session file was closed'));
        const now = await handle.stat();
        if (now.size !== stamp.size || now.mtimeMs !== stamp.mtimeMs) {
          throw new InputFileError(path, new Error('the file changed since it was indexed (size or modification time); open it again'));
        }
      },
      async close() {
        if (!closed) {
          closed = true;
          await handle.close();
        }
      },
    });
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}
