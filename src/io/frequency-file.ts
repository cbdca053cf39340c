/**
 * A frequency file (`--freqs-file`): one frequency in Hz per line, as text (the lab's
 * `frequencies.txt`, e.g. `4.500000000000000000e+01`). Blank lines and lines starting with `#` are
 * skipped.
 */
import { InvalidParameterError } from '../errors.js';
import { readInputFile } from './files.js';

/**
 * The frequencies of the file, in file order, Hz.
 *
 * @throws InputFileError when it cannot be read; InvalidParameterError naming the first line that
 *   is not a positive finite number, a repeated value, or a file with no frequency
 */
export function readFrequencyFile(path: string): Float64Array {
  const values: number[] = [];
  const seen = new Set<number>();
  const lines = readInputFile(path).toString('utf8').split(/\r?\n/);
  lines.forEach((line, i) => {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return;
    const f = Number(text);
    if (!Number.isFinite(f) || f <= 0) {
      throw new InvalidParameterError(`--freqs-file ${path} line ${i + 1}: '${text.slice(0, 40)}' is not a frequency; expected one number > 0 (Hz) per line`);
    }
    if (seen.has(f)) throw new InvalidParameterError(`--freqs-file ${path} line ${i + 1}: ${f} Hz is listed twice`);
    seen.add(f);
    values.push(f);
  });
  if (values.length === 0) throw new InvalidParameterError(`--freqs-file ${path} holds no frequency; expected one number (Hz) per line`);
  return Float64Array.from(values);
}
