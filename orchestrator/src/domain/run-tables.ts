/**
 * The catalog's run tables, declared once for every engine: `_runs` (one row per run) and
 * `_validation` (one row per check of a validate run), stored as JSON lines under metadata/tables/
 * (Athena's JSON SerDe wants one record per line and a folder holding nothing else; DuckDB reads the
 * same files). Glue definitions and the local DuckDB views are built from these columns.
 */

export interface RunTableColumn {
  name: string;
  /** Hive type, as Glue and Athena declare it. */
  type: string;
  description: string;
}

export interface RunTableSpec {
  title: string;
  /** Folder of the table's files, relative to the lake root, ending in '/'. */
  prefix: string;
  columns: RunTableColumn[];
}

const RUN_TABLE_ENTRY =
  'array<struct<table:string,status:string,rows_in:bigint,rows_out:bigint,rows_rejected:bigint,removed:bigint>>';

export const RUN_TABLES = {
  _runs: {
    title: 'Orchestrator runs: one row per run (ingest, submit, validate, pipeline, backfill)',
    prefix: 'metadata/tables/runs/',
    columns: [
      { name: 'run_id', type: 'string', description: 'Run id (UTC start time + random suffix)' },
      { name: 'kind', type: 'string', description: 'ingest, submit, validate, pipeline, backfill or other' },
      { name: 'command', type: 'string', description: 'What ran: ingest, submit transform, validate, …' },
      { name: 'program_year', type: 'int', description: 'Program year the run worked on' },
      {
        name: 'status',
        type: 'string',
        description: 'succeeded, unchanged, failed, passed, done, interrupted, …',
      },
      { name: 'started_at', type: 'string', description: 'Start, ISO 8601 UTC' },
      { name: 'finished_at', type: 'string', description: 'End, ISO 8601 UTC (empty if it never said)' },
      { name: 'duration_ms', type: 'bigint', description: 'Duration in milliseconds' },
      { name: 'cost_usd', type: 'double', description: 'Estimated cost of its remote jobs (aws), USD' },
      { name: 'tables', type: RUN_TABLE_ENTRY, description: 'Per table (or step): status and row counts' },
      { name: 'error_code', type: 'string', description: 'Error code, when the run failed' },
      { name: 'error_message', type: 'string', description: 'Error message, when the run failed' },
    ],
  },
  _validation: {
    title: 'Validation checks: one row per check of each validate run',
    prefix: 'metadata/tables/validation/',
    columns: [
      { name: 'run_id', type: 'string', description: 'The validate run' },
      { name: 'dataset', type: 'string', description: 'Dataset checked' },
      { name: 'program_year', type: 'int', description: 'Program year checked' },
      { name: 'validated_at', type: 'string', description: 'When, ISO 8601 UTC' },
      { name: 'check', type: 'string', description: 'Check name (raw_sha256, reconciliation, amounts, …)' },
      { name: 'status', type: 'string', description: 'pass, fail or skip' },
      { name: 'detail', type: 'string', description: 'What was compared, in words' },
      { name: 'observed', type: 'string', description: 'Observed value(s), JSON text' },
      { name: 'expected', type: 'string', description: 'Expected value(s), JSON text' },
    ],
  },
} as const satisfies Record<string, RunTableSpec>;

export type RunTableName = keyof typeof RUN_TABLES;

/** A Hive type (`array<struct<a:string,b:bigint>>`) as DuckDB writes it (`STRUCT("a" VARCHAR, "b" BIGINT)[]`). */
export function duckDbType(hive: string): string {
  const scalar: Record<string, string> = {
    string: 'VARCHAR',
    int: 'INTEGER',
    bigint: 'BIGINT',
    double: 'DOUBLE',
  };
  if (hive.startsWith('array<')) return `${duckDbType(hive.slice(6, -1))}[]`;
  if (hive.startsWith('struct<')) {
    const fields: string[] = [];
    let depth = 0;
    let start = 0;
    const body = hive.slice(7, -1);
    for (let i = 0; i <= body.length; i++) {
      const ch = body[i];
      if (ch === '<') depth++;
      else if (ch === '>') depth--;
      else if ((ch === ',' && depth === 0) || i === body.length) {
        fields.push(body.slice(start, i));
        start = i + 1;
      }
    }
    return `STRUCT(${fields
      .map((f) => {
        const at = f.indexOf(':');
        return `"${f.slice(0, at)}" ${duckDbType(f.slice(at + 1))}`;
      })
      .join(', ')})`;
  }
  const t = scalar[hive];
  if (!t) throw new Error(`no DuckDB type for Hive type ${hive}`);
  return t;
}
