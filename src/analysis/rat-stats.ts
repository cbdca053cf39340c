/**
 * Cross-rat statistics (docs/method.md §8.3): rats are the observations. Per ROI, the
 * cluster-based permutation test of each contrast of the rats' mean spectrograms, and one-sample
 * t tests of the rats' theta scalars per events kind and size, and of their trend over the sizes
 * 1, 2, 3. Pure data in, results out: the rats' means as read back, no file is read or written.
 */
import { permutationClusterTest, type ClusterTestOptions, type ClusterTestResult } from '../compute/permutation-runs.js';
import type { Tail } from '../compute/cluster-test.js';
import { lstsqSlope, ttest1samp } from '../compute/ttest.js';
import { InvalidParameterError } from '../errors.js';
import { sizeLabel } from '../model/session-data.js';
import { EVENT_KINDS, type EventKind } from './events.js';
import type { RatGroups } from './rat.js';
import { thetaOf, type ThetaSelection } from './theta.js';

/** Fewest rats a test is run on (the cluster test's minimum; the t tests keep to it too). */
export const MIN_RATS = 3;
/** The sizes of the theta trend test. */
export const TREND_SIZES: readonly number[] = [1, 2, 3];

/** A contrast's events: one kind, or each rat's NM mean minus its ITI mean. */
export type ContrastEvents = EventKind | 'nm-iti';

/** One rat's pooled means as the statistics read them (a StoredRat fits). */
export interface StatsRat extends RatGroups {
  /** Hz, (n_freqs,). */
  freqs: Float64Array;
  /** s, (window_samples,). */
  windowTimes: Float64Array;
}

/**
 * Options of {@link ratStatistics}: the cluster test's ({@link permutationClusterTest}; the
 * default threshold is MNE's, from each contrast's number of rats).
 */
export interface RatStatsOptions extends ClusterTestOptions {
  /** Called after each cluster test (progress). */
  onTest?: (test: ContrastTest) => void;
}

/** A term of a contrast: a rat's mean of one events kind and size. */
interface Term {
  events: EventKind;
  size: number;
}

/** A contrast: `plus` (minus `minus`) per rat. */
interface ContrastSpec {
  events: ContrastEvents;
  contrast: string;
  plus: Term;
  minus: Term | null;
}

/** One cluster test: an ROI's contrast over the rats that have every term. */
export interface ContrastTest {
  roi: string;
  roiLabel: string;
  events: ContrastEvents;
  /** `size_<s>`, `nm-iti_size_<s>` or `size_3-size_1`. */
  contrast: string;
  /** Rat ids, in input order: the observations of X. */
  rats: string[];
  /** Mean over the rats of their contrast maps, (n_freqs × window_samples). */
  mean: Float64Array;
  result: ClusterTestResult;
}

/** A test not run: too few rats have its terms. */
export interface SkippedTest {
  kind: 'cluster' | 'theta';
  roi: string;
  events: ContrastEvents;
  contrast: string;
  nRats: number;
  reason: string;
}

/** Mean and SE (std with ddof 1 / √n) of values, summed in order. */
export interface MeanSe {
  mean: number;
  se: number;
}

/** A t test of the rats' theta scalars of one ROI, events kind and size against 0. */
export interface ThetaSizeTest extends MeanSe {
  kind: 'size';
  roi: string;
  events: EventKind;
  /** `size_<s>`. */
  contrast: string;
  size: number;
  rats: string[];
  /** Each rat's theta scalar, in `rats` order. */
  values: number[];
  t: number;
  df: number;
  p: number;
}

/** The trend test: the rats' least-squares slopes of theta over sizes 1, 2, 3 against 0. */
export interface ThetaTrendTest extends MeanSe {
  kind: 'trend';
  roi: string;
  events: EventKind;
  contrast: 'trend';
  sizes: number[];
  rats: string[];
  /** Each rat's slope (theta per size step), in `rats` order; mean and SE are theirs. */
  slopes: number[];
  t: number;
  df: number;
  p: number;
}

export type ThetaTest = ThetaSizeTest | ThetaTrendTest;

/** What {@link ratStatistics} returns. */
export interface RatStats {
  /** Rat ids, in input order. */
  rats: string[];
  freqs: Float64Array;
  windowTimes: Float64Array;
  tail: Tail;
  /** Per ROI (in the order the rats list them), its contrasts in {@link contrastsOf}'s order. */
  tests: ContrastTest[];
  /** Per ROI, per events kind: the size tests, then the trend test; empty without a theta selection. */
  theta: ThetaTest[];
  skipped: SkippedTest[];
}

const termName = (t: Term): string => `${t.events} size ${sizeLabel(t.size)}`;

/**
 * The contrasts of an ROI whose rats hold `groups` (events kind and size pairs): `size_<s>` per NM
 * size, `nm-iti_size_<s>` per NM size with ITI events of that size, `size_3-size_1` when sizes 1
 * and 3 exist.
 */
function contrastsOf(groups: readonly Term[]): ContrastSpec[] {
  const sizes = (events: EventKind) => [...new Set(groups.filter((g) => g.events === events).map((g) => g.size))].sort((a, b) => a - b);
  const nm = sizes('nm');
  const iti = new Set(sizes('iti'));
  return [
    ...nm.map((size) => ({ events: 'nm' as const, contrast: `size_${sizeLabel(size)}`, plus: { events: 'nm' as const, size }, minus: null })),
    ...nm
      .filter((s) => iti.has(s))
      .map((size) => ({ events: 'nm-iti' as const, contrast: `nm-iti_size_${sizeLabel(size)}`, plus: { events: 'nm' as const, size }, minus: { events: 'iti' as const, size } })),
    ...(nm.includes(1) && nm.includes(3) ? [{ events: 'nm' as const, contrast: 'size_3-size_1', plus: { events: 'nm' as const, size: 3 }, minus: { events: 'nm' as const, size: 1 } }] : []),
  ];
}

/** Mean and SE of values (the order of `meanAndSe` in the result files: added in order). */
function meanSe(values: readonly number[]): MeanSe {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, se: Math.sqrt(variance / n) };
}

/**
 * Checks the rats before any test: at least {@link MIN_RATS}, every rat with the first rat's
 * frequencies and window times, every ROI mean of n_freqs × window_samples finite values.
 *
 * @throws InvalidParameterError naming the rat (and ROI and group)
 */
export function validateStatsRats(rats: readonly StatsRat[]): void {
  if (rats.length < MIN_RATS) throw new InvalidParameterError(`statistics need at least ${MIN_RATS} rats (rats are the observations), got ${rats.length}`);
  const first = rats[0]!;
  const ids = new Set<string>();
  for (const r of rats) {
    if (ids.has(r.ratId)) throw new InvalidParameterError(`rat ${r.ratId} is given twice`);
    ids.add(r.ratId);
    const sameFreqs = r.freqs.length === first.freqs.length && r.freqs.every((f, i) => f === first.freqs[i]);
    const sameTimes = r.windowTimes.length === first.windowTimes.length && r.windowTimes.every((t, i) => t === first.windowTimes[i]);
    if (!sameFreqs || !sameTimes) {
      throw new InvalidParameterError(
        `rat ${r.ratId} was analysed with other ${sameFreqs ? 'windows' : 'frequencies'} than rat ${first.ratId} ` +
          `(${r.freqs.length} × ${r.windowTimes.length} vs ${first.freqs.length} × ${first.windowTimes.length}); cannot test them together`,
      );
    }
    const size = first.freqs.length * first.windowTimes.length;
    for (const roi of r.rois) {
      for (const g of roi.groups) {
        const what = `rat ${r.ratId}, ROI ${roi.key}, ${termName({ events: g.events ?? 'nm', size: g.size })}`;
        if (g.mean.length !== size) {
          throw new InvalidParameterError(`${what}: the mean has ${g.mean.length} values, expected n_freqs × window_samples = ${first.freqs.length} × ${first.windowTimes.length}`);
        }
        const bad = g.mean.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) {
          const nT = first.windowTimes.length;
          throw new InvalidParameterError(`${what}: the mean has a non-finite value (${g.mean[bad]}) at frequency ${Math.floor(bad / nT)}, time ${bad % nT}`);
        }
      }
    }
  }
}

/** Checks the cluster options once, before any test (as validateClusterTest does per test). */
function validateOptions(options: RatStatsOptions): void {
  const tail = options.tail ?? 0;
  if (tail !== 0 && tail !== 1 && tail !== -1) throw new InvalidParameterError(`tail must be -1, 0 or 1, got ${String(tail)}`);
  const t = options.threshold;
  if (t !== undefined && (!Number.isFinite(t) || (tail === -1 ? !(t < 0) : !(t > 0)))) {
    throw new InvalidParameterError(`threshold ${t} has the wrong sign for tail ${tail}: it must be ${tail === -1 ? 'negative' : 'positive'}`);
  }
}

type Groups = RatGroups['rois'][number]['groups'];
const findGroup = (groups: Groups, t: Term) => groups.find((g) => (g.events ?? 'nm') === t.events && g.size === t.size);

/**
 * Runs every test on the rats' ROI means (the electrodes are not tested): per ROI, the cluster
 * test of each contrast ({@link contrastsOf}) on X (n_rats, n_freqs, window_samples) of the rats
 * that have every term, in rat order; with a theta selection, per ROI and events kind the t test of
 * the rats' theta per size and of their slopes over sizes 1, 2, 3. A test with fewer than
 * {@link MIN_RATS} rats is skipped and listed.
 *
 * @throws InvalidParameterError for fewer than 3 rats, rats of other frequencies or windows, a
 *   mean of the wrong length or with a non-finite value, or bad options
 */
export async function ratStatistics(rats: readonly StatsRat[], theta: ThetaSelection | null, options: RatStatsOptions = {}): Promise<RatStats> {
  validateStatsRats(rats);
  validateOptions(options);
  const { freqs, windowTimes } = rats[0]!;
  const nFreqs = freqs.length;
  const nTimes = windowTimes.length;
  const size = nFreqs * nTimes;
  const roiKeys = [...new Set(rats.flatMap((r) => r.rois.map((x) => x.key)))];
  const tests: ContrastTest[] = [];
  const thetaTests: ThetaTest[] = [];
  const skipped: SkippedTest[] = [];
  const tooFew = (n: number, terms: string): string => `${n === 0 ? 'no rat has' : n === 1 ? 'only 1 rat has' : `only ${n} rats have`} ${terms}; at least ${MIN_RATS} needed`;

  for (const key of roiKeys) {
    const having = rats.flatMap((r) => r.rois.filter((x) => x.key === key).map((x) => ({ ratId: r.ratId, groups: x.groups, label: x.label })));
    const roiLabel = having[0]!.label;
    const terms = having.flatMap((h) => h.groups.map((g) => ({ events: g.events ?? 'nm', size: g.size })));

    for (const spec of contrastsOf(terms)) {
      const members = having.flatMap((h) => {
        const plus = findGroup(h.groups, spec.plus);
        const minus = spec.minus === null ? null : findGroup(h.groups, spec.minus);
        return plus === undefined || minus === undefined ? [] : [{ ratId: h.ratId, plus: plus.mean, minus: minus?.mean ?? null }];
      });
      const n = members.length;
      if (n < MIN_RATS) {
        const what = spec.minus === null ? termName(spec.plus) : `both ${termName(spec.plus)} and ${termName(spec.minus)}`;
        skipped.push({ kind: 'cluster', roi: key, events: spec.events, contrast: spec.contrast, nRats: n, reason: tooFew(n, what) });
        continue;
      }
      const X = new Float64Array(n * size);
      members.forEach((m, i) => {
        const row = X.subarray(i * size, (i + 1) * size);
        if (m.minus === null) row.set(m.plus);
        else for (let j = 0; j < size; j++) row[j] = m.plus[j]! - m.minus[j]!;
      });
      const mean = new Float64Array(size);
      for (let i = 0; i < n; i++) for (let j = 0; j < size; j++) mean[j] = mean[j]! + X[i * size + j]!;
      for (let j = 0; j < size; j++) mean[j] = mean[j]! / n;
      const result = await permutationClusterTest(X, { nObservations: n, nFreqs, nTimes }, {
        ...(options.threshold !== undefined && { threshold: options.threshold }),
        ...(options.tail !== undefined && { tail: options.tail }),
        ...(options.nPermutations !== undefined && { nPermutations: options.nPermutations }),
        ...(options.seed !== undefined && { seed: options.seed }),
        ...(options.jobs !== undefined && { jobs: options.jobs }),
        ...(options.backend !== undefined && { backend: options.backend }),
        ...(options.batchSize !== undefined && { batchSize: options.batchSize }),
      });
      const test: ContrastTest = { roi: key, roiLabel, events: spec.events, contrast: spec.contrast, rats: members.map((m) => m.ratId), mean, result };
      tests.push(test);
      options.onTest?.(test);
    }

    if (theta === null) continue;
    for (const events of EVENT_KINDS) {
      const sizes = [...new Set(terms.filter((t) => t.events === events).map((t) => t.size))].sort((a, b) => a - b);
      if (sizes.length === 0) continue;
      const thetaOfRat = (groups: Groups, s: number): number | undefined => {
        const g = findGroup(groups, { events, size: s });
        return g === undefined ? undefined : thetaOf(g.mean, nTimes, theta);
      };
      for (const s of sizes) {
        const members = having.flatMap((h) => {
          const v = thetaOfRat(h.groups, s);
          return v === undefined ? [] : [{ ratId: h.ratId, v }];
        });
        const contrast = `size_${sizeLabel(s)}`;
        if (members.length < MIN_RATS) {
          skipped.push({ kind: 'theta', roi: key, events, contrast, nRats: members.length, reason: tooFew(members.length, termName({ events, size: s })) });
          continue;
        }
        const values = members.map((m) => m.v);
        const t = ttest1samp(Float64Array.from(values));
        thetaTests.push({ kind: 'size', roi: key, events, contrast, size: s, rats: members.map((m) => m.ratId), values, ...meanSe(values), ...t });
      }
      if (!TREND_SIZES.every((s) => sizes.includes(s))) continue;
      const xs = Float64Array.from(TREND_SIZES);
      const members = having.flatMap((h) => {
        const ys = TREND_SIZES.map((s) => thetaOfRat(h.groups, s));
        return ys.some((y) => y === undefined) ? [] : [{ ratId: h.ratId, slope: lstsqSlope(xs, Float64Array.from(ys as number[])) }];
      });
      if (members.length < MIN_RATS) {
        skipped.push({ kind: 'theta', roi: key, events, contrast: 'trend', nRats: members.length, reason: tooFew(members.length, `${events} sizes ${TREND_SIZES.join(', ')}`) });
        continue;
      }
      const slopes = members.map((m) => m.slope);
      const t = ttest1samp(Float64Array.from(slopes));
      thetaTests.push({ kind: 'trend', roi: key, events, contrast: 'trend', sizes: [...TREND_SIZES], rats: members.map((m) => m.ratId), slopes, ...meanSe(slopes), ...t });
    }
  }
  return { rats: rats.map((r) => r.ratId), freqs, windowTimes, tail: options.tail ?? 0, tests, theta: thetaTests, skipped };
}
