/**
 * `orchestrator validate` on a real lake: a CMS-style archive through the real pipeline (Spark), every
 * check passing, then one tampering at a time — each caught by the check meant for it, with exit 10
 * and the failed check named — and restored before the next.
 */
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { generateSample, runCli, tempDir } from '../helpers.js';

const dir = tempDir('op-validate-');
const lake = join(dir, 'lake');
const archive = join(dir, 'PGYR2023_P06302024.zip');
const SPARK_ENV = { ORCHESTRATOR_SPARK__MASTER: 'local[2]', ORCHESTRATOR_SPARK__SHUFFLE_PARTITIONS: '2' };
const general = join(lake, 'curated/open_payments/general/program_year=2023');
const restore: (() => void)[] = [];

function cli(args: string[]) {
  return runCli(['--lake', lake, '--log-level', 'warn', '--json', ...args], { env: SPARK_ENV });
}

/** Runs validate and returns the failed checks as `dataset check`. */
function failedChecks(args: string[] = []): { code: number | null; failed: string[]; message: string } {
  const r = cli(['validate', '--year', '2023', ...args]);
  const out = JSON.parse(r.stdout);
  const checks = (out.error?.data?.checks ?? out.checks) as {
    dataset: string;
    check: string;
    status: string;
  }[];
  return {
    code: r.code,
    failed: checks.filter((c) => c.status === 'fail').map((c) => `${c.dataset} ${c.check}`),
    message: out.error?.message ?? '',
  };
}

/** Keeps a file's bytes so afterEach can put them back after the test tampered with it. */
function keep(path: string): string {
  const saved = `${path}.saved`;
  copyFileSync(path, saved);
  restore.push(() => {
    copyFileSync(saved, path);
    rmSync(saved);
  });
  return path;
}

const parquetOf = (folder: string) => join(folder, readdirSync(folder).find((f) => f.endsWith('.parquet'))!);

/** Rewrites a curated Parquet file through DuckDB with a SQL transformation of its rows. */
async function rewriteParquet(path: string, select: (from: string) => string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const tmp = `${path}.new`;
  await c.run(`COPY (${select(`read_parquet('${path}')`)}) TO '${tmp}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
  copyFileSync(tmp, path);
  rmSync(tmp);
}

beforeAll(() => {
  generateSample(archive, { rows: 2000, args: ['--defects', '0.05'] });
  const r = cli(['pipeline', '--year', '2023', '--source', archive]);
  expect(r.code, r.stderr.slice(-3000)).toBe(0);
}, 900_000);

afterEach(() => {
  for (const undo of restore.splice(0)) undo();
});

describe('validate', () => {
  it('passes every check on what the pipeline published, and records the results', () => {
    const r = cli(['validate', '--year', '2023']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.ok).toBe(true);
    const checks = new Set(
      result.checks.map((c: { dataset: string; check: string }) => `${c.dataset} ${c.check}`),
    );
    for (const c of [
      'general raw.sha256',
      'general staging.records',
      'general curated.reconciled',
      'general rejected.rows',
      'general curated.catalog_rows',
      'general curated.nulls',
      'general curated.null_rates',
      'general curated.amount',
      'general curated.removed',
      'general curated.date_in_year',
      'research curated.amount',
      'ownership curated.catalog_rows',
      'removed_deleted curated.nulls',
    ])
      expect(checks).toContain(c);
    const stored = JSON.parse(
      readFileSync(join(lake, 'metadata/validation/open_payments/general/program_year=2023.json'), 'utf8'),
    );
    expect(stored).toMatchObject({ dataset: 'general', programYear: 2023, ok: true, runId: result.runId });
    expect(readFileSync(join(lake, result.resultKeys.at(-1)), 'utf8')).toContain('"ok": true');
  });

  it('a changed raw file fails raw.sha256', () => {
    const folder = join(lake, 'raw/open_payments/general/program_year=2023/publication=2024-06-30');
    const file = join(folder, readdirSync(folder)[0]!);
    writeFileSync(keep(file), `${readFileSync(file, 'utf8')}\n`);
    const v = failedChecks(['--dataset', 'general']);
    expect(v.code).toBe(EXIT_CODES.job.code);
    expect(v.failed).toEqual(['general raw.sha256']);
    expect(v.message).toContain('general raw.sha256');
  });

  it('a lost staging chunk fails staging.records', () => {
    const folder = join(lake, 'staging/open_payments/research/program_year=2023/publication=2024-06-30');
    const chunk = join(folder, readdirSync(folder)[0]!);
    rmSync(keep(chunk));
    expect(failedChecks(['--dataset', 'research']).failed).toEqual(['research staging.records']);
  });

  it('quarantined rows lost after publishing fail rejected.rows', () => {
    const root = join(lake, 'staging/rejected/open_payments/general/program_year=2023');
    const [run] = readdirSync(root);
    const file = parquetOf(join(root, run!));
    rmSync(keep(file));
    const v = failedChecks(['--dataset', 'general']);
    expect(v.failed).toEqual(['general rejected.rows']);
    expect(v.message).toMatch(/general rejected\.rows: \d+ quarantined row\(s\) under staging\/rejected\//);
  });

  it('curated rows lost after publishing fail the catalog count and the amount to the cent', async () => {
    const file = keep(parquetOf(general));
    await rewriteParquet(file, (from) => `SELECT * FROM ${from} LIMIT (SELECT count(*) - 1 FROM ${from})`);
    expect(failedChecks(['--dataset', 'general']).failed).toEqual([
      'general curated.catalog_rows',
      'general curated.amount',
    ]);
  });

  it('a null in a non-nullable column and a removed record back in curated are caught', async () => {
    const file = keep(parquetOf(general));
    const removed = parquetOf(join(lake, 'curated/open_payments/removed_deleted/program_year=2023'));
    await rewriteParquet(
      file,
      (from) => `SELECT * EXCLUDE (rn) REPLACE (
          CASE WHEN rn = 1 THEN NULL ELSE applicable_manufacturer_or_applicable_gpo_making_payment_id END
            AS applicable_manufacturer_or_applicable_gpo_making_payment_id,
          CASE WHEN rn = 2 THEN (SELECT min(record_id) FROM read_parquet('${removed}')) ELSE record_id END AS record_id)
        FROM (SELECT *, row_number() OVER () AS rn FROM ${from})`,
    );
    expect(failedChecks(['--dataset', 'general']).failed).toEqual([
      'general curated.nulls',
      'general curated.removed',
    ]);
  });

  it('a key column gone null beyond its contract ceiling fails curated.null_rates, with the rate', async () => {
    const file = keep(parquetOf(general));
    // recipient_state may be null on 2% of rows (addresses abroad); blank it on every tenth row.
    await rewriteParquet(
      file,
      (from) => `SELECT * EXCLUDE (rn)
          REPLACE (CASE WHEN rn % 10 = 0 THEN NULL ELSE recipient_state END AS recipient_state)
        FROM (SELECT *, row_number() OVER () AS rn FROM ${from})`,
    );
    const v = failedChecks(['--dataset', 'general']);
    expect(v.code).toBe(EXIT_CODES.job.code);
    expect(v.failed).toEqual(['general curated.null_rates']);
    expect(v.message).toMatch(/recipient_state (9\.\d|10\.\d)% \(max 2\.0%\)/);
  });

  it('asks for a pipeline run when nothing was published for the year', () => {
    const r = cli(['validate', '--year', '2019']);
    expect(r.code).toBe(EXIT_CODES.input.code);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'NOTHING_TO_VALIDATE' });
  });

  it('every run tells its story: runs list/show, events.ndjson, and the catalog tables _runs and _validation', async () => {
    const listed = JSON.parse(cli(['runs', 'list']).stdout).runs as {
      runId: string;
      kind: string;
      status: string;
    }[];
    const kinds = new Set(listed.map((r) => r.kind));
    for (const k of ['pipeline', 'ingest', 'submit', 'validate']) expect(kinds).toContain(k);
    const failed = JSON.parse(cli(['runs', 'list', '--kind', 'validate', '--status', 'failed']).stdout).runs;
    expect(failed.length).toBeGreaterThanOrEqual(4); // the tampering above, each caught
    expect(failed.every((r: { status: string }) => r.status === 'failed')).toBe(true);

    const submitRun = listed.find((r) => r.kind === 'submit')!.runId;
    const shown = JSON.parse(cli(['runs', 'show', submitRun]).stdout);
    expect(shown).toMatchObject({
      runId: submitRun,
      command: 'submit transform',
      programYear: 2023,
      status: 'succeeded',
    });
    const general = shown.tables.find((t: { table: string }) => t.table === 'general');
    expect(general.rowsIn).toBe(general.rowsOut + general.rowsRejected + general.removed);
    expect(shown.files).toEqual(expect.arrayContaining(['manifest.json', 'events.ndjson', 'summary.json']));
    expect(shown.events.map((e: { code: string }) => e.code)).toContain('submit.published');

    const human = cli(['runs', 'show', submitRun]);
    expect(human.code).toBe(0);
    const missing = cli(['runs', 'show', '20200101T000000Z-abcdef']);
    expect(missing.code).toBe(EXIT_CODES.io.code);
    expect(JSON.parse(missing.stdout).error.code).toBe('OBJECT_NOT_FOUND');

    const db = await DuckDBInstance.create(join(lake, 'metadata/catalog/lake.duckdb'), {
      access_mode: 'READ_ONLY',
    });
    const c = await db.connect();
    const runs = (
      await c.runAndReadAll('SELECT kind, count(*)::INTEGER AS n FROM open_payments._runs GROUP BY kind')
    ).getRowObjectsJS();
    expect(Object.fromEntries(runs.map((r) => [r['kind'], r['n']]))).toMatchObject({
      submit: 1,
      ingest: 1,
      pipeline: 1,
    });
    const checks = (
      await c.runAndReadAll(
        `SELECT count(*)::INTEGER AS n FROM open_payments._validation WHERE dataset = 'general' AND status = 'pass'`,
      )
    ).getRowObjectsJS();
    expect(Number(checks[0]?.['n'])).toBeGreaterThan(0);
    c.closeSync();
    db.closeSync();
  });
});
