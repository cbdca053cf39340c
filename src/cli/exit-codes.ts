/** CLI exit codes (docs/method.md §5). */
export const EXIT_OK = 0;
/** A validation failed: a parallel result differs from sequential beyond the tolerance. */
export const EXIT_VALIDATION_FAILED = 1;
/** Bad usage or bad input: one line on stderr, nothing half-written. */
export const EXIT_BAD_INPUT = 2;
/** Stopped by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;
