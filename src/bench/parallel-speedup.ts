/**
 * `npm run bench:parallel`: the parallel engine's speedup on one workload (default: the
 * 8-channel ROI, 20 freqs 3–8 Hz, 100,000 samples, full z-scored ROI power — `test --full`'s
 * `full · channels 0-7`), timed so that this VM's drifting speed cancels out:
 *
 * - **Time**: one process runs the sequential path and each parallel method in turn, round after
 *   round, and each parallel run is divided by the sequential run of its own round (a paired
 *   ratio). Between rounds, one sample of the machine's parallel ceiling (bench/ceiling.ts) is
 *   taken, so each ratio can be read against what the two vCPUs gave at that moment. On this VM
 *   the same code runs at 35 or 55 µs per FFT pair from one second to the next; `test` times each
 *   method in its own process, seconds apart, and its ratios of medians move with those phases.
 * - **Memory**: peak RSS of one run in a fresh process per method (bench/child.ts, as `test`
 *   measures it), interleaved over 3 rounds, medians.
 * - **Equality**: the parallel results of the warm-up rounds are compared with the sequential one,
 *   bit for bit.
 *
 * Writes results/bench-parallel/bench-parallel.json and prints a Markdown summary.
 *
 * Usage: node dist/src/bench/parallel-speedup.js [--rounds 20] [--channels 8] [--samples 100000] [--out results/bench-parallel]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeRoiThetaSpectrogram } from '../analysis/roi-spectrogram.js';
import { sessionSfreq } from '../model/session-data.js';
import type { ParallelOptions } from '../compute/options.js';
import { shutdownPools } from '../engine/pool.js';
import { syntheticSession } from '../synthetic/session.js';
import { machineInfo } from './report/report.js';
import { benchArgs, positiveInteger } from './args.js';
import { sampleParallelCeiling, summarizeCeiling } from './ceiling.js';
import { methodName, type RunConfig } from './config.js';
import { median } from './measure.js';
import { runIsolated } from './runner.js';

const N_FREQS = 20;
const FREQ_RANGE: [number, number] = [3, 8];
const MEMORY_ROUNDS = 3;
const WARMUP_ROUNDS = 3;

/** The methods compared with sequential: what `auto` picks (frequencies) and the channel split. */
const METHODS: ParallelOptions[] = [
  { strategy: 'frequencies', backend: 'threads', jobs: 2 },
  { strategy: 'channels', backend: 'threads', jobs: 2 },
];

const nameOf = (p: ParallelOptions): string => methodName({ strategy: p.strategy!, backend: p.backend!, jobs: p.jobs!, batchSize: null });

/** Quartiles (25 %, 50 %, 75 %) of a non-empty list, by the nearest rank. */
function quartiles(values: readonly number[]): [number, number, number] {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return [at(0.25), median(s), at(0.75)];
}

/** The benchmark's workload: a synthetic session's first channels. */
interface Workload {
  nChannels: number;
  nTimes: number;
  roiChannels: number[];
  source: { kind: 'synthetic'; seed: number; nChannels: number; nTimes: number; nSessions: number };
}

const TFR = { nFreqs: N_FREQS, freqRange: FREQ_RANGE };
const ALL: ParallelOptions[] = [{ strategy: 'sequential' }, ...METHODS];

/** Peak RSS per method: one run per method and round in a fresh process, as `test` measures it. */
async function measureMemory(w: Workload): Promise<Map<string, number[]>> {
  const scratch = mkdtempSync(join(tmpdir(), 'eeg-parallel-bench-parallel-'));
  const peaks = new Map<string, number[]>(ALL.map((p) => [nameOf(p), []]));
  try {
    for (let r = 0; r < MEMORY_ROUNDS; r++) {
      for (const p of ALL) {
        const name = nameOf(p);
        const config: RunConfig = {
          workload: 'full',
          roiLabel: `channels 0-${w.nChannels - 1}`,
          source: w.source,
          roiChannels: w.roiChannels,
          ...TFR,
          strategy: p.strategy!,
          backend: p.backend ?? 'threads',
          jobs: p.jobs ?? 1,
          batchSize: null,
          warmup: 1,
          repeats: 1,
          outputPath: join(scratch, `${name.replace(/\W+/g, '_')}.npy`),
        };
        const { report } = await runIsolated(config, scratch);
        peaks.get(name)!.push(report.measurement.peakRssBytes);
        process.stderr.write(`memory round ${r + 1}/${MEMORY_ROUNDS} ${name}: ${(report.measurement.peakRssBytes / 2 ** 20).toFixed(0)} MiB\n`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return peaks;
}

/** Times of every method in this process, round-robin, each paired with its round's sequential run and a ceiling sample. */
async function measureTimes(w: Workload, rounds: number) {
  const session = syntheticSession({ seed: w.source.seed, nChannels: w.source.nChannels, nTimes: w.nTimes, thetaBursts: true });
  const run = async (p: ParallelOptions): Promise<{ seconds: number; roiPower: Float64Array }> => {
    const t0 = performance.now();
    const { roiPower } = await computeRoiThetaSpectrogram(session, w.roiChannels, { ...TFR, ...p });
    return { seconds: (performance.now() - t0) / 1000, roiPower };
  };
  const reference = (await run(ALL[0]!)).roiPower;
  const mismatches: string[] = [];
  for (let r = 0; r < WARMUP_ROUNDS; r++) {
    for (const p of METHODS) {
      const { roiPower } = await run(p);
      if (!roiPower.every((v, i) => Object.is(v, reference[i]))) mismatches.push(nameOf(p));
    }
    await run(ALL[0]!);
  }
  const ceilingWorkload = { nTimes: w.nTimes, sfreq: sessionSfreq(session), ...TFR };
  const seconds = new Map<string, number[]>(ALL.map((p) => [nameOf(p), []]));
  const ratios = new Map<string, number[]>(METHODS.map((p) => [nameOf(p), []]));
  const ceilingSamples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const sequential = (await run(ALL[0]!)).seconds;
    seconds.get('sequential')!.push(sequential);
    for (const p of METHODS) {
      const t = (await run(p)).seconds;
      seconds.get(nameOf(p))!.push(t);
      ratios.get(nameOf(p))!.push(sequential / t);
    }
    ceilingSamples.push(...(await sampleParallelCeiling(ceilingWorkload, 2, 1)));
    process.stderr.write(`round ${r + 1}/${rounds}: ${METHODS.map((p) => `${nameOf(p)} ${ratios.get(nameOf(p))!.at(-1)!.toFixed(2)}×`).join(', ')}, ceiling ${ceilingSamples.at(-1)!.toFixed(2)}×\n`);
  }
  await shutdownPools();
  return { seconds, ratios, ceilingSamples, mismatches };
}

/** Per method: median time, paired speedups, fraction of the ceiling, peak RSS, bitwise equality. */
function summarize(peaks: Map<string, number[]>, times: Awaited<ReturnType<typeof measureTimes>>) {
  const sequentialPeak = median(peaks.get('sequential')!);
  return Object.fromEntries(
    ALL.map((p) => {
      const name = nameOf(p);
      const paired = times.ratios.get(name);
      const peakRssBytes = median(peaks.get(name)!);
      return [
        name,
        {
          medianSeconds: median(times.seconds.get(name)!),
          seconds: times.seconds.get(name)!,
          pairedSpeedup: paired === undefined ? null : quartiles(paired),
          pairedSpeedups: paired ?? null,
          // Each round's ratio over that round's ceiling sample.
          ofCeiling: paired === undefined ? null : median(paired.map((x, i) => x / times.ceilingSamples[i]!)),
          peakRssBytes,
          peakRssRatio: peakRssBytes / sequentialPeak,
          bitwiseEqual: !times.mismatches.includes(name),
        },
      ];
    }),
  );
}

/** The Markdown table of the run. */
function renderTable(w: Workload, rounds: number, methods: ReturnType<typeof summarize>, ceiling: ReturnType<typeof summarizeCeiling>): string {
  const ms = (s: number): string => `${(s * 1000).toFixed(0)} ms`;
  return [
    `${w.nChannels}-channel ROI × ${N_FREQS} freqs × ${w.nTimes.toLocaleString('en')} samples, full z-scored ROI power; ${rounds} rounds.`,
    '',
    '| method | time (median) | paired speedup: median (quartiles) | of the ceiling | peak RSS (median of 3) | vs sequential | bitwise equal |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...Object.entries(methods)
      .map(([name, m]) =>
        [
          name,
          ms(m.medianSeconds),
          m.pairedSpeedup === null ? '1.00×' : `**${m.pairedSpeedup[1].toFixed(2)}×** (${m.pairedSpeedup[0].toFixed(2)}–${m.pairedSpeedup[2].toFixed(2)})`,
          m.ofCeiling === null ? '—' : m.ofCeiling.toFixed(2),
          `${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
          `${m.peakRssRatio.toFixed(2)}×`,
          m.bitwiseEqual ? 'yes' : '**NO**',
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
    '',
    `Parallel ceiling of this machine (bare FFT loop, 2 threads at once vs one, one sample per round): median ${ceiling.median.toFixed(2)}× (${ceiling.min.toFixed(2)}–${ceiling.max.toFixed(2)}×).`,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = benchArgs(
    process.argv.slice(2),
    'usage: node dist/src/bench/parallel-speedup.js [--rounds 20] [--channels 8] [--samples 100000] [--out results/bench-parallel]',
    {
      rounds: positiveInteger(20),
      // The synthetic session has 32 channels.
      channels: { default: '8', check: (v) => (/^[1-9]\d*$/.test(v) && Number(v) <= 32 ? null : `expected an integer from 1 to 32, got '${v}'`) },
      samples: positiveInteger(100_000),
      out: { default: 'results/bench-parallel' },
    },
  );
  const rounds = Number(args.rounds);
  const nChannels = Number(args.channels);
  const nTimes = Number(args.samples);
  const w: Workload = { nChannels, nTimes, roiChannels: Array.from({ length: nChannels }, (_, c) => c), source: { kind: 'synthetic', seed: 42, nChannels: 32, nTimes, nSessions: 1 } };
  const peaks = await measureMemory(w);
  const times = await measureTimes(w, rounds);
  const ceiling = summarizeCeiling(2, times.ceilingSamples);
  const methods = summarize(peaks, times);
  const result = { machine: { ...machineInfo(), parallelCeiling: ceiling }, workload: { nChannels, nFreqs: N_FREQS, freqRange: FREQ_RANGE, nTimes, output: 'full z-scored ROI power' }, rounds, methods };
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, 'bench-parallel.json'), JSON.stringify(result, null, 1) + '\n');
  process.stdout.write(renderTable(w, rounds, methods, ceiling) + '\n');
  if (times.mismatches.length > 0) {
    process.stderr.write(`not bitwise equal to sequential: ${times.mismatches.join(', ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
