/** Atomic file writes (src/io/atomic.ts): complete or untouched, never partial, no temporary files left. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { OutputFileError } from '../../src/errors.js';
import { AtomicFile, removeTempFiles, writeFileAtomic, writeFileAtomicSync } from '../../src/io/atomic.js';
import { withTempDir } from '../helpers.js';

const variants = [
  { name: 'writeFileAtomic', write: (p: string, d: Uint8Array | string) => writeFileAtomic(p, d) },
  {
    name: 'writeFileAtomicSync',
    write: async (p: string, d: Uint8Array | string): Promise<void> => {
      writeFileAtomicSync(p, d); // a throw here becomes a rejection of this async wrapper
    },
  },
];

for (const { name, write } of variants) {
  test(`${name}: writes bytes and strings, creates and overwrites, leaves no temp files`, withTempDir(async (dir) => {
    const target = join(dir, 'result.bin');
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await write(target, bytes);
    assert.deepEqual(new Uint8Array(readFileSync(target)), bytes);
    await write(target, 'héllo\n');
    assert.equal(readFileSync(target, 'utf8'), 'héllo\n');
    // a subarray view writes exactly its own bytes
    const big = new Uint8Array([9, 9, 7, 8, 9, 9]);
    await write(target, big.subarray(2, 4));
    assert.deepEqual(new Uint8Array(readFileSync(target)), new Uint8Array([7, 8]));
    await write(target, '');
    assert.equal(readFileSync(target).length, 0);
    assert.deepEqual(readdirSync(dir), ['result.bin']);
  }));

  test(`${name}: missing target directory -> error propagates, nothing left behind`, withTempDir(async (dir) => {
    const target = join(dir, 'no', 'such', 'dir', 'out.txt');
    await assert.rejects(write(target, 'data'), (err: Error) => {
      assert.ok(err instanceof OutputFileError, String(err));
      assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOENT');
      assert.match(err.message, /^cannot write '.*out.txt': .*; nothing was written in its place$/);
      return true;
    });
    assert.deepEqual(readdirSync(dir), []);
  }));

  test(`${name}: failure at rename (target is a directory) -> error propagates, temp removed`, withTempDir(async (dir) => {
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'inner.txt'), 'keep me');
    await assert.rejects(write(target, 'new data'), (err: Error) => {
      assert.ok(err instanceof OutputFileError, String(err));
      assert.ok(['EISDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM'].includes((err.cause as NodeJS.ErrnoException).code ?? ''), String(err.cause));
      return true;
    });
    assert.deepEqual(readdirSync(dir), ['taken']);
    assert.equal(readFileSync(join(target, 'inner.txt'), 'utf8'), 'keep me');
  }));
}

test('concurrent writers to one target: each write complete, unique temp names, no leftovers', withTempDir(async (dir) => {
  const target = join(dir, 'shared.txt');
  const contents = Array.from({ length: 25 }, (_, i) => `writer ${i} `.repeat(1000 + i));
  await Promise.all(contents.map((c) => writeFileAtomic(target, c)));
  assert.ok(contents.includes(readFileSync(target, 'utf8')));
  assert.deepEqual(readdirSync(dir), ['shared.txt']);
}));

test('the target is never observed truncated while being overwritten', withTempDir(async (dir) => {
  const target = join(dir, 'big.bin');
  const a = Buffer.alloc(3 << 20, 0x61);
  const b = Buffer.alloc(5 << 20, 0x62);
  writeFileSync(target, a);
  let observations = 0;
  for (let round = 0; round < 6; round++) {
    const next = round % 2 === 0 ? b : a;
    let done = false;
    const p = writeFileAtomic(target, next).then(() => {
      done = true;
    });
    while (!done) {
      const seen = readFileSync(target);
      observations++;
      assert.ok(seen.equals(a) || seen.equals(b), `observed a partial file of ${seen.length} bytes`);
      await new Promise((r) => setImmediate(r));
    }
    await p;
    assert.equal(readFileSync(target).length, next.length);
  }
  assert.ok(observations >= 6);
  assert.deepEqual(readdirSync(dir), ['big.bin']);
}));

// A real mid-write failure: run the writer in a child process with a file-size limit
// (`ulimit -f`), so writing the temp file fails with EFBIG after some bytes hit the disk.
const atomicModule = new URL('../../src/io/atomic.js', import.meta.url).href;
const canLimit = process.platform !== 'win32' && existsSync('/bin/sh');

for (const fn of ['writeFileAtomic', 'writeFileAtomicSync'] as const) {
  test(
    `${fn}: a write failing midway (EFBIG) keeps the old content intact and removes the temp file`,
    { skip: canLimit ? false : 'needs /bin/sh and ulimit (POSIX)' },
    withTempDir((dir) => {
      const target = join(dir, 'result.txt');
      writeFileSync(target, 'old complete content\n');
      const script = [
        `import { ${fn} } from ${JSON.stringify(atomicModule)};`,
        `try { await ${fn}(process.argv[1], new Uint8Array(1 << 20).fill(120)); console.log('NO ERROR'); }`,
        `catch (e) { console.log('ERROR ' + e.code + ' ' + e.cause?.code); }`,
      ].join('\n');
      const r = spawnSync(
        '/bin/sh',
        ['-c', 'ulimit -f 16 && exec "$0" "$@"', process.execPath, '--input-type=module', '-e', script, target],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'ERROR output-file EFBIG');
      assert.equal(readFileSync(target, 'utf8'), 'old complete content\n');
      assert.deepEqual(readdirSync(dir), ['result.txt']);
    }),
  );
}

test('AtomicFile: pieces at any position, out of order; the target appears only at commit', withTempDir(async (dir) => {
  const target = join(dir, 'big.bin');
  writeFileSync(target, 'old');
  const file = await AtomicFile.create(target);
  await file.write(Buffer.from('world'), 6);
  await file.write(Buffer.from('hello '), 0);
  assert.equal(readFileSync(target, 'utf8'), 'old', 'the target is untouched before the commit');
  assert.equal(readdirSync(dir).length, 2, 'the temporary sibling');
  await file.commit();
  assert.equal(readFileSync(target, 'utf8'), 'hello world');
  assert.deepEqual(readdirSync(dir), ['big.bin']);
  await assert.rejects(file.write(Buffer.from('x'), 0), /already committed or discarded/);
}));

test('AtomicFile: discard, or a stop (removeTempFiles), leaves the target as it was and no temporary file', withTempDir(async (dir) => {
  const target = join(dir, 'big.bin');
  writeFileSync(target, 'old');
  const discarded = await AtomicFile.create(target);
  await discarded.write(Buffer.from('new'), 0);
  await discarded.discard();
  const stopped = await AtomicFile.create(target);
  await stopped.write(Buffer.from('new'), 0);
  removeTempFiles();
  assert.equal(readFileSync(target, 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['big.bin']);
  await stopped.discard();
}));

test('stopWriting, called while writes are opening their temporary files: none is left, and nothing written after it', withTempDir((dir) => {
  // In a child process: the stop is for good in the process that calls it. The CLI exits right
  // after it (on Ctrl-C), so the child does too.
  const script = [
    `import { AtomicFile, stopWriting, writeFileAtomic, writeFileAtomicSync } from ${JSON.stringify(atomicModule)};`,
    `const dir = process.argv[1];`,
    `const writes = Array.from({ length: 64 }, (_, i) => writeFileAtomic(dir + '/r' + i + '.bin', new Uint8Array(1 << 20)));`,
    `const files = Array.from({ length: 8 }, (_, i) => AtomicFile.create(dir + '/big' + i + '.bin'));`,
    `await stopWriting();`,
    `const settled = await Promise.allSettled([...writes, ...files]);`,
    `let late = 'none';`,
    `try { writeFileAtomicSync(dir + '/late.bin', 'x'); late = 'written'; } catch (e) { late = e.message; }`,
    `console.log(settled.filter((s) => s.status === 'rejected').length + ' rejected; late: ' + late);`,
    `process.exit(0);`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^72 rejected; late: .*late\.bin: not written: the run was stopped$/);
  assert.deepEqual(readdirSync(dir), []);
}));

test('AtomicFile: a write failing midway (EFBIG) is an OutputFileError; the file is discarded', { skip: canLimit ? false : 'needs /bin/sh and ulimit (POSIX)' }, withTempDir((dir) => {
  const target = join(dir, 'result.bin');
  writeFileSync(target, 'old complete content\n');
  const script = [
    `import { AtomicFile } from ${JSON.stringify(atomicModule)};`,
    `const file = await AtomicFile.create(process.argv[1]);`,
    `try { await file.write(new Uint8Array(1 << 20).fill(120), 4096); console.log('NO ERROR'); }`,
    `catch (e) { console.log('ERROR ' + e.name + ' ' + e.cause?.code + ': ' + e.message); }`,
  ].join('\n');
  const r = spawnSync('/bin/sh', ['-c', 'ulimit -f 16 && exec "$0" "$@"', process.execPath, '--input-type=module', '-e', script, target], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^ERROR OutputFileError EFBIG: cannot write '.*result.bin': .*; nothing was written in its place$/);
  assert.equal(readFileSync(target, 'utf8'), 'old complete content\n');
  assert.deepEqual(readdirSync(dir), ['result.bin']);
}));
