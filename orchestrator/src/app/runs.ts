/**
 * Run summaries: what each run left in metadata/runs/run_id=…/ (ingest manifest and audits, submit
 * manifest, inputs and metrics, validation, pipeline and backfill summaries, events.ndjson), read back
 * as one normalised record per run for `orchestrator runs list|show`, the catalog's `_runs` table and
 * the HTML report.
 */
import { lake } from '../domain/lake.js';
import type { ObjectStore } from '../ports/object-store.js';
import { readRecord } from './lake-records.js';
import { writerGone } from './liveness.js';

const KINDS = ['ingest', 'submit', 'validate', 'pipeline', 'backfill'] as const;
export type RunKind = (typeof KINDS)[number] | 'other';

export interface RunTable {
  table: string;
  status: string;
  rowsIn?: number | undefined;
  rowsOut?: number | undefined;
  rowsRejected?: number | undefined;
  removed?: number | undefined;
  rejectedByReason?: Record<string, number> | undefined;
  estimatedCostUsd?: number | undefined;
  durationMs?: number | undefined;
}

export interface RunSummary {
  runId: string;
  kind: RunKind;
  /** `ingest`, `submit transform`, `validate`, … */
  command: string;
  programYear?: number | undefined;
  status: string;
  startedAt: string;
  finishedAt?: string | undefined;
  durationMs?: number | undefined;
  tables: RunTable[];
  /** Estimated cost of the run's remote jobs (aws), USD. */
  costUsd?: number | undefined;
  error?: { code?: string; message?: string } | undefined;
  files: string[];
}

type Json = Record<string, unknown>;

const RUN_ID = /^run_id=(\d{8}T\d{6}Z-[0-9a-f]+)\/$/;

/** `20261126T221557Z-2898a2` → `2026-11-26T22:15:57Z` (a run id starts with its UTC start time). */
export function runIdTime(runId: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(runId);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : '';
}

export async function runIds(store: ObjectStore): Promise<string[]> {
  const ids = new Set<string>();
  for await (const o of store.list('metadata/runs/')) {
    const folder = o.key.slice('metadata/runs/'.length);
    const m = RUN_ID.exec(folder.slice(0, folder.indexOf('/') + 1));
    if (m) ids.add(m[1]!);
  }
  return [...ids].sort().reverse();
}

export async function summarizeRun(store: ObjectStore, runId: string): Promise<RunSummary | undefined> {
  const prefix = lake.runFile(runId, 'x').slice(0, -1);
  const files: string[] = [];
  for await (const o of store.list(prefix)) files.push(o.key.slice(prefix.length));
  if (files.length === 0) return undefined;
  files.sort();
  const read = (name: string) => (files.includes(name) ? readRecord<Json>(store, prefix + name) : undefined);
  const command = await read('command.json');
  const summary = await summarizeRecords({ runId, files, read, command });
  // A run whose command never said how it ended is running, or was killed: its writer tells which.
  if (command && command['exitCode'] === undefined && summary.status === 'running')
    summary.status = writerGone(command) ? 'interrupted' : 'running';
  return summary;
}

/** The run as its own records tell it (manifest, validation, pipeline or backfill summary, command.json). */
async function summarizeRecords({
  runId,
  files,
  read,
  command,
}: {
  runId: string;
  files: string[];
  read: (name: string) => Promise<Json | undefined> | undefined;
  command: Json | undefined;
}): Promise<RunSummary> {
  const base = { runId, startedAt: runIdTime(runId), files, tables: [] as RunTable[] };

  const manifest = await read('manifest.json');
  if (manifest?.['kind'] === 'submit') {
    const tables = ((manifest['tables'] as Json[] | undefined) ?? []).map(tableOf);
    const cost = tables.reduce((n, t) => n + (t.estimatedCostUsd ?? 0), 0);
    return {
      ...base,
      kind: 'submit',
      command: `submit ${manifest['job']}`,
      programYear: manifest['programYear'] as number,
      status: String(manifest['status']),
      startedAt: String(manifest['startedAt'] ?? base.startedAt),
      finishedAt: manifest['finishedAt'] as string | undefined,
      durationMs: durationOf(manifest),
      tables,
      ...(cost > 0 ? { costUsd: Math.round(cost * 10_000) / 10_000 } : {}),
      ...(manifest['error'] ? { error: manifest['error'] as RunSummary['error'] } : {}),
    };
  }
  if (manifest?.['command'] === 'ingest') {
    const params = (manifest['params'] ?? {}) as Json;
    return {
      ...base,
      kind: 'ingest',
      command: 'ingest',
      programYear: params['year'] as number | undefined,
      status: String(manifest['status']),
      startedAt: String(manifest['startedAt'] ?? base.startedAt),
      finishedAt: manifest['finishedAt'] as string | undefined,
      durationMs: manifest['durationMs'] as number | undefined,
      tables: ((manifest['files'] as Json[] | undefined) ?? []).map((f) => ({
        table: String(f['dataset']),
        status: String(f['status']),
        rowsIn: f['records'] as number | undefined,
      })),
      ...(manifest['error'] ? { error: manifest['error'] as RunSummary['error'] } : {}),
    };
  }
  const validation = await read('validation.json');
  if (validation) {
    const checks = (validation['checks'] as Json[] | undefined) ?? [];
    return {
      ...base,
      kind: 'validate',
      command: 'validate',
      programYear: validation['programYear'] as number,
      status: validation['ok'] ? 'passed' : 'failed',
      finishedAt: validation['validatedAt'] as string | undefined,
      tables: [...new Set(checks.map((c) => String(c['dataset'])))].map((table) => ({
        table,
        status: checks.some((c) => c['dataset'] === table && c['status'] === 'fail') ? 'failed' : 'passed',
      })),
    };
  }
  const pipeline = await read('pipeline.json');
  if (pipeline) {
    return {
      ...base,
      kind: 'pipeline',
      command: 'pipeline',
      programYear: pipeline['programYear'] as number,
      status: String(pipeline['status'] ?? 'done'),
      tables: ((pipeline['steps'] as Json[] | undefined) ?? []).map((s) => ({
        table: String(s['step']),
        status: String(s['status']),
      })),
      ...(pipeline['error'] ? { error: pipeline['error'] as RunSummary['error'] } : {}),
    };
  }
  const backfill = await read('backfill.json');
  if (backfill) {
    const years = (backfill['years'] as Json[] | undefined) ?? [];
    return {
      ...base,
      kind: 'backfill',
      command: 'pipeline --years',
      status: years.every((y) => y['status'] === 'done') ? 'done' : 'incomplete',
      tables: years.map((y) => ({ table: String(y['year']), status: String(y['status']) })),
    };
  }
  // A run that stopped before its use case wrote anything (refused lock, bad input, killed): how the
  // command ended, or that it never said.
  const step = String(command?.['step'] ?? command?.['name'] ?? '?');
  const exitCode = command?.['exitCode'];
  return {
    ...base,
    kind: KINDS.find((k) => step.startsWith(k)) ?? 'other',
    command: step,
    status: !command
      ? 'unknown'
      : exitCode === undefined
        ? 'running'
        : exitCode === 0
          ? 'succeeded'
          : 'failed',
    ...(command?.['error'] ? { error: command['error'] as RunSummary['error'] } : {}),
  };
}

export interface RunFilter {
  year?: number | undefined;
  status?: string | undefined;
  kind?: string | undefined;
  limit?: number | undefined;
}

/** Newest first. */
export async function listRuns(store: ObjectStore, filter: RunFilter = {}): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  for (const id of await runIds(store)) {
    const s = await summarizeRun(store, id);
    if (!s) continue;
    if (filter.year !== undefined && s.programYear !== filter.year) continue;
    if (filter.status !== undefined && s.status !== filter.status) continue;
    if (filter.kind !== undefined && s.kind !== filter.kind) continue;
    out.push(s);
    if (filter.limit !== undefined && out.length >= filter.limit) break;
  }
  return out;
}

function tableOf(t: Json): RunTable {
  const m = (t['metrics'] ?? {}) as Json;
  const remote = t['remote'] as Json | undefined;
  return {
    table: String(t['table']),
    status: String(t['status']),
    rowsIn: m['rowsIn'] as number | undefined,
    rowsOut: m['rowsOut'] as number | undefined,
    rowsRejected: m['rowsRejected'] as number | undefined,
    removed: m['removed'] as number | undefined,
    rejectedByReason: m['rejectedByReason'] as Record<string, number> | undefined,
    estimatedCostUsd: remote?.['estimatedCostUsd'] as number | undefined,
    durationMs: t['durationMs'] as number | undefined,
  };
}

function durationOf(m: Json): number | undefined {
  const s = Date.parse(String(m['startedAt']));
  const f = Date.parse(String(m['finishedAt']));
  return Number.isFinite(s) && Number.isFinite(f) ? f - s : undefined;
}
