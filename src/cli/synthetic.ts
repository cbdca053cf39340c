/** `eeg-parallel synthetic`: writes a seeded synthetic session (docs/method.md §7) as a session directory. */
import type { Command } from 'commander';
import { writeSessionDirectory } from '../io/session-dir.js';
import { syntheticSession } from '../synthetic/session.js';
import { checkOutputDirectory } from '../io/destinations.js';
import { parseInteger, parsePositive } from './parse.js';

interface SyntheticCliOptions {
  outputDir: string;
  seed: string;
  channels: string;
  samples: string;
  sfreq: string;
  events: string;
  rat: string;
  thetaBursts?: boolean;
}

export function registerSynthetic(program: Command): void {
  program
    .command('synthetic')
    .description('write a seeded synthetic session as a session directory (.npy files) that --data accepts')
    .requiredOption('--output-dir <DIR>', 'the session directory to write')
    .option('--seed <N>', 'seed; the same seed gives the same bytes', '42')
    .option('--channels <N>', 'channels', '32')
    .option('--samples <N>', 'samples per channel (255000 = 21 min at 200 Hz)', '60000')
    .option('--sfreq <HZ>', 'sampling rate', '200')
    .option('--events <N>', 'NM events, uniform in [10 s, T − 10 s]', '50')
    .option('--rat <ID>', 'rat id (one of the electrode table, for --roi names)', '9151')
    .option('--theta-bursts', 'add a 6 Hz burst after each event, growing with its size')
    .action(async (opts: SyntheticCliOptions) => {
      checkOutputDirectory('--output-dir', opts.outputDir);
      const s = syntheticSession({
        seed: parseInteger('--seed', opts.seed, 0),
        nChannels: parseInteger('--channels', opts.channels, 1),
        nTimes: parseInteger('--samples', opts.samples, 1),
        sfreq: parsePositive('--sfreq', opts.sfreq),
        nEvents: parseInteger('--events', opts.events, 0),
        ratId: opts.rat,
        thetaBursts: opts.thetaBursts ?? false,
      });
      const dir = opts.outputDir;
      await writeSessionDirectory(dir, s);
      process.stdout.write(`synthetic session: ${s.nChannels} channels × ${s.nTimes} samples at ${s.sfreq} Hz, ${s.nmPeakTimes.length} events → ${dir}\n`);
    });
}
