/**
 * `eeg-parallel slurm submit|status` (docs/method.md §5): scale-out to a SLURM cluster, one array task per
 * rat plus a dependent aggregation job. The logic lives in src/slurm/; this file parses options.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { InvalidParameterError } from '../errors.js';
import { STRATEGIES } from '../compute/options.js';
import { packagePath } from '../paths.js';
import { DEFAULT_RESOURCES, parseSlurmMem, parseSlurmName, parseSlurmTime, type SlurmResources, type SubmitRequest } from '../slurm/options.js';
import { addAnalysisOptions, analysisArgs, parseAnalysisOptions, type AnalysisCliOptions } from './analysis-options.js';
import { parseInteger } from './parse.js';

interface SubmitCliOptions extends AnalysisCliOptions {
  data: string;
  outputDir: string;
  rats?: string;
  partition?: string;
  account?: string;
  cpusPerTask?: string;
  mem?: string;
  time?: string;
  setup?: string[];
  nodeBinary?: string;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * The analysis options as analyze-rat arguments, passed through verbatim (checked here: a typo
 * must fail now, not in every task hours later). `--jobs` is each task's CPUs.
 */
function analyzeArgs(o: SubmitCliOptions): string[] {
  if (o.jobs !== undefined) throw new InvalidParameterError('slurm submit: each task runs with --jobs = --cpus-per-task; give --cpus-per-task instead of --jobs');
  return analysisArgs(o, STRATEGIES);
}

/** Paths end up in #SBATCH lines and log patterns, where blanks and % have other meanings. */
function checkedPath(option: string, path: string): string {
  const abs = resolve(path);
  if (/[\s%]/.test(abs)) throw new InvalidParameterError(`${option}: '${abs}' contains a blank or '%', which sbatch scripts and log patterns cannot hold`);
  return abs;
}

function resources(o: SubmitCliOptions): SlurmResources {
  return {
    cpusPerTask: o.cpusPerTask !== undefined ? parseInteger('--cpus-per-task', o.cpusPerTask, 1) : DEFAULT_RESOURCES.cpusPerTask,
    mem: o.mem !== undefined ? parseSlurmMem(o.mem) : DEFAULT_RESOURCES.mem,
    time: o.time !== undefined ? parseSlurmTime(o.time) : DEFAULT_RESOURCES.time,
    ...(o.partition !== undefined && { partition: parseSlurmName('--partition', o.partition, true) }),
    ...(o.account !== undefined && { account: parseSlurmName('--account', o.account, false) }),
  };
}

function parseRats(text: string): string[] {
  const rats = text.split(',').map((r) => r.trim());
  if (rats.some((r) => r === '')) throw new InvalidParameterError(`--rats: '${text}' is not a comma-separated list of rat ids`);
  return rats;
}

export function registerSlurmCommands(program: Command): void {
  const slurm = program.command('slurm').description('run the per-rat analyses on a SLURM cluster: one array task per rat, then aggregation');

  const submit = slurm
    .command('submit')
    .description('write and submit the sbatch scripts under DIR/slurm (rats with complete results are skipped)')
    .requiredOption('--data <FILE.pkl>', "the lab's session pickle (on a filesystem the compute nodes see)")
    .requiredOption('--output-dir <DIR>', 'results: DIR/rat_<ID>/ per rat, DIR/cross_rat/, DIR/slurm/ (scripts, logs)')
    .option('--rats <ID,...>', 'only these rats (default: every rat in the file)')
    .option('--partition <P>', 'sbatch --partition')
    .option('--account <A>', 'sbatch --account')
    .option('--cpus-per-task <N>', `CPUs per rat task, used as analyze-rat --jobs (default ${DEFAULT_RESOURCES.cpusPerTask})`)
    .option('--mem <SIZE>', `memory per task, sbatch --mem (default ${DEFAULT_RESOURCES.mem})`)
    .option('--time <LIMIT>', `time limit per task, sbatch --time (default ${DEFAULT_RESOURCES.time})`)
    .option('--setup <SHELL>', "a shell line run first in every job, e.g. 'module load nodejs/20' (repeatable)", (v: string, acc: string[] | undefined) => [...(acc ?? []), v])
    .option('--node-binary <PATH|NAME>', 'node on the compute nodes: a path, or a name found on PATH after --setup (default: the node running this command)')
    .option('--dry-run', 'print the rats file, both sbatch scripts and the sbatch command lines; write and submit nothing')
    .option('--json', 'machine-readable output');
  addAnalysisOptions(submit, STRATEGIES).action(async (o: SubmitCliOptions) => {
      const outputDir = checkedPath('--output-dir', o.outputDir);
      const req: SubmitRequest = {
        dataFile: resolve(o.data), // only ever shell-quoted, so any path works
        outputDir,
        // A bare name (e.g. `node` from a module loaded by --setup) is looked up on the node's PATH.
        nodeBinary: o.nodeBinary === undefined ? process.execPath : o.nodeBinary.includes('/') ? resolve(o.nodeBinary) : o.nodeBinary,
        cliPath: packagePath('bin', 'eeg-parallel'),
        analyzeArgs: analyzeArgs(o),
        aggregateArgs: o.plots ? [] : ['--no-plots'],
        setup: o.setup ?? [],
        resources: resources(o),
      };
      const options = parseAnalysisOptions(o, STRATEGIES);
      const rats = o.rats !== undefined ? parseRats(o.rats) : undefined;
      const [{ submitToSlurm }, { formatDryRun, formatSubmitted }] = await Promise.all([import('../slurm/submit.js'), import('../slurm/format.js')]);
      const outcome = await submitToSlurm(req, options, rats, o.dryRun ?? false);
      if (o.json) {
        const p = outcome.plan;
        const json = {
          dry_run: outcome.dryRun,
          submission: outcome.number,
          rats: p.rats,
          complete: p.complete,
          to_run: p.toRun,
          cross_rat_current: p.crossRatCurrent,
          array_job_id: outcome.arrayJobId,
          aggregate_job_id: outcome.aggregateJobId,
          files: outcome.files,
          scripts: outcome.texts,
          commands: outcome.commands,
          warnings: outcome.warnings,
        };
        process.stdout.write(JSON.stringify(json, null, 1) + '\n');
        return;
      }
      for (const w of outcome.dryRun ? [] : outcome.warnings) process.stderr.write(`eeg-parallel: warning: ${w}\n`);
      process.stdout.write(outcome.dryRun ? formatDryRun(outcome) : formatSubmitted(outcome, outputDir));
    });

  slurm
    .command('status')
    .description('per-rat state of the submissions under DIR: done, running, pending, failed (with the log tail)')
    .requiredOption('--output-dir <DIR>', 'the --output-dir given to slurm submit')
    .option('--json', 'machine-readable output')
    .action(async (o: { outputDir: string; json?: boolean }) => {
      const [{ slurmStatus }, { formatStatus }] = await Promise.all([import('../slurm/status.js'), import('../slurm/format.js')]);
      const status = slurmStatus(resolve(o.outputDir));
      process.stdout.write(o.json ? JSON.stringify(status, null, 1) + '\n' : formatStatus(status));
    });
}
