/**
 * Benchmark data in the lab's own file layout: seeded synthetic sessions (docs/method.md §7) written as a
 * pickle by Debian's python3 (scripts/write_lab_pickle.py), so the Python pipeline and
 * eeg-parallel read exactly the same file.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticSession, type SyntheticSessionOptions } from '../synthetic/session.js';
import { writeSessionDirectory } from '../io/session-dir.js';
import { packagePath } from '../paths.js';

/** Debian's python3 with numpy and MNE (not whatever python is first on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** docs/method.md §7 `session-21min`: one 21-minute session of the lab's size (32 × 255,000 at 200 Hz), with theta bursts after 50 NM events. */
export const SESSION_21MIN = { seed: 21, nChannels: 32, nTimes: 255_000, nEvents: 50, thetaBursts: true, ratId: '9151', sessionDate: '210000' } satisfies SyntheticSessionOptions;

/** Writes `sessions` synthetic sessions to `path` as a lab-layout pickle. */
export async function writeSyntheticLabFile(path: string, sessions: SyntheticSessionOptions[], scratch: string): Promise<void> {
  const dirs: string[] = [];
  for (const [i, options] of sessions.entries()) {
    const s = syntheticSession(options);
    const dir = join(scratch, `session_${i}`);
    await writeSessionDirectory(dir, s, { withSfreq: false });
    dirs.push(dir);
  }
  const r = spawnSync(DEBIAN_PYTHON, [packagePath('scripts', 'write_lab_pickle.py'), path, ...dirs], { encoding: 'utf8' });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`write_lab_pickle.py failed: ${r.stderr}`);
}
