import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { RecordScanner } from './record-scanner.js';

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
