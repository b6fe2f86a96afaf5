import { describe, expect, it } from 'vitest';
import { CsvRecordParser, parseCsv } from './csv.js';

describe('CSV record parser', () => {
  it('parses quoted fields with commas, doubled quotes and embedded newlines', () => {
    const text = 'a,b,c\n"x, y","say ""hi""","line1\nline2"\n1,,3\n';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'line1\nline2'],
      ['1', '', '3'],
    ]);
  });

  it('treats CRLF as one record end and keeps CR/LF inside quotes', () => {
    expect(parseCsv('a,b\r\n"1\r\n2",3\r\n')).toEqual([
      ['a', 'b'],
      ['1\r\n2', '3'],
    ]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const text = 'h1,h2\n"q""uote","multi\r\nline"\r\n"",x\nlast,"no newline"';
    const whole = parseCsv(text);
    for (const size of [1, 2, 3, 5, 7]) {
      const p = new CsvRecordParser();
      const got: string[][] = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.push(text.slice(i, i + size)));
      got.push(...p.end());
      expect(got, `chunk size ${size}`).toEqual(whole);
    }
    expect(whole).toHaveLength(4);
    expect(whole[3]).toEqual(['last', 'no newline']);
  });

  it('reports a file that ends inside a quoted field', () => {
    const p = new CsvRecordParser();
    p.push('a,"unterminated\nstill');
    expect(p.unterminatedQuote).toBe(true);
    const q = new CsvRecordParser();
    q.push('a,"closed"');
    expect(q.unterminatedQuote).toBe(false);
  });

  it('returns nothing for empty input', () => {
    expect(parseCsv('')).toEqual([]);
  });
});
