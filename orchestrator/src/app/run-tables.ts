/**
 * The rows of the catalog's run tables (`_runs`, `_validation`; declared in domain/run-tables.ts):
 * built from a run's summary and validation record, written as JSON lines under metadata/tables/.
 */
import { lake } from '../domain/lake.js';
import { RUN_TABLES } from '../domain/run-tables.js';
import type { ObjectStore } from '../ports/object-store.js';
import { readRecord } from './lake-records.js';
import type { RunSummary } from './runs.js';

type Json = Record<string, unknown>;

/** A `_runs` row: the summary with the table's column names. */
export function runRow(s: RunSummary): Json {
  return {
    run_id: s.runId,
    kind: s.kind,
    command: s.command,
    program_year: s.programYear ?? null,
    status: s.status,
    started_at: s.startedAt,
    finished_at: s.finishedAt ?? null,
    duration_ms: s.durationMs ?? null,
    cost_usd: s.costUsd ?? null,
    tables: s.tables.map((t) => ({
      table: t.table,
      status: t.status,
      rows_in: t.rowsIn ?? null,
      rows_out: t.rowsOut ?? null,
      rows_rejected: t.rowsRejected ?? null,
      removed: t.removed ?? null,
    })),
    error_code: s.error?.code ?? null,
    error_message: s.error?.message ?? null,
  };
}

/** `_validation` rows of a validate run's validation.json. */
export function validationRows(record: Json): Json[] {
  const text = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
  return ((record['checks'] as Json[] | undefined) ?? []).map((c) => ({
    run_id: record['runId'],
    dataset: c['dataset'],
    program_year: record['programYear'],
    validated_at: record['validatedAt'],
    check: c['check'],
    status: c['status'],
    detail: c['detail'] ?? null,
    observed: text(c['observed']),
    expected: text(c['expected']),
  }));
}

const ndjson = (rows: Json[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

/**
 * Writes (or rewrites: a run's rows are replaced as it goes from running to its outcome) the table rows
 * of these runs. Returns the keys written.
 */
export async function writeRunTableRows(store: ObjectStore, summaries: RunSummary[]): Promise<string[]> {
  const keys: string[] = [];
  for (const s of summaries) {
    const runKey = `${RUN_TABLES._runs.prefix}${s.runId}.json`;
    await store.put(runKey, ndjson([runRow(s)]));
    keys.push(runKey);
    if (s.kind !== 'validate') continue;
    const record = await readRecord<Json>(store, lake.runFile(s.runId, 'validation.json'));
    const rows = record ? validationRows(record) : [];
    if (rows.length === 0) continue;
    const key = `${RUN_TABLES._validation.prefix}${s.runId}.json`;
    await store.put(key, ndjson(rows));
    keys.push(key);
  }
  return keys;
}
