/**
 * A streaming, quote-aware CSV record parser (RFC 4180 with CMS habits): fields may be quoted,
 * quotes inside are doubled, and quoted fields may hold commas, CR and LF. Records end at LF or CRLF
 * outside quotes only, so a record with an embedded newline is never split. Feed it chunks of any
 * size; memory is bounded by the longest record.
 */
export class CsvRecordParser {
  private field = '';
  private record: string[] = [];
  private inQuotes = false;
  /** A quote seen inside a quoted field: either the closing quote or the first of a doubled pair. */
  private quotePending = false;
  private sawCr = false;
  private started = false;

  /** Parses a chunk and returns the records completed by it. */
  push(chunk: string): string[][] {
    const out: string[][] = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.quotePending) {
        this.quotePending = false;
        if (ch === '"') {
          this.field += '"';
          continue;
        }
        this.inQuotes = false; // that quote closed the field; fall through to handle ch
      }
      if (this.inQuotes) {
        if (ch === '"') this.quotePending = true;
        else this.field += ch;
        continue;
      }
      if (this.sawCr) {
        this.sawCr = false;
        if (ch === '\n') continue; // CRLF already ended the record
      }
      this.started = true;
      if (ch === '"' && this.field === '') {
        this.inQuotes = true;
      } else if (ch === ',') {
        this.record.push(this.field);
        this.field = '';
      } else if (ch === '\n' || ch === '\r') {
        this.record.push(this.field);
        out.push(this.record);
        this.record = [];
        this.field = '';
        this.started = false;
        this.sawCr = ch === '\r';
      } else {
        this.field += ch;
      }
    }
    return out;
  }

  /** Flushes a last record that has no trailing newline. */
  end(): string[][] {
    if (this.quotePending) {
      this.quotePending = false;
      this.inQuotes = false;
    }
    if (!this.started && this.record.length === 0 && this.field === '') return [];
    this.record.push(this.field);
    const last = this.record;
    this.record = [];
    this.field = '';
    this.started = false;
    return [last];
  }

  /** True while inside a quoted field (a file ending here is truncated). */
  get unterminatedQuote(): boolean {
    return this.inQuotes && !this.quotePending;
  }
}

/** Parses a whole string (tests, small files). */
export function parseCsv(text: string): string[][] {
  const p = new CsvRecordParser();
  return [...p.push(text), ...p.end()];
}
