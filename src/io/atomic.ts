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
import { OutputFileError } from '../errors.js';

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

/** Set by {@link stopWriting}: from then on no write goes past its next step. */
let stopped = false;

/** Asynchronous writes in progress; each settles once its temporary file is renamed or removed. */
const inFlight = new Set<Promise<unknown>>();

/** `write`, counted in {@link inFlight} until it settles. */
function tracked<T>(write: Promise<T>): Promise<T> {
  inFlight.add(write);
  const settle = (): void => void inFlight.delete(write);
  write.then(settle, settle);
  return write;
}

/** Throws once the writes are stopped: called after every awaited step of a write. */
function throwIfStopped(path: string): void {
  if (stopped) throw new Error(`${path}: not written: the run was stopped`);
}

/**
 * Removes every temporary file this process is writing (a file still being created is left to
 * {@link stopWriting}). Synchronous: safe right before the process exits.
 */
export function removeTempFiles(): void {
  for (const tmp of pending) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or removed, or not created yet
    }
  }
}

/**
 * Stops every write of this process, for a run stopped by a signal, so that it leaves no `.tmp`
 * file behind: no write goes past its next step (one still opening its temporary file would
 * otherwise create it after any sweep), each removes its temporary file, and once they have
 * settled, or after `waitMs` at most, the temporary files left are removed.
 */
export async function stopWriting(waitMs = 500): Promise<void> {
  stopped = true;
  removeTempFiles();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
  removeTempFiles();
}

/**
 * A failed system call while writing `path` (disk full, no such directory, …) as the one-line
 * {@link OutputFileError}, its cause kept; anything else (a bug) unchanged.
 */
function asOutputError(path: string, err: unknown): unknown {
  return typeof (err as NodeJS.ErrnoException).syscall === 'string' ? new OutputFileError(path, err) : err;
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
export function writeFileAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[]): Promise<void> {
  return tracked(writeAtomic(path, data));
}

async function writeAtomic(path: string, data: Uint8Array | string | readonly Uint8Array[]): Promise<void> {
  throwIfStopped(path);
  const tmp = tempPathFor(path);
  let fh: FileHandle | undefined;
  let created = false;
  pending.add(tmp);
  try {
    fh = await open(tmp, 'wx');
    created = true;
    throwIfStopped(path);
    // Each writeFile continues at the handle's position.
    const chunks: readonly (Uint8Array | string)[] = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) {
      await fh.writeFile(chunk);
      throwIfStopped(path);
    }
    await fh.sync();
    const h = fh;
    fh = undefined;
    await h.close();
    throwIfStopped(path);
    await rename(tmp, path);
    created = false;
  } catch (err) {
    if (fh !== undefined) {
      await fh.close().catch(() => undefined);
    }
    if (created) {
      await unlink(tmp).catch(() => undefined);
    }
    throw asOutputError(path, err);
  } finally {
    pending.delete(tmp);
  }
  await fsyncDir(dirname(resolve(path)));
}

/** Synchronous variant of {@link writeFileAtomic} with the same semantics. */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  throwIfStopped(path);
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
    throw asOutputError(path, err);
  } finally {
    pending.delete(tmp);
  }
  fsyncDirSync(dirname(resolve(path)));
}

/** Most bytes per write call (Node refuses a single write of 2 GiB or more). */
const MAX_WRITE_BYTES = 1 << 30;

/**
 * A file written piece by piece at given byte positions and then put in place like
 * {@link writeFileAtomic}: for results larger than memory, written as they are computed. Until
 * {@link AtomicFile.commit} only a hidden temporary sibling exists (removed by
 * {@link removeTempFiles} on a signal, and by {@link AtomicFile.discard} on a failure), so the
 * target is never seen half-written. Writes are asynchronous: the writing thread stays free to
 * see a signal.
 */
export class AtomicFile {
  private constructor(
    /** The file as the caller named it. */
    readonly target: string,
    private readonly tmp: string,
    private handle: FileHandle | null,
  ) {}

  /**
   * Creates the temporary file of `target`.
   * @throws OutputFileError when it cannot be created
   */
  static create(target: string): Promise<AtomicFile> {
    return tracked(AtomicFile.createTemp(target));
  }

  private static async createTemp(target: string): Promise<AtomicFile> {
    throwIfStopped(target);
    const tmp = tempPathFor(target);
    pending.add(tmp);
    let file: AtomicFile;
    try {
      file = new AtomicFile(target, tmp, await open(tmp, 'wx'));
    } catch (err) {
      pending.delete(tmp);
      throw asOutputError(target, err);
    }
    try {
      throwIfStopped(target);
    } catch (err) {
      await file.discard();
      throw err;
    }
    return file;
  }

  /**
   * Writes `bytes` at byte `position` of the file.
   * @throws OutputFileError (disk full, I/O error); the file is then discarded
   */
  write(bytes: Uint8Array, position: number): Promise<void> {
    return tracked(this.writeAt(bytes, position));
  }

  private async writeAt(bytes: Uint8Array, position: number): Promise<void> {
    const handle = this.open();
    try {
      for (let done = 0; done < bytes.length; ) {
        throwIfStopped(this.target);
        const n = Math.min(bytes.length - done, MAX_WRITE_BYTES);
        const { bytesWritten } = await handle.write(bytes, done, n, position + done);
        done += bytesWritten;
      }
    } catch (err) {
      await this.discard();
      throw asOutputError(this.target, err);
    }
  }

  /**
   * Syncs the file and renames it over the target.
   * @throws OutputFileError; the file is then discarded and the target left as it was
   */
  commit(): Promise<void> {
    return tracked(this.commitTemp());
  }

  private async commitTemp(): Promise<void> {
    const handle = this.open();
    try {
      throwIfStopped(this.target);
      await handle.sync();
      this.handle = null;
      await handle.close();
      throwIfStopped(this.target);
      await rename(this.tmp, this.target);
      pending.delete(this.tmp);
    } catch (err) {
      await this.discard();
      throw asOutputError(this.target, err);
    }
    await fsyncDir(dirname(resolve(this.target)));
  }

  /** Closes and removes the temporary file (after a failure or an abort); the target is untouched. */
  async discard(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => undefined);
    if (pending.delete(this.tmp)) await unlink(this.tmp).catch(() => undefined);
  }

  private open(): FileHandle {
    if (this.handle === null) throw new Error(`${this.target}: the file was already committed or discarded`);
    return this.handle;
  }
}
