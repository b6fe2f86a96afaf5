import { describe, expect, it } from 'vitest';
import { RUN_TABLES } from '../domain/run-tables.js';
import { runRow, validationRows } from './run-tables.js';

describe('run table rows', () => {
  it('a _runs row has exactly the declared columns, counts per table, and the error split out', () => {
    const row = runRow({
      runId: '20261127T010203Z-abc123',
      kind: 'submit',
      command: 'submit transform',
      programYear: 2023,
      status: 'failed',
      startedAt: '2026-11-27T01:02:03Z',
      tables: [{ table: 'general', status: 'failed', rowsIn: 10, rowsOut: 7, rowsRejected: 2, removed: 1 }],
      error: { code: 'RECONCILIATION_FAILED', message: 'rows do not add up' },
      files: ['manifest.json'],
    });
    expect(Object.keys(row)).toEqual(RUN_TABLES._runs.columns.map((c) => c.name));
    expect(row).toMatchObject({
      program_year: 2023,
      finished_at: null,
      tables: [{ table: 'general', rows_in: 10, rows_out: 7, rows_rejected: 2, removed: 1 }],
      error_code: 'RECONCILIATION_FAILED',
    });
  });

  it('_validation rows: one per check, values as JSON text', () => {
    const rows = validationRows({
      runId: 'r1',
      programYear: 2022,
      validatedAt: '2026-11-27T00:00:00Z',
      checks: [
        {
          dataset: 'general',
          check: 'curated.reconciled',
          status: 'pass',
          detail: 'in = out',
          observed: { rows: 5 },
        },
        { dataset: 'general', check: 'raw.sha256', status: 'fail', detail: 'changed', expected: 'ab' },
      ],
    });
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0]!)).toEqual(RUN_TABLES._validation.columns.map((c) => c.name));
    expect(rows[0]).toMatchObject({
      run_id: 'r1',
      program_year: 2022,
      observed: '{"rows":5}',
      expected: null,
    });
    expect(rows[1]).toMatchObject({ status: 'fail', expected: '"ab"' });
  });
});
