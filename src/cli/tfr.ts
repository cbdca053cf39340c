/** `eeg-parallel tfr`: Morlet power of an .npy array (docs/method.md §5), like MNE `tfr_array_morlet(..., output='power')`. */
import type { Command } from 'commander';
import { InvalidParameterError } from '../errors.js';
import { checkFreeSpace, checkOutputFile } from '../io/destinations.js';
import { npyFileBytes, readNpyFloat64 } from '../io/npy.js';
import { resolveTfrParams } from '../analysis/roi-spectrogram.js';
import { writeTfrPower } from '../analysis/tfr.js';
import {
  addParallelOptions,
  parseParallelOptions,
  parsePositive,
  parseTfrOptions,
  TFR_OPTIONS,
  type ParallelCliOptions,
  type TfrCliOptions,
} from './parse.js';

interface TfrCommandOptions extends ParallelCliOptions, TfrCliOptions {
  input: string;
  sfreq: string;
  zeroMean: boolean;
  output: string;
}

const TFR_STRATEGIES = ['sequential', 'channels', 'frequencies', 'auto'] as const;

export function registerTfr(program: Command): void {
  const command = program
    .command('tfr')
    .description('Morlet power of an (n_channels, n_times) or (n_times,) .npy array → (n_channels, n_freqs, n_times) float64 .npy, written as it is computed (it may be larger than memory)')
    .requiredOption('--input <X.npy>', 'EEG array, float64 or float32, C or Fortran order')
    .requiredOption('--sfreq <Hz>', 'sampling rate, Hz');
  for (const [flags, help] of Object.values(TFR_OPTIONS)) command.option(flags, help);
  command.option('--no-zero-mean', 'do not subtract the wavelet mean (MNE zero_mean=False)').requiredOption('--output <P.npy>', 'output power, float64, C order');
  addParallelOptions(command, TFR_STRATEGIES).action(async (opts: TfrCommandOptions) => {
      await runTfr(opts);
    });
}

async function runTfr(opts: TfrCommandOptions): Promise<void> {
  const sfreq = parsePositive('--sfreq', opts.sfreq);
  checkOutputFile('--output', opts.output);
  const parallel = parseParallelOptions(opts, TFR_STRATEGIES);
  const params = resolveTfrParams({ ...parseTfrOptions(opts), zeroMean: opts.zeroMean }, sfreq);
  const { data, shape } = readNpyFloat64(opts.input, { minDims: 1, maxDims: 2 });
  const [nChannels, nTimes] = shape.length === 1 ? [1, shape[0]!] : [shape[0]!, shape[1]!];
  if (nChannels < 1 || nTimes < 1) {
    throw new InvalidParameterError(`${opts.input}: shape (${shape.join(', ')}) has no samples; expected (n_channels, n_times) with both >= 1`);
  }
  checkFreeSpace('--output', opts.output, npyFileBytes([nChannels, params.freqs.length, nTimes]));
  await writeTfrPower(opts.output, data, nChannels, params, parallel);
}
