/**
 * The session index cache (src/io/pickle/index-cache.ts): reused while the file's size and mtime
 * are unchanged, invalidated otherwise, tolerant of damaged cache files and of an unwritable
 * location next to the data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { InputFileError } from '../../../src/errors.js';
import { openSessionFile } from '../../../src/io/session-file.js';
import { cachePaths } from '../../../src/io/pickle/index-cache.js';
import { pickleFixture, readJson, withTempDir } from '../../helpers.js';

/** Opens, reports whether the index came from the cache, closes. */
async function fromCache(file: string, options?: Parameters<typeof openSessionFile>[1]): Promise<boolean> {
  const sf = await openSessionFile(file, options);
  await sf.close();
  return sf.fromCache;
}

/** A test body given a copy of lab_p4.pkl in a fresh temporary directory (removed afterwards). */
function withFixtureCopy(body: (file: string, dir: string) => Promise<void>): () => Promise<void> {
  return withTempDir(async (dir) => {
    const file = join(dir, 'lab_p4.pkl');
    copyFileSync(pickleFixture('lab_p4.pkl'), file);
    await body(file, dir);
  }, 'eeg-parallel-pickle-cache-');
}

test('second open uses the cache, with the same index and the same data', withFixtureCopy(async (file) => {
  const a = await openSessionFile(file);
  assert.equal(a.fromCache, false);
  assert.ok(existsSync(`${file}.eegidx.json`), 'cache written next to the file');
  const b = await openSessionFile(file);
  assert.equal(b.fromCache, true);
  assert.deepEqual(b.sessions, a.sessions);
  assert.deepEqual(await b.readSession(2, { channels: [1, 27] }), await a.readSession(2, { channels: [1, 27] }));
  await a.close();
  await b.close();
}));

test('a new mtime or size invalidates the cache', withFixtureCopy(async (file) => {
  await fromCache(file);
  const later = new Date(Date.now() + 60_000);
  utimesSync(file, later, later);
  const touched = await openSessionFile(file);
  assert.equal(touched.fromCache, false, 'mtime change rescans');
  await touched.close();
  assert.equal(await fromCache(file), true);
  appendFileSync(file, Buffer.from([0])); // trailing byte after STOP: still a valid pickle
  utimesSync(file, later, later); // same mtime as the cached one: only the size differs
  const grown = await openSessionFile(file);
  assert.equal(grown.fromCache, false, 'size change rescans');
  await grown.close();
}));

test('a damaged or foreign cache file is ignored and rewritten', withFixtureCopy(async (file) => {
  const first = await openSessionFile(file);
  const sessions = first.sessions;
  await first.close();
  const cache = `${file}.eegidx.json`;
  const good = readJson<{ sessions: { arrays: Record<string, { offset: unknown }> }[] }>(cache);
  for (const damaged of [
    '{ not json',
    '[]',
    JSON.stringify({ ...good, version: 999 }),
    JSON.stringify({ ...good, sessions: [{ ...good.sessions[0], arrays: { eeg: { offset: 'x' } } }] }),
  ]) {
    writeFileSync(cache, damaged);
    const sf = await openSessionFile(file);
    assert.equal(sf.fromCache, false);
    assert.deepEqual(sf.sessions, sessions);
    await sf.close();
    assert.equal(await fromCache(file), true, 'rewritten');
  }
}));

test('unwritable sidecar location falls back to the temp directory; cacheDir and useCache options', withFixtureCopy(async (file, dir) => {
  const [sidecar, fallback] = await cachePaths(file);
  try {
    mkdirSync(sidecar!); // a directory where the sidecar would go: the atomic rename fails
    assert.equal(await fromCache(file), false);
    assert.ok(existsSync(fallback!), `fallback cache at ${fallback}`);
    assert.equal(await fromCache(file), true);

    const cacheDir = join(dir, 'cache');
    assert.equal(await fromCache(file, { cacheDir }), false);
    const [inDir] = await cachePaths(file, cacheDir);
    assert.ok(existsSync(inDir!));
    assert.equal(await fromCache(file, { cacheDir }), true);

    rmSync(fallback!, { force: true });
    const other = join(dir, 'copy.pkl');
    copyFileSync(file, other);
    assert.equal(await fromCache(other, { useCache: false }), false);
    assert.equal(await fromCache(other, { useCache: false }), false);
    assert.ok(!existsSync(`${other}.eegidx.json`), 'useCache: false writes nothing');
  } finally {
    rmSync(fallback!, { force: true });
  }
}));

test('reading after the file changed is an InputFileError, not garbage', withFixtureCopy(async (file) => {
  const sf = await openSessionFile(file, { useCache: false });
  const later = new Date(Date.now() + 120_000);
  utimesSync(file, later, later);
  await assert.rejects(sf.readSession(0), (e: unknown) => e instanceof InputFileError && /changed since it was indexed/.test((e as Error).message));
  await sf.close();
  await assert.rejects(sf.readSession(0), InputFileError);
}));
