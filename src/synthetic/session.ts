/**
 * Seeded synthetic sessions (docs/method.md §7): the same seed gives the same bytes on every machine.
 * We use pure-rand's xoroshiro128+ (the generator behind fast-check) rather than Math.random,
 * which cannot be seeded.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { totalmem } from 'node:os';
import { formatBytes, InvalidParameterError } from '../errors.js';
import { DEFAULT_SFREQ, type SessionData } from '../model/session-data.js';

/** Options of {@link syntheticSession}. */
export interface SyntheticSessionOptions {
  /** Seed (integer); default 42. */
  seed?: number;
  /** Channels, default 8. */
  nChannels?: number;
  /** Samples per channel, default 20,000. */
  nTimes?: number;
  /** Hz, default 200. */
  sfreq?: number;
  /** NM events, default 50, uniform in [10 s, T − 10 s] (clamped for short sessions). */
  nEvents?: number;
  /** ITI control events, default as many as NM events, at uniform times, with no burst. */
  nItiEvents?: number;
  /** Add a theta burst after each event, growing with its size (default false). */
  thetaBursts?: boolean;
  /** Default "9151" (a rat of the lab's electrode table). */
  ratId?: string;
  /** Default "000000". */
  sessionDate?: string;
}

/** Theta burst: 6 Hz, Gaussian envelope centred 0.25 s after the event, σ = 0.1 s. */
export const BURST_FREQ = 6;
export const BURST_DELAY = 0.25;
export const BURST_SIGMA = 0.1;

function checkInt(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidParameterError(`${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/**
 * A synthetic session: per channel `0.5·sin(2π·4t) + 0.3·sin(2π·8t) + 0.2·sin(2π·15t) + 0.1·noise`
 * (standard normal noise, independent per channel), event times sorted ascending with sizes
 * drawn from {1, 2, 3}, and as many ITI control events drawn the same way; with `thetaBursts`, `0.4·size·sin(2π·6(t − t_e))·exp(−(t − t_e − 0.25)²/(2·0.1²))`
 * is added to every channel after each event t_e.
 */
export function syntheticSession(options: SyntheticSessionOptions = {}): SessionData {
  const seed = options.seed ?? 42;
  const nChannels = checkInt('nChannels', options.nChannels ?? 8, 1);
  const nTimes = checkInt('nTimes', options.nTimes ?? 20_000, 1);
  const nEvents = checkInt('nEvents', options.nEvents ?? 50, 0);
  const nItiEvents = checkInt('nItiEvents', options.nItiEvents ?? nEvents, 0);
  const bytes = (nChannels + 2) * nTimes * Float64Array.BYTES_PER_ELEMENT;
  if (bytes > totalmem() / 2) {
    throw new InvalidParameterError(`a session of ${nChannels} channels × ${nTimes} samples needs ${formatBytes(bytes)}, more than half this machine's memory`);
  }
  const sfreq = options.sfreq ?? DEFAULT_SFREQ;
  if (!Number.isFinite(sfreq) || sfreq <= 0) throw new InvalidParameterError(`sfreq must be > 0, got ${sfreq}`);
  if (!Number.isInteger(seed)) throw new InvalidParameterError(`seed must be an integer, got ${seed}`);
  const rng = xoroshiro128plus(seed);

  const eegTime = new Float64Array(nTimes);
  for (let i = 0; i < nTimes; i++) eegTime[i] = i / sfreq;
  const duration = eegTime[nTimes - 1]!;

  const margin = Math.min(10, duration / 4);
  const times = Array.from({ length: nEvents }, () => margin + uniformFloat64(rng) * (duration - 2 * margin));
  times.sort((a, b) => a - b);
  const nmPeakTimes = Float64Array.from(times);
  const nmSizes = Float64Array.from(times, () => 1 + Math.floor(uniformFloat64(rng) * 3));

  const base = new Float64Array(nTimes);
  for (let i = 0; i < nTimes; i++) {
    const t = eegTime[i]!;
    base[i] = 0.5 * Math.sin(2 * Math.PI * 4 * t) + 0.3 * Math.sin(2 * Math.PI * 8 * t) + 0.2 * Math.sin(2 * Math.PI * 15 * t);
  }
  if (options.thetaBursts) {
    const reach = BURST_DELAY + 5 * BURST_SIGMA;
    nmPeakTimes.forEach((te, e) => {
      const amplitude = 0.4 * nmSizes[e]!;
      const from = Math.max(0, Math.ceil(te * sfreq));
      const to = Math.min(nTimes, Math.floor((te + reach) * sfreq) + 1);
      for (let i = from; i < to; i++) {
        const dt = eegTime[i]! - te;
        const g = Math.exp(-((dt - BURST_DELAY) ** 2) / (2 * BURST_SIGMA ** 2));
        base[i] = base[i]! + amplitude * Math.sin(2 * Math.PI * BURST_FREQ * dt) * g;
      }
    });
  }

  // Shared memory from the start: worker threads read it without a copy.
  const eeg = new Float64Array(new SharedArrayBuffer(nChannels * nTimes * Float64Array.BYTES_PER_ELEMENT));
  for (let c = 0; c < nChannels; c++) {
    const row = c * nTimes;
    for (let i = 0; i < nTimes; i += 2) {
      // Box–Muller: two independent standard normals per pair of uniforms.
      const u1 = 1 - uniformFloat64(rng);
      const u2 = uniformFloat64(rng);
      const r = Math.sqrt(-2 * Math.log(u1));
      eeg[row + i] = base[i]! + 0.1 * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < nTimes) eeg[row + i + 1] = base[i + 1]! + 0.1 * r * Math.sin(2 * Math.PI * u2);
    }
  }

  // Drawn last, so that the EEG and the NM events are the same with or without them.
  const itiTimes = Array.from({ length: nItiEvents }, () => margin + uniformFloat64(rng) * (duration - 2 * margin)).sort((a, b) => a - b);
  const itiPeakTimes = Float64Array.from(itiTimes);
  const itiSizes = Float64Array.from(itiTimes, () => 1 + Math.floor(uniformFloat64(rng) * 3));

  return {
    ratId: options.ratId ?? '9151',
    sessionDate: options.sessionDate ?? '000000',
    nChannels,
    nTimes,
    eeg,
    eegTime,
    sfreq,
    nmPeakTimes,
    nmSizes,
    itiPeakTimes,
    itiSizes,
  };
}
