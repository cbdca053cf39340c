/** Locating files shipped with the package (data tables, workers), from source or compiled code. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root: the nearest ancestor directory of this module holding package.json. */
export function packageRoot(): string {
  if (root === undefined) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'package.json'))) {
      const parent = dirname(dir);
      if (parent === dir) throw new Error('eeg-parallel: package.json not found above ' + import.meta.url);
      dir = parent;
    }
    root = dir;
  }
  return root;
}

/** A path inside the package root. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/**
 * The command line that runs the CLI as a user runs it: the executable itself, so that its
 * start-up settings (bin/eeg-parallel: huge pages for large buffers) apply, with `node` from PATH.
 */
export function cliCommand(): string[] {
  return [packagePath('bin', 'eeg-parallel')];
}
