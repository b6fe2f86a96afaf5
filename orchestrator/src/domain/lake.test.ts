import { describe, expect, it } from 'vitest';
import { OrchestratorError } from './errors.js';
import { assertSafeKey, isWriteOnceKey, lake, latestProgramYear } from './lake.js';

const loc = { dataset: 'general' as const, programYear: 2023, publication: '2024-06-28' };

describe('lake layout', () => {
  it('builds the zone paths of the architecture', () => {
    expect(lake.rawFile(loc, 'OP_DTL_GNRL_PGYR2023_P06282024_06122024.csv')).toBe(
      'raw/open_payments/general/program_year=2023/publication=2024-06-28/OP_DTL_GNRL_PGYR2023_P06282024_06122024.csv',
    );
    expect(lake.stagingChunk(loc, 7)).toBe(
      'staging/open_payments/general/program_year=2023/publication=2024-06-28/part-00007.csv.gz',
    );
    expect(lake.rejectedPrefix('general', 2023, '20261126T142001Z-ab12cd')).toBe(
      'staging/rejected/open_payments/general/program_year=2023/run_id=20261126T142001Z-ab12cd/',
    );
    expect(lake.curatedPartitionPrefix('research', 2019)).toBe(
      'curated/open_payments/research/program_year=2019/',
    );
    expect(lake.runFile('r1', 'manifest.json')).toBe('metadata/runs/run_id=r1/manifest.json');
    expect(lake.lock('general', 2023)).toBe('metadata/locks/general-2023.lock');
    expect(lake.artifact('abc123', 'jobs.zip')).toBe('artifacts/abc123/jobs.zip');
  });

  it('marks only raw keys write-once', () => {
    expect(isWriteOnceKey(lake.rawFile(loc, 'x.csv'))).toBe(true);
    expect(isWriteOnceKey(lake.stagingChunk(loc, 0))).toBe(false);
    expect(isWriteOnceKey('rawish/x')).toBe(false);
  });

  it.each([
    ['a file name with a slash', () => lake.rawFile(loc, 'a/b.csv')],
    ['a traversal', () => lake.rawFile(loc, '..')],
    ['a year before 2013', () => lake.curatedPartitionPrefix('general', 2012)],
    ['a fractional year', () => lake.curatedPartitionPrefix('general', 2020.5)],
    ['a bad publication date', () => lake.rawFile({ ...loc, publication: '06/28/2024' }, 'x.csv')],
    ['an impossible publication date', () => lake.rawFile({ ...loc, publication: '2024-13-45' }, 'x.csv')],
    ['an absolute key', () => assertSafeKey('/etc/passwd')],
    ['a dot-dot key', () => assertSafeKey('raw/../x')],
  ])('refuses %s with INVALID_LAKE_KEY', (_what, fn) => {
    expect(fn).toThrow(OrchestratorError);
    expect(fn).toThrow(/Invalid/);
  });

  it('knows the newest program year that can exist', () => {
    expect(latestProgramYear(new Date('2026-11-26T00:00:00Z'))).toBe(2026);
  });
});
