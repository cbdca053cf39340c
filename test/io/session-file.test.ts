/**
 * Session files (src/io/session-file.ts) and the lazy pickle reader behind them, on fixtures
 * written by real numpy (scripts/make_pickle_fixtures.py): every array of every session against
 * the generator's SHA-256 of its float64 C-order bytes, channel subsets against the full read, the
 * SessionFile API's errors, and the bad files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { validateSessionData } from '../../src/analysis/session-checks.js';
import * as errors from '../../src/errors.js';
import { ChannelRangeError, EegParallelError, InputFileError, SessionDataError } from '../../src/errors.js';
import { openSessionFile, openSessionSource, type SessionFile } from '../../src/io/session-file.js';
import { readArrayFloat64 } from '../../src/io/pickle/array-read.js';
import { memorySource, type ByteSource } from '../../src/io/pickle/source.js';
import { writeSyntheticLabFile } from '../../src/bench/lab-file.js';
import { syntheticSession } from '../../src/synthetic/session.js';
import { pickleFixture, readJson, tempDir } from '../helpers.js';


interface ExpectedArray {
  shape: number[];
  dtype: string;
  fortran: boolean;
  byte_order: string;
  sum: number;
  sha256: string;
  first: number[];
  last: number | null;
}
interface ExpectedSession {
  rat_id: string;
  session_date: string;
  file_path: string;
  n_channels: number;
  n_times: number;
  sfreq: number;
  n_events: Record<string, number>;
  arrays: Record<string, ExpectedArray>;
  eeg_channel_sha256: string[];
  eeg_samples: [number, number, number][];
}
interface Expected {
  file: string;
  protocol: number;
  sessions: ExpectedSession[];
}

const GOOD = ['lab_p4', 'lab_p2', 'lab_p5', 'np2_p4', 'np2_p5', 'strscalars_p4', 'mixed_p4'];

function expected(name: string): Expected {
  return readJson<Expected>(pickleFixture(`${name}.expected.json`));
}

function sha(a: Float64Array): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

/** Opens without touching any cache (these tests are about content). */
function openFixture(name: string): Promise<SessionFile> {
  return openSessionFile(pickleFixture(`${name}.pkl`), { useCache: false });
}

async function checkFile(sf: SessionFile, src: ByteSource, exp: Expected): Promise<void> {
  assert.equal(sf.sessions.length, exp.sessions.length);
  for (const [k, e] of exp.sessions.entries()) {
    const info = sf.sessions[k]!;
    const what = `${exp.file} session ${k}`;
    assert.equal(info.problem, undefined, `${what}: ${info.problem?.message}`);
    assert.equal(info.index, k);
    assert.equal(info.ratId, e.rat_id, what);
    assert.equal(info.sessionDate, e.session_date, what);
    assert.equal(info.filePath, e.file_path, what);
    assert.equal(info.nChannels, e.n_channels, what);
    assert.equal(info.nTimes, e.n_times, what);
    assert.equal(info.sfreq, e.sfreq, what);
    assert.equal(info.durationSeconds, e.n_times / e.sfreq, what);
    assert.deepEqual(info.nEvents, e.n_events, what);
    assert.deepEqual(Object.keys(info.arrays).sort(), Object.keys(e.arrays).sort(), what);
    for (const [key, ea] of Object.entries(e.arrays)) {
      const ref = info.arrays[key]!;
      assert.deepEqual(ref.shape, ea.shape, `${what} ${key} shape`);
      assert.equal(ref.dtype, ea.dtype, `${what} ${key} dtype`);
      assert.equal(ref.fortranOrder, ea.fortran, `${what} ${key} order`);
      assert.equal(ref.byteOrder, ea.byte_order, `${what} ${key} byte order`);
      const values = await readArrayFloat64(src, ref, key);
      assert.equal(sha(values), ea.sha256, `${what} ${key} values`);
      assert.deepEqual([...values.subarray(0, 3)], ea.first, `${what} ${key} first`);
    }
    // Full session.
    const full = await sf.readSession(k);
    validateSessionData(full);
    assert.equal(full.loadedChannels, undefined);
    assert.equal(full.ratId, e.rat_id);
    assert.equal(full.sfreq, e.sfreq);
    assert.equal(sha(full.eeg), e.arrays['eeg']!.sha256, `${what} eeg`);
    assert.equal(sha(full.eegTime), e.arrays['eeg_time']!.sha256, `${what} eeg_time`);
    assert.equal(sha(full.nmPeakTimes), e.arrays['nm_peak_times']!.sha256, `${what} nm_peak_times`);
    assert.equal(sha(full.nmSizes), e.arrays['nm_sizes']!.sha256, `${what} nm_sizes`);
    for (const [c, i, v] of e.eeg_samples) assert.equal(full.eeg[c * e.n_times + i], v, `${what} eeg[${c}, ${i}]`);
    for (let c = 0; c < e.n_channels; c++) {
      assert.equal(sha(full.eeg.subarray(c * e.n_times, (c + 1) * e.n_times)), e.eeg_channel_sha256[c], `${what} channel ${c}`);
    }
    // Channel subsets (unsorted, repeated) equal the matching rows of the full read.
    const n = e.n_channels;
    for (const channels of [[n - 1], [0, n - 1], [Math.min(3, n - 1), 0, Math.min(2, n - 1), 0]]) {
      const part = await sf.readSession(k, { channels });
      validateSessionData(part);
      assert.deepEqual(part.loadedChannels, channels);
      assert.equal(part.eeg.length, channels.length * e.n_times);
      channels.forEach((c, r) => {
        assert.equal(sha(part.eeg.subarray(r * e.n_times, (r + 1) * e.n_times)), e.eeg_channel_sha256[c], `${what} subset row ${r}`);
      });
      assert.deepEqual(part.eegTime, full.eegTime);
    }
  }
}

for (const name of GOOD) {
  test(`pickle fixture ${name}: every array and session matches numpy`, async () => {
    const sf = await openFixture(name);
    try {
      const bytes = readFileSync(pickleFixture(`${name}.pkl`));
      await checkFile(sf, memorySource(bytes, name), expected(name));
      assert.equal(sf.fromCache, false);
    } finally {
      await sf.close();
    }
  });
}

test('tiny chunk and inline limits (every refill and skip path, protocol 2 text streamed) give the same values', async () => {
  for (const name of GOOD) {
    const bytes = readFileSync(pickleFixture(`${name}.pkl`));
    const src = memorySource(bytes, name);
    const sf = await openSessionSource(src, { chunk: 7, inlineBytes: 0, inlineStr: 300 });
    await checkFile(sf, src, expected(name));
  }
});

test('the scanner skips array payloads: scanning reads a small fraction of a large file', async () => {
  const bytes = readFileSync(pickleFixture('lab_p4.pkl'));
  let read = 0;
  const counting: ByteSource = {
    size: bytes.length,
    name: 'lab_p4',
    async read(position, into, length) {
      const n = await memorySource(bytes, 'x').read(position, into, length);
      read += n;
      return n;
    },
  };
  const sf = await openSessionSource(counting, { chunk: 1024 });
  const payload = sf.sessions.reduce((a, s) => a + s.arrays['eeg']!.nbytes, 0);
  assert.ok(read < bytes.length - payload * 0.9, `read ${read} of ${bytes.length} bytes (eeg payload ${payload})`);
  // A subset read touches the eeg block once plus the small arrays.
  read = 0;
  await sf.readSession(0, { channels: [20, 21, 23, 24] });
  const s0 = sf.sessions[0]!;
  assert.ok(read <= s0.arrays['eeg']!.nbytes + 64 * 1024, `readSession read ${read} bytes`);
});

test('SessionFile API: rats, sessions of a rat, index and channel errors', async () => {
  const sf = await openFixture('lab_p4');
  try {
    assert.deepEqual(sf.ratIds(), ['9442', '10501']);
    assert.deepEqual(sf.sessionsOfRat('10501').map((s) => s.index), [0, 1]);
    assert.deepEqual(sf.sessionsOfRat('9442').map((s) => s.nChannels), [28]);
    assert.throws(
      () => sf.sessionsOfRat('123'),
      (e: unknown) => e instanceof EegParallelError && e.code === 'unknown-rat' && /'123'.*rats present: 9442, 10501/.test(e.message),
    );
    for (const bad of [3, -1, 1.5, Number.NaN]) {
      await assert.rejects(
        sf.readSession(bad),
        (e: unknown) => e instanceof EegParallelError && e.code === 'session-index' && e.message.includes('valid 0–2'),
      );
    }
    // Rat 9442 has 28 channels: channel 31 (frontal ROI on a 32-channel rat) is a clear error.
    await assert.rejects(
      sf.readSession(2, { channels: [20, 31] }),
      (e: unknown) => e instanceof ChannelRangeError && /channel 31 .*28 channels \(valid 0–27\)/.test(e.message),
    );
    await assert.rejects(sf.readSession(0, { channels: [-1] }), ChannelRangeError);
    await assert.rejects(sf.readSession(0, { channels: [0.5] }), ChannelRangeError);
    const none = await sf.readSession(0, { channels: [] });
    assert.equal(none.eeg.length, 0);
  } finally {
    await sf.close();
  }
});

test('a missing file is InputFileError; a directory must be a session directory of .npy files', async () => {
  await assert.rejects(openSessionFile(pickleFixture('does-not-exist.pkl')), (e: unknown) => e instanceof InputFileError && /no such file/.test((e as Error).message));
  await assert.rejects(openSessionFile(pickleFixture()), (e: unknown) => e instanceof SessionDataError && /session directory .* lacks eeg\.npy/.test((e as Error).message));
});

interface BadEntry {
  file: string;
  error: keyof typeof errors;
  when: 'open' | 'read';
  session?: number;
  message?: string;
}

const bad = readJson<{ files: BadEntry[] }>(pickleFixture('bad_manifest.json')).files;

for (const entry of bad) {
  test(`bad pickle ${entry.file}: ${entry.error} on ${entry.when}`, async () => {
    const cls = errors[entry.error] as unknown as new (...a: never[]) => Error;
    const check = (e: unknown): boolean => {
      assert.ok(e instanceof cls, `expected ${entry.error}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      const msg = (e as Error).message;
      assert.ok(!msg.includes('\n'), `one line: ${msg}`);
      assert.ok(msg.includes(entry.file), `names the file: ${msg}`);
      if (entry.message !== undefined) assert.ok(msg.includes(entry.message), `'${entry.message}' in: ${msg}`);
      return true;
    };
    if (entry.when === 'open') {
      await assert.rejects(openFixture(entry.file.replace(/\.pkl$/, '')), check);
    } else {
      const sf = await openFixture(entry.file.replace(/\.pkl$/, ''));
      try {
        const info = sf.sessions[entry.session!]!;
        assert.ok(info.problem !== undefined);
        await assert.rejects(sf.readSession(entry.session!), check);
        // the other sessions stay readable
        for (const s of sf.sessions) if (s.problem === undefined) validateSessionData(await sf.readSession(s.index));
      } finally {
        await sf.close();
      }
    }
  });
}

test('a Fortran-ordered eeg block of many read chunks (several read at once) gathers exactly the generator rows', async () => {
  // 32 channels × 30,001 samples = 7.7 MB: many chunks and a short last one, more than the ring
  // of chunk buffers holds, so buffers are reused while reads are still in flight.
  const options = { seed: 5, nChannels: 32, nTimes: 30_001, nEvents: 4, ratId: '9151', sessionDate: '210000' };
  const dir = tempDir();
  const path = join(dir, 'lab.pkl');
  await writeSyntheticLabFile(path, [options], dir);
  const sf = await openSessionFile(path, { cacheDir: dir });
  try {
    assert.equal(sf.sessions[0]!.arrays['eeg']!.fortranOrder, true);
    const expectedEeg = syntheticSession(options).eeg;
    const channels = [31, 0, 7, 7, 12];
    const part = await sf.readSession(0, { channels });
    channels.forEach((c, r) => {
      const want = expectedEeg.subarray(c * options.nTimes, (c + 1) * options.nTimes);
      assert.deepEqual(part.eeg.subarray(r * options.nTimes, (r + 1) * options.nTimes), want, `row ${r} (channel ${c})`);
    });
  } finally {
    await sf.close();
  }
});
