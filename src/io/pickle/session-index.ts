/**
 * From the unpickled top-level object (a list of session dicts, arrays as metadata) to the
 * session index. File-level structure errors throw; a problem confined to one session (missing
 * key, bad shape, unsupported dtype) is recorded in that session's `problem` so the other
 * sessions stay usable (a rat analysis reports and skips failing sessions).
 */

import { DEFAULT_SFREQ, sizeLabel } from '../../model/session-data.js';
import { SessionDataError } from '../../errors.js';
import { readArrayFloat64, sizeOf } from './array-read.js';
import { effectiveByteOrder } from './dtype.js';
import type { ByteSource } from './source.js';
import type { ArrayRef, SessionInfo, SessionProblem } from './types.js';
import { aDescribe, abbreviate, describe, type NdarrayValue, type PyValue } from './values.js';

/** Keys every session must have. */
export const REQUIRED_KEYS = ['rat_id', 'session_date', 'eeg', 'eeg_time', 'nm_peak_times', 'nm_sizes'] as const;

/** Largest `nm_sizes`/`sfreq` array read while indexing (they are tiny in real data). */
const MAX_INDEX_READ = 64 * 1024 * 1024;

/** A readable ArrayRef for an ndarray value, or the reason it is not readable. */
function arrayRef(v: NdarrayValue): ArrayRef | string {
  if (!v.ready || v.dtype === null) return 'array state was never set (incomplete numpy pickle)';
  if (v.unsupported !== undefined) return v.unsupported;
  if (v.data === null || v.dtype.numeric === null) return `dtype ${v.dtype.name} is not supported`;
  const ref: ArrayRef = {
    offset: v.data.offset,
    dtype: v.dtype.numeric,
    byteOrder: effectiveByteOrder(v.dtype),
    shape: [...v.shape],
    fortranOrder: v.fortranOrder,
    nbytes: v.data.length,
  };
  if (v.data.encoding === 'latin1') {
    ref.encoding = 'latin1';
    ref.fileLength = v.data.fileLength;
  }
  return ref;
}

/** A str-like value as text: str, numpy str scalar (already a str), ASCII bytes, or an integer. */
function textOf(v: PyValue): string | undefined {
  switch (v.t) {
    case 'str':
      return v.v;
    case 'bytes':
      return v.ref.data === undefined ? undefined : Buffer.from(v.ref.data).toString('latin1');
    case 'int':
      return String(v.v);
    case 'float':
      return Number.isInteger(v.v) ? String(v.v) : undefined;
    default:
      return undefined;
  }
}

/** True for arrays with at most one dimension longer than 1 ((n,), (1, n), (n, 1)…). */
function isVector(ref: ArrayRef): boolean {
  return ref.shape.filter((d) => d !== 1).length <= 1;
}

class Problem extends Error {
  constructor(readonly problem: SessionProblem) {
    super(problem.message);
  }
}

/**
 * Builds the index of all sessions.
 * @param top the scanned top-level object
 * @param src the file, for reading `nm_sizes` (event counts) and array-valued `sfreq`
 * @throws SessionDataError when the top level is not a list of dicts
 */
export async function buildIndex(top: PyValue, src: ByteSource): Promise<SessionInfo[]> {
  const name = src.name;
  if (top.t !== 'list') {
    throw new SessionDataError(`${name}: top-level object is ${aDescribe(top)}; expected a list of session dicts (one per session)`);
  }
  const out: SessionInfo[] = [];
  for (let i = 0; i < top.items.length; i++) {
    const item = top.items[i] as PyValue;
    if (item.t !== 'dict') {
      throw new SessionDataError(`${name}: item ${i} of the top-level list is ${aDescribe(item)}; expected a dict per session`);
    }
    out.push(await indexSession(i, item.entries, src));
  }
  return out;
}

async function indexSession(index: number, entries: Map<string, [PyValue, PyValue]>, src: ByteSource): Promise<SessionInfo> {
  const values = new Map<string, PyValue>();
  const keys: string[] = [];
  for (const [k, v] of entries.values()) {
    const key = k.t === 'str' && k.v !== undefined ? k.v : `<${describe(k)}>`;
    keys.push(key);
    values.set(key, v);
  }
  const info: SessionInfo = {
    index,
    ratId: '',
    sessionDate: '',
    nChannels: 0,
    nTimes: 0,
    sfreq: DEFAULT_SFREQ,
    nEvents: {},
    durationSeconds: 0,
    filePath: null,
    arrays: {},
    keys,
    unsupported: {},
  };
  for (const [key, v] of values) {
    if (v.t !== 'ndarray') continue;
    const ref = arrayRef(v);
    if (typeof ref === 'string') info.unsupported[key] = ref;
    else info.arrays[key] = ref;
  }
  const rat = values.get('rat_id');
  const date = values.get('session_date');
  info.ratId = (rat && textOf(rat)) ?? '';
  info.sessionDate = (date && textOf(date)) ?? '';
  const fp = values.get('file_path');
  info.filePath = (fp && fp.t !== 'int' && fp.t !== 'float' ? textOf(fp) : undefined) ?? null;

  const label = `${src.name}: session ${index}${info.ratId ? ` (rat ${abbreviate(info.ratId, 20)}${info.sessionDate ? `, ${abbreviate(info.sessionDate, 20)}` : ''})` : ''}`;
  const dataProblem = (message: string): Problem => new Problem({ kind: 'session-data', message: `${label}: ${message}` });
  try {
    for (const key of REQUIRED_KEYS) {
      if (!values.has(key)) {
        throw dataProblem(`missing key '${key}'; keys present: ${keys.map((k) => abbreviate(k, 30)).join(', ') || 'none'}`);
      }
    }
    for (const key of ['rat_id', 'session_date'] as const) {
      const v = values.get(key) as PyValue;
      if (textOf(v) === undefined) throw dataProblem(`'${key}' is ${aDescribe(v)}; expected a str`);
    }
    const arr = (key: string, expect: string): ArrayRef => {
      const v = values.get(key) as PyValue;
      const bad = info.unsupported[key];
      if (bad !== undefined) throw new Problem({ kind: 'array-format', message: `${label}: '${key}': ${bad}` });
      const ref = info.arrays[key];
      if (ref === undefined) throw dataProblem(`'${key}' is ${aDescribe(v)}; expected ${expect}`);
      return ref;
    };
    const eeg = arr('eeg', 'a float64 numpy array (n_channels, n_times)');
    if (eeg.shape.length === 2) [info.nChannels, info.nTimes] = eeg.shape as [number, number];
    else if (eeg.shape.length === 1) [info.nChannels, info.nTimes] = [1, eeg.shape[0] as number];
    else throw dataProblem(`'eeg' has shape (${eeg.shape.join(', ')}); expected (n_channels, n_times)`);
    if (info.nChannels < 1 || info.nTimes < 1) throw dataProblem(`'eeg' has shape (${eeg.shape.join(', ')}); expected at least one channel and one sample`);
    const time = arr('eeg_time', 'a float64 numpy array (1, n_times) or (n_times,)');
    if (!isVector(time) || sizeOf(time.shape) !== info.nTimes) {
      throw dataProblem(`'eeg_time' has shape (${time.shape.join(', ')}) but 'eeg' has ${info.nTimes} samples; expected (1, ${info.nTimes}) or (${info.nTimes},)`);
    }
    const peaks = arr('nm_peak_times', 'a float64 numpy array (n_events,)');
    const sizes = arr('nm_sizes', 'a float64 numpy array (n_events,)');
    for (const [key, ref] of [['nm_peak_times', peaks], ['nm_sizes', sizes]] as const) {
      if (!isVector(ref)) throw dataProblem(`'${key}' has shape (${ref.shape.join(', ')}); expected (n_events,)`);
    }
    if (sizeOf(peaks.shape) !== sizeOf(sizes.shape)) {
      throw dataProblem(`'nm_peak_times' has ${sizeOf(peaks.shape)} events but 'nm_sizes' has ${sizeOf(sizes.shape)}; expected one size per event`);
    }
    if (values.has('sfreq')) info.sfreq = await sfreqOf(values.get('sfreq') as PyValue, info, src, dataProblem);
    info.durationSeconds = info.nTimes / info.sfreq;
    if (sizes.nbytes > MAX_INDEX_READ) throw dataProblem(`'nm_sizes' is ${sizes.nbytes} bytes; expected a small event list`);
    for (const s of await readArrayFloat64(src, sizes, `session ${index} 'nm_sizes'`)) {
      const k = sizeLabel(s);
      info.nEvents[k] = (info.nEvents[k] ?? 0) + 1;
    }
  } catch (e) {
    if (!(e instanceof Problem)) throw e;
    info.problem = e.problem;
  }
  return info;
}

async function sfreqOf(v: PyValue, info: SessionInfo, src: ByteSource, dataProblem: (m: string) => Problem): Promise<number> {
  let hz: number | undefined;
  if (v.t === 'float') hz = v.v;
  else if (v.t === 'int') hz = Number(v.v);
  else if (v.t === 'ndarray') {
    const ref = info.arrays['sfreq'];
    if (ref !== undefined && sizeOf(ref.shape) === 1) hz = (await readArrayFloat64(src, ref, `session ${info.index} 'sfreq'`))[0];
  }
  if (hz === undefined || !Number.isFinite(hz) || hz <= 0) {
    throw dataProblem(`'sfreq' is ${hz === undefined ? aDescribe(v) : hz}; expected a positive number of Hz`);
  }
  return hz;
}
