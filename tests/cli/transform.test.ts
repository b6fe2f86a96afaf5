/**
 * The signature command end to end, on real components: generated files of every era of every
 * dataset (with defects) are ingested, `orchestrator submit transform` runs the real spark-submit
 * from the project venv, and the curated and rejected Parquet are read back with DuckDB and compared
 * with the generator's sidecar, exactly. Then reruns (identical content, no duplicates), an injected
 * job failure (previous partition unchanged) and the removed/deleted exclusion.
 *
 * One spark-submit per (dataset, year): eras are spread over program years so each gets its own run.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT } from '../../orchestrator/src/domain/contract/index.js';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { runCli, runCliAsync, tempDir } from '../helpers.js';
import type { Sidecar, SidecarEntry } from './util.js';

const SPARK_ENV = { ORCHESTRATOR_SPARK__MASTER: 'local[2]', ORCHESTRATOR_SPARK__SHUFFLE_PARTITIONS: '2' };

/** Every era gets a (dataset, program year) of its own: the year only decides the partition. */
function eraPlan(): { dataset: string; era: string; year: number }[] {
  const plan: { dataset: string; era: string; year: number }[] = [];
  for (const d of CONTRACT.datasets) {
    if (d.id === 'removed_deleted') continue; // exercised with its General file in the 2023 archive
    d.eras.forEach((e, i) => {
      plan.push({ dataset: d.id, era: e.id, year: 2013 + i });
    });
  }
  return plan;
}

const lake = join(tempDir('op-transform-'), 'lake');
const files = tempDir('op-transform-src-');
const sidecars = new Map<string, SidecarEntry>();
let db: DuckDBInstance;
let sql: DuckDBConnection;

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(['--lake', lake, '--log-level', 'warn', ...args], { env: { ...SPARK_ENV, ...env } });
}

function ok(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = cli(args, env);
  expect(r.code, `${args.join(' ')}\n${r.stderr.slice(-3000)}`).toBe(0);
  return r;
}

async function rows<T = Record<string, unknown>>(query: string): Promise<T[]> {
  return (await sql.runAndReadAll(query)).getRowObjectsJS() as T[];
}

async function one<T>(query: string): Promise<T> {
  const [row] = await rows<T>(query);
  if (row === undefined) throw new Error(`no row from ${query}`);
  return row;
}

const curated = (dataset: string, year: number) =>
  join(lake, `curated/open_payments/${dataset}/program_year=${year}/*.parquet`);
const rejected = (dataset: string, year: number) =>
  join(lake, `staging/rejected/open_payments/${dataset}/program_year=${year}/run_id=*/*.parquet`);

/** Order-independent fingerprint of a partition's rows. */
async function contentHash(dataset: string, year: number): Promise<{ rows: number; hash: string }> {
  const all = await rows<{ r: string }>(
    `SELECT to_json(t)::VARCHAR AS r FROM read_parquet('${curated(dataset, year)}') t ORDER BY r`,
  );
  return {
    rows: all.length,
    hash: createHash('sha256')
      .update(all.map((x) => x.r).join('\n'))
      .digest('hex'),
  };
}

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  sql = await db.connect();
  const years = new Set<number>();
  for (const p of eraPlan()) {
    const out = join(files, `${p.era}_${p.year}.csv`);
    ok([
      'sample',
      '--dataset',
      p.dataset,
      '--year',
      String(p.year),
      '--era',
      p.era,
      '--rows',
      '600',
      '--defects',
      '0.12',
      '--seed',
      '5',
      '--out',
      out,
    ]);
    const sidecar = JSON.parse(readFileSync(`${out}.sidecar.json`, 'utf8')) as Sidecar;
    sidecars.set(`${p.dataset}/${p.year}`, sidecar.entries[0]!);
    ok([
      'ingest',
      '--dataset',
      p.dataset,
      '--year',
      String(p.year),
      '--source',
      out,
      '--publication',
      `${p.year + 1}-06-30`,
    ]);
    years.add(p.year);
  }
  // Two years at a time, as a backfill would: separate processes share the lake and the catalog file.
  const queue = [...years].sort();
  const worker = async () => {
    for (let year = queue.shift(); year !== undefined; year = queue.shift()) {
      const r = await runCliAsync(
        ['--lake', lake, '--log-level', 'warn', 'submit', 'transform', '--year', String(year)],
        {
          env: SPARK_ENV,
        },
      );
      expect(r.code, `submit ${year}\n${r.stderr.slice(-3000)}`).toBe(0);
    }
  };
  await Promise.all([worker(), worker()]);
}, 900_000);

afterAll(() => {
  sql?.closeSync();
  db?.closeSync();
});

describe('submit transform on every era', () => {
  it.each(eraPlan())(
    '$era ($dataset, $year): curated and rejected match the sidecar exactly',
    async ({ dataset, year }) => {
      const expected = sidecars.get(`${dataset}/${year}`)!;
      const quarantined = Object.values(expected.expected.quarantined).reduce((a, b) => a + b, 0);
      const { n: curatedRows } = await one<{ n: number }>(
        `SELECT count(*)::INT AS n FROM read_parquet('${curated(dataset, year)}')`,
      );
      expect(curatedRows).toBe(expected.rows - quarantined);

      const byReason = quarantined
        ? await rows<{ reason: string; n: number }>(
            `SELECT _reject_reason AS reason, count(*)::INT AS n FROM read_parquet('${rejected(dataset, year)}') GROUP BY 1`,
          )
        : [];
      expect(Object.fromEntries(byReason.map((r) => [r.reason, r.n]))).toEqual(expected.expected.quarantined);

      const flags = await rows<{ flag: string; n: number }>(
        `SELECT flag, count(*)::INT AS n FROM (SELECT unnest(_dq_flags) AS flag FROM read_parquet('${curated(dataset, year)}')) GROUP BY 1`,
      );
      expect(Object.fromEntries(flags.map((f) => [f.flag, f.n]))).toEqual(expected.expected.flagged);

      const amount = CONTRACT.datasets
        .find((d) => d.id === dataset)!
        .curated.find((c) =>
          ['total_amount_of_payment_usdollars', 'total_amount_invested_usdollars'].includes(c.name),
        );
      if (amount) {
        const { cents } = await one<{ cents: string }>(
          `SELECT coalesce(sum(${amount.name}) * 100, 0)::BIGINT::VARCHAR AS cents FROM read_parquet('${curated(dataset, year)}')`,
        );
        expect(cents).toBe(expected.amountCents.curated);
      }
    },
  );

  it('registers every partition in the DuckDB catalog, queryable with the row counts the runs reported', async () => {
    const catalog = join(lake, 'metadata/catalog/lake.duckdb');
    await sql.run(`ATTACH '${catalog}' AS cat (READ_ONLY)`);
    try {
      const registered = await rows<{ t: string; y: number; rows: number }>(
        'SELECT table_name AS t, program_year::INT AS y, rows::INT AS rows FROM cat.open_payments._partitions ORDER BY 1, 2',
      );
      expect(registered).toHaveLength(eraPlan().length);
      for (const r of registered) {
        const { n } = await one<{ n: number }>(
          `SELECT count(*)::INT AS n FROM cat.open_payments.${r.t} WHERE program_year = ${r.y}`,
        );
        expect(n, `${r.t} ${r.y}`).toBe(r.rows);
      }
    } finally {
      await sql.run('DETACH cat');
    }
  });
});

describe('reruns, failures and removed records', () => {
  it('a rerun with the same inputs submits nothing; forced reruns give identical content and no duplicates', async () => {
    const before = await contentHash('general', 2016);
    const noop = ok(['--json', 'submit', 'transform', '--year', '2016']);
    expect(JSON.parse(noop.stdout)).toMatchObject({
      status: 'unchanged',
      tables: [{ status: 'unchanged' }, { status: 'unchanged' }],
    });
    for (let i = 0; i < 3; i++) {
      ok(['submit', 'transform', '--year', '2016', '--dataset', 'general', '--force']);
      expect(await contentHash('general', 2016)).toEqual(before);
    }
    const { dupes } = await one<{ dupes: number }>(
      `SELECT (count(*) - count(DISTINCT record_id))::INT AS dupes FROM read_parquet('${curated('general', 2016)}')`,
    );
    expect(dupes).toBe(0);
  }, 600_000);

  it('an injected job failure exits with the job code and leaves the previous partition byte-identical', async () => {
    const dir = join(lake, 'curated/open_payments/general/program_year=2017');
    const snapshot = () =>
      readdirSync(dir)
        .sort()
        .map(
          (f) =>
            `${f}:${createHash('sha256')
              .update(readFileSync(join(dir, f)))
              .digest('hex')}`,
        );
    const before = snapshot();
    const r = cli(['--json', 'submit', 'transform', '--year', '2017', '--dataset', 'general', '--force'], {
      OP_TRANSFORM_INJECT_FAILURE: 'before-commit',
    });
    expect(r.code).toBe(EXIT_CODES.job.code);
    expect(JSON.parse(r.stdout).error.code).toBe('SPARK_JOB_FAILED');
    expect(snapshot()).toEqual(before);
    expect((await contentHash('general', 2017)).rows).toBeGreaterThan(0);
  }, 300_000);

  it('excludes the publication’s removed/deleted records from curated General and counts them', async () => {
    const zip = join(files, 'PGYR2023_P06302024.zip');
    ok([
      'sample',
      '--dataset',
      'general',
      '--year',
      '2023',
      '--rows',
      '3000',
      '--defects',
      '0.05',
      '--seed',
      '9',
      '--out',
      zip,
    ]);
    ok(['ingest', '--dataset', 'all', '--year', '2023', '--source', zip]);
    const r = ok(['--json', 'submit', 'transform', '--year', '2023']);
    const result = JSON.parse(r.stdout) as { tables: { table: string; metrics: Record<string, number> }[] };
    expect(result.tables.map((t) => t.table)).toEqual([
      'removed_deleted',
      'general',
      'research',
      'ownership',
    ]);
    const general = result.tables.find((t) => t.table === 'general')!.metrics;
    expect(general['removed']).toBeGreaterThan(0);
    expect(general['rowsIn']).toBe(3000);
    expect(general['rowsOut']! + general['rowsRejected']! + general['removed']!).toBe(3000);
    const { n } = await one<{ n: number }>(
      `SELECT count(*)::INT AS n FROM read_parquet('${curated('general', 2023)}') g
       JOIN read_parquet('${curated('removed_deleted', 2023)}') r ON g.record_id = r.record_id AND r.payment_type = 'General Payment'`,
    );
    expect(n).toBe(0);
  }, 600_000);
});
