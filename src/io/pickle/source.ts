/**
 * Random-access byte sources (a file handle, or memory for tests/fuzzing) and a small forward
 * cursor that reads them in bounded chunks. Why a cursor: the scanner walks opcodes front to back
 * but must be able to jump over multi-GB payloads without reading them.
 */

import type { FileHandle } from 'node:fs/promises';
import { ArrayFormatError, InputFileError } from '../../errors.js';

/** Something with a size that can fill a buffer from a byte position. */
export interface ByteSource {
  /** Total bytes. */
  readonly size: number;
  /** Name for messages (the path as given). */
  readonly name: string;
  /** Reads up to `length` bytes at `position` into `into[0…]`; returns the count read (0 at EOF). */
  read(position: number, into: Uint8Array, length: number): Promise<number>;
}

/** A file, read with positioned reads (never the whole file). */
export function fileSource(fh: FileHandle, size: number, name: string): ByteSource {
  return {
    size,
    name,
    async read(position, into, length) {
      try {
        const { bytesRead } = await fh.read(into, 0, length, position);
        return bytesRead;
      } catch (e) {
        throw new InputFileError(name, e);
      }
    },
  };
}

/** An in-memory image (tests, fuzzing). */
export function memorySource(bytes: Uint8Array, name: string): ByteSource {
  return {
    size: bytes.length,
    name,
    async read(position, into, length) {
      const n = Math.max(0, Math.min(length, bytes.length - position));
      into.set(bytes.subarray(position, position + n));
      return n;
    },
  };
}

/**
 * Fills `into[0, length)` from `position`, looping over short reads.
 * @throws ArrayFormatError naming `what` when the source ends first (the file is truncated or changed)
 */
export async function readExactly(
  src: ByteSource,
  position: number,
  into: Uint8Array,
  length: number,
  what: string,
): Promise<void> {
  let done = 0;
  while (done < length) {
    const n = await src.read(position + done, done === 0 ? into : into.subarray(done), length - done);
    if (n <= 0) {
      throw new ArrayFormatError(
        `${src.name}: ${what} at byte ${position} needs ${length} bytes but the file ends after ${done}; ` +
          'expected a complete file (was it truncated or changed while reading?)',
      );
    }
    done += n;
  }
}

/** Default read size of the scanner: small, because after each skipped payload it reads afresh. */
export const CURSOR_CHUNK = 64 * 1024;

/**
 * Forward reader over a source with one bounded buffer. Callers check {@link has} and await
 * {@link fill} only when needed, so the per-opcode fast path is synchronous.
 */
export class Cursor {
  /** Absolute position of the next unread byte. */
  pos = 0;
  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  /** The buffer holds source bytes [bufStart, bufEnd). */
  private bufStart = 0;
  private bufEnd = 0;

  constructor(
    readonly src: ByteSource,
    private readonly chunk = CURSOR_CHUNK,
  ) {}

  /** Bytes left in the source after {@link pos}. */
  get remaining(): number {
    return this.src.size - this.pos;
  }

  /** True when [pos, pos + n) is buffered. */
  has(n: number): boolean {
    return this.pos >= this.bufStart && this.pos + n <= this.bufEnd;
  }

  /**
   * Buffers [pos, pos + n). `n` must already be checked against {@link remaining} by the caller
   * via {@link require} (so a forged length can never cause a large allocation).
   */
  async fill(n: number): Promise<void> {
    const len = Math.min(Math.max(n, this.chunk), this.remaining);
    if (this.buf.length < len || this.buf.length > Math.max(len, this.chunk)) {
      this.buf = new Uint8Array(len);
      this.view = new DataView(this.buf.buffer);
    }
    await readExactly(this.src, this.pos, this.buf, len, 'pickle data');
    this.bufStart = this.pos;
    this.bufEnd = this.pos + len;
  }

  /**
   * Ensures n more bytes exist in the source and are buffered.
   * @throws ArrayFormatError (truncated pickle) when fewer than n bytes remain
   */
  async need(n: number, what: string): Promise<void> {
    this.require(n, what);
    if (!this.has(n)) await this.fill(n);
  }

  /** Start of the opcode being decoded (set by the VM), for messages. */
  opStart = 0;

  /** @throws ArrayFormatError (truncated pickle) when fewer than n bytes remain */
  require(n: number, what: string): void {
    if (n > this.remaining) {
      const need = Number.isFinite(n) ? `${n} more bytes` : 'more than 2^53 bytes';
      throw new ArrayFormatError(
        `${this.src.name}: truncated pickle: ${what} at byte ${this.opStart} needs ${need} but only ` +
          `${this.remaining} remain; expected a complete pickle ending with STOP`,
      );
    }
  }

  /** Offset of `pos` in the buffer (valid after need). */
  private at(): number {
    return this.pos - this.bufStart;
  }

  u8(): number {
    const v = this.buf[this.at()] as number;
    this.pos += 1;
    return v;
  }
  u16(): number {
    const v = this.view.getUint16(this.at(), true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.at(), true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.view.getInt32(this.at(), true);
    this.pos += 4;
    return v;
  }
  /** 8-byte little-endian length; values above 2^53 are returned as Infinity (always "too long"). */
  u64(): number {
    const v = this.view.getBigUint64(this.at(), true);
    this.pos += 8;
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
  }
  f64be(): number {
    const v = this.view.getFloat64(this.at(), false);
    this.pos += 8;
    return v;
  }
  /** A copy of the next n buffered bytes. */
  bytes(n: number): Uint8Array {
    const a = this.at();
    const out = this.buf.slice(a, a + n);
    this.pos += n;
    return out;
  }
  /** Index (relative to pos) of the first `byte` among the next n buffered bytes, or -1. */
  indexOf(byte: number, n: number): number {
    const a = this.at();
    const i = this.buf.subarray(a, a + n).indexOf(byte);
    return i;
  }
  /** Moves past n bytes (already checked with {@link require}) without reading them. */
  skip(n: number): void {
    this.pos += n;
  }
}
