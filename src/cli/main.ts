/**
 * The `eeg-parallel` command line: a thin layer over the library API (src/index.ts).
 * Exit codes (docs/method.md §5): 0 success, 1 validation failed, 2 bad usage or bad input.
 */
import { Command, CommanderError } from 'commander';
import { EegParallelError } from '../errors.js';
import { registerTfr } from './tfr.js';
import { registerAnalysisCommands } from './analyze.js';
import { registerSlurmCommands } from './slurm.js';
import { registerSynthetic } from './synthetic.js';
import { VERSION } from '../version.js';
import { shutdownPools } from '../engine/pool.js';

import { EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK } from './exit-codes.js';
import { registerTest } from './benchmark.js';

function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('eeg-parallel')
    .description('Event-locked theta time-frequency power from multichannel EEG, MNE-exact and parallel')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerTfr(program);
  registerAnalysisCommands(program);
  registerTest(program, setExitCode);
  registerSlurmCommands(program);
  registerSynthetic(program);
  return program;
}

/**
 * Ctrl-C: kill every worker (threads and child processes) and exit, so no orphan process is left.
 * Writes are atomic, so nothing half-written remains either.
 */
function stopOnSignal(signal: NodeJS.Signals): void {
  process.stderr.write(`eeg-parallel: ${signal}: stopping workers\n`);
  void shutdownPools(true).finally(() => process.exit(EXIT_INTERRUPTED));
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram((code) => (exitCode = code));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed the message; help and version are successes.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help'
        ? EXIT_OK
        : EXIT_BAD_INPUT;
    }
    if (e instanceof EegParallelError) {
      process.stderr.write(`eeg-parallel: error: ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  } finally {
    await shutdownPools();
  }
}
