/**
 * eeg-parallel library API.
 *
 * Shapes are given as (rows, columns) of C-ordered Float64Arrays; times in seconds, frequencies
 * in Hz, power in (recording units)². See README.md for a tour.
 */
export * from './errors.js';
export { VERSION } from './version.js';

// DSP: grids, wavelets, convolution.
export {
  geomspace,
  linspace,
  frequencyGrid,
  cyclesFor,
  validateFreqs,
  DEFAULT_CYCLES,
  type CyclesSpec,
} from './dsp/grid.js';
export { morletWavelet, morletLength, type MorletWavelet } from './dsp/morlet.js';
export {
  createWaveletBank,
  morletPower,
  streamMorletPower,
  type WaveletBank,
  type WaveletBankOptions,
  type WaveletParams,
  type PowerBlockSink,
} from './dsp/convolve.js';

// Analysis.
export {
  resolveRoi,
  parseRoiMap,
  parseElectrodeTable,
  loadDefaultRoiMap,
  loadDefaultElectrodeTable,
  type RoiSpec,
  type ResolvedRoi,
  type RoiMap,
  type ElectrodeTable,
  type RoiTables,
} from './analysis/roi.js';
export { DEFAULT_SFREQ, channelSamples, sizeLabel, type EegMatrix, type SessionData } from './model/session-data.js';
export { validateSessionData } from './analysis/session-checks.js';
export {
  planEventWindows,
  searchSortedLeft,
  type WindowPlan,
  type EventWindow,
  type InvalidEvent,
  type InvalidEventReason,
} from './analysis/events.js';
export { STD_FLOOR } from './compute/channel-power.js';
export {
  computeRoiThetaSpectrogram,
  resolveTfrParams,
  DEFAULT_FREQ_RANGE,
  DEFAULT_N_FREQS,
  type TfrOptions,
  type RoiSpectrogram,
  type RoiSpectrogramOptions,
} from './analysis/roi-spectrogram.js';
export {
  analyzeSession,
  planSessionRun,
  DEFAULT_WINDOW_DURATION,
  type AnalysisOptions,
  type SessionAnalysis,
  type SizeWindows,
} from './analysis/session.js';
export {
  analyzeRat,
  planRatRun,
  crossRatMeans,
  type IndexedSession,
  type RatAnalysis,
  type FailedSession,
  type SizeMean,
  type CrossRatMean,
  type RatMeans,
} from './analysis/rat.js';

export { computeTfrPower, planTfrFileRun, planTfrRun, TFR_PIECE_BYTES, writeTfrPower, type TfrFilePlan } from './analysis/tfr.js';

// Statistics (docs/method.md §8.3).
export { permutationClusterTest, type ClusterTestOptions, type ClusterTestResult, type ClusterTestCluster } from './compute/permutation-runs.js';
export { DEFAULT_N_PERMUTATIONS, DEFAULT_SEED, type ClusterShape, type Tail } from './compute/cluster-test.js';
export { ttest1samp, lstsqSlope, type TTestResult } from './compute/ttest.js';
export { ratStatistics, MIN_RATS, type RatStats, type RatStatsOptions, type StatsRat, type ContrastTest, type ThetaTest, type SkippedTest } from './analysis/rat-stats.js';

// Parallelism.
export {
  resolveParallelOptions,
  availableCores,
  parseByteSize,
  STRATEGIES,
  BACKENDS,
  DEFAULT_MAX_MEMORY_BYTES,
  type Strategy,
  type Backend,
  type ParallelOptions,
  type ResolvedParallelOptions,
} from './compute/options.js';
export {
  planRun,
  chooseStrategy,
  AUTO_MIN_TF_POINTS,
  AUTO_MIN_CHANNELS_PER_JOB,
  type AutoChoice,
  type ProblemSize,
  type RunPlan,
} from './compute/plan.js';
export { shutdownPools } from './engine/pool.js';

// Data.
export { syntheticSession, type SyntheticSessionOptions } from './synthetic/session.js';
export {
  readNpy,
  readNpyFloat64,
  parseNpy,
  npyToFloat64,
  encodeNpy,
  writeNpy,
  NpyFileWriter,
  npyFileBytes,
  type NpyArray,
  type NpyDtype,
} from './io/npy.js';
export {
  openSessionFile,
  type SessionFile,
  type SessionInfo,
  type ArrayRef,
  type OpenSessionFileOptions,
} from './io/session-file.js';
export {
  writeSessionResults,
  writeRatResults,
  writeCrossRatResults,
  readRatResults,
  findRatDirs,
  type RunContext,
  type StoredRat,
} from './results/result-files.js';
