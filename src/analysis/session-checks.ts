/**
 * Checks of a session before it is analysed: shapes, the time axis, finite samples in the used
 * channels. The scans run in the WebAssembly kernel: fast even before V8 would optimise a loop.
 */
import { morletKernel } from '../dsp/kernel.js';
import { NonFiniteDataError, SessionDataError } from '../errors.js';
import { channelSamples, type EegMatrix, type SessionData } from '../model/session-data.js';

/**
 * Checks the shapes and the time axis of a session.
 * @throws SessionDataError for eeg/eeg_time length mismatch, non-finite or non-increasing times,
 *   or an EEG buffer whose size does not match its shape
 */
export function validateSessionData(session: SessionData): void {
  const { nChannels, nTimes, eeg, eegTime } = session;
  if (!Number.isInteger(nChannels) || nChannels < 1 || !Number.isInteger(nTimes) || nTimes < 1) {
    throw new SessionDataError(`eeg shape (${nChannels}, ${nTimes}) is invalid; expected (n_channels >= 1, n_times >= 1)`);
  }
  const rows = session.loadedChannels?.length ?? nChannels;
  if (eeg.length !== rows * nTimes) {
    throw new SessionDataError(`eeg holds ${eeg.length} values; expected ${rows} rows × ${nTimes} samples`);
  }
  if (eegTime.length !== nTimes) {
    throw new SessionDataError(
      `eeg_time has ${eegTime.length} samples but eeg has ${nTimes}; expected one time per EEG sample`,
    );
  }
  const i = morletKernel().firstNotIncreasing(eegTime);
  if (i >= 0) {
    const t = eegTime[i]!;
    if (!Number.isFinite(t)) throw new SessionDataError(`eeg_time[${i}] is ${t}; expected finite times in seconds`);
    throw new SessionDataError(`eeg_time is not strictly increasing at sample ${i} (${eegTime[i - 1]} then ${t})`);
  }
  if (session.nmPeakTimes.length !== session.nmSizes.length) {
    throw new SessionDataError(
      `nm_peak_times has ${session.nmPeakTimes.length} events but nm_sizes has ${session.nmSizes.length}`,
    );
  }
}

/**
 * Throws NonFiniteDataError naming the first channel (in the order given) and sample holding NaN/±Inf.
 * @param channels recording channel indices to check
 */
export function assertFiniteChannels(session: EegMatrix, channels: readonly number[]): void {
  for (const c of channels) {
    const x = channelSamples(session, c);
    const i = morletKernel().firstNonFinite(x);
    if (i >= 0) throw new NonFiniteDataError(c, i, x[i]!);
  }
}
