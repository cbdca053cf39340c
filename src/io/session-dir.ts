/**
 * A session stored as a directory of .npy files — the plain-numpy alternative to the lab's pickle:
 * `eeg.npy` (n_channels, n_times) any numeric dtype, C or Fortran order; `eeg_time.npy` (n_times,)
 * or (1, n_times); `nm_peak_times.npy`, `nm_sizes.npy` (n_events,); optional ITI control events
 * `iti_peak_times.npy`, `iti_sizes.npy` (n_iti,); optional `meta.json` {"rat_id", "session_date",
 * "sfreq"}. Written by `np.save` in a few lines of Python.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sizeLabel, type SessionData } from '../model/session-data.js';
import { ChannelRangeError, EegParallelError, SessionDataError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { readNpyFloat64, writeNpy } from './npy.js';
import type { SessionFile } from './session-source.js';
import type { SessionInfo } from './pickle/types.js';

interface Meta {
  rat_id?: unknown;
  session_date?: unknown;
  sfreq?: unknown;
}

/** A text field of meta.json: a string or a number, '' when absent. */
function metaText(value: unknown, key: string, dir: string): string {
  if (value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new SessionDataError(`${join(dir, 'meta.json')}: ${key} must be a string or a number, got ${JSON.stringify(value)}`);
}

const REQUIRED = ['eeg.npy', 'eeg_time.npy', 'nm_peak_times.npy', 'nm_sizes.npy'];

/** Opens a session directory as a one-session {@link SessionFile}. */
export function openSessionDirectory(dir: string): SessionFile {
  const missing = REQUIRED.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new SessionDataError(`session directory '${dir}' lacks ${missing.join(', ')}; expected ${REQUIRED.join(', ')} (+ optional meta.json)`);
  }
  let meta: Meta = {};
  if (existsSync(join(dir, 'meta.json'))) {
    try {
      meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
    } catch (e) {
      throw new SessionDataError(`${join(dir, 'meta.json')} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const sfreq = meta.sfreq === undefined ? 200 : Number(meta.sfreq);
  if (!(sfreq > 0)) throw new SessionDataError(`${join(dir, 'meta.json')}: sfreq ${String(meta.sfreq)} must be a number > 0`);
  const eeg = readNpyFloat64(join(dir, 'eeg.npy'), { minDims: 2, maxDims: 2 });
  const [nChannels, nTimes] = eeg.shape as [number, number];
  const eegTime = readNpyFloat64(join(dir, 'eeg_time.npy'), { minDims: 1, maxDims: 2 }).data;
  const nmPeakTimes = readNpyFloat64(join(dir, 'nm_peak_times.npy'), { minDims: 1, maxDims: 2 }).data;
  const nmSizes = readNpyFloat64(join(dir, 'nm_sizes.npy'), { minDims: 1, maxDims: 2 }).data;
  const hasIti = existsSync(join(dir, 'iti_peak_times.npy')) && existsSync(join(dir, 'iti_sizes.npy'));
  const itiPeakTimes = hasIti ? readNpyFloat64(join(dir, 'iti_peak_times.npy'), { minDims: 1, maxDims: 2 }).data : undefined;
  const itiSizes = hasIti ? readNpyFloat64(join(dir, 'iti_sizes.npy'), { minDims: 1, maxDims: 2 }).data : undefined;
  const nEvents: Record<string, number> = {};
  for (const s of nmSizes) nEvents[sizeLabel(s)] = (nEvents[sizeLabel(s)] ?? 0) + 1;
  const info: SessionInfo = {
    index: 0,
    ratId: metaText(meta.rat_id, 'rat_id', dir),
    sessionDate: metaText(meta.session_date, 'session_date', dir),
    nChannels,
    nTimes,
    sfreq,
    nEvents,
    durationSeconds: nTimes / sfreq,
    filePath: dir,
    arrays: {},
    keys: ['eeg', 'eeg_time', 'nm_peak_times', 'nm_sizes', ...(hasIti ? ['iti_peak_times', 'iti_sizes'] : [])],
    unsupported: {},
  };
  const sessions = [info];
  return {
    path: dir,
    sessions,
    fromCache: false,
    ratIds: () => (info.ratId === '' ? [] : [info.ratId]),
    sessionsOfRat(ratId: string): SessionInfo[] {
      if (ratId !== info.ratId) throw new EegParallelError('unknown-rat', `rat '${ratId}' has no session in ${dir}; rats present: ${info.ratId || 'none'}`);
      return sessions;
    },
    async readSession(index: number, options: { channels?: readonly number[] } = {}): Promise<SessionData> {
      if (index !== 0) throw new EegParallelError('session-index', `session ${index} is out of range: ${dir} holds one session (0)`);
      const channels = options.channels ?? [...Array(nChannels).keys()];
      const rows = new Float64Array(new SharedArrayBuffer(channels.length * nTimes * 8));
      channels.forEach((c, r) => {
        if (!Number.isInteger(c) || c < 0 || c >= nChannels) {
          throw new ChannelRangeError(`channel ${c} is out of range for ${dir}: it has ${nChannels} channels (valid 0–${nChannels - 1})`);
        }
        rows.set(eeg.data.subarray(c * nTimes, (c + 1) * nTimes), r * nTimes);
      });
      return {
        ratId: info.ratId,
        sessionDate: info.sessionDate,
        nChannels,
        nTimes,
        eeg: rows,
        ...(options.channels !== undefined && { loadedChannels: [...channels] }),
        eegTime,
        // Only a rate the directory gives: without one, the analysis's default applies and is
        // checked against eeg_time as such.
        ...(meta.sfreq !== undefined && { sfreq }),
        nmPeakTimes,
        nmSizes,
        ...(itiPeakTimes !== undefined && itiSizes !== undefined && { itiPeakTimes, itiSizes }),
        filePath: dir,
      };
    },
    close: async () => undefined,
  };
}

/**
 * Writes a session as a session directory (created): its .npy files (ITI events when it has
 * them) and meta.json, with `sfreq` unless `withSfreq` is false (a recording that, like the lab's
 * pickle, leaves the rate to the default).
 */
export async function writeSessionDirectory(dir: string, s: SessionData, { withSfreq = true } = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const vector = (name: string, data: Float64Array) => writeNpy(join(dir, name), data, [data.length]);
  await writeNpy(join(dir, 'eeg.npy'), s.eeg, [s.nChannels, s.nTimes]);
  await vector('eeg_time.npy', s.eegTime);
  await vector('nm_peak_times.npy', s.nmPeakTimes);
  await vector('nm_sizes.npy', s.nmSizes);
  if (s.itiPeakTimes !== undefined) await vector('iti_peak_times.npy', s.itiPeakTimes);
  if (s.itiSizes !== undefined) await vector('iti_sizes.npy', s.itiSizes);
  const meta = { rat_id: s.ratId, session_date: s.sessionDate, ...(withSfreq && { sfreq: s.sfreq }) };
  await writeFileAtomic(join(dir, 'meta.json'), JSON.stringify(meta) + '\n');
}
