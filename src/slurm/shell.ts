/** POSIX shell quoting for the generated sbatch scripts. */

/** `text` as one shell word: bare when it only has safe characters, else single-quoted. */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  // Inside single quotes nothing is special except the quote itself: close, escape, reopen.
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A command line of shell words. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** `text` escaped for use inside a double-quoted shell string (where $(…) elsewhere still expands). */
export function escapeDoubleQuoted(text: string): string {
  return text.replace(/[\\"$`]/g, '\\$&');
}
