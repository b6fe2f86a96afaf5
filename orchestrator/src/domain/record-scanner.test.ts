import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { RecordScanner, unquoteField } from './record-scanner.js';

interface Found {
  bytes: Buffer;
  fields: number;
  captured: (string | undefined)[];
}

/** Feeds text in chunks of chunkSize and cuts the records out at the offsets the scanner reports. */
function scan(text: string | Buffer, chunkSize: number, capture: string[] = []) {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let headerAt = -1;
  let base = 0; // offset of the current chunk in the file
  let recordStart = 0;
  const s = new RecordScanner({
    capture,
    onHeader: (_h, b, end) => {
      headerAt = base + end;
      recordStart = headerAt;
      expect(b.equals(bytes.subarray(0, headerAt))).toBe(true);
    },
  });
  const records: Found[] = [];
  const onRecord = (end: number, fields: number) => {
    records.push({ bytes: bytes.subarray(recordStart, base + end), fields, captured: [...s.captured] });
    recordStart = base + end;
  };
  for (base = 0; base < bytes.length; base += chunkSize) {
    const dataStart = s.scan(bytes.subarray(base, base + chunkSize), onRecord);
    if (headerAt >= base && headerAt <= base + chunkSize) expect(base + dataStart).toBe(headerAt);
  }
  base = bytes.length;
  s.end(onRecord);
  return { s, records, bytes };
}

const CSV =
  'Record_ID,Program_Year,Contextual_Information\r\n' +
  '"1","2023","lunch, ""in-service""\r\nsecond line"\r\n' +
  '"2","2023",\r\n' +
  '"3","2022","multi\nline\rwith CR"\n' +
  '4,2023,"é – ünïcode"\r' +
  '5,2023,"no newline at end"';

describe('record scanner', () => {
  it.each([1, 2, 3, 7, 16, 1024])('finds the same records whatever the chunk size (%i bytes)', (size) => {
    const { s, records, bytes } = scan(CSV, size, ['program_year']);
    const parsed = parseCsv(CSV);
    expect(s.header).toEqual(parsed[0]);
    expect(records).toHaveLength(parsed.length - 1);
    expect(records.map((r) => r.fields)).toEqual(parsed.slice(1).map((r) => r.length));
    expect(records.map((r) => r.captured[0])).toEqual(['2023', '2023', '2022', '2023', '2023']);
    // Header bytes + record bytes reassemble the input exactly.
    expect(Buffer.concat([s.headerBytes!, ...records.map((r) => r.bytes)]).equals(bytes)).toBe(true);
    expect(s.unterminatedQuote).toBe(false);
  });

  it('counts fields so a record with a wrong field count can be reported', () => {
    const { records } = scan('a,b,c\n1,2,3\n1,2\n1,2,3,4\n"x,y",2,3\n', 5);
    expect(records.map((r) => r.fields)).toEqual([3, 2, 4, 3]);
  });

  it('reports a file cut inside a quoted field', () => {
    const { s, records } = scan('a,b\n1,"open\nnever closed', 4);
    expect(s.unterminatedQuote).toBe(true);
    expect(records).toHaveLength(0); // the cut record is not reported: the audit refuses the file
  });

  it('captures quoted values with doubled quotes undone', () => {
    const { records } = scan('Name,Program_Year\n"x","20""23"\n', 3, ['program_year']);
    expect(records[0]!.captured).toEqual(['20"23']);
  });

  it('sees only a header in a one-line file', () => {
    const { s, records } = scan('a,b,c\n', 2);
    expect(s.header).toEqual(['a', 'b', 'c']);
    expect(records).toEqual([]);
  });
});

/**
 * The scanner's rules, one byte at a time (slow and plain, so it can be trusted): a quote toggles
 * quoting, commas / LF / CR count only outside quotes, a record ends at LF, CRLF or a lone CR, and a
 * file's last record may lack a line ending unless it was cut inside quotes.
 */
function referenceRecords(bytes: Buffer, captureIndex: number[]) {
  const records: { end: number; fields: number; captured: (string | undefined)[] }[] = [];
  let inQuotes = false;
  let field = 0;
  let fieldStart = 0;
  let recordStart = 0;
  let captured: (string | undefined)[] = captureIndex.map(() => undefined);
  const endField = (at: number) => {
    captureIndex.forEach((k, s) => {
      if (k === field) captured[s] = unquoteField(bytes.toString('utf8', fieldStart, at));
    });
  };
  const finish = (end: number) => {
    records.push({ end, fields: field + 1, captured });
    captured = captureIndex.map(() => undefined);
    field = 0;
    fieldStart = recordStart = end;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x22) inQuotes = !inQuotes;
    else if (inQuotes) continue;
    else if (b === 0x2c) {
      endField(i);
      field++;
      fieldStart = i + 1;
    } else if (b === 0x0a || b === 0x0d) {
      endField(i);
      if (b === 0x0d && bytes[i + 1] === 0x0a) i++;
      finish(i + 1);
    }
  }
  if (!inQuotes && recordStart < bytes.length) {
    endField(bytes.length);
    finish(bytes.length);
  }
  return { records, inQuotes };
}

/** A small deterministic generator (the same cases on every run). */
function random(seed: number) {
  let x = seed;
  return (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
}

describe('record scanner against a byte-at-a-time reference', () => {
  const ALPHABET = ['"', '"', ',', ',', ',', '\n', '\r', '\r\n', 'a', 'b', '7', 'é', ' '];
  const header = 'a,b,c,d,e\n';

  it('agrees on record ends, field counts, captures and cut-off files for 400 random files and chunkings', () => {
    const next = random(42);
    for (let n = 0; n < 400; n++) {
      let text = header;
      const length = next(600);
      for (let i = 0; i < length; i++) text += ALPHABET[next(ALPHABET.length)];
      const bytes = Buffer.from(text, 'utf8');
      const want = referenceRecords(bytes, [1, 3]);
      const chunk = [1, 2, 5, 63, 64, 65, 1 << 20][next(7)]!;
      const { s, records } = scan(bytes, chunk, ['b', 'd']);
      let end = header.length;
      const got = records.map((r) => {
        end += r.bytes.length;
        return { end, fields: r.fields, captured: r.captured };
      });
      expect({ n, chunk, records: got }).toEqual({ n, chunk, records: want.records.slice(1) });
      expect(s.unterminatedQuote).toBe(want.inQuotes);
    }
  });

  it('scans chunks that lie in its kernel buffers in place, with the same results as copied ones', () => {
    const next = random(7);
    let text = header;
    for (let i = 0; i < 20000; i++) text += ALPHABET[next(ALPHABET.length)];
    const bytes = Buffer.from(text, 'utf8');
    const want = referenceRecords(bytes, [1, 3]).records.slice(1);
    const found: { end: number; fields: number; captured: (string | undefined)[] }[] = [];
    const s = new RecordScanner({ capture: ['b', 'd'] });
    const blocks = s.kernelBuffers(2, 4096);
    let base = 0;
    for (let i = 0; base < bytes.length; i++) {
      const block = blocks[i % 2]!;
      const n = bytes.copy(block, 0, base);
      const chunk = block.subarray(0, n);
      expect(chunk.buffer).toBe(blocks[0]!.buffer); // really in the kernel's memory
      const chunkBase = base;
      s.scan(chunk, (end, fields) => found.push({ end: chunkBase + end, fields, captured: [...s.captured] }));
      base += n;
    }
    s.end((end, fields) => found.push({ end: base + end, fields, captured: [...s.captured] }));
    expect(found).toEqual(want);
  });

  it('agrees on a chunk larger than the kernel input with more records than its output holds', () => {
    // 5 MB in one chunk: two kernel pieces, ~80,000 records (the output holds 16,384 at a time), and
    // records with quoted CR / LF cut by the piece boundary.
    const rows: string[] = [header];
    for (let i = 0, size = 0; size < 5 << 20; i++) {
      size +=
        rows[
          rows.push(
            `${i},"${i % 7 === 0 ? 'x\r\ny' : 'v'}",${i % 3 === 0 ? '""""' : ''},2023,"z"${i % 5 === 0 ? '\r\n' : '\n'}`.repeat(
              50,
            ),
          ) - 1
        ]!.length;
    }
    const bytes = Buffer.from(rows.join(''), 'utf8');
    const want = referenceRecords(bytes, [1, 3]).records.slice(1);
    const { records } = scan(bytes, bytes.length, ['b', 'd']);
    expect(records).toHaveLength(want.length);
    expect(records.map((r) => r.fields)).toEqual(want.map((r) => r.fields));
    expect(records.map((r) => r.captured)).toEqual(want.map((r) => r.captured));
  });
});

describe('record scanner kernel', () => {
  it('is the assembly of record-scan.wat (run `node scripts/build-wasm.mjs` after editing it)', async () => {
    const script = new URL('../../../scripts/build-wasm.mjs', import.meta.url).href;
    const { generatedModule } = (await import(script)) as { generatedModule: () => Promise<string> };
    const committed = readFileSync(new URL('./record-scan.wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await generatedModule());
  });
});
