/**
 * Finds CSV record boundaries in a UTF-8 byte stream without decoding it: a record ends at LF or CRLF
 * (or a lone CR) outside quotes, so a record whose quoted text holds newlines is never split. Each
 * complete record comes out as its original bytes (for chunking) with its field count. The first
 * record is the header: it is parsed, and the fields named in `capture` (e.g. Program_Year) are then
 * read from every record without parsing the rest. Memory is bounded by the longest record.
 */
import { parseCsv } from './csv.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE_BYTE = Buffer.from('"');

export interface ScannedRecord {
  /** The record's bytes including its line ending. */
  bytes: Buffer;
  fields: number;
  /** Captured field texts by lower-cased column name (quotes removed, doubled quotes undone). */
  captured: Map<string, string>;
}

export class RecordScanner {
  /** The parsed header (first record), once seen. */
  header: string[] | undefined;
  /** The header record's original bytes. */
  headerBytes: Buffer | undefined;

  private readonly captureNames: string[];
  private captureAt = new Map<number, string>();
  /** captureFlags[i] is true when field i is captured (an array read is cheaper than a Map lookup). */
  private captureFlags: boolean[] = [];
  private pending: Buffer[] = [];
  private inQuotes = false;
  private quotePending = false;
  private crPending = false;
  private field = 0;
  /** Slices of the field being captured (copied when the field ends, before the chunk is reused). */
  private fieldParts: Buffer[] | undefined;
  private captured = new Map<string, string>();

  constructor(opts: { capture?: string[] } = {}) {
    this.captureNames = (opts.capture ?? []).map((n) => n.toLowerCase());
  }

  /** Scans a chunk; returns the data records it completed (the header is kept in `header`). */
  push(chunk: Buffer): ScannedRecord[] {
    const out: ScannedRecord[] = [];
    const n = chunk.length;
    let start = 0; // where the current record's bytes begin within this chunk
    let i = 0;
    while (i < n) {
      if (this.crPending) {
        this.crPending = false;
        if (chunk[i] === LF) {
          this.emit(out, chunk, start, i + 1);
          start = ++i;
          continue;
        }
        this.emit(out, chunk, start, i); // a lone CR ended the record
        start = i;
      }
      if (this.quotePending) {
        this.quotePending = false;
        if (chunk[i] === QUOTE) {
          this.fieldParts?.push(QUOTE_BYTE); // a doubled quote inside a quoted field
          i++;
          this.inQuotes = true;
          continue;
        }
        this.inQuotes = false;
      }
      if (this.inQuotes) {
        // Inside quotes only a quote matters: jump straight to it.
        const q = chunk.indexOf(QUOTE, i);
        const stop = q === -1 ? n : q;
        if (this.fieldParts && stop > i) this.fieldParts.push(chunk.subarray(i, stop));
        if (q === -1) {
          i = n;
        } else {
          this.inQuotes = false;
          this.quotePending = true;
          i = q + 1;
        }
        continue;
      }
      const b = chunk[i]!;
      if (b === QUOTE) {
        this.inQuotes = true;
        i++;
      } else if (b === COMMA) {
        // The hot path: most fields are not captured, so avoid any call or lookup for them.
        if (this.fieldParts) this.endField();
        this.field++;
        if (this.captureFlags[this.field] === true) this.fieldParts = [];
        i++;
      } else if (b === LF) {
        this.emit(out, chunk, start, i + 1);
        start = ++i;
      } else if (b === CR) {
        this.crPending = true; // CRLF or a lone CR: decided by the next byte
        i++;
      } else {
        // Plain bytes up to the next special one.
        let j = i + 1;
        while (j < n) {
          const c = chunk[j]!;
          if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
          j++;
        }
        if (this.fieldParts) this.fieldParts.push(chunk.subarray(i, j));
        i = j;
      }
    }
    if (start < n) this.pending.push(Buffer.from(chunk.subarray(start)));
    return out;
  }

  /** The last record, when the file does not end with a newline. */
  end(): ScannedRecord[] {
    const out: ScannedRecord[] = [];
    // A file that ended right after a closing quote is complete.
    this.quotePending = false;
    this.crPending = false;
    if (this.pending.length) this.emit(out, Buffer.alloc(0), 0, 0);
    return out;
  }

  /** True while inside a quoted field: a file ending here was cut off. */
  get unterminatedQuote(): boolean {
    return this.inQuotes;
  }

  private emit(out: ScannedRecord[], chunk: Buffer, from: number, to: number): void {
    this.endField();
    const piece = chunk.subarray(from, to);
    // No copy: chunks are never reused, and the writer copies records into its own buffers.
    const bytes = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
    this.pending = [];
    const record = { bytes, fields: this.field + 1, captured: this.captured };
    this.captured = new Map();
    this.field = 0;
    if (this.header === undefined) this.readHeader(bytes);
    else out.push(record);
    this.startField();
  }

  private readHeader(bytes: Buffer): void {
    this.header = parseCsv(bytes.toString('utf8'))[0] ?? [];
    this.headerBytes = bytes;
    this.header.forEach((name, i) => {
      const key = name
        .replace(/^\uFEFF/, '')
        .trim()
        .toLowerCase();
      if (this.captureNames.includes(key)) {
        this.captureAt.set(i, key);
        this.captureFlags[i] = true;
      }
    });
  }

  private startField(): void {
    this.fieldParts = this.captureAt.has(this.field) ? [] : undefined;
  }

  private endField(): void {
    const name = this.captureAt.get(this.field);
    if (name !== undefined && this.fieldParts)
      this.captured.set(name, Buffer.concat(this.fieldParts).toString('utf8'));
    this.fieldParts = undefined;
  }
}
