/** Reading input files with user-facing errors. */
import { readFileSync, statSync } from 'node:fs';
import { InputFileError } from '../errors.js';

/**
 * Checks that `path` is a regular file (or, with `directoryToo`, a directory) before it is opened:
 * opening a FIFO waits for a writer, and a device such as /dev/zero never ends.
 *
 * @returns whether it is a directory
 * @throws InputFileError when it is missing, unreadable or of another kind
 */
export function checkInputPath(path: string, directoryToo = false): boolean {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new InputFileError(path, e);
  }
  if (st.isDirectory()) {
    if (directoryToo) return true;
    throw new InputFileError(path, Object.assign(new Error('it is a directory'), { code: 'EISDIR' }));
  }
  if (!st.isFile()) throw new InputFileError(path, new Error('not a regular file (a FIFO, socket or device); expected a file'));
  return false;
}

/** Reads a whole file; a missing or unreadable file, or not a regular one, is an {@link InputFileError} (CLI exit 2). */
export function readInputFile(path: string): Buffer {
  checkInputPath(path);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputFileError(path, e);
  }
}
