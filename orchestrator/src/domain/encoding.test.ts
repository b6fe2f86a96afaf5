import { describe, expect, it } from 'vitest';
import { Utf8Repair } from './encoding.js';

function repair(input: Buffer, chunkSize: number) {
  const r = new Utf8Repair();
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkSize) parts.push(r.push(input.subarray(i, i + chunkSize)));
  parts.push(r.end());
  return { out: Buffer.concat(parts), r };
}

describe('UTF-8 check with Windows-1252 fallback', () => {
  const utf8 = Buffer.from('José Müller – 4€ "quoted" 😀\n', 'utf8');

  it.each([1, 2, 3, 5, 64])(
    'passes valid UTF-8 through unchanged, split anywhere (%i-byte chunks)',
    (size) => {
      const { out, r } = repair(utf8, size);
      expect(out.equals(utf8)).toBe(true);
      expect(r.report()).toMatchObject({ detected: 'utf-8', invalidBytes: 0 });
    },
  );

  it('reads cp1252 bytes as Windows-1252 and says where', () => {
    const cp1252 = Buffer.from([0x4a, 0x6f, 0x73, 0xe9, 0x20, 0x80, 0x35, 0x0a]); // "José €5\n" in cp1252
    const { out, r } = repair(cp1252, 3);
    expect(out.toString('utf8')).toBe('José €5\n');
    expect(r.report()).toMatchObject({
      detected: 'utf-8 with windows-1252 fallback',
      invalidBytes: 2,
      firstInvalidOffset: 3,
    });
  });

  it('keeps the good UTF-8 of a mixed file', () => {
    const mixed = Buffer.concat([
      Buffer.from('Müller;', 'utf8'),
      Buffer.from([0xe9]),
      Buffer.from(';ok', 'utf8'),
    ]);
    const { out, r } = repair(mixed, 2);
    expect(out.toString('utf8')).toBe('Müller;é;ok');
    expect(r.invalidBytes).toBe(1);
  });

  it('repairs a truncated sequence at the very end', () => {
    const { out, r } = repair(Buffer.from([0x41, 0xe2, 0x82]), 10);
    expect(out.toString('utf8')).toBe('Aâ‚');
    expect(r.invalidBytes).toBe(2);
  });
});
