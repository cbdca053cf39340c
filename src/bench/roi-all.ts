/**
 * `npm run bench:roi-all`: `--roi all` (every ROI of data/roi_map.json and every electrode, each
 * channel computed once) on the lab's session size (docs/method.md §7 `session-21min`: one synthetic
 * 32 × 255,000 session at 200 Hz with theta bursts, written as a lab-layout pickle), against the
 * frontal ROI alone and against the lab's Python/MNE path computing the same 32 channels, end to end
 * — process start, reading, compute, writing:
 *
 *   frontal                eeg-parallel analyze-session --roi frontal --no-plots
 *   all                    eeg-parallel analyze-session --roi all --no-plots
 *   all, lab-report        eeg-parallel analyze-session --roi all --preset lab-report --n-freqs 20 --no-plots
 *   Python/MNE 32 ch       scripts/reference_analysis.py session … --channels 0,…,31 (pickle.load,
 *                          MNE per channel, z-score, mean, windows)
 *   … 2 processes          the same with --jobs 2
 *
 * Each method is a fresh process under GNU time (peak RSS: its %M). One untimed run of each
 * eeg-parallel command comes first (warm-up; it also makes the file's index cache), and one untimed
 * Python run on the frontal channels (the agreement check below; it also warms Python's imports and
 * the page cache); then `--rounds` rounds of one run per method, so drift of the machine hits all
 * alike. Reported: medians, ratios of medians and the medians of the per-round (paired) ratios.
 * Agreement (docs/method.md §3.3, limit 1e-9): the frontal windows against MNE's, the frontal ROI
 * of `--roi all` against the frontal run (bitwise), and the mean of the 32 electrodes' windows of
 * `--roi all` against Python's 32-channel mean.
 *
 * `--analyze-all`: instead, `analyze-all --preset lab-report --no-plots` on a lab file of `--rats` ×
 * `--sessions-per-rat` such sessions, `--runs` times (each into a fresh output directory, after an
 * untimed `inspect` that makes the index cache): sessions per second, and the time this machine
 * would take for the lab's 306 sessions.
 *
 * Writes results/bench-roi-all/bench-roi-all.json (or bench-analyze-all.json) and prints a Markdown
 * summary.
 *
 * Usage: node dist/src/bench/roi-all.js [--rounds 3] [--samples 255000] [--out results/bench-roi-all]
 *        node dist/src/bench/roi-all.js --analyze-all [--rats 3] [--sessions-per-rat 2] [--runs 3] [--samples 255000] [--file F.pkl] [--keep] [--out …]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefaultElectrodeTable } from '../analysis/roi.js';
import { readNpyFloat64 } from '../io/npy.js';
import { cliCommand, packagePath } from '../paths.js';
import { compareWindows, maxRelativeRowDifference } from './agreement.js';
import { benchArgs, positiveInteger } from './args.js';
import { DEBIAN_PYTHON, SESSION_21MIN, writeSyntheticLabFile } from './lab-file.js';
import { median } from './measure.js';
import { timeCommand, type TimedCommand } from './proc.js';
import { machineInfo } from './report/report.js';

const USAGE = [
  'usage: node dist/src/bench/roi-all.js [--rounds 3] [--samples 255000] [--out results/bench-roi-all]',
  '       node dist/src/bench/roi-all.js --analyze-all [--rats 3] [--sessions-per-rat 2] [--runs 3] [--samples 255000] [--file F.pkl] [--keep] [--out results/bench-roi-all]',
].join('\n');

/** The lab's sessions (docs/data.md), for the projection of `--analyze-all`. */
const LAB_SESSIONS = 306;
const N_FREQS = 20;
const LIMIT = 1e-9;

const FRONTAL = 'eeg-parallel --roi frontal';
const ALL = 'eeg-parallel --roi all';
const LAB_REPORT = `eeg-parallel --roi all --preset lab-report --n-freqs ${N_FREQS}`;
const PYTHON = 'Python/MNE, 32 channels, sequential';
const PYTHON_2 = 'Python/MNE, 32 channels, 2 processes';

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
const x = (ratio: number): string => `${ratio.toFixed(2)}×`;
const dirName = (name: string): string => name.replace(/\W+/g, '_');

/** The 1-minute load averages seen before each run, as min–max. */
function loadRange(loads: readonly number[]): string {
  return `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
}

/** Runs `argv` into a fresh `dir` under GNU time, noting the machine's load first. */
function timedRun(argv: (dir: string) => string[], dir: string, loads: number[]): TimedCommand {
  rmSync(dir, { recursive: true, force: true });
  loads.push(loadavg()[0]!);
  return timeCommand(argv(dir));
}

interface ElectrodeEntry {
  electrode: number;
  channel: number;
  directory: string;
}

/**
 * Max relative difference between the mean over `--roi all`'s electrodes of their window means
 * (added in channel order) and Python's mean over the same channels, per NM size.
 */
function compareElectrodeMean(allDir: string, pythonDir: string, nChannels: number): number {
  const results = JSON.parse(readFileSync(join(allDir, 'results.json'), 'utf8')) as { electrodes: ElectrodeEntry[] | null };
  const electrodes = [...(results.electrodes ?? [])].sort((a, b) => a.channel - b.channel);
  if (electrodes.map((e) => e.channel).join() !== Array.from({ length: nChannels }, (_, c) => c).join()) return Infinity;
  const python = JSON.parse(readFileSync(join(pythonDir, 'summary.json'), 'utf8')) as { sizes: Record<string, unknown> };
  let worst = 0;
  for (const size of Object.keys(python.sizes)) {
    const file = `nm_size_${size}_mean.npy`;
    const ref = readNpyFloat64(join(pythonDir, file), { minDims: 2, maxDims: 2 });
    const sum = new Float64Array(ref.data.length);
    for (const e of electrodes) {
      const m = readNpyFloat64(join(allDir, e.directory, file), { minDims: 2, maxDims: 2 }).data;
      if (m.length !== sum.length) return Infinity;
      for (let i = 0; i < sum.length; i++) sum[i]! += m[i]!;
    }
    worst = Math.max(worst, maxRelativeRowDifference(sum.map((v) => v / electrodes.length), ref.data, ref.shape[1]!));
  }
  return worst;
}

async function roiAll(rounds: number, nTimes: number, out: string): Promise<void> {
  const session = { ...SESSION_21MIN, nTimes };
  const scratch = mkdtempSync(join(tmpdir(), 'eeg-parallel-bench-roi-all-'));
  try {
    const data = join(scratch, 'session.pkl');
    await writeSyntheticLabFile(data, [session], scratch);
    const ours = (...options: string[]) => (dir: string) => [...cliCommand(), 'analyze-session', '--data', data, '--session', '0', ...options, '--no-plots', '--output-dir', dir];
    const allChannels = Array.from({ length: session.nChannels }, (_, c) => c);
    const py = (channels: readonly number[], ...options: string[]) => (dir: string) => [
      DEBIAN_PYTHON,
      packagePath('scripts', 'reference_analysis.py'),
      'session',
      '--data',
      data,
      '--session',
      '0',
      '--channels',
      channels.join(','),
      ...options,
      '--out',
      dir,
    ];
    const methods: Record<string, (dir: string) => string[]> = {
      [FRONTAL]: ours('--roi', 'frontal'),
      [ALL]: ours('--roi', 'all'),
      [LAB_REPORT]: ours('--roi', 'all', '--preset', 'lab-report', '--n-freqs', String(N_FREQS)),
      [PYTHON]: py(allChannels),
      [PYTHON_2]: py(allChannels, '--jobs', '2'),
    };
    const dirOf = (name: string): string => join(scratch, dirName(name));
    const loads: number[] = [];
    // Warm-up: each of ours once (index cache, page cache); Python once on the frontal channels,
    // which is also the reference of the agreement check.
    for (const name of [FRONTAL, ALL, LAB_REPORT]) timedRun(methods[name]!, dirOf(name), loads);
    const frontalChannels = (JSON.parse(readFileSync(join(dirOf(FRONTAL), 'results.json'), 'utf8')) as { roi: { channels: number[] } }).roi.channels;
    const pythonFrontal = join(scratch, 'python-frontal');
    timedRun(py(frontalChannels), pythonFrontal, loads);

    const runs: Record<string, TimedCommand[]> = Object.fromEntries(Object.keys(methods).map((m) => [m, []]));
    const roundLoads: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const [name, argv] of Object.entries(methods)) {
        runs[name]!.push(timedRun(argv, dirOf(name), roundLoads));
        process.stderr.write(`round ${r + 1}/${rounds} ${name}: ${runs[name]!.at(-1)!.seconds.toFixed(2)} s, load ${roundLoads.at(-1)!.toFixed(1)}\n`);
      }
    }

    const agreement = {
      frontalVsMne: compareWindows(dirOf(FRONTAL), pythonFrontal),
      allFrontalVsFrontal: compareWindows(join(dirOf(ALL), 'roi_frontal'), dirOf(FRONTAL)),
      allElectrodeMeanVsMne: compareElectrodeMean(dirOf(ALL), dirOf(PYTHON), session.nChannels),
    };
    const seconds = (name: string): number[] => runs[name]!.map((t) => t.seconds);
    const summary = Object.fromEntries(
      Object.entries(runs).map(([name, t]) => [
        name,
        { medianSeconds: median(seconds(name)), seconds: seconds(name), medianPeakRssBytes: median(t.map((r) => r.peakRssBytes)), peakRssBytes: t.map((r) => r.peakRssBytes) },
      ]),
    );
    /** `slow` over `fast`: ratio of the medians, and the median of the rounds' own ratios. */
    const ratio = (slow: string, fast: string) => ({
      ofMedians: summary[slow]!.medianSeconds / summary[fast]!.medianSeconds,
      paired: median(seconds(slow).map((s, i) => s / seconds(fast)[i]!)),
      perRound: seconds(slow).map((s, i) => s / seconds(fast)[i]!),
    });
    const ratios = {
      allOverFrontal: ratio(ALL, FRONTAL),
      labReportOverFrontal: ratio(LAB_REPORT, FRONTAL),
      pythonOverAll: ratio(PYTHON, ALL),
      python2OverAll: ratio(PYTHON_2, ALL),
    };
    const bytes = Float64Array.BYTES_PER_ELEMENT;
    const memory = {
      inputBytes: session.nChannels * nTimes * bytes,
      fullPowerBytes: session.nChannels * N_FREQS * nTimes * bytes,
      allOverFrontalPeak: summary[ALL]!.medianPeakRssBytes / summary[FRONTAL]!.medianPeakRssBytes,
    };
    const targets = {
      allOverFrontalAtMost8_5: ratios.allOverFrontal.ofMedians <= 8.5 && ratios.allOverFrontal.paired <= 8.5,
      pythonOverAllAtLeast30: ratios.pythonOverAll.ofMedians >= 30 && ratios.pythonOverAll.paired >= 30,
      peakBelowFullPower: summary[ALL]!.medianPeakRssBytes < memory.fullPowerBytes,
    };
    const result = { machine: machineInfo(), rounds, session, nFreqs: N_FREQS, loadAverage: { warmup: loads, rounds: roundLoads }, summary, ratios, agreement, memory, targets };
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'bench-roi-all.json'), JSON.stringify(result, null, 1) + '\n');

    const both = (r: { ofMedians: number; paired: number }): string => `${x(r.ofMedians)} (paired ${x(r.paired)})`;
    const lines = [
      `One session, ${session.nChannels} channels × ${nTimes.toLocaleString('en')} samples at 200 Hz, ${N_FREQS} frequencies; ${rounds} rounds; 1-min load average ${loadRange(roundLoads)}.`,
      '',
      '| method | median wall (s) | runs (s) | peak RSS (MiB, median) |',
      '| --- | ---: | --- | ---: |',
      ...Object.entries(summary).map(([name, s]) => `| ${name} | ${s.medianSeconds.toFixed(2)} | ${s.seconds.map((v) => v.toFixed(2)).join(', ')} | ${mib(s.medianPeakRssBytes)} |`),
      '',
      `--roi all / frontal: ${both(ratios.allOverFrontal)} (target ≤ 8.5×: ${targets.allOverFrontalAtMost8_5 ? 'met' : 'NOT met'}); lab-report (${N_FREQS} freqs) / frontal: ${both(ratios.labReportOverFrontal)}.`,
      `Python/MNE on the 32 channels / --roi all: sequential ${both(ratios.pythonOverAll)} (target ≥ 30×: ${targets.pythonOverAllAtLeast30 ? 'met' : 'NOT met'}), 2 processes ${both(ratios.python2OverAll)}.`,
      `Peak RSS of --roi all: ${mib(summary[ALL]!.medianPeakRssBytes)} MiB (${x(memory.allOverFrontalPeak)} the frontal run's), against ${mib(memory.inputBytes)} MiB of input channels and ${mib(memory.fullPowerBytes)} MiB for the 32 channels' full power (float64).`,
      `Agreement (relative, limit ${LIMIT}): frontal windows vs MNE ${agreement.frontalVsMne.toExponential(2)}; the mean of the 32 electrodes of --roi all vs MNE's 32-channel mean ${agreement.allElectrodeMeanVsMne.toExponential(2)}; --roi all's frontal ROI vs the frontal run ${agreement.allFrontalVsFrontal === 0 ? 'bitwise equal' : agreement.allFrontalVsFrontal.toExponential(2)}.`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    if (!(agreement.frontalVsMne <= LIMIT && agreement.allElectrodeMeanVsMne <= LIMIT) || agreement.allFrontalVsFrontal !== 0) {
      process.stderr.write('eeg-parallel disagrees with MNE beyond 1e-9, or --roi all with the frontal run\n');
      process.exitCode = 1;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function analyzeAll(options: { rats: number; sessionsPerRat: number; runs: number; nTimes: number; file: string; keep: boolean; out: string }): Promise<void> {
  const ratIds = [...loadDefaultElectrodeTable().keys()];
  if (options.rats > ratIds.length) throw new Error(`--rats: the electrode table has ${ratIds.length} rats`);
  const nSessions = options.rats * options.sessionsPerRat;
  const file = options.file === '' ? join(tmpdir(), `eeg-parallel-roi-all-${options.rats}x${options.sessionsPerRat}x${options.nTimes}.pkl`) : options.file;
  const scratch = mkdtempSync(join(tmpdir(), 'eeg-parallel-bench-analyze-all-'));
  const created = !existsSync(file);
  try {
    if (created) {
      const sessions = ratIds.slice(0, options.rats).flatMap((ratId, r) =>
        Array.from({ length: options.sessionsPerRat }, (_, k) => ({ ...SESSION_21MIN, nTimes: options.nTimes, seed: SESSION_21MIN.seed + r * options.sessionsPerRat + k, ratId, sessionDate: `2100${String(k).padStart(2, '0')}` })),
      );
      await writeSyntheticLabFile(file, sessions, scratch);
    }
    // The index cache, as a user's first `inspect` would make it.
    timeCommand([...cliCommand(), 'inspect', '--data', file]);
    const argv = (dir: string): string[] => [...cliCommand(), 'analyze-all', '--data', file, '--preset', 'lab-report', '--no-plots', '--output-dir', dir];
    const runs: TimedCommand[] = [];
    const runLoads: number[] = [];
    for (let r = 0; r < options.runs; r++) {
      runs.push(timedRun(argv, join(scratch, 'out'), runLoads));
      process.stderr.write(`run ${r + 1}/${options.runs}: ${runs.at(-1)!.seconds.toFixed(1)} s, load ${runLoads.at(-1)!.toFixed(1)}\n`);
    }
    const seconds = median(runs.map((t) => t.seconds));
    const sessionsPerSecond = nSessions / seconds;
    const result = {
      machine: machineInfo(),
      file: { path: file, bytes: statSync(file).size, rats: options.rats, sessionsPerRat: options.sessionsPerRat, nChannels: SESSION_21MIN.nChannels, nTimes: options.nTimes },
      command: 'eeg-parallel analyze-all --data F --preset lab-report --no-plots --output-dir DIR',
      loadAverage: runLoads,
      seconds: runs.map((t) => t.seconds),
      peakRssBytes: runs.map((t) => t.peakRssBytes),
      medianSeconds: seconds,
      sessionsPerSecond,
      labSessions: LAB_SESSIONS,
      projectedLabHours: LAB_SESSIONS / sessionsPerSecond / 3600,
    };
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, 'bench-analyze-all.json'), JSON.stringify(result, null, 1) + '\n');
    const lines = [
      `analyze-all --preset lab-report --no-plots on ${options.rats} rats × ${options.sessionsPerRat} sessions of ${SESSION_21MIN.nChannels} × ${options.nTimes.toLocaleString('en')} samples (${(result.file.bytes / 1e6).toFixed(0)} MB); ${options.runs} runs; 1-min load average ${loadRange(runLoads)}.`,
      '',
      `| sessions | median wall (s) | runs (s) | sessions/s | ${LAB_SESSIONS} sessions, projected | peak RSS (MiB, max) |`,
      '| ---: | ---: | --- | ---: | ---: | ---: |',
      `| ${nSessions} | ${seconds.toFixed(1)} | ${result.seconds.map((v) => v.toFixed(1)).join(', ')} | ${sessionsPerSecond.toFixed(3)} | ${result.projectedLabHours.toFixed(2)} h | ${mib(Math.max(...result.peakRssBytes))} |`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    // Only a file made here; its index cache with it.
    if (created && !options.keep) for (const f of [file, `${file}.eegidx.json`]) rmSync(f, { force: true });
  }
}

async function main(): Promise<void> {
  const args = benchArgs(
    process.argv.slice(2),
    USAGE,
    {
      rounds: positiveInteger(3),
      samples: positiveInteger(SESSION_21MIN.nTimes),
      out: { default: 'results/bench-roi-all' },
      rats: positiveInteger(3),
      'sessions-per-rat': positiveInteger(2),
      runs: positiveInteger(3),
      file: { default: '' },
    },
    ['analyze-all', 'keep'],
  );
  if (args['analyze-all']) {
    await analyzeAll({ rats: Number(args.rats), sessionsPerRat: Number(args['sessions-per-rat']), runs: Number(args.runs), nTimes: Number(args.samples), file: args.file, keep: args.keep, out: args.out });
  } else {
    await roiAll(Number(args.rounds), Number(args.samples), args.out);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
