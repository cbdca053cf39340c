/**
 * `npm run bench:lazy`: the lazy reader on a large file of the lab's layout (made on the fly,
 * not committed): `inspect` with a cold index (first scan), `inspect` from the cached index, and
 * `analyze-session` (frontal ROI) with its peak RSS — each as a fresh CLI process under GNU time.
 *
 * Usage: node dist/src/bench/lazy-file.js [--sessions 40] [--file /tmp/large.pkl] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliCommand, packagePath } from '../paths.js';
import { DEBIAN_PYTHON } from './lab-file.js';
import { median } from './measure.js';
import { timeCommand } from './proc.js';
import { benchArgs, positiveInteger } from './args.js';

function main(): void {
  const args = benchArgs(
    process.argv.slice(2),
    'usage: node dist/src/bench/lazy-file.js [--sessions 40] [--file /tmp/large.pkl] [--keep]',
    { sessions: positiveInteger(40), file: { default: '' } },
    ['keep'],
  );
  const sessions = Number(args.sessions);
  const file = args.file === '' ? join(tmpdir(), `eeg-parallel-large-${sessions}.pkl`) : args.file;
  if (!existsSync(file)) {
    const r = spawnSync(DEBIAN_PYTHON, [packagePath('scripts', 'make_large_pickle.py'), String(sessions), file], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('make_large_pickle.py failed');
  }
  const cli = cliCommand();
  const outDir = join(tmpdir(), `eeg-parallel-lazy-out-${process.pid}`);
  // The file lives in a writable directory, so its index cache is `<file>.eegidx.json`.
  const noCache = (): void => rmSync(`${file}.eegidx.json`, { force: true });
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    noCache();
    cold.push(timeCommand([...cli, 'inspect', '--data', file]).seconds);
    warm.push(timeCommand([...cli, 'inspect', '--data', file]).seconds);
  }
  const analyses = [0, 1, 2].map(() => timeCommand([...cli, 'analyze-session', '--data', file, '--session', String(sessions - 1), '--roi', 'frontal', '--output-dir', outDir, '--no-plots']));
  rmSync(outDir, { recursive: true, force: true });
  const gb = statSync(file).size / 1e9;
  process.stdout.write(
    [
      `file: ${file} (${sessions} sessions, ${gb.toFixed(2)} GB)`,
      '',
      '| step | median | runs |',
      '| --- | ---: | --- |',
      `| inspect, first scan (no index cache) | ${median(cold).toFixed(2)} s | ${cold.map((x) => x.toFixed(2)).join(', ')} |`,
      `| inspect, cached index | ${median(warm).toFixed(2)} s | ${warm.map((x) => x.toFixed(2)).join(', ')} |`,
      `| analyze-session --session ${sessions - 1} --roi frontal | ${median(analyses.map((a) => a.seconds)).toFixed(2)} s, peak RSS ${(Math.max(...analyses.map((a) => a.peakRssBytes)) / 2 ** 20).toFixed(0)} MiB | ${analyses.map((a) => a.seconds.toFixed(2)).join(', ')} |`,
      '',
    ].join('\n'),
  );
  if (!args.keep) rmSync(file, { force: true });
}

main();
