/**
 * Finds CSV record boundaries in a UTF-8 byte stream without decoding or copying it: a record ends at
 * LF or CRLF (or a lone CR) outside quotes, so a record whose quoted text holds newlines is never
 * split. The scanner reports where each record ends within the chunk being scanned, with its field
 * count; the caller slices the chunk itself (the staging writer cuts parts only at those offsets).
 * The first record is the header: it is parsed, and the fields named in `capture` (e.g. Program_Year)
 * are then read from every record without parsing the rest. Memory is bounded by the header and the
 * captured fields; a gigabyte goes through at a few hundred MB/s, so this loop is kept branch-light.
 */
import { parseCsv } from './csv.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
/** 1 for the bytes that can end a run of plain field text outside quotes. */
const SPECIAL = new Uint8Array(256);
for (const b of [QUOTE, COMMA, LF, CR]) SPECIAL[b] = 1;

/** Called for each data record: `end` is the offset just past the record (and its line ending) in the chunk. */
export type OnRecord = (end: number, fields: number) => void;
/** Called once, as soon as the header is read; `end` is where data begins in the chunk being scanned. */
export type OnHeader = (header: string[], bytes: Buffer, end: number) => void;

/** Undoes CSV quoting of one field's raw text: `"a""b"` → `a"b` (a quote toggles quoting, `""` inside is one). */
export function unquoteField(raw: string): string {
  if (!raw.includes('"')) return raw;
  let out = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '"') out += c;
    else if (quoted && raw[i + 1] === '"') {
      out += '"';
      i++;
    } else quoted = !quoted;
  }
  return out;
}

/**
 * The raw bytes of one captured field, decoded only when they differ from the previous record's: a
 * year column holds one value in millions of rows, so most records cost a short byte compare and no
 * allocation.
 */
class CapturedField {
  private lastRaw = Buffer.alloc(64);
  private lastLength = -1;
  private lastValue = '';
  /** Raw bytes of the field from earlier chunks, when it spans a chunk boundary (rare). */
  private carried: Buffer | undefined;

  carry(chunk: Buffer, from: number): void {
    const rest = chunk.subarray(from);
    this.carried = this.carried ? Buffer.concat([this.carried, rest]) : Buffer.from(rest);
  }

  value(chunk: Buffer, from: number, to: number): string {
    let raw = chunk;
    if (this.carried) {
      raw = Buffer.concat([this.carried, chunk.subarray(from, to)]);
      this.carried = undefined;
      from = 0;
      to = raw.length;
    }
    const length = to - from;
    if (length === this.lastLength) {
      let k = 0;
      while (k < length && raw[from + k] === this.lastRaw[k]) k++;
      if (k === length) return this.lastValue;
    }
    const value = unquoteField(raw.toString('utf8', from, to));
    if (length <= this.lastRaw.length) {
      raw.copy(this.lastRaw, 0, from, to);
      this.lastLength = length;
      this.lastValue = value;
    }
    return value;
  }
}

export class RecordScanner {
  /** The parsed header (first record), once seen. */
  header: string[] | undefined;
  /** The header record's original bytes. */
  headerBytes: Buffer | undefined;
  /** The captured fields of the record being reported (in `capture` order; quotes removed, doubled quotes undone). */
  readonly captured: (string | undefined)[];

  private readonly captureNames: string[];
  private readonly onHeader: OnHeader | undefined;
  /** captureSlot[i] is the index in `captured` of field i (an array read is cheaper than a Map lookup). */
  private captureSlot: (CapturedField | undefined)[] = [];
  private slotIndex: number[] = [];
  private headerParts: Buffer[] = [];
  private inQuotes = false;
  private quotePending = false;
  private crPending = false;
  /** Bytes of an unfinished record have been seen (a file without a final newline still ends one). */
  private recordOpen = false;
  private field = 0;
  /** The field being captured, and where its bytes begin in the current chunk. */
  private capturing: CapturedField | undefined;
  private captureFrom = 0;

  constructor(opts: { capture?: string[]; onHeader?: OnHeader } = {}) {
    this.onHeader = opts.onHeader;
    this.captureNames = (opts.capture ?? []).map((n) => n.toLowerCase());
    this.captured = this.captureNames.map(() => undefined);
  }

  /**
   * Scans a chunk, calling onRecord for every data record that ends in it. Returns the offset where
   * data begins in this chunk: past the header when the header ends here, the chunk's length while the
   * header is still incomplete, else 0.
   */
  scan(chunk: Buffer, onRecord: OnRecord): number {
    const n = chunk.length;
    let dataStart = this.header === undefined ? n : 0;
    const finish = (end: number) => {
      if (this.header === undefined) {
        this.headerParts.push(chunk.subarray(0, end));
        dataStart = end;
        this.readHeader(Buffer.concat(this.headerParts), end);
      } else {
        onRecord(end, this.field + 1);
      }
      this.startRecord(end);
    };
    let i = 0;
    while (i < n) {
      if (this.crPending) {
        this.crPending = false;
        if (chunk[i] === LF) {
          finish(++i);
          continue;
        }
        finish(i); // a lone CR ended the record
      }
      if (this.quotePending) {
        this.quotePending = false;
        if (chunk[i] === QUOTE) {
          i++; // a doubled quote inside a quoted field
          this.inQuotes = true;
          continue;
        }
        this.inQuotes = false;
      }
      this.recordOpen = true;
      if (this.inQuotes) {
        // Inside quotes only a quote matters: jump straight to it.
        const q = chunk.indexOf(QUOTE, i);
        if (q === -1) {
          i = n;
        } else {
          this.inQuotes = false;
          this.quotePending = true;
          i = q + 1;
        }
        continue;
      }
      if (this.capturing === undefined) {
        // The hot path: unquoted, uncaptured fields. Count commas in a tight loop with the state in
        // locals, until a byte that needs the full state machine.
        const slots = this.captureSlot;
        let f = this.field;
        while (i < n) {
          const c = chunk[i]!;
          if (SPECIAL[c] === 0) {
            i++;
          } else if (c === COMMA) {
            i++;
            f++;
            if (slots[f] !== undefined) {
              this.capturing = slots[f];
              this.captureFrom = i;
              break;
            }
          } else break;
        }
        this.field = f;
        if (i === n || this.capturing !== undefined) continue;
      }
      const b = chunk[i]!;
      if (b === COMMA) {
        this.endField(chunk, i);
        i++;
        this.field++;
        this.startField(i);
      } else if (b === QUOTE) {
        this.inQuotes = true;
        i++;
      } else if (b === LF) {
        this.endField(chunk, i);
        finish(++i);
      } else if (b === CR) {
        this.endField(chunk, i);
        this.crPending = true; // CRLF or a lone CR: decided by the next byte
        i++;
      } else {
        // Plain bytes up to the next special one.
        i++;
        while (i < n && SPECIAL[chunk[i]!] === 0) i++;
      }
    }
    this.capturing?.carry(chunk, this.captureFrom);
    this.captureFrom = 0;
    if (this.header === undefined && this.recordOpen) this.headerParts.push(Buffer.from(chunk));
    return dataStart;
  }

  /**
   * Ends the last record when the file does not end with a newline. Offsets are those of an empty
   * chunk after the last one: the record ends at 0, where that chunk would begin.
   */
  end(onRecord: OnRecord): void {
    // A file that ended right after a closing quote is complete.
    this.quotePending = false;
    this.crPending = false;
    if (!this.recordOpen || this.inQuotes) return;
    if (this.header === undefined) {
      this.readHeader(Buffer.concat(this.headerParts), 0);
    } else {
      this.endField(Buffer.alloc(0), 0);
      onRecord(0, this.field + 1);
    }
    this.startRecord(0);
  }

  /** True while inside a quoted field: a file ending here was cut off. */
  get unterminatedQuote(): boolean {
    return this.inQuotes;
  }

  private startRecord(at: number): void {
    this.recordOpen = false;
    this.field = 0;
    this.captured.fill(undefined);
    this.startField(at);
  }

  private startField(at: number): void {
    this.capturing = this.captureSlot[this.field];
    this.captureFrom = at;
  }

  private endField(chunk: Buffer, at: number): void {
    const field = this.capturing;
    if (field === undefined) return;
    this.capturing = undefined;
    this.captured[this.slotIndex[this.field]!] = field.value(chunk, this.captureFrom, at);
  }

  private readHeader(bytes: Buffer, end: number): void {
    this.header = parseCsv(bytes.toString('utf8'))[0] ?? [];
    this.headerBytes = bytes;
    this.headerParts = [];
    this.header.forEach((name, i) => {
      const key = name
        .replace(/^\uFEFF/, '')
        .trim()
        .toLowerCase();
      const slot = this.captureNames.indexOf(key);
      if (slot !== -1) {
        this.captureSlot[i] = new CapturedField();
        this.slotIndex[i] = slot;
      }
    });
    this.onHeader?.(this.header, bytes, end);
  }
}
