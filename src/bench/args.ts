/**
 * Command-line options of the benchmark scripts (`npm run bench:mne`, `bench:lazy`): Node's own
 * strict parser, so a mistyped option is an error rather than a silent default run of minutes.
 */
import { parseArgs } from 'node:util';

/** A string option with its default, and how to check its value. */
export interface BenchOption {
  default: string;
  /** Returns an error message for a bad value, or null. */
  check?: (value: string) => string | null;
}

/** A positive integer option (`--rounds 5`). */
export function positiveInteger(fallback: number): BenchOption {
  return {
    default: String(fallback),
    check: (v) => (/^[1-9]\d*$/.test(v) ? null : `expected a positive integer, got '${v}'`),
  };
}

/**
 * Parses `argv` against string `options` and boolean `flags`; `--help` prints `usage` and exits 0,
 * anything unknown or invalid prints the problem and `usage` and exits 2.
 */
export function benchArgs<K extends string, F extends string = never>(
  argv: string[],
  usage: string,
  options: Record<K, BenchOption>,
  flags: readonly F[] = [],
): Record<K, string> & Record<F, boolean> {
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n${usage}\n`);
    process.exit(2);
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean' },
        ...Object.fromEntries(Object.entries<BenchOption>(options).map(([name, o]) => [name, { type: 'string' as const, default: o.default }])),
        ...Object.fromEntries(flags.map((name) => [name, { type: 'boolean' as const, default: false }])),
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    return fail((e as Error).message);
  }
  if (values['help'] === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  for (const [name, o] of Object.entries<BenchOption>(options)) {
    const problem = o.check?.(values[name] as string) ?? null;
    if (problem !== null) fail(`--${name}: ${problem}`);
  }
  return values as Record<K, string> & Record<F, boolean>;
}
