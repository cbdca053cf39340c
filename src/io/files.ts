/** Reading input files with user-facing errors. */
import { readFileSync } from 'node:fs';
import { InputFileError } from '../errors.js';

/** Reads a whole file; a missing or unreadable file is an {@link InputFileError} (CLI exit 2). */
export function readInputFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputFileError(path, e);
  }
}
