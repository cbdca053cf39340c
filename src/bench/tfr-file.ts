/**
 * `npm run bench:tfr-file`: writing the `tfr` output in pieces of frequency rows (analysis/tfr.ts
 * `writeTfrPower`) against computing it whole in memory and then writing it (`computeTfrPower` +
 * `writeNpy`), and pieces of several sizes against each other, end to end in a fresh process each
 * — reading the input, compute, writing, fsync:
 *
 *   whole            computeTfrPower, then writeNpy
 *   pieces of S      writeTfrPower with pieces of at most S bytes (64 MiB … 1 GiB; the default,
 *                    TFR_PIECE_BYTES, among them)
 *
 * on a seeded synthetic (n_channels, n_times) input, with the CLI's parallel options (auto, the
 * available cores, the CLI's calling-thread task limit). Each method runs under GNU time (peak
 * RSS: its %M); one untimed run of each first (warm-up), then `--rounds` rounds of one run per
 * method. Reported: medians, ratios of medians against `whole` and the medians of the per-round
 * (paired) ratios; every output must be byte for byte the `whole` one.
 *
 * `--larger-than-memory`: instead, one run whose output is 10 % larger than this machine's memory
 * (one channel of `--samples` samples, as many frequencies as that takes), with the default memory
 * budget: time, peak RSS, the file's size and shape as numpy reads it, and the agreement of a
 * stretch in the middle of every `--check-every`-th row with MNE's `tfr_array_morlet` on the
 * samples around it (relative, limit 1e-9; edges excluded by more than the longest wavelet). The
 * output is deleted afterwards unless `--keep`.
 *
 * Writes results/bench-tfr-file/bench-tfr-file.json (or bench-tfr-larger-than-memory.json) and
 * prints a Markdown summary.
 *
 * Usage: node dist/src/bench/tfr-file.js [--rounds 3] [--channels 8] [--samples 2000000] [--n-freqs 20] [--out results/bench-tfr-file]
 *        node dist/src/bench/tfr-file.js --larger-than-memory [--samples 50000000] [--dir D] [--keep] [--out results/bench-tfr-file]
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeTfrPower, planTfrFileRun, TFR_PIECE_BYTES, writeTfrPower } from '../analysis/tfr.js';
import { resolveTfrParams } from '../analysis/roi-spectrogram.js';
import { CLI_CALLER_TASK_LIMIT } from '../compute/options.js';
import { shutdownPools } from '../engine/pool.js';
import { npyFileBytes, readNpyFloat64, writeNpy } from '../io/npy.js';
import { cliCommand } from '../paths.js';
import { syntheticSession } from '../synthetic/session.js';
import { benchArgs, positiveInteger } from './args.js';
import { DEBIAN_PYTHON } from './lab-file.js';
import { median } from './measure.js';
import { timeCommand, type TimedCommand } from './proc.js';
import { machineInfo } from './report/report.js';

const USAGE = [
  'usage: node dist/src/bench/tfr-file.js [--rounds 3] [--channels 8] [--samples 2000000] [--n-freqs 20] [--out results/bench-tfr-file]',
  '       node dist/src/bench/tfr-file.js --larger-than-memory [--samples 50000000] [--dir D] [--keep] [--out results/bench-tfr-file]',
].join('\n');

const BYTES = Float64Array.BYTES_PER_ELEMENT;
const LIMIT = 1e-9;
const SFREQ = 200;

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(1);
const x = (ratio: number): string => `${ratio.toFixed(2)}×`;
const tfr = (input: string, output: string, ...options: string[]): string[] => [
  ...cliCommand(),
  'tfr',
  '--input',
  input,
  '--sfreq',
  String(SFREQ),
  ...options,
  '--output',
  output,
];

/** A seeded synthetic (n_channels, n_times) input, written as .npy. */
async function writeInput(path: string, nChannels: number, nTimes: number): Promise<void> {
  const s = syntheticSession({ seed: 7, nChannels, nTimes, sfreq: SFREQ, nEvents: 0, thetaBursts: false });
  await writeNpy(path, s.eeg, [nChannels, nTimes]);
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Piece sizes compared, bytes (the default among them). */
const PIECE_SIZES = [64 * 2 ** 20, 128 * 2 ** 20, TFR_PIECE_BYTES, 512 * 2 ** 20, 2 ** 30].filter((v, i, all) => all.indexOf(v) === i).sort((a, b) => a - b);

/** One method in this process (`--child`): the input read, its power computed and written. */
async function child(method: string, input: string, output: string, nFreqs: number): Promise<void> {
  const { data, shape } = readNpyFloat64(input, { minDims: 2, maxDims: 2 });
  const [nChannels, nTimes] = [shape[0]!, shape[1]!];
  const params = resolveTfrParams({ freqRange: [3, 8], nFreqs }, SFREQ);
  const parallel = { strategy: 'auto' as const, callerTaskLimit: CLI_CALLER_TASK_LIMIT, maxMemoryBytes: 64 * 2 ** 30 };
  if (method === 'whole') {
    await writeNpy(output, await computeTfrPower(data, nChannels, params, parallel), [nChannels, nFreqs, nTimes]);
  } else {
    await writeTfrPower(output, data, nChannels, params, parallel, planTfrFileRun(nChannels, nFreqs, nTimes, parallel, Number(method)));
  }
  await shutdownPools();
}

async function pieces(options: { rounds: number; nChannels: number; nTimes: number; nFreqs: number; out: string }): Promise<void> {
  const { rounds, nChannels, nTimes, nFreqs } = options;
  const scratch = mkdtempSync(join(tmpdir(), 'eeg-parallel-bench-tfr-file-'));
  try {
    const input = join(scratch, 'x.npy');
    await writeInput(input, nChannels, nTimes);
    const WHOLE = 'whole, then written';
    const nameOf = (bytes: number): string =>
      `pieces of ${mib(bytes)} MiB (${Math.ceil(nFreqs / planTfrFileRun(nChannels, nFreqs, nTimes, {}, bytes).rowsPerPiece)} pieces)${bytes === TFR_PIECE_BYTES ? ', the default' : ''}`;
    const methods: Record<string, string> = { [WHOLE]: 'whole', ...Object.fromEntries(PIECE_SIZES.map((b) => [nameOf(b), String(b)])) };
    const outputOf = (name: string): string => join(scratch, `${Object.keys(methods).indexOf(name)}.npy`);
    const self = fileURLToPath(import.meta.url);
    const run = (name: string, loads: number[]): TimedCommand => {
      loads.push(loadavg()[0]!);
      return timeCommand([process.execPath, self, '--child', methods[name]!, '--input', input, '--output', outputOf(name), '--n-freqs', String(nFreqs)]);
    };
    const warmupLoads: number[] = [];
    for (const name of Object.keys(methods)) run(name, warmupLoads);
    const runs: Record<string, TimedCommand[]> = Object.fromEntries(Object.keys(methods).map((m) => [m, []]));
    const loads: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const name of Object.keys(methods)) {
        runs[name]!.push(run(name, loads));
        process.stderr.write(`round ${r + 1}/${rounds} ${name}: ${runs[name]!.at(-1)!.seconds.toFixed(2)} s, load ${loads.at(-1)!.toFixed(1)}\n`);
      }
    }
    const reference = await sha256(outputOf(WHOLE));
    const identical: Record<string, boolean> = {};
    for (const name of Object.keys(methods)) identical[name] = (await sha256(outputOf(name))) === reference;
    const seconds = (name: string): number[] => runs[name]!.map((t) => t.seconds);
    const summary = Object.fromEntries(
      Object.entries(runs).map(([name, t]) => [
        name,
        { medianSeconds: median(seconds(name)), seconds: seconds(name), medianPeakRssBytes: median(t.map((m) => m.peakRssBytes)), peakRssBytes: t.map((m) => m.peakRssBytes) },
      ]),
    );
    const overWhole = (name: string) => ({
      ofMedians: summary[name]!.medianSeconds / summary[WHOLE]!.medianSeconds,
      paired: median(seconds(name).map((s, i) => s / seconds(WHOLE)[i]!)),
    });
    const outputBytes = npyFileBytes([nChannels, nFreqs, nTimes]);
    const result = {
      machine: machineInfo(),
      input: { nChannels, nTimes, nFreqs, outputBytes },
      rounds,
      loadAverage: { warmup: warmupLoads, rounds: loads },
      summary,
      overWhole: Object.fromEntries(Object.keys(methods).map((name) => [name, overWhole(name)])),
      identical,
    };
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, 'bench-tfr-file.json'), JSON.stringify(result, null, 1) + '\n');
    const lines = [
      `tfr of ${nChannels} × ${nTimes.toLocaleString('en')} samples at ${SFREQ} Hz, ${nFreqs} frequencies: a ${mib(outputBytes)} MiB output; ${rounds} rounds; 1-min load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}.`,
      '',
      '| written | median wall (s) | runs (s) | / whole (of medians, paired) | peak RSS (MiB, median) | bytes = whole |',
      '| --- | ---: | --- | ---: | ---: | --- |',
      ...Object.entries(summary).map(([name, s]) => {
        const r = overWhole(name);
        return `| ${name} | ${s.medianSeconds.toFixed(2)} | ${s.seconds.map((v) => v.toFixed(2)).join(', ')} | ${x(r.ofMedians)}, ${x(r.paired)} | ${mib(s.medianPeakRssBytes)} | ${identical[name] ? 'yes' : 'NO'} |`;
      }),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    if (!Object.values(identical).every(Boolean)) {
      process.stderr.write('an output written in pieces differs from the whole one\n');
      process.exitCode = 1;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Checks the output with numpy (shape, dtype) and a middle stretch of some rows against MNE; prints JSON. */
const MNE_CHECK = `
import json, sys
import numpy as np, mne
from mne.time_frequency import tfr_array_morlet
mne.set_log_level("ERROR")
x = np.load(sys.argv[1], mmap_mode="r")
p = np.load(sys.argv[2], mmap_mode="r")
sfreq, n_freqs, every = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
freqs = np.geomspace(3, 8, n_freqs)
n_cycles = np.maximum(3, freqs * 3.0)
# The longest wavelet (MNE: 5 standard deviations each side); the stretch keeps 2 of them from the slice's edges.
half = int(np.ceil(5 * n_cycles.max() / (2 * np.pi * freqs.min()) * sfreq))
mid, keep = x.shape[1] // 2, 20000
lo, hi = mid - keep // 2 - 2 * half, mid + keep // 2 + 2 * half
rows = list(range(0, n_freqs, every))
ref = tfr_array_morlet(np.asarray(x[None, :, lo:hi], dtype=np.float64), sfreq, freqs[rows], n_cycles=n_cycles[rows], zero_mean=True, output="power")[0]
worst = 0.0
for c in range(x.shape[0]):
    for i, f in enumerate(rows):
        a = np.asarray(p[c, f, mid - keep // 2: mid + keep // 2])
        b = ref[c, i, 2 * half: 2 * half + keep]
        worst = max(worst, float(np.abs(a - b).max() / np.abs(b).max()))
print(json.dumps({"shape": list(p.shape), "dtype": str(p.dtype), "c_order": bool(p.flags["C_CONTIGUOUS"]), "rows_checked": len(rows) * x.shape[0], "samples_per_row": keep, "max_relative_difference": worst}))
`;

async function largerThanMemory(options: { nTimes: number; dir: string; keep: boolean; out: string }): Promise<void> {
  const { nTimes } = options;
  const nFreqs = Math.ceil((1.1 * totalmem()) / (nTimes * BYTES));
  const dir = options.dir === '' ? mkdtempSync(join(tmpdir(), 'eeg-parallel-bench-tfr-big-')) : options.dir;
  mkdirSync(dir, { recursive: true });
  const input = join(dir, 'x.npy');
  const output = join(dir, 'p.npy');
  try {
    await writeInput(input, 1, nTimes);
    const load = loadavg()[0]!;
    const argv = tfr(input, output, '--n-freqs', String(nFreqs));
    process.stderr.write(`${argv.slice(1).join(' ')}: an output of ${gib(npyFileBytes([1, nFreqs, nTimes]))} GiB, memory ${gib(totalmem())} GiB\n`);
    const timed = timeCommand(argv);
    const bytes = statSync(output).size;
    const check = spawnSync(DEBIAN_PYTHON, ['-c', MNE_CHECK, input, output, String(SFREQ), String(nFreqs), '8'], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (check.status !== 0) throw new Error(`the numpy/MNE check failed: ${check.stderr}`);
    const agreement = JSON.parse(check.stdout) as { shape: number[]; dtype: string; c_order: boolean; rows_checked: number; samples_per_row: number; max_relative_difference: number };
    const result = {
      machine: machineInfo(),
      command: argv.slice(1).join(' '),
      input: { nChannels: 1, nTimes, nFreqs },
      memoryBytes: totalmem(),
      outputBytes: bytes,
      expectedBytes: npyFileBytes([1, nFreqs, nTimes]),
      loadAverage: load,
      seconds: timed.seconds,
      peakRssBytes: timed.peakRssBytes,
      agreement,
    };
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, 'bench-tfr-larger-than-memory.json'), JSON.stringify(result, null, 1) + '\n');
    const ok = bytes === result.expectedBytes && agreement.dtype === 'float64' && agreement.c_order && agreement.max_relative_difference <= LIMIT;
    process.stdout.write(
      [
        `tfr of 1 × ${nTimes.toLocaleString('en')} samples, ${nFreqs} frequencies: ${gib(bytes)} GiB written on a machine of ${gib(totalmem())} GiB, load ${load.toFixed(1)}.`,
        `${timed.seconds.toFixed(1)} s, peak RSS ${mib(timed.peakRssBytes)} MiB; numpy reads shape (${agreement.shape.join(', ')}) ${agreement.dtype}, C order ${agreement.c_order};`,
        `${agreement.rows_checked} rows × ${agreement.samples_per_row.toLocaleString('en')} middle samples against MNE: max relative difference ${agreement.max_relative_difference.toExponential(2)} (limit ${LIMIT}).`,
      ].join('\n') + '\n',
    );
    if (!ok) {
      process.stderr.write('the file is not the expected .npy, or disagrees with MNE beyond 1e-9\n');
      process.exitCode = 1;
    }
  } finally {
    if (!options.keep) rmSync(options.dir === '' ? dir : output, { recursive: true, force: true });
    if (!options.keep && options.dir !== '') rmSync(input, { force: true });
  }
}

const args = benchArgs(
  process.argv.slice(2),
  USAGE,
  {
    rounds: positiveInteger(3),
    channels: positiveInteger(8),
    samples: { default: '', check: (v) => (v === '' || /^[1-9]\d*$/.test(v) ? null : `expected a positive integer, got '${v}'`) },
    'n-freqs': positiveInteger(20),
    dir: { default: '' },
    child: { default: '' },
    input: { default: '' },
    output: { default: '' },
    out: { default: 'results/bench-tfr-file' },
  },
  ['larger-than-memory', 'keep'] as const,
);
if (args.child !== '') {
  await child(args.child, args.input, args.output, Number(args['n-freqs']));
} else if (args['larger-than-memory']) {
  await largerThanMemory({ nTimes: Number(args.samples || 50_000_000), dir: args.dir, keep: args.keep, out: args.out });
} else {
  await pieces({ rounds: Number(args.rounds), nChannels: Number(args.channels), nTimes: Number(args.samples || 2_000_000), nFreqs: Number(args['n-freqs']), out: args.out });
}
