/** Package version, reported by `--version` and written into every results file. */
export const VERSION = '0.2.0';
