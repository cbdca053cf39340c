/**
 * `npm run bench:mne`: eeg-parallel against the lab's Python/MNE pipeline, side by side on the
 * same file (docs/method.md §7 `session-21min`: one synthetic 32 × 255,000 session at 200 Hz with theta
 * bursts, written as a lab-layout pickle), end to end — process start, reading, compute, writing.
 *
 *   Python sequential   scripts/reference_analysis.py session … (pickle.load + MNE per ROI channel)
 *   Python 2 processes  the same with --jobs 2 (multiprocessing around MNE, as the seed did)
 *   eeg-parallel        ./bin/eeg-parallel analyze-session --data F --session 0 --roi frontal
 *
 * Runs are interleaved (one of each per round) so drift of the machine hits all alike; medians
 * and peak RSS (GNU time's %M) are reported, windows are checked equal (1e-9), and a pure-compute
 * table gives time-frequency points per second for our paths and a bare FFT of the block size
 * (the roofline; on two threads, times the machine's parallel ceiling, bench/ceiling.ts). Writes
 * results/bench-mne/bench-mne.json and prints a Markdown summary.
 *
 * Usage: node dist/src/bench/mne-compare.js [--rounds 5] [--out results/bench-mne]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWaveletBank } from '../dsp/convolve.js';
import { morletKernel } from '../dsp/kernel.js';
import { DEFAULT_FREQ_RANGE, resolveTfrParams } from '../analysis/roi-spectrogram.js';
import { analyzeSession, planSessionRun } from '../analysis/session.js';
import { shutdownPools } from '../engine/pool.js';
import { syntheticSession } from '../synthetic/session.js';
import { cliCommand, packagePath } from '../paths.js';
import { DEBIAN_PYTHON, SESSION_21MIN, writeSyntheticLabFile } from './lab-file.js';
import { sampleParallelCeiling, summarizeCeiling } from './ceiling.js';
import { median } from './measure.js';
import { timeCommand, type TimedCommand } from './proc.js';
import { compareWindows } from './agreement.js';
import { benchArgs, positiveInteger } from './args.js';
import { machineInfo } from './report/report.js';

const SESSION = SESSION_21MIN;
const FRONTAL = [20, 21, 23, 24];
/** The runtime's own memory: the same command on a session of the same layout, 2,000 samples long. */
const BASELINE_SESSION = { ...SESSION, nTimes: 2_000, nEvents: 2 };
const N_FREQS = 20;
const WINDOW_SAMPLES = 200;

async function pureCompute(): Promise<Record<string, number>> {
  const s = syntheticSession(SESSION);
  const options = { roi: { channels: FRONTAL } };
  const tfPoints = FRONTAL.length * N_FREQS * SESSION.nTimes;
  // The three paths take turns, run after run, so a slow phase of the VM hits them alike; the
  // first round is the warm-up.
  const strategies = ['sequential', 'channels', 'frequencies'] as const;
  const times = new Map<string, number[]>(strategies.map((k) => [k, []]));
  for (let i = 0; i < 6; i++) {
    for (const strategy of strategies) {
      const t0 = performance.now();
      await analyzeSession(s, { ...options, strategy, jobs: 2 });
      if (i > 0) times.get(strategy)!.push((performance.now() - t0) / 1000);
    }
  }
  const rate = (strategy: (typeof strategies)[number]): number => tfPoints / median(times.get(strategy)!);
  // Roofline: the FFTs alone, on the kernel the engine uses. Per pair of blocks the engine does
  // one paired transform of the signal and one per frequency, producing 2 × n_freqs × blockLength
  // points.
  const bank = createWaveletBank(resolveTfrParams({}, 200), SESSION.nTimes);
  const kernel = morletKernel();
  kernel.prepare(bank);
  for (let i = 0; i < 2000; i++) kernel.benchmarkTransform();
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) kernel.benchmarkTransform();
  const pairSeconds = (performance.now() - t0) / 1000 / n;
  const nFreqs = bank.freqs.length;
  const roofline = (2 * nFreqs * bank.blockLength) / ((nFreqs + 1) * pairSeconds);
  const result = {
    fftSize: bank.fftSize,
    blockLength: bank.blockLength,
    fftPairMicroseconds: pairSeconds * 1e6,
    rooflinePointsPerSecond: roofline,
    sequentialPointsPerSecond: rate('sequential'),
    channelsPointsPerSecond: rate('channels'),
    frequenciesPointsPerSecond: rate('frequencies'),
  };
  await shutdownPools();
  return result;
}

const BASELINE = 'eeg-parallel analyze-session, 2,000 samples (baseline)';

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/**
 * The memory budget: peak RSS ≤ 2 × (bytes of the ROI channels + bytes of the windows
 * kept) + the runtime's own baseline. Medians of the runs' peaks.
 */
function memoryBudget(runs: TimedCommand[], baseline: TimedCommand[], baselineStrategy: string) {
  const peakRssBytes = median(runs.map((r) => r.peakRssBytes));
  const baselineRssBytes = median(baseline.map((r) => r.peakRssBytes));
  const roiChannelBytes = FRONTAL.length * SESSION.nTimes * Float64Array.BYTES_PER_ELEMENT;
  const windowBytes = SESSION.nEvents * N_FREQS * WINDOW_SAMPLES * Float64Array.BYTES_PER_ELEMENT;
  return {
    peakRssBytes,
    baselineRssBytes,
    baselineStrategy,
    addedBytes: peakRssBytes - baselineRssBytes,
    roiChannelBytes,
    windowBytes,
    budgetBytes: 2 * (roiChannelBytes + windowBytes),
  };
}

async function main(): Promise<void> {
  const args = benchArgs(process.argv.slice(2), 'usage: node dist/src/bench/mne-compare.js [--rounds 5] [--out results/bench-mne]', {
    rounds: positiveInteger(5),
    out: { default: 'results/bench-mne' },
  });
  const rounds = Number(args.rounds);
  const out = args.out;
  const scratch = mkdtempSync(join(tmpdir(), 'eeg-parallel-bench-mne-'));
  try {
    const data = join(scratch, 'session21.pkl');
    await writeSyntheticLabFile(data, [SESSION], scratch);
    const py = [DEBIAN_PYTHON, packagePath('scripts', 'reference_analysis.py'), 'session', '--data', data, '--session', '0', '--channels', FRONTAL.join(',')];
    const baselineData = join(scratch, 'baseline.pkl');
    await writeSyntheticLabFile(baselineData, [BASELINE_SESSION], scratch);
    const ours = (file: string) => [...cliCommand(), 'analyze-session', '--data', file, '--session', '0', '--roi', 'frontal', '--no-plots'];
    // The baseline runs the strategy that `auto` picks for the real session, so that it holds the
    // same threads (auto would run a 2,000-sample session sequentially).
    const auto = planSessionRun(FRONTAL.length, SESSION.nTimes, { roi: { channels: FRONTAL }, nFreqs: N_FREQS, strategy: 'auto' });
    const methods: Record<string, (dir: string) => string[]> = {
      'Python/MNE sequential': (dir) => [...py, '--out', dir],
      'Python/MNE 2 processes': (dir) => [...py, '--out', dir, '--jobs', '2'],
      'eeg-parallel analyze-session': (dir) => [...ours(data), '--output-dir', dir],
      [BASELINE]: (dir) => [...ours(baselineData), '--output-dir', dir, '--strategy', auto.strategy, ...(auto.batchSize === null ? [] : ['--batch-size', String(auto.batchSize)])],
    };
    // One untimed run of ours per file creates its index cache, as a user's first `inspect` would.
    timeCommand(methods['eeg-parallel analyze-session']!(join(scratch, 'warm')));
    timeCommand(methods[BASELINE]!(join(scratch, 'warm-baseline')));
    const runs: Record<string, TimedCommand[]> = Object.fromEntries(Object.keys(methods).map((m) => [m, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, argv] of Object.entries(methods)) {
        runs[name]!.push(timeCommand(argv(join(scratch, `${name.replace(/\W+/g, '_')}`))));
        process.stderr.write(`round ${r + 1}/${rounds} ${name}: ${runs[name]!.at(-1)!.seconds.toFixed(2)} s\n`);
      }
    }
    const agreement = compareWindows(join(scratch, 'eeg_parallel_analyze_session'), join(scratch, 'Python_MNE_sequential'));
    const summary = Object.fromEntries(
      Object.entries(runs).map(([name, t]) => [name, { medianSeconds: median(t.map((x) => x.seconds)), peakRssBytes: Math.max(...t.map((x) => x.peakRssBytes)), seconds: t.map((x) => x.seconds) }]),
    );
    const oursMedian = summary['eeg-parallel analyze-session']!.medianSeconds;
    const memory = memoryBudget(runs['eeg-parallel analyze-session']!, runs[BASELINE]!, auto.strategy);
    const compute = await pureCompute();
    // What two threads of this machine give on the bare FFT loop: the two-thread rows' roofline.
    const ceilingWorkload = { nTimes: SESSION.nTimes, sfreq: 200, nFreqs: N_FREQS, freqRange: [...DEFAULT_FREQ_RANGE] as [number, number] };
    const ceiling = summarizeCeiling(2, await sampleParallelCeiling(ceilingWorkload, 2, 8));
    const result = { machine: { ...machineInfo(), parallelCeiling: ceiling }, rounds, session: SESSION, roiChannels: FRONTAL, summary, maxRelativeWindowDifference: agreement, memory, compute };
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'bench-mne.json'), JSON.stringify(result, null, 1) + '\n');
    const lines = [
      `| method | median wall (s) | speedup of eeg-parallel | peak RSS (MiB) |`,
      `| --- | ---: | ---: | ---: |`,
      ...Object.entries(summary)
        .filter(([name]) => name !== BASELINE)
        .map(([name, s]) => `| ${name} | ${s.medianSeconds.toFixed(2)} | ${(s.medianSeconds / oursMedian).toFixed(1)}× | ${(s.peakRssBytes / 2 ** 20).toFixed(0)} |`),
      '',
      `Windows agree with MNE: max relative difference ${agreement.toExponential(2)} (limit 1e-9).`,
      '',
      `Memory (medians of the peaks): ${mib(memory.peakRssBytes)} MiB against the runtime's ${mib(memory.baselineRssBytes)} MiB ` +
        `(the same command on a ${BASELINE_SESSION.nTimes.toLocaleString('en')}-sample session, --strategy ${memory.baselineStrategy}): ` +
        `+${mib(memory.addedBytes)} MiB, budget 2 × (${mib(memory.roiChannelBytes)} MiB ROI channels + ${mib(memory.windowBytes)} MiB windows) = ` +
        `${mib(memory.budgetBytes)} MiB: ${memory.addedBytes <= memory.budgetBytes ? 'within' : 'OVER'}.`,
      '',
      `| pure compute (${FRONTAL.length} ch × ${N_FREQS} freqs × ${SESSION.nTimes} samples) | tf-points/s | of roofline |`,
      `| --- | ---: | ---: |`,
      `| bare paired FFT of ${compute.fftSize} (two transforms in ${compute.fftPairMicroseconds!.toFixed(1)} µs): roofline, 1 core | ${compute.rooflinePointsPerSecond!.toExponential(2)} | 1.00 |`,
      `| the same on 2 threads at once: this machine's parallel ceiling, ${ceiling.median.toFixed(2)}× (${ceiling.min.toFixed(2)}–${ceiling.max.toFixed(2)}×, ${ceiling.samples.length} samples) | ${(compute.rooflinePointsPerSecond! * ceiling.median).toExponential(2)} | ${ceiling.median.toFixed(2)} |`,
      ...(['sequential', 'channels', 'frequencies'] as const).map((k) => {
        const v = compute[`${k}PointsPerSecond`]!;
        return `| ${k}${k === 'sequential' ? '' : ' (2 threads)'} | ${v.toExponential(2)} | ${(v / compute.rooflinePointsPerSecond!).toFixed(2)} |`;
      }),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    if (!(agreement <= 1e-9)) {
      process.stderr.write('eeg-parallel and MNE disagree beyond 1e-9\n');
      process.exitCode = 1;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
