/**
 * Protocol 2 stores a Python `bytes` object as `_codecs.encode(text, 'latin1')`, with `text` written
 * as UTF-8 (BINUNICODE). Each character (code point ≤ 0xFF) is one byte of the object: ASCII bytes
 * stand for themselves, 0xC2/0xC3 + continuation byte for 0x80–0xFF. These helpers count and
 * decode such text, streaming for large payloads (array data).
 */

import { ArrayFormatError } from '../../errors.js';
import { readExactly, type ByteSource } from './source.js';
import type { ByteRef } from './values.js';

const CHUNK = 4 * 1024 * 1024;

/**
 * Incremental latin-1-in-UTF-8 decoder. Feed chunks; `out` (when given) receives decoded bytes.
 * Returns false on a sequence that is not a code point ≤ 0xFF.
 */
class Latin1Decoder {
  count = 0;
  private lead = -1;
  constructor(private readonly out: Uint8Array | null) {}

  push(chunk: Uint8Array): boolean {
    const out = this.out;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.lead >= 0) {
        if ((b & 0xc0) !== 0x80) return false;
        const v = ((this.lead & 0x03) << 6) | (b & 0x3f);
        if (out !== null) {
          if (this.count >= out.length) return false;
          out[this.count] = v;
        }
        this.count++;
        this.lead = -1;
      } else if (b < 0x80) {
        if (out !== null) {
          if (this.count >= out.length) return false;
          out[this.count] = b;
        }
        this.count++;
      } else if (b === 0xc2 || b === 0xc3) {
        this.lead = b;
      } else {
        return false;
      }
    }
    return true;
  }

  /** True when no sequence is left half-finished. */
  get complete(): boolean {
    return this.lead < 0;
  }
}

function notLatin1(name: string, offset: number): ArrayFormatError {
  return new ArrayFormatError(
    `${name}: text at byte ${offset} passed to _codecs.encode(..., 'latin1') is not latin-1 ` +
      '(a character above U+00FF or invalid UTF-8); expected protocol 2 bytes data',
  );
}

/** Decodes in-memory latin-1 text (UTF-8 bytes) to the bytes it encodes, or throws. */
export function decodeLatin1(utf8: Uint8Array, name: string, offset: number): Uint8Array {
  const out = new Uint8Array(utf8.length);
  const d = new Latin1Decoder(out);
  if (!d.push(utf8) || !d.complete) throw notLatin1(name, offset);
  return out.slice(0, d.count);
}

/**
 * Counts the bytes encoded by latin-1 text stored at [offset, offset + fileLength), reading it in
 * bounded chunks (protocol 2 arrays are not stored verbatim, so their size needs this pass).
 */
export async function countLatin1(src: ByteSource, offset: number, fileLength: number): Promise<number> {
  const d = new Latin1Decoder(null);
  const buf = new Uint8Array(Math.min(CHUNK, fileLength));
  for (let done = 0; done < fileLength; ) {
    const n = Math.min(buf.length, fileLength - done);
    await readExactly(src, offset + done, buf, n, 'latin-1 text');
    if (!d.push(n === buf.length ? buf : buf.subarray(0, n))) throw notLatin1(src.name, offset);
    done += n;
  }
  if (!d.complete) throw notLatin1(src.name, offset);
  return d.count;
}

/** The `ref.length` bytes encoded by a latin-1 ByteRef, decoded from the source. */
export async function readLatin1(src: ByteSource, ref: ByteRef): Promise<Uint8Array> {
  const out = new Uint8Array(ref.length);
  const d = new Latin1Decoder(out);
  const buf = new Uint8Array(Math.min(CHUNK, ref.fileLength));
  for (let done = 0; done < ref.fileLength; ) {
    const n = Math.min(buf.length, ref.fileLength - done);
    await readExactly(src, ref.offset + done, buf, n, 'latin-1 text');
    if (!d.push(n === buf.length ? buf : buf.subarray(0, n))) throw notLatin1(src.name, ref.offset);
    done += n;
  }
  if (!d.complete || d.count !== ref.length) throw notLatin1(src.name, ref.offset);
  return out;
}
