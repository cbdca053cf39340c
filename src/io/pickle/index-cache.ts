/**
 * On-disk cache of the session index, so only the first open of a 20 GB file pays for the scan.
 *
 * Location: `<file>.eegidx.json` next to the data when that directory is writable, else
 * `<os.tmpdir()>/eeg-parallel-index/<name>.<hash of the real path>.eegidx.json` (or under an
 * explicit cache directory). A cache entry is used only when its format version, the file size and
 * the file's modification time all match; anything else (or an unreadable/invalid cache) means a
 * fresh scan. Writes are atomic, and failing to write a cache never fails the open.
 */

import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import type { ArrayRef, SessionInfo } from './types.js';

/** Bump when the index layout or its meaning changes: old caches are then ignored. */
export const INDEX_FORMAT_VERSION = 1;
const FORMAT = 'eeg-parallel-pickle-index';

/** What identifies the indexed file's content. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

interface CacheFile extends FileStamp {
  format: typeof FORMAT;
  version: number;
  sessions: SessionInfo[];
}

/** Candidate cache paths, in the order they are tried. */
export async function cachePaths(path: string, cacheDir?: string): Promise<string[]> {
  let real = resolve(path);
  try {
    real = await realpath(path);
  } catch {
    // keep the resolved path
  }
  const hashed = `${basename(real)}.${createHash('sha256').update(real).digest('hex').slice(0, 16)}.eegidx.json`;
  if (cacheDir !== undefined) return [join(cacheDir, hashed)];
  return [`${real}.eegidx.json`, join(tmpdir(), 'eeg-parallel-index', hashed)];
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isNat = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isStrRecord = (x: unknown, ok: (v: unknown) => boolean): boolean => isObj(x) && Object.values(x).every(ok);

function isArrayRef(x: unknown): x is ArrayRef {
  return (
    isObj(x) &&
    isNat(x['offset']) &&
    typeof x['dtype'] === 'string' &&
    (x['byteOrder'] === '<' || x['byteOrder'] === '>' || x['byteOrder'] === '|') &&
    Array.isArray(x['shape']) &&
    x['shape'].every(isNat) &&
    typeof x['fortranOrder'] === 'boolean' &&
    isNat(x['nbytes']) &&
    (x['encoding'] === undefined || x['encoding'] === 'latin1') &&
    (x['fileLength'] === undefined || isNat(x['fileLength']))
  );
}

/** Structural check of one cached session (a damaged cache must not reach the reader). */
function isSessionInfo(x: unknown, index: number): x is SessionInfo {
  if (!isObj(x)) return false;
  const p = x['problem'];
  return (
    x['index'] === index &&
    typeof x['ratId'] === 'string' &&
    typeof x['sessionDate'] === 'string' &&
    isNat(x['nChannels']) &&
    isNat(x['nTimes']) &&
    isNum(x['sfreq']) &&
    isStrRecord(x['nEvents'], isNat) &&
    isNum(x['durationSeconds']) &&
    (x['filePath'] === null || typeof x['filePath'] === 'string') &&
    isStrRecord(x['arrays'], isArrayRef) &&
    Array.isArray(x['keys']) &&
    x['keys'].every((k) => typeof k === 'string') &&
    isStrRecord(x['unsupported'], (v) => typeof v === 'string') &&
    (p === undefined || (isObj(p) && (p['kind'] === 'session-data' || p['kind'] === 'array-format') && typeof p['message'] === 'string'))
  );
}

/** The cached index for a file with this stamp, or null (missing, stale, other version, damaged). */
export async function loadIndexCache(path: string, stamp: FileStamp, cacheDir?: string): Promise<SessionInfo[] | null> {
  for (const p of await cachePaths(path, cacheDir)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(p, 'utf8'));
    } catch {
      continue;
    }
    if (
      isObj(parsed) &&
      parsed['format'] === FORMAT &&
      parsed['version'] === INDEX_FORMAT_VERSION &&
      parsed['size'] === stamp.size &&
      parsed['mtimeMs'] === stamp.mtimeMs &&
      Array.isArray(parsed['sessions']) &&
      parsed['sessions'].every((s, i) => isSessionInfo(s, i))
    ) {
      return parsed['sessions'] as SessionInfo[];
    }
  }
  return null;
}

/**
 * Writes the index to the first writable cache location.
 * @returns the path written, or null when no location was writable
 */
export async function saveIndexCache(path: string, stamp: FileStamp, sessions: readonly SessionInfo[], cacheDir?: string): Promise<string | null> {
  const body: CacheFile = { format: FORMAT, version: INDEX_FORMAT_VERSION, size: stamp.size, mtimeMs: stamp.mtimeMs, sessions: [...sessions] };
  const text = JSON.stringify(body);
  for (const p of await cachePaths(path, cacheDir)) {
    try {
      await mkdir(resolve(p, '..'), { recursive: true });
      await writeFileAtomic(p, text);
      return p;
    } catch {
      // not writable here (read-only data directory, permissions): try the next location
    }
  }
  return null;
}
