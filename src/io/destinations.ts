/**
 * Checks of output destinations before any work: a run must not compute for minutes and then fail
 * to write (EISDIR, ENOENT, ENOTDIR, a read-only filesystem), and must not write into a
 * pseudo-filesystem (creating directories under /proc never returns).
 */
import { accessSync, constants, statfsSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { formatBytes, InvalidParameterError } from '../errors.js';

/** Kernel pseudo-filesystems: nothing a user means as an output goes there. */
const PSEUDO_FILESYSTEMS = ['/proc', '/sys', '/dev'];

function kindOf(path: string): 'directory' | 'file' | 'other' | null {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Missing, or under a file (ENOTDIR): the caller looks at the parent.
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new InvalidParameterError(`'${path}' cannot be examined: ${(e as Error).message}`);
  }
}

function assertWritable(option: string, dir: string, target: string): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'EROFS' ? 'it is on a read-only filesystem' : 'it is not writable';
    throw new InvalidParameterError(`${option}: cannot write '${target}': ${why} ('${dir}')`);
  }
}

function assertNotPseudo(option: string, path: string): void {
  const abs = resolve(path);
  const pseudo = PSEUDO_FILESYSTEMS.find((p) => abs === p || abs.startsWith(p + sep));
  if (pseudo !== undefined) throw new InvalidParameterError(`${option}: '${path}' is under ${pseudo}, a kernel pseudo-filesystem; expected a directory on a disk`);
}

/** The nearest existing ancestor of `path` (itself included), and whether it is a directory. */
function existingAncestor(path: string): { dir: string; kind: 'directory' | 'file' | 'other' } {
  for (let p = resolve(path); ; p = dirname(p)) {
    const kind = kindOf(p);
    if (kind !== null) return { dir: p, kind };
    if (dirname(p) === p) return { dir: p, kind: 'directory' };
  }
}

/**
 * Checks that `dir` is, or can be created as, a writable directory.
 *
 * @param option the option naming it, for the message (`--output-dir`)
 * @throws InvalidParameterError naming the path and what is wrong
 */
export function checkOutputDirectory(option: string, dir: string): void {
  assertNotPseudo(option, dir);
  const { dir: ancestor, kind } = existingAncestor(dir);
  if (kind !== 'directory') {
    const what = ancestor === resolve(dir) ? 'it exists and is not a directory' : `'${ancestor}' is a file, not a directory`;
    throw new InvalidParameterError(`${option}: '${dir}' cannot be a directory: ${what}`);
  }
  assertWritable(option, ancestor, dir);
}

/**
 * Checks that `path` can be written as a file: its directory exists and is writable, and the path
 * is not a directory.
 *
 * @throws InvalidParameterError naming the path and what is wrong
 */
export function checkOutputFile(option: string, path: string): void {
  assertNotPseudo(option, path);
  const kind = kindOf(path);
  if (kind === 'directory') throw new InvalidParameterError(`${option}: '${path}' is a directory; expected a file name`);
  if (kind === 'other') throw new InvalidParameterError(`${option}: '${path}' is not a regular file`);
  const parent = dirname(resolve(path));
  const parentKind = kindOf(parent);
  if (parentKind === null) throw new InvalidParameterError(`${option}: the directory of '${path}' does not exist ('${parent}')`);
  if (parentKind !== 'directory') throw new InvalidParameterError(`${option}: '${parent}' is not a directory`);
  assertWritable(option, parent, path);
}

/**
 * Checks that the filesystem of `path` has room for a file of `bytes` (the old file, if any, stays
 * until the new one is complete, so its space does not count): a run writing a large result must
 * not compute for an hour and then fail on a full disk.
 *
 * @throws InvalidParameterError naming the path, what it needs and what is free
 */
export function checkFreeSpace(option: string, path: string, bytes: number): void {
  const { bavail, bsize } = statfsSync(dirname(resolve(path)));
  const free = bavail * bsize;
  if (bytes > free) {
    throw new InvalidParameterError(`${option}: '${path}' needs ${formatBytes(bytes)} but its filesystem has ${formatBytes(free)} free`);
  }
}
