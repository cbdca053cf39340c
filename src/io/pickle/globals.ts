/**
 * The allow-list of pickle globals. A pickle names callables by module and attribute; `pickle.load`
 * imports and calls them, which is how a pickle can run arbitrary code. This reader never imports or
 * executes anything: a global is only *recognized* if it is one of the numpy array/dtype/scalar
 * constructors (numpy 1.x `numpy.core.*` and 2.x `numpy._core.*` spellings) or one of the builtins
 * protocol 2 uses to spell `bytes`; `vm.ts` then emulates what that callable would build.
 */

import { ArrayFormatError } from '../../errors.js';
import type { GlobalRole, PyValue } from './values.js';

const ALLOWED: ReadonlyMap<string, GlobalRole> = new Map<string, GlobalRole>([
  ['numpy.core.multiarray._reconstruct', 'reconstruct'],
  ['numpy._core.multiarray._reconstruct', 'reconstruct'],
  ['numpy.ndarray', 'ndarray'],
  ['numpy.dtype', 'dtype'],
  ['numpy.core.multiarray.scalar', 'scalar'],
  ['numpy._core.multiarray.scalar', 'scalar'],
  ['numpy.core.numeric._frombuffer', 'frombuffer'],
  ['numpy._core.numeric._frombuffer', 'frombuffer'],
  // Protocol 2 (no bytes opcodes): non-empty bytes are `_codecs.encode(text, 'latin1')`, empty bytes
  // are `bytes()`, and bytearrays are `bytearray(text, 'latin-1')`.
  ['_codecs.encode', 'codecs_encode'],
  ['builtins.bytearray', 'bytearray'],
  ['__builtin__.bytearray', 'bytearray'],
  ['builtins.bytes', 'bytes'],
  ['__builtin__.bytes', 'bytes'],
  // Protocols 2–3 spell sets as `set([...])` / `frozenset([...])` (no set opcodes yet).
  ['builtins.set', 'set'],
  ['__builtin__.set', 'set'],
  ['builtins.frozenset', 'frozenset'],
  ['__builtin__.frozenset', 'frozenset'],
  // copyreg._reconstructor is deliberately absent: numpy objects never need it at protocol ≥ 2.
]);

/** Printable form of a module/attribute name taken from the file (control characters escaped). */
function printable(s: string): string {
  const cut = s.length > 80 ? `${s.slice(0, 77)}...` : s;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f']/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Resolves `module.name` against the allow-list.
 * @param at byte offset of the GLOBAL/STACK_GLOBAL opcode, for the message
 * @throws ArrayFormatError naming the global when it is not allowed
 */
export function resolveGlobal(module: string, name: string, file: string, at: number): PyValue {
  const full = `${module}.${name}`;
  const role = ALLOWED.get(full);
  if (role === undefined) {
    throw new ArrayFormatError(
      `${file}: global '${printable(full)}' at byte ${at} is not allowed; only numpy array reconstruction globals are resolved`,
    );
  }
  return { t: 'global', role, name: full };
}
