import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CONTRACT } from '../../domain/contract/index.js';
import { parseCsv } from '../../domain/csv.js';
import { OrchestratorError } from '../../domain/errors.js';
import { RecordingReporter } from '../../ports/reporter.js';
import { defaultEraId, emptyStats, generateCsv } from '../sample/generate.js';
import { auditAndChunk, checkProgramYear } from './audit-and-chunk.js';

const dir = () => mkdtempSync(join(tmpdir(), 'op-audit-'));

async function sampleFile(rows: number, defectRate = 0.05, programYear = 2023) {
  const stats = emptyStats();
  let text = '';
  const spec = {
    dataset: 'general' as const,
    programYear,
    rows,
    eraId: defaultEraId('general', programYear),
    defectRate,
    seed: 5,
    publicationDate: `${programYear + 1}-06-30`,
    recipients: 300,
    manufacturers: 40,
  };
  for await (const c of generateCsv(CONTRACT, spec, stats)) text += c;
  const path = join(dir(), 'OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv');
  writeFileSync(path, text);
  return { path, text, stats };
}

const run = (path: string, chunkBytes = 64 * 1024, dataset?: 'general') =>
  auditAndChunk(CONTRACT, {
    path,
    fileName: path.split('/').pop()!,
    dataset,
    chunkBytes,
    outDir: join(dir(), 'chunks'),
    reporter: new RecordingReporter(),
  });

async function expectCode(p: Promise<unknown>, code: string) {
  const e = await p.catch((x: unknown) => x);
  expect(e).toBeInstanceOf(OrchestratorError);
  expect((e as OrchestratorError).code).toBe(code);
  return e as OrchestratorError;
}

describe('audit and chunk', () => {
  it('counts records (not lines), finds the era and splits into parts that reassemble to the same records', async () => {
    const { path, text, stats } = await sampleFile(3000);
    const audit = await run(path);
    const source = parseCsv(text);
    expect(text.split('\n').length - 1).toBeGreaterThan(3001); // embedded newlines
    expect(audit).toMatchObject({
      dataset: 'general',
      era: 'general_91',
      records: 3000,
      bytes: Buffer.byteLength(text),
    });
    expect(audit.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect(audit.header).toEqual(source[0]);
    expect(audit.wrongFieldCount.records).toBe(stats.expected.quarantined['WRONG_FIELD_COUNT'] ?? 0);
    expect(audit.programYears['2023']).toBe(
      3000 - (stats.expected.quarantined['PROGRAM_YEAR_MISMATCH'] ?? 0),
    ); // a wrong field count drops or adds the last field, never Program_Year
    expect(audit.encoding.detected).toBe('utf-8');
    expect(audit.chunks.length).toBeGreaterThan(10);

    const reassembled: string[][] = [];
    for (const c of audit.chunks) {
      const gz = readFileSync(c.file);
      // The part's size and sha256, computed while it was written, are the file's.
      expect(c.gzip).toEqual({ bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex') });
      const rows = parseCsv(gunzipSync(gz).toString('utf8'));
      expect(rows[0]).toEqual(source[0]); // every part starts with the header
      expect(rows.length - 1).toBe(c.records);
      expect(c.bytes).toBeLessThan(64 * 1024 + 20_000); // rotated at a record boundary after the limit
      reassembled.push(...rows.slice(1));
    }
    expect(reassembled).toEqual(source.slice(1));
    expect(audit.chunks.reduce((s, c) => s + c.records, 0)).toBe(audit.records);
  });

  it('repairs Windows-1252 bytes in staging, keeps the original hash, and says so', async () => {
    const d = dir();
    const header = CONTRACT.datasets[3]!.eras[0]!.columns.map((c) => c.source).join(',');
    const body = Buffer.concat([
      Buffer.from(`${header}\nDELETED,2023,General Payment,1\nREMOVED,2023,`),
      Buffer.from([0x4d, 0xe9, 0x64]),
      Buffer.from(',2\n'),
    ]);
    const path = join(d, 'OP_REMOVED_DELETED_PGYR2023_P01302025.csv');
    writeFileSync(path, body);
    const audit = await auditAndChunk(CONTRACT, {
      path,
      fileName: 'x.csv',
      chunkBytes: 1 << 20,
      outDir: join(d, 'c'),
      reporter: new RecordingReporter(),
    });
    expect(audit.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(audit.encoding).toMatchObject({ detected: 'utf-8 with windows-1252 fallback', invalidBytes: 1 });
    const staged = gunzipSync(readFileSync(audit.chunks[0]!.file)).toString('utf8');
    expect(staged).toContain('REMOVED,2023,Méd,2');
  });

  it('refuses an empty file, a binary file, a truncated file and an unknown header', async () => {
    const d = dir();
    writeFileSync(join(d, 'empty.csv'), '');
    await expectCode(run(join(d, 'empty.csv')), 'EMPTY_FILE');
    writeFileSync(join(d, 'bin.csv'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x01]));
    await expectCode(run(join(d, 'bin.csv')), 'NOT_CSV');
    const { text } = await sampleFile(50, 0);
    writeFileSync(join(d, 'cut.csv'), text.slice(0, text.indexOf(',"', 4000) + 4));
    await expectCode(run(join(d, 'cut.csv')), 'TRUNCATED_FILE');
    writeFileSync(join(d, 'other.csv'), 'Name,Favourite_Color\nA,blue\n');
    const e = await expectCode(run(join(d, 'other.csv')), 'UNKNOWN_HEADER');
    expect(e.message).toContain('closest');
  });

  it('refuses a file of another dataset when one is declared', async () => {
    const d = dir();
    const header = CONTRACT.datasets[2]!.eras[1]!.columns.map((c) => c.source).join(',');
    writeFileSync(join(d, 'own.csv'), `${header}\n`);
    await expectCode(run(join(d, 'own.csv'), 1024, 'general'), 'UNKNOWN_HEADER');
  });

  it('fails clearly when the declared year is not the file’s', async () => {
    const { path } = await sampleFile(200, 0, 2022);
    const audit = await run(path);
    expect(() => checkProgramYear(audit, 2022)).not.toThrow();
    expect(() => checkProgramYear(audit, 2023)).toThrow(
      /holds program year 2022 \(200 of 200 records\), not 2023/,
    );
  });

  it('writes each part with the header, and one part for a header-only file', async () => {
    const d = dir();
    const header = CONTRACT.datasets[3]!.eras[0]!.columns.map((c) => c.source).join(',');
    writeFileSync(join(d, 'h.csv'), `\uFEFF${header}\r\n`);
    const audit = await run(join(d, 'h.csv'));
    expect(audit.records).toBe(0);
    expect(readdirSync(join(audit.chunks[0]!.file, '..'))).toEqual(['part-00000.csv.gz']);
    expect(gunzipSync(readFileSync(audit.chunks[0]!.file)).toString('utf8')).toBe(`${header}\r\n`); // BOM dropped
  });
});
