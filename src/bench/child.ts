/**
 * Runs and measures ONE benchmark configuration in a fresh process, so that its peak memory and
 * CPU time are its own. Usage (internal): `node child.js CONFIG.json`; prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { analyzeRat } from '../analysis/rat.js';
import { computeRoiThetaSpectrogram } from '../analysis/roi-spectrogram.js';
import type { SessionData } from '../model/session-data.js';
import { writeNpy } from '../io/npy.js';
import { closeSessionFiles, loadSessionRef } from '../io/session-refs.js';
import { shutdownPools } from '../engine/pool.js';
import { syntheticSession } from '../synthetic/session.js';
import { parallelOptionsOf, type RunConfig } from './config.js';
import { measure } from './measure.js';

/** What the child reports. */
export interface ChildReport {
  measurement: Awaited<ReturnType<typeof measure>>;
  /** Shape of the result array written to config.outputPath. */
  shape: number[];
}

async function loadSessions(config: RunConfig): Promise<SessionData[]> {
  const source = config.source;
  if (source.kind === 'pickle') {
    return [await loadSessionRef({ index: source.session, file: { path: source.path, channels: config.roiChannels, nTimes: source.nTimes } })];
  }
  return Array.from({ length: source.nSessions }, (_, i) =>
    syntheticSession({
      seed: source.seed + i,
      nChannels: source.nChannels,
      nTimes: source.nTimes,
      thetaBursts: true,
      ...(source.sfreq !== undefined && { sfreq: source.sfreq }),
    }),
  );
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as RunConfig;
  const sessions = await loadSessions(config);
  await closeSessionFiles();
  const parallel = parallelOptionsOf(config);
  const tfr = { nFreqs: config.nFreqs, freqRange: config.freqRange };
  let result: { data: Float64Array; shape: number[] } | null = null;

  const run =
    sessions.length === 1
      ? async (): Promise<void> => {
          const r = await computeRoiThetaSpectrogram(sessions[0]!, config.roiChannels, { ...tfr, ...parallel });
          result = { data: r.roiPower, shape: [r.freqs.length, sessions[0]!.nTimes] };
        }
      : async (): Promise<void> => {
          const r = await analyzeRat(
            sessions[0]!.ratId,
            sessions.map((session, index) => ({ index, session })),
            { ...tfr, ...parallel, roi: { channels: config.roiChannels } },
          );
          // All per-size mean spectrograms, stacked: (n_sizes, n_freqs, window_samples).
          const data = new Float64Array(r.sizes.reduce((n, s) => n + s.mean.length, 0));
          let offset = 0;
          for (const s of r.sizes) {
            data.set(s.mean, offset);
            offset += s.mean.length;
          }
          result = { data, shape: [r.sizes.length, r.freqs.length, r.windowSamples] };
        };

  const measurement = await measure(run, config.warmup, config.repeats);
  const final = result as { data: Float64Array; shape: number[] } | null;
  if (final === null) throw new Error('benchmark run produced no result');
  await writeNpy(config.outputPath, final.data, final.shape);
  await shutdownPools();
  const report: ChildReport = { measurement, shape: final.shape };
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
