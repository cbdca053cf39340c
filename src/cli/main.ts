/**
 * The `eeg-parallel` command line: a thin layer over the library API (src/index.ts).
 * Exit codes (docs/method.md §5): 0 success, 1 validation failed, 2 bad usage or bad input.
 */
import { Command, CommanderError } from 'commander';
import { EegParallelError } from '../errors.js';
import { registerTfr } from './tfr.js';
import { registerAnalysisCommands } from './analyze.js';
import { registerStats } from './stats.js';
import { registerSlurmCommands } from './slurm.js';
import { registerSynthetic } from './synthetic.js';
import { VERSION } from '../version.js';
import { shutdownPools } from '../engine/pool.js';
import { removeTempFiles, stopWriting } from '../io/atomic.js';

import { EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_VALIDATION_FAILED } from './exit-codes.js';
import { registerTest } from './benchmark.js';

function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('eeg-parallel')
    .description('Event-locked theta time-frequency power from multichannel EEG, MNE-exact and parallel')
    .version(VERSION)
    .exitOverride()
    // Commander's own errors (unknown or missing option) as one line, like every other error.
    .configureOutput({ outputError: (text, write) => write(`eeg-parallel: ${text.trim()} (run with --help for usage)\n`) });
  registerTfr(program);
  registerAnalysisCommands(program);
  registerStats(program);
  registerTest(program, setExitCode);
  registerSlurmCommands(program);
  registerSynthetic(program);
  return program;
}

/** Set once a signal stops the run: what fails after it is the stop, not an error to report. */
let stopping = false;

/**
 * Ctrl-C or SIGTERM: kill every worker (threads and child processes), remove the temporary files
 * being written (every result is written to one and renamed, so nothing half-written remains) and
 * exit with 130, saying so in one line.
 */
function stopOnSignal(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`eeg-parallel: ${signal}: stopped\n`);
  void Promise.allSettled([shutdownPools(true), stopWriting()]).finally(() => {
    removeTempFiles();
    process.exit(EXIT_INTERRUPTED);
  });
}

export const DEBUG_ENV = 'EEG_PARALLEL_DEBUG';

/**
 * A bug (not a user error): one line and how to get the stack, or the stack itself with
 * EEG_PARALLEL_DEBUG=1.
 */
export function reportInternalError(e: unknown): void {
  if (stopping) return; // the workers were killed on purpose
  if (process.env[DEBUG_ENV] === '1') {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return;
  }
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  process.stderr.write(`eeg-parallel: internal error: ${message} — please report it (run with ${DEBUG_ENV}=1 for the stack)\n`);
}

/** Output closed by its reader (`eeg-parallel inspect … | head -1`): stop quietly. */
function exitOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
    throw e;
  });
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram((code) => (exitCode = code));
  exitOnClosedPipe(process.stdout);
  // Warnings as one line each, like errors (Node's own printer adds a second, about --trace-warnings).
  process.removeAllListeners('warning');
  process.on('warning', (w) => process.stderr.write(`eeg-parallel: warning: ${w.message}\n`));
  // A bug thrown outside the command's promise (an event handler) is reported like any other.
  const onBug = (e: unknown): void => {
    if (stopping) return;
    reportInternalError(e);
    process.exit(EXIT_VALIDATION_FAILED);
  };
  process.on('uncaughtException', onBug);
  process.on('unhandledRejection', onBug);
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
    if (stopping) return EXIT_INTERRUPTED;
    if (e instanceof EegParallelError) {
      process.stderr.write(`eeg-parallel: error: ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    reportInternalError(e);
    return EXIT_VALIDATION_FAILED;
  } finally {
    await shutdownPools();
  }
}
