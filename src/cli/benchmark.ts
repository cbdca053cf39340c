/**
 * `eeg-parallel test`: the validation + benchmark suite (docs/method.md §5–7). Exit 0 when every parallel
 * run equals sequential within the tolerance, 1 when any does not.
 */
import type { Command } from 'commander';
import { availableCores, type Backend } from '../compute/options.js';
import { InvalidParameterError } from '../errors.js';
import type { Mode, SuiteOptions } from '../bench/suite.js';
import { parseInteger, parseNumber } from './parse.js';
import { checkOutputDirectory } from '../io/destinations.js';
import { EXIT_OK, EXIT_VALIDATION_FAILED } from './exit-codes.js';

interface TestCliOptions {
  quick?: boolean;
  real?: string;
  session: string;
  scalability?: boolean;
  full?: boolean;
  outputDir?: string;
  output_dir?: string;
  jobs: string;
  backend: string;
  tolerance: string;
  repeats: string;
  rounds: string;
  ceilingSamples: string;
  maxSamples?: string;
  json?: boolean;
}

/** "1,2,4,auto" → [1, 2, 4, cores], deduplicated, ascending. */
export function parseJobsList(text: string): number[] {
  const cores = availableCores();
  const jobs = text.split(',').map((t) => (t.trim() === 'auto' ? cores : parseInteger('--jobs', t, 1)));
  return [...new Set(jobs)].sort((a, b) => a - b);
}

function parseBackends(text: string): Backend[] {
  if (text === 'both') return ['threads', 'processes'];
  if (text === 'threads' || text === 'processes') return [text];
  throw new InvalidParameterError(`--backend: '${text}' is not one of threads, processes, both`);
}

export function registerTest(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('test')
    .description('validate parallel == sequential and benchmark on synthetic workloads (default: --quick)')
    .option('--quick', 'quick workload: 8 ch × 20,000 samples, ROI channels 0–3, 10 freqs')
    .option('--real <FILE.pkl>', "a session of the lab's data file: channels 0–5, 15 freqs")
    .option('--session <K>', 'session index for --real', '0')
    .option('--scalability', '4/8/16 channels × 20k/50k samples, 10 freqs')
    .option('--full', '32 ch × 100,000 samples, ROIs of 4/8/16 channels, 20 freqs, frequency batches of ⌈n_freqs / jobs⌉ and 5, and the sessions strategy')
    .option('--output-dir <DIR>', 'where reports go (default results/parallelism)')
    .option('--output_dir <DIR>', 'alias of --output-dir')
    .option('--jobs <list>', 'job counts to measure, e.g. 1,2,4,auto', '1,2,auto')
    .option('--backend <name>', 'threads | processes | both', 'both')
    .option('--tolerance <x>', 'max |parallel − sequential| for a valid run', '1e-10')
    .option('--repeats <N>', 'timed repeats per configuration and round', '3')
    .option('--rounds <N>', 'interleaved passes over all configurations', '2')
    .option('--ceiling-samples <N>', "samples per round of the machine's parallel ceiling (the bare FFT loop on all jobs' threads at once vs one; 0: off)", '4')
    .option('--max-samples <N>', 'cap the samples of every synthetic workload (quick smoke runs of the big modes)')
    .option('--json', 'print a machine-readable summary on stdout (no progress output)')
    .action(async (opts: TestCliOptions) => {
      setExitCode(await runTest(opts));
    });
}

async function runTest(opts: TestCliOptions): Promise<number> {
  // Loaded here, not at CLI start-up: every other command starts faster without them.
  const [{ default: cliProgress }, { runSuite }, { openSessionFile }, { buildReport, machineInfo, writeReport }, { fmtSeconds }] = await Promise.all([
    import('cli-progress'),
    import('../bench/suite.js'),
    import('../io/session-file.js'),
    import('../bench/report/report.js'),
    import('../bench/report/insights.js'),
  ]);
  const modes: Mode[] = [];
  if (opts.quick) modes.push('quick');
  let real: SuiteOptions['real'];
  if (opts.real !== undefined) {
    modes.push('real');
    const session = parseInteger('--session', opts.session, 0);
    const file = await openSessionFile(opts.real);
    try {
      const info = file.sessions[session];
      if (info === undefined) {
        throw new InvalidParameterError(`--session ${session} is out of range: ${opts.real} has ${file.sessions.length} sessions`);
      }
      if (info.problem !== undefined) throw new InvalidParameterError(`--session ${session}: ${info.problem.message}`);
      real = { path: opts.real, session, nChannels: info.nChannels, nTimes: info.nTimes };
    } finally {
      await file.close();
    }
  }
  if (opts.scalability) modes.push('scalability');
  if (opts.full) modes.push('full');
  if (modes.length === 0) modes.push('quick');
  const tolerance = parseNumber('--tolerance', opts.tolerance);
  if (!(tolerance >= 0)) throw new InvalidParameterError(`--tolerance: ${opts.tolerance} must be >= 0`);
  const suite: SuiteOptions = {
    modes,
    jobs: parseJobsList(opts.jobs),
    backends: parseBackends(opts.backend),
    tolerance,
    repeats: parseInteger('--repeats', opts.repeats, 1),
    rounds: parseInteger('--rounds', opts.rounds, 1),
    warmup: 2,
    ceilingSamples: parseInteger('--ceiling-samples', opts.ceilingSamples, 0),
    maxSamples: opts.maxSamples === undefined ? null : parseInteger('--max-samples', opts.maxSamples, 1),
    ...(real !== undefined && { real }),
  };
  const outputDir = opts.outputDir ?? opts.output_dir ?? 'results/parallelism';
  checkOutputDirectory('--output-dir', outputDir);

  const bar =
    !opts.json && process.stderr.isTTY
      ? new cliProgress.SingleBar({ format: '{bar} {value}/{total} runs | ETA {eta_formatted} | {last}', stream: process.stderr }, cliProgress.Presets.shades_classic)
      : null;
  let started = false;
  const { runs, ceiling } = await runSuite(suite, ({ done, total, run }) => {
    const line = `${run.workload} ${run.roiLabel} ${run.method}: ${fmtSeconds(run.wallSeconds)}, ${run.speedup.toFixed(2)}×, ${run.valid ? 'valid' : 'INVALID'}`;
    if (bar !== null) {
      if (!started) bar.start(total, 0, { last: '' });
      started = true;
      bar.update(done, { last: line });
    } else if (!opts.json) {
      process.stderr.write(`[${done}/${total}] ${line}\n`);
    }
  });
  bar?.stop();

  const command = `eeg-parallel test ${process.argv.slice(3).join(' ')}`.trim();
  const report = buildReport(runs, { ...suite }, command, { ...machineInfo(), ...(ceiling !== null && { parallelCeiling: ceiling }) });
  const files = await writeReport(outputDir, report);
  const invalid = runs.filter((r) => !r.valid);
  if (opts.json) {
    process.stdout.write(
      JSON.stringify({ valid: report.valid, outputDir, files, invalid: invalid.map((r) => ({ workload: r.workload, roi: r.roiLabel, method: r.method, problem: r.problem })), recommendations: report.recommendations, runs: report.runs }) + '\n',
    );
  } else {
    process.stdout.write(`${report.valid ? 'VALID' : `INVALID: ${invalid.length} run(s) differ from sequential`} — ${runs.length} runs; reports in ${outputDir}/\n`);
    for (const r of report.recommendations) process.stdout.write(`  • ${r}\n`);
  }
  return report.valid ? EXIT_OK : EXIT_VALIDATION_FAILED;
}
