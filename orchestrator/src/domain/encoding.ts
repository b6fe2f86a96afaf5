/**
 * Encoding check and repair, streaming. Recent CMS files are valid UTF-8; older loaders met
 * latin-1/cp1252 bytes. We detect rather than guess: valid UTF-8 sequences pass through untouched,
 * and each byte that cannot start or continue a valid sequence is read as Windows-1252 and re-encoded
 * as UTF-8 (so a mostly-UTF-8 file with a few stray bytes keeps its good characters). The raw zone
 * keeps the original bytes; the counts say exactly what was repaired.
 */
import { isUtf8 } from 'node:buffer';

/** Windows-1252 0x80–0x9F → Unicode (undefined bytes map to themselves, as browsers do). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d,
  0x017d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
  0x0153, 0x9d, 0x017e, 0x0178,
];

function cp1252ToUtf8(byte: number): Buffer {
  const code = byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80]! : byte;
  return Buffer.from(String.fromCodePoint(code), 'utf8');
}

/** Length of the valid UTF-8 sequence starting at i, 0 if invalid, -1 if it may continue past the end. */
function utf8SequenceLength(buf: Uint8Array, i: number): number {
  const b = buf[i]!;
  let need: number;
  let min: number;
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
  else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
  else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
  else return 0;
  let cp = b & (0x3f >> need);
  for (let k = 1; k <= need; k++) {
    if (i + k >= buf.length) return -1;
    const c = buf[i + k]!;
    if ((c & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return need + 1;
}

export interface EncodingReport {
  /** 'utf-8' when every byte was valid, else 'utf-8 with windows-1252 fallback'. */
  detected: 'utf-8' | 'utf-8 with windows-1252 fallback';
  invalidBytes: number;
  firstInvalidOffset: number | null;
  handling: string;
}

/** Feeds bytes in, gets valid UTF-8 out; a sequence split across chunks is carried to the next one. */
export class Utf8Repair {
  private carry: Uint8Array = new Uint8Array(0);
  private offset = 0;
  invalidBytes = 0;
  firstInvalidOffset: number | null = null;

  push(chunk: Uint8Array): Buffer {
    const buf = this.carry.length
      ? Buffer.concat([this.carry, chunk])
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Keep an incomplete trailing sequence (at most 3 bytes) for the next chunk.
    let end = buf.length;
    for (let back = 1; back <= 3 && back <= buf.length; back++) {
      const b = buf[buf.length - back]!;
      if ((b & 0xc0) !== 0x80) {
        if (b >= 0xc0 && utf8SequenceLength(buf, buf.length - back) === -1) end = buf.length - back;
        break;
      }
    }
    this.carry = buf.subarray(end);
    const body = buf.subarray(0, end);
    const base = this.offset;
    this.offset += body.length;
    if (isUtf8(body)) return body;
    return this.repair(body, base);
  }

  /** Flushes a trailing incomplete sequence (each of its bytes is invalid on its own). */
  end(): Buffer {
    const rest = this.carry;
    this.carry = new Uint8Array(0);
    const base = this.offset;
    this.offset += rest.length;
    return rest.length ? this.repair(Buffer.from(rest), base, true) : Buffer.alloc(0);
  }

  report(): EncodingReport {
    return this.invalidBytes === 0
      ? {
          detected: 'utf-8',
          invalidBytes: 0,
          firstInvalidOffset: null,
          handling: 'none: the file is valid UTF-8',
        }
      : {
          detected: 'utf-8 with windows-1252 fallback',
          invalidBytes: this.invalidBytes,
          firstInvalidOffset: this.firstInvalidOffset,
          handling:
            'bytes that are not valid UTF-8 were read as Windows-1252 and re-encoded as UTF-8 in the staging chunks; the raw zone keeps the original bytes',
        };
  }

  private repair(body: Buffer, base: number, atEnd = false): Buffer {
    const parts: Buffer[] = [];
    let start = 0;
    let i = 0;
    while (i < body.length) {
      const len = utf8SequenceLength(body, i);
      if (len > 0) {
        i += len;
        continue;
      }
      if (len === -1 && !atEnd) break; // cannot happen: push() carried incomplete tails
      if (i > start) parts.push(body.subarray(start, i));
      parts.push(cp1252ToUtf8(body[i]!));
      this.invalidBytes++;
      this.firstInvalidOffset ??= base + i;
      i++;
      start = i;
    }
    if (start < body.length) parts.push(body.subarray(start));
    return Buffer.concat(parts);
  }
}
