/**
 * Checks of a session before it is analysed: shapes, the time axis and its rate, finite and
 * non-constant samples in the used channels. The finite and ordering scans run in the WebAssembly
 * kernel: fast even before V8 would optimise a loop.
 */
import { morletKernel } from '../dsp/kernel.js';
import { NonFiniteDataError, SessionDataError } from '../errors.js';
import { channelSamples, sessionSfreq, type EegMatrix, type SessionData } from '../model/session-data.js';

/**
 * Relative disagreement between the sampling rate and the spacing of eeg_time above which a
 * session is refused: 1 %, 2 Hz at the lab's 200 Hz (a recorder's clock drifts by far less; a
 * session written at another rate, e.g. 333.3 Hz, by far more).
 */
const RATE_TOLERANCE = 0.01;

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
  checkTimeAxisRate(session);
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

/**
 * The rate the time axis is sampled at, (n_times − 1) / (t_last − t_first), must be the rate the
 * session is analysed at (its own `sfreq`, or the default): wavelets and window lengths are built
 * for that rate, so a session recorded at another rate would be analysed wrongly without a word.
 *
 * @throws SessionDataError naming both rates
 */
function checkTimeAxisRate(session: SessionData): void {
  const n = session.eegTime.length;
  if (n < 2) return;
  const timeRate = (n - 1) / (session.eegTime[n - 1]! - session.eegTime[0]!);
  const sfreq = sessionSfreq(session);
  if (Math.abs(timeRate - sfreq) > RATE_TOLERANCE * sfreq) {
    const given = session.sfreq === undefined ? `the default rate of ${sfreq} Hz (the session gives no sfreq)` : `its sfreq of ${sfreq} Hz`;
    throw new SessionDataError(
      `eeg_time is sampled at ${Number(timeRate.toPrecision(6))} Hz but the session would be analysed at ${given}; ` +
        'expected eeg_time spaced at 1/sfreq (give the session its sfreq)',
    );
  }
}

/**
 * The channels (of those given, in that order) whose samples all have one value, with that value:
 * a flat or disconnected electrode. Its power has no time course (only the wavelet's edge effects),
 * so z-scores and baseline statistics made of it are meaningless: the baseline means of its
 * events are all equal, and dividing by their std of ~1e-17 gives values of 1e5 to 1e14.
 */
export function flatChannels(session: EegMatrix, channels: readonly number[]): { channel: number; value: number }[] {
  const flat: { channel: number; value: number }[] = [];
  for (const c of channels) {
    const x = channelSamples(session, c);
    const v = x[0]!;
    let i = 1;
    while (i < x.length && x[i] === v) i++;
    if (i === x.length) flat.push({ channel: c, value: v });
  }
  return flat;
}
