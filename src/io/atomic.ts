/**
 * Atomic file writes: write to a temporary file in the target's directory, fsync it, then rename
 * it over the target. Why: an interrupted or failing run must never leave a truncated result
 * file that looks complete. Readers see either the old file or the complete new one, because a
 * rename within one directory (same filesystem) atomically replaces the directory entry.
 */

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Temporary sibling of `target`: hidden (leading '.'), unique per process and call
 * (`.<name>.<pid>.<random hex>.tmp`), in the same directory so the final rename stays on one
 * filesystem.
 */
function tempPathFor(target: string): string {
  const abs = resolve(target);
  return join(
    dirname(abs),
    `.${basename(abs)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

/** Temporary files being written by this process (removed by {@link removeTempFiles} on a signal). */
const pending = new Set<string>();

/**
 * Removes every temporary file this process is writing: called when the run is stopped (Ctrl-C),
 * so that an interrupted run leaves no `.tmp` file behind. Synchronous: the process exits next.
 */
export function removeTempFiles(): void {
  for (const tmp of pending) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or removed
    }
  }
  pending.clear();
}

/**
 * Best-effort fsync of a directory so the rename itself is durable; ignored where unsupported.
 * Asynchronous (libuv's thread pool): a run that writes results while it computes must not block
 * its computing thread on fsync (a CPU profile of analyze-rat showed the main thread spending much
 * of its time there with a synchronous fsync).
 */
async function fsyncDir(dir: string): Promise<void> {
  let dh: FileHandle | undefined;
  try {
    dh = await open(dir, 'r');
    await dh.sync();
  } catch {
    // Not supported on every platform/filesystem (e.g. Windows); the data file itself is synced.
  } finally {
    await dh?.close().catch(() => undefined);
  }
}

/** Synchronous {@link fsyncDir}, for {@link writeFileAtomicSync}. */
function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported on every platform/filesystem (e.g. Windows); the data file itself is synced.
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // ignore
      }
    }
  }
}

/**
 * Atomically replace (or create) the file at `path` with `data` (strings are written as UTF-8;
 * an array of byte chunks is written in order, so a header and a view of an array need no copy).
 *
 * Writes a temporary file in the same directory, fsyncs it, and renames it over `path`. On any
 * failure the temporary file is removed and the error propagates; an existing file at `path` is
 * left untouched.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[]): Promise<void> {
  const tmp = tempPathFor(path);
  let fh: FileHandle | undefined;
  let created = false;
  pending.add(tmp);
  try {
    fh = await open(tmp, 'wx');
    created = true;
    // Each writeFile continues at the handle's position.
    const chunks: readonly (Uint8Array | string)[] = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) await fh.writeFile(chunk);
    await fh.sync();
    const h = fh;
    fh = undefined;
    await h.close();
    await rename(tmp, path);
    created = false;
  } catch (err) {
    if (fh !== undefined) {
      await fh.close().catch(() => undefined);
    }
    if (created) {
      await unlink(tmp).catch(() => undefined);
    }
    throw err;
  } finally {
    pending.delete(tmp);
  }
  await fsyncDir(dirname(resolve(path)));
}

/** Synchronous variant of {@link writeFileAtomic} with the same semantics. */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  let created = false;
  pending.add(tmp);
  try {
    fd = openSync(tmp, 'wx');
    created = true;
    writeFileSync(fd, data);
    fsyncSync(fd);
    const f = fd;
    fd = undefined;
    closeSync(f);
    renameSync(tmp, path);
    created = false;
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // ignore: the original error is more useful
      }
    }
    if (created) {
      try {
        unlinkSync(tmp);
      } catch {
        // ignore
      }
    }
    throw err;
  } finally {
    pending.delete(tmp);
  }
  fsyncDirSync(dirname(resolve(path)));
}
