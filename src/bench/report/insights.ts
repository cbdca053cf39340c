/**
 * What the measured runs say: best performers, scalability (cost growth per sample and per
 * channel), the smallest problem at which each parallel method beats sequential, and
 * recommendations derived from those numbers (never canned text).
 */
import type { BenchRun } from '../runner.js';
import { chooseStrategy } from '../../compute/plan.js';
import { DEFAULT_MAX_MEMORY_BYTES } from '../../compute/options.js';

/** Runs of one workload and ROI configuration (one sequential reference + its parallel runs). */
export interface RunGroup {
  key: string;
  workload: string;
  roiLabel: string;
  nTimes: number;
  runs: BenchRun[];
}

export function groupRuns(runs: readonly BenchRun[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const r of runs) {
    const key = `${r.workload} · ${r.roiLabel} · ${r.nTimes} samples${r.nSessions > 1 ? ` × ${r.nSessions} sessions` : ''}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { key, workload: r.workload, roiLabel: r.roiLabel, nTimes: r.nTimes, runs: [] };
      groups.set(key, g);
    }
    g.runs.push(r);
  }
  return [...groups.values()];
}

export interface BestPerformers {
  fastest: BenchRun;
  /** Lowest peak RSS among the valid parallel runs (null if none). */
  leanest: BenchRun | null;
}

export function bestPerformers(group: RunGroup): BestPerformers {
  const valid = group.runs.filter((r) => r.valid);
  const pool = valid.length > 0 ? valid : group.runs;
  const fastest = pool.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
  const parallel = valid.filter((r) => r.strategy !== 'sequential');
  const leanest = parallel.length === 0 ? null : parallel.reduce((a, b) => (b.peakRssBytes < a.peakRssBytes ? b : a));
  return { fastest, leanest };
}

/** Sequential cost per time-frequency point, and how time grows with samples and channels. */
export interface Scalability {
  /** Rows: one per (channels, samples) problem with its sequential and best parallel time. */
  rows: { nChannels: number; nTimes: number; nFreqs: number; sequentialSeconds: number; best: string; bestSeconds: number; speedup: number }[];
  /** Sequential ns per (channel × frequency × sample), per problem. */
  nsPerPoint: number[];
  /** Median factor by which sequential time grows per doubling of samples (2.0 = linear). */
  growthPerSampleDoubling: number | null;
  /** Median factor by which sequential time grows per doubling of channels (2.0 = linear). */
  growthPerChannelDoubling: number | null;
}

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function scalability(groups: readonly RunGroup[]): Scalability {
  const rows = groups.map((g) => {
    const seq = g.runs.find((r) => r.strategy === 'sequential')!;
    const best = bestPerformers(g).fastest;
    return {
      nChannels: seq.nChannels,
      nTimes: seq.nTimes,
      nFreqs: seq.nFreqs,
      sequentialSeconds: seq.wallSeconds,
      best: best.method,
      bestSeconds: best.wallSeconds,
      speedup: seq.wallSeconds / best.wallSeconds,
    };
  });
  const growth = (pick: (a: (typeof rows)[number], b: (typeof rows)[number]) => number | null): number | null => {
    const ratios: number[] = [];
    for (const a of rows) {
      for (const b of rows) {
        const doublings = pick(a, b);
        if (doublings !== null && doublings > 0) ratios.push((b.sequentialSeconds / a.sequentialSeconds) ** (1 / doublings));
      }
    }
    return medianOf(ratios);
  };
  return {
    rows,
    nsPerPoint: rows.map((r) => (r.sequentialSeconds * 1e9) / (r.nChannels * r.nFreqs * r.nTimes)),
    growthPerSampleDoubling: growth((a, b) => (a.nChannels === b.nChannels && a.nFreqs === b.nFreqs && b.nTimes > a.nTimes ? Math.log2(b.nTimes / a.nTimes) : null)),
    growthPerChannelDoubling: growth((a, b) => (a.nTimes === b.nTimes && a.nFreqs === b.nFreqs && b.nChannels > a.nChannels ? Math.log2(b.nChannels / a.nChannels) : null)),
  };
}

/**
 * For each parallel method, the smallest measured problem (channels × freqs × samples) at which
 * it beat sequential, or null if it never did.
 */
export function breakEven(groups: readonly RunGroup[]): { method: string; smallestWinningPoints: number | null; measuredSizes: number }[] {
  const byMethod = new Map<string, { points: number; won: boolean }[]>();
  for (const g of groups) {
    for (const r of g.runs) {
      if (r.strategy === 'sequential' || !r.valid) continue;
      const list = byMethod.get(r.method) ?? [];
      list.push({ points: r.nChannels * r.nFreqs * r.nTimes * r.nSessions, won: r.speedup > 1 });
      byMethod.set(r.method, list);
    }
  }
  return [...byMethod.entries()].map(([method, list]) => {
    const wins = list.filter((x) => x.won).map((x) => x.points);
    return { method, smallestWinningPoints: wins.length ? Math.min(...wins) : null, measuredSizes: list.length };
  });
}

/** Recommendations, each computed from the runs. */
export function recommendations(runs: readonly BenchRun[], cores: number): string[] {
  const out: string[] = [];
  const invalid = runs.filter((r) => !r.valid);
  if (invalid.length > 0) {
    out.push(`Do not use ${[...new Set(invalid.map((r) => r.method))].join(', ')}: ${invalid.length} run(s) disagreed with sequential beyond the tolerance.`);
  }
  const groups = groupRuns(runs);
  for (const g of groups) {
    const { fastest, leanest } = bestPerformers(g);
    const seq = g.runs.find((r) => r.strategy === 'sequential')!;
    if (fastest.strategy === 'sequential') {
      out.push(`${g.key}: stay sequential — no parallel method beat ${fmtSeconds(seq.wallSeconds)} on this machine.`);
    } else {
      let line = `${g.key}: use ${fastest.method} (${fmtSeconds(fastest.wallSeconds)}, ${fastest.speedup.toFixed(2)}× sequential, ${fmtBytes(fastest.peakRssBytes)} peak)`;
      if (leanest !== null && leanest.method !== fastest.method && leanest.peakRssBytes < 0.9 * fastest.peakRssBytes) {
        line += `; if memory is tight, ${leanest.method} needs ${fmtBytes(leanest.peakRssBytes)} at ${leanest.speedup.toFixed(2)}×`;
      }
      out.push(line + '.');
    }
    const auto = chooseStrategy(
      { nChannels: seq.nChannels, nFreqs: seq.nFreqs, nTimes: seq.nTimes, nSessions: seq.nSessions, output: seq.nSessions === 1 ? 'roiPower' : 'windows' },
      { jobs: cores, maxMemoryBytes: DEFAULT_MAX_MEMORY_BYTES, callerComputes: true }, // the defaults (threads)
    );
    const autoRuns = g.runs.filter((r) => r.strategy === auto.strategy && (auto.strategy === 'sequential' || r.jobs === cores));
    if (autoRuns.length > 0) {
      const autoBest = autoRuns.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
      const gap = autoBest.wallSeconds / fastest.wallSeconds;
      out.push(
        `${g.key}: the auto rule picks ${auto.strategy} (${auto.reason}); measured ${fmtSeconds(autoBest.wallSeconds)}, ` +
          (gap <= 1.1 ? 'within 10% of the best method.' : `${gap.toFixed(2)}× the best method's time — the rule's thresholds need revisiting.`),
      );
    } else {
      out.push(`${g.key}: the auto rule picks ${auto.strategy} (${auto.reason}), which this run did not measure.`);
    }
  }
  for (const b of breakEven(groups)) {
    if (b.measuredSizes < 2) continue;
    out.push(
      b.smallestWinningPoints === null
        ? `${b.method} never beat sequential in ${b.measuredSizes} measured sizes.`
        : `${b.method} beats sequential from ${b.smallestWinningPoints.toLocaleString('en-US')} time-frequency points on (smallest winning size measured).`,
    );
  }
  return out;
}

export function fmtSeconds(s: number): string {
  return s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(0)} ms`;
}

export function fmtBytes(b: number): string {
  return b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(2)} GiB` : `${(b / 1024 ** 2).toFixed(0)} MiB`;
}
