/**
 * One session from an indexed pickle as {@link SessionData}: reads the small arrays fully and only
 * the requested EEG channels, converted to float64 C order.
 */

import type { SessionData } from '../../model/session-data.js';
import { ArrayFormatError, ChannelRangeError, SessionDataError } from '../../errors.js';
import { readArrayFloat64, readRows } from './array-read.js';
import type { ByteSource } from './source.js';
import type { ArrayRef, SessionInfo } from './types.js';

function required(info: SessionInfo, key: string, name: string): ArrayRef {
  const ref = info.arrays[key];
  if (ref === undefined) throw new SessionDataError(`${name}: session ${info.index}: missing array '${key}'`);
  return ref;
}

/**
 * Reads session `info` from `src`.
 * @param channels recording channel indices to load (rows of the result, in this order); all when omitted
 * @throws SessionDataError / ArrayFormatError for a session recorded as unreadable in the index,
 *   ChannelRangeError for a channel index outside 0…nChannels−1
 */
export async function readSessionData(src: ByteSource, info: SessionInfo, channels?: readonly number[]): Promise<SessionData> {
  const name = src.name;
  if (info.problem !== undefined) {
    throw info.problem.kind === 'array-format' ? new ArrayFormatError(info.problem.message) : new SessionDataError(info.problem.message);
  }
  const rows = channels ?? Array.from({ length: info.nChannels }, (_, i) => i);
  for (const c of rows) {
    if (!Number.isInteger(c) || c < 0 || c >= info.nChannels) {
      throw new ChannelRangeError(
        `channel ${c} is out of range for session ${info.index} (rat ${info.ratId}, ${info.sessionDate}) of ${name}: ` +
          `it has ${info.nChannels} channels (valid 0–${info.nChannels - 1})`,
      );
    }
  }
  const tag = (key: string): string => `session ${info.index} '${key}'`;
  const [eegTime, nmPeakTimes, nmSizes] = await Promise.all(
    (['eeg_time', 'nm_peak_times', 'nm_sizes'] as const).map((k) => readArrayFloat64(src, required(info, k, name), tag(k))),
  );
  const eeg = await readRows(src, required(info, 'eeg', name), rows, tag('eeg'));
  // ITI control events are optional: sessions without them analyse NM events only.
  const itiRefs = [info.arrays['iti_peak_times'], info.arrays['iti_sizes']];
  const [itiPeakTimes, itiSizes] =
    itiRefs[0] !== undefined && itiRefs[1] !== undefined
      ? await Promise.all([readArrayFloat64(src, itiRefs[0], tag('iti_peak_times')), readArrayFloat64(src, itiRefs[1], tag('iti_sizes'))])
      : [undefined, undefined];
  const out: SessionData = {
    ratId: info.ratId,
    sessionDate: info.sessionDate,
    nChannels: info.nChannels,
    nTimes: info.nTimes,
    eeg,
    sfreq: info.sfreq,
    eegTime: eegTime as Float64Array,
    nmPeakTimes: nmPeakTimes as Float64Array,
    nmSizes: nmSizes as Float64Array,
  };
  if (itiPeakTimes !== undefined && itiSizes !== undefined) {
    out.itiPeakTimes = itiPeakTimes as Float64Array;
    out.itiSizes = itiSizes as Float64Array;
  }
  if (channels !== undefined) out.loadedChannels = [...channels];
  if (info.filePath !== null) out.filePath = info.filePath;
  return out;
}
