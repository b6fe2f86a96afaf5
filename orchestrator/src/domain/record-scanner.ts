/**
 * Finds CSV record boundaries in a UTF-8 byte stream without decoding or copying it: a record ends at
 * LF or CRLF (or a lone CR) outside quotes, so a record whose quoted text holds newlines is never
 * split. The scanner reports where each record ends within the chunk being scanned, with its field
 * count; the caller slices the chunk itself (the staging writer cuts parts only at those offsets).
 * The first record is the header: it is parsed, and the fields named in `capture` (e.g. Program_Year)
 * are then read from every record without parsing the rest. Memory is bounded by the header and the
 * captured fields.
 *
 * The byte loop is a WebAssembly SIMD kernel (record-scan.wat): a gigabyte of CSV is scanned in a
 * fraction of a second instead of the seconds a branch-per-byte loop in JavaScript takes, which made
 * the scan the largest cost of an ingest after compression. This class feeds it and reads captures.
 */
import { parseCsv } from './csv.js';
import { RECORD_SCAN_WASM_BASE64 } from './record-scan.wasm.js';

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

// Node has WebAssembly; the TypeScript libs this project compiles with (no DOM) do not declare it.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  IN_CAP: { value: number };
  OUT: { value: number };
  OUT_RECORDS: { value: number };
  reset(): void;
  setCapture(k0: number, k1: number): void;
  insideQuotes(): number;
  stoppedAt(): number;
  scan(start: number, end: number, base: number, max: number): number;
  finish(eof: number): number;
}

/** Compiled once per process; each scanner gets its own instance (its own state and memory). */
let compiled: object | undefined;
function newKernel(): Kernel {
  compiled ??= new WebAssembly.Module(Buffer.from(RECORD_SCAN_WASM_BASE64, 'base64'));
  return new WebAssembly.Instance(compiled).exports as unknown as Kernel;
}

/** f64 slots per record in the kernel's output: end, fields, last field end, 4 comma positions, spare. */
const SLOTS = 8;
/** Bytes kept from earlier chunks for a captured field that began there (a field longer is not read). */
const TAIL_BYTES = 64 * 1024;

/**
 * The raw bytes of one captured field, decoded only when they differ from the previous record's: a
 * year column holds one value in millions of rows, so most records cost a short byte compare and no
 * allocation.
 */
class CapturedField {
  private lastRaw = Buffer.alloc(64);
  private lastLength = -1;
  private lastValue = '';

  value(raw: Buffer, from: number, to: number): string {
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
  private readonly kernel = newKernel();
  private input: Uint8Array;
  private out: Float64Array;
  private readonly outRecords: number;
  /** Header field index of each capture (-1: not in this file), and its reader. */
  private captureIndex: number[] = [];
  private readonly fields: CapturedField[];
  private headerParts: Buffer[] = [];
  /** Global offset (from the file's first byte) of the chunk being scanned, and of the last record end. */
  private base = 0;
  private lastEnd = 0;
  /** The last bytes of earlier chunks, from global offset tailStart: a captured field may begin there. */
  private tail: Buffer = Buffer.alloc(0);
  private tailStart = 0;

  constructor(opts: { capture?: string[]; onHeader?: OnHeader } = {}) {
    this.onHeader = opts.onHeader;
    this.captureNames = (opts.capture ?? []).map((n) => n.toLowerCase());
    if (this.captureNames.length > 2) throw new Error('RecordScanner captures at most two fields');
    this.captured = this.captureNames.map(() => undefined);
    this.fields = this.captureNames.map(() => new CapturedField());
    const k = this.kernel;
    this.outRecords = k.OUT_RECORDS.value;
    this.input = new Uint8Array(k.memory.buffer, 0, k.IN_CAP.value);
    this.out = new Float64Array(k.memory.buffer, k.OUT.value, this.outRecords * SLOTS);
  }

  /**
   * Buffers inside the kernel's own memory, for a caller that gathers its bytes anyway: a chunk that
   * is one of them is scanned where it lies, without the copy into the kernel (a gigabyte of memcpy
   * per gigabyte). Call once, before scanning.
   */
  kernelBuffers(count: number, bytes: number): Buffer[] {
    const k = this.kernel;
    const stride = bytes + 64; // the kernel reads up to 63 bytes past a chunk's end (and ignores them)
    const start = k.memory.buffer.byteLength;
    k.memory.grow(Math.ceil((count * stride) / 65536));
    // Growing replaces the memory's ArrayBuffer: the views onto the old one are dead.
    this.input = new Uint8Array(k.memory.buffer, 0, k.IN_CAP.value);
    this.out = new Float64Array(k.memory.buffer, k.OUT.value, this.outRecords * SLOTS);
    return Array.from({ length: count }, (_, i) => Buffer.from(k.memory.buffer, start + i * stride, bytes));
  }

  /**
   * Scans a chunk, calling onRecord for every data record that ends in it. Returns the offset where
   * data begins in this chunk: past the header when the header ends here, the chunk's length while the
   * header is still incomplete, else 0.
   */
  scan(chunk: Buffer, onRecord: OnRecord): number {
    let dataStart = this.header === undefined ? chunk.length : 0;
    const inPlace = chunk.buffer === this.kernel.memory.buffer;
    const cap = inPlace ? chunk.length : this.input.length;
    for (let from = 0; from < chunk.length; from += cap) {
      const piece = chunk.subarray(from, from + cap);
      // Where the piece lies in the kernel's memory: where it is already, or copied to the input area.
      const at = inPlace ? chunk.byteOffset : 0;
      if (!inPlace) this.input.set(piece);
      let start = at;
      while (start < at + piece.length) {
        // Until the header is known, stop after one record: the captures depend on it.
        const max = this.header === undefined ? 1 : this.outRecords;
        const n = this.kernel.scan(start, at + piece.length, this.base + from - at, max);
        for (let r = 0; r < n; r++) {
          const end = this.record(chunk, r, onRecord);
          if (end !== undefined) dataStart = end;
        }
        start = this.kernel.stoppedAt();
      }
    }
    if (this.header === undefined && this.base + chunk.length > this.lastEnd) {
      this.headerParts.push(Buffer.from(chunk.subarray(Math.max(0, this.lastEnd - this.base))));
    }
    this.keepTail(chunk);
    this.base += chunk.length;
    return dataStart;
  }

  /**
   * Ends the last record when the file does not end with a newline. Offsets are those of an empty
   * chunk after the last one: the record ends at 0, where that chunk would begin.
   */
  end(onRecord: OnRecord): void {
    if (this.kernel.finish(this.base) === 1) this.record(Buffer.alloc(0), 0, onRecord);
  }

  /** True while inside a quoted field: a file ending here was cut off. */
  get unterminatedQuote(): boolean {
    return this.kernel.insideQuotes() === 1;
  }

  /** Reports the kernel's record r; returns where data begins in the chunk when it was the header. */
  private record(chunk: Buffer, r: number, onRecord: OnRecord): number | undefined {
    const o = r * SLOTS;
    const out = this.out;
    const end = out[o]!;
    const start = this.lastEnd;
    this.lastEnd = end;
    if (this.header === undefined) {
      // A copy: the caller may reuse the chunk's memory, and the header is written into every part.
      this.readHeader(Buffer.concat([...this.headerParts, chunk.subarray(0, end - this.base)]));
      this.onHeader?.(this.header!, this.headerBytes!, end - this.base);
      return end - this.base;
    }
    const fields = out[o + 1]!;
    for (let s = 0; s < this.fields.length; s++) {
      const k = this.captureIndex[s]!;
      if (k < 0 || k >= fields) {
        this.captured[s] = undefined;
        continue;
      }
      const before = out[o + 3 + 2 * s]!;
      const after = out[o + 4 + 2 * s]!;
      const from = k === 0 ? start : before + 1;
      const to = k + 1 < fields ? after : out[o + 2]!;
      this.captured[s] = this.capturedValue(s, chunk, from, to);
    }
    onRecord(end - this.base, fields);
    return undefined;
  }

  /** Field s's value from its global offsets: in this chunk, or starting in the kept tail. */
  private capturedValue(s: number, chunk: Buffer, from: number, to: number): string | undefined {
    const field = this.fields[s]!;
    if (from >= this.base) return field.value(chunk, from - this.base, to - this.base);
    if (from < this.tailStart) return undefined; // began further back than the tail keeps (a field > 64 KB)
    const joined = Buffer.concat([this.tail, chunk.subarray(0, Math.max(0, to - this.base))]);
    return field.value(joined, from - this.tailStart, to - this.tailStart);
  }

  /** Keeps the end of the chunk (from the open record's start, at most TAIL_BYTES) for the next one. */
  private keepTail(chunk: Buffer): void {
    const chunkEnd = this.base + chunk.length;
    const from = Math.max(this.lastEnd, chunkEnd - TAIL_BYTES);
    if (from >= this.base) {
      this.tail = Buffer.from(chunk.subarray(from - this.base));
    } else {
      // The open record began in an earlier chunk: keep part of the old tail too.
      const old = this.tail.subarray(Math.max(0, from - this.tailStart));
      this.tail = Buffer.concat([old, chunk]).subarray(-TAIL_BYTES);
    }
    this.tailStart = chunkEnd - this.tail.length;
  }

  private readHeader(bytes: Buffer): void {
    this.header = parseCsv(bytes.toString('utf8'))[0] ?? [];
    this.headerBytes = bytes;
    this.headerParts = [];
    const keys = this.header.map((name) =>
      name
        .replace(/^\uFEFF/, '')
        .trim()
        .toLowerCase(),
    );
    this.captureIndex = this.captureNames.map((n) => keys.indexOf(n));
    this.kernel.setCapture(this.captureIndex[0] ?? -1, this.captureIndex[1] ?? -1);
  }
}
