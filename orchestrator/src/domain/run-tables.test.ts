import { describe, expect, it } from 'vitest';
import { duckDbType, RUN_TABLES } from './run-tables.js';

describe('run tables', () => {
  it('maps Hive types to DuckDB types, nested structs in arrays included', () => {
    expect(duckDbType('string')).toBe('VARCHAR');
    expect(duckDbType('int')).toBe('INTEGER');
    expect(duckDbType('array<struct<table:string,rows_in:bigint>>')).toBe(
      'STRUCT("table" VARCHAR, "rows_in" BIGINT)[]',
    );
    expect(() => duckDbType('map<string,string>')).toThrow(/no DuckDB type/);
  });

  it('every declared column has a type both engines read, and the folders are distinct', () => {
    for (const table of Object.values(RUN_TABLES))
      for (const c of table.columns) expect(() => duckDbType(c.type), `${c.name}`).not.toThrow();
    const prefixes = Object.values(RUN_TABLES).map((t) => t.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const p of prefixes) expect(p).toMatch(/^metadata\/tables\/[a-z_]+\/$/);
  });
});
