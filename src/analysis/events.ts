/**
 * Event windows (docs/method.md §3.5): which near-mistake events have a complete window around them, where
 * each window starts, and how events group by size.
 */
import { EventWindowError, InvalidParameterError } from '../errors.js';
import { linspace } from '../dsp/grid.js';

/** Why an event has no window. */
export type InvalidEventReason = 'starts-before-recording' | 'ends-after-recording' | 'exceeds-samples' | 'non-finite-time' | 'non-finite-size';

export interface InvalidEvent {
  /** Index into the session's event list. */
  index: number;
  /** Event time, s. */
  time: number;
  /** Event size. */
  size: number;
  reason: InvalidEventReason;
}

/** A valid event and the first sample of its window. */
export interface EventWindow {
  index: number;
  time: number;
  size: number;
  /** First sample of the window; the window is [start, start + windowSamples). */
  start: number;
}

/** The window plan of one session. */
export interface WindowPlan {
  /** Window length, s. */
  windowDuration: number;
  /** `int(windowDuration · sfreq)`, samples. */
  windowSamples: number;
  /** `linspace(−d/2, d/2, windowSamples)`, s. */
  windowTimes: Float64Array;
  /** Valid windows, in input order. */
  windows: EventWindow[];
  invalid: InvalidEvent[];
}

/** numpy `searchsorted(times, value, side='left')`: first index with times[i] >= value. */
export function searchSortedLeft(times: Float64Array, value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Which events a window belongs to: near-mistakes, or the ITI-matched control events. */
export type EventKind = 'nm' | 'iti';
export const EVENT_KINDS: readonly EventKind[] = ['nm', 'iti'];

/**
 * Plans the event windows of one session (docs/method.md §3.5).
 *
 * @param times sample times, s, shape (n_times,), increasing
 * @param eventTimes event times, s, shape (n_events,)
 * @param eventSizes event sizes, shape (n_events,)
 * @param windowDuration window length, s (> 0)
 * @param sfreq sampling rate, Hz
 * @param kind the events' kind; NM events must give at least one window, ITI events need not
 * @throws InvalidParameterError for a non-positive duration or one shorter than a sample;
 *   EventWindowError for a window longer than the recording, or NM events with no valid window
 */
export function planEventWindows(
  times: Float64Array,
  eventTimes: Float64Array,
  eventSizes: Float64Array,
  windowDuration: number,
  sfreq: number,
  kind: EventKind = 'nm',
): WindowPlan {
  if (!Number.isFinite(windowDuration) || windowDuration <= 0) {
    throw new InvalidParameterError(`window duration must be a finite number of seconds > 0, got ${windowDuration}`);
  }
  const windowSamples = Math.trunc(windowDuration * sfreq);
  if (windowSamples < 1) {
    throw new InvalidParameterError(
      `window duration ${windowDuration} s is shorter than one sample at ${sfreq} Hz`,
    );
  }
  const nTimes = times.length;
  if (windowSamples > nTimes) {
    throw new EventWindowError(
      `window of ${windowDuration} s (${windowSamples} samples) is longer than the recording (${nTimes} samples)`,
    );
  }
  if (eventTimes.length === 0 && kind === 'nm') throw new EventWindowError('the session has no NM events');
  const half = windowDuration / 2;
  const first = times[0]!;
  const last = times[nTimes - 1]!;
  const windows: EventWindow[] = [];
  const invalid: InvalidEvent[] = [];
  for (let index = 0; index < eventTimes.length; index++) {
    const time = eventTimes[index]!;
    const size = eventSizes[index]!;
    let reason: InvalidEventReason | null = null;
    let start = -1;
    if (!Number.isFinite(time)) reason = 'non-finite-time';
    else if (!Number.isFinite(size)) reason = 'non-finite-size';
    else if (time - half < first) reason = 'starts-before-recording';
    else if (time + half > last) reason = 'ends-after-recording';
    else {
      start = searchSortedLeft(times, time - half);
      if (start + windowSamples > nTimes) reason = 'exceeds-samples';
    }
    if (reason === null) windows.push({ index, time, size, start });
    else invalid.push({ index, time, size, reason });
  }
  if (windows.length === 0 && kind === 'nm') {
    throw new EventWindowError(
      `none of the ${eventTimes.length} NM events has a complete ${windowDuration} s window inside the recording ` +
        `(${first}–${last} s)`,
    );
  }
  return { windowDuration, windowSamples, windowTimes: linspace(-half, half, windowSamples), windows, invalid };
}

/** Distinct sizes of the valid windows, ascending. */
export function windowSizes(windows: readonly EventWindow[]): number[] {
  return [...new Set(windows.map((w) => w.size))].sort((a, b) => a - b);
}

