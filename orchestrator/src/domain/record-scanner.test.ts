import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { RecordScanner, type ScannedRecord } from './record-scanner.js';

function scan(text: string | Buffer, chunkSize: number, capture: string[] = []) {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const s = new RecordScanner({ capture });
  const records: ScannedRecord[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) records.push(...s.push(bytes.subarray(i, i + chunkSize)));
  records.push(...s.end());
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
    expect(records.map((r) => r.captured.get('program_year'))).toEqual([
      '2023',
      '2023',
      '2022',
      '2023',
      '2023',
    ]);
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
    expect(records).toHaveLength(1);
  });

  it('captures quoted values with doubled quotes undone', () => {
    const { records } = scan('Name,Program_Year\n"x","20""23"\n', 3, ['program_year']);
    expect(records[0]!.captured.get('program_year')).toBe('20"23');
  });

  it('sees only a header in a one-line file', () => {
    const { s, records } = scan('a,b,c\n', 2);
    expect(s.header).toEqual(['a', 'b', 'c']);
    expect(records).toEqual([]);
  });
});
