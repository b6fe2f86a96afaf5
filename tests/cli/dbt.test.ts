/**
 * The analytics layer end to end: two program years of different layouts (2016: General 75 /
 * Research 176 columns; 2023: General 91 / Research 252, with non-physician practitioners) plus a
 * profile supplement are generated, ingested and transformed with the real CLI and Spark, then
 * `orchestrator dbt build` runs the real dbt-duckdb project over the lake. Row counts and amounts of
 * the marts are read back from the analytics DuckDB file and compared with what the Spark jobs
 * reported. A copy of the lake with one curated payment pointing at a company that never appears
 * with a name must fail the build on the relationships test, and only on it.
 *
 * Spark runs are the cost here (two `submit transform`, run side by side); everything else is seconds.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { ROOT, runCli, runCliAsync, tempDir } from '../helpers.js';

const SPARK_ENV = { ORCHESTRATOR_SPARK__MASTER: 'local[2]', ORCHESTRATOR_SPARK__SHUFFLE_PARTITIONS: '2' };
const YEARS = [2016, 2023] as const;
const VENV_BIN = join(ROOT, '.venv', 'bin');

const work = tempDir('op-dbt-');
const lake = join(work, 'lake');

interface TableMetrics {
  table: string;
  metrics: { rowsOut: number; removed: number; amounts: { curated: string } };
}
/** What each transform reported, by `table/year`. */
const reported = new Map<string, TableMetrics['metrics']>();

function ok(args: string[], lakeDir = lake) {
  const r = runCli(['--lake', lakeDir, '--log-level', 'warn', ...args], { cwd: work, env: SPARK_ENV });
  expect(r.code, `${args.join(' ')}\n${r.stderr.slice(-3000)}`).toBe(0);
  return r;
}

/** Opens a DuckDB file read-only (as a user's query tool would), runs queries, closes it. */
async function withDb<T>(file: string, fn: (sql: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const sql = await db.connect();
  try {
    return await fn(sql);
  } finally {
    sql.closeSync();
    db.closeSync();
  }
}

async function rows<T>(sql: DuckDBConnection, query: string): Promise<T[]> {
  return (await sql.runAndReadAll(query)).getRowObjectsJS() as T[];
}

const analytics = (lakeDir: string) => join(lakeDir, 'metadata', 'catalog', 'analytics.duckdb');

beforeAll(async () => {
  for (const year of YEARS) {
    // One CMS-style archive per year (General, Research, Ownership, Removed/Deleted of that year's
    // layouts). Small pools, so recipients and companies recur across files and years.
    const zip = join(work, `PGYR${year}.zip`);
    ok([
      'sample',
      '--dataset',
      'general',
      '--year',
      String(year),
      '--rows',
      '300',
      '--defects',
      '0.05',
      '--seed',
      '11',
      '--recipients',
      '200',
      '--manufacturers',
      '30',
      '--out',
      zip,
    ]);
    ok(['ingest', '--dataset', 'all', '--year', String(year), '--source', zip]);
  }
  // The same seed and pool size describe the same people as the payments (see sample/entities.ts).
  const profiles = join(work, 'profiles2023.csv');
  ok([
    'sample',
    '--dataset',
    'profiles',
    '--year',
    '2023',
    '--rows',
    '150',
    '--seed',
    '11',
    '--recipients',
    '200',
    '--out',
    profiles,
  ]);
  ok([
    'ingest',
    '--dataset',
    'profiles',
    '--year',
    '2023',
    '--source',
    profiles,
    '--publication',
    '2024-06-30',
  ]);

  // 2016 through `submit transform`; 2023 through the whole `pipeline`, whose last step is dbt build
  // (all five source tables have data once 2023 is published: it must pass, not skip).
  const runs = await Promise.all(
    YEARS.map((year) =>
      runCliAsync(
        [
          '--lake',
          lake,
          '--log-level',
          'warn',
          '--json',
          ...(year === 2023
            ? ['pipeline', '--year', '2023', '--source', join(work, 'PGYR2023.zip')]
            : ['submit', 'transform', '--year', String(year)]),
        ],
        { cwd: work, env: SPARK_ENV },
      ),
    ),
  );
  runs.forEach((r, i) => {
    expect(r.code, `${YEARS[i]}\n${r.stderr.slice(-3000)}`).toBe(0);
    const out = JSON.parse(r.stdout) as { tables?: TableMetrics[]; transform?: { tables: TableMetrics[] } };
    for (const t of out.tables ?? out.transform?.tables ?? [])
      reported.set(`${t.table}/${YEARS[i]}`, t.metrics);
  });
  pipelineDbt = (JSON.parse(runs[1]!.stdout) as { dbt: { status: string } }).dbt.status;
}, 1_200_000);

let pipelineDbt: string | undefined;

describe('dbt build on the local target', () => {
  let build: { summary: { byStatus: Record<string, number>; failed: unknown[] }; runResultsPath: string };

  beforeAll(() => {
    const r = ok(['--json', 'dbt', 'build']);
    build = JSON.parse(r.stdout);
  }, 300_000);

  it('ran as the last step of the 2023 pipeline', () => {
    expect(pipelineDbt).toBe('passed');
  });

  it('passes every model, data test and unit test', () => {
    expect(build.summary.failed).toEqual([]);
    expect(build.summary.byStatus['error'] ?? 0).toBe(0);
    expect(build.summary.byStatus['fail'] ?? 0).toBe(0);
    // 11 models built, and the tests (data + unit) all ran.
    expect(build.summary.byStatus['success']).toBe(11);
    expect(build.summary.byStatus['pass']).toBeGreaterThan(60);
    const results = JSON.parse(readFileSync(build.runResultsPath, 'utf8')) as {
      results: { unique_id: string; status: string }[];
    };
    const unitTests = results.results.filter((r) => r.unique_id.startsWith('unit_test.'));
    expect(unitTests.map((u) => [u.unique_id.split('.').pop(), u.status]).sort()).toEqual([
      ['dim_companies_takes_the_latest_years_most_frequent_name', 'pass'],
      ['dim_recipients_keeps_the_latest_known_value_of_each_attribute', 'pass'],
    ]);
  });

  it('fct_payments holds, per type and year, the rows and amounts each Spark transform published', async () => {
    const facts = await withDb(analytics(lake), (sql) =>
      rows<{ payment_type: string; program_year: number; n: number; cents: string }>(
        sql,
        `SELECT payment_type, program_year::INT AS program_year, count(*)::INT AS n,
                (sum(amount_usd) * 100)::BIGINT::VARCHAR AS cents
         FROM main.fct_payments GROUP BY ALL ORDER BY ALL`,
      ),
    );
    const tableOf: Record<string, string> = {
      'General Payment': 'general',
      'Ownership or Investment Interest': 'ownership',
      'Research Payment': 'research',
    };
    const expected = Object.entries(tableOf)
      .flatMap(([type, table]) =>
        YEARS.map((year) => {
          const m = reported.get(`${table}/${year}`);
          if (!m) throw new Error(`no metrics for ${table} ${year}`);
          const cents = String(Math.round(Number(m.amounts.curated) * 100));
          return { payment_type: type, program_year: year, n: m.rowsOut, cents };
        }),
      )
      .filter((e) => e.n > 0);
    expect(facts).toEqual(expected);
    // The sample's removed/deleted files listed General records: the transform excluded them.
    expect(YEARS.some((y) => (reported.get(`general/${y}`)?.removed ?? 0) > 0)).toBe(true);
    expect(facts.find((f) => f.payment_type === 'General Payment')?.n).toBeGreaterThan(250);
  });

  it('dimensions describe every recipient and company of the facts, of all three recipient kinds', async () => {
    const r = await withDb(analytics(lake), async (sql) => ({
      categories: await rows<{ c: string; n: number }>(
        sql,
        'SELECT recipient_category AS c, count(*)::INT AS n FROM main.dim_recipients GROUP BY 1 ORDER BY 1',
      ),
      recipients: await rows<{ fact: number; dim: number }>(
        sql,
        `SELECT (SELECT count(DISTINCT recipient_key) FROM main.fct_payments)::INT AS fact,
                (SELECT count(*) FROM main.dim_recipients)::INT AS dim`,
      ),
      companies: await rows<{ fact: number; dim: number; renamed: number }>(
        sql,
        `SELECT (SELECT count(DISTINCT company_key) FROM main.fct_payments)::INT AS fact,
                (SELECT count(*) FROM main.dim_companies)::INT AS dim,
                (SELECT count(*) FROM main.dim_companies WHERE distinct_names > 1)::INT AS renamed`,
      ),
      summary: await rows<{ n: number; total: string; fact_total: string }>(
        sql,
        `SELECT (SELECT sum(payment_count) FROM main.payments_by_year_company_nature)::INT AS n,
                (SELECT sum(total_amount_usd) FROM main.payments_by_year_company_nature)::VARCHAR AS total,
                (SELECT sum(amount_usd) FROM main.fct_payments)::VARCHAR AS fact_total`,
      ),
      facts: await rows<{ n: number }>(sql, 'SELECT count(*)::INT AS n FROM main.fct_payments'),
    }));
    expect(r.categories.map((c) => c.c)).toEqual([
      'Non-Physician Practitioner',
      'Physician',
      'Teaching Hospital',
    ]);
    // Profiles add recipients who were paid nothing, so the dimension has at least the facts' recipients.
    expect(r.recipients[0]!.dim).toBeGreaterThanOrEqual(r.recipients[0]!.fact);
    expect(r.companies[0]!.dim).toBe(r.companies[0]!.fact);
    // The sample spells about one company in eight two ways; the dimension still has one row each.
    expect(r.companies[0]!.renamed).toBeGreaterThan(0);
    expect(r.summary[0]!.n).toBe(r.facts[0]!.n);
    expect(r.summary[0]!.total).toBe(r.summary[0]!.fact_total);
  });

  it('dbt docs generate works offline on the built lake: the catalog documents the marts and their columns', () => {
    const out = join(work, 'docs');
    const r = spawnSync(
      join(VENV_BIN, 'dbt'),
      [
        'docs',
        'generate',
        '--project-dir',
        join(ROOT, 'dbt'),
        '--profiles-dir',
        join(ROOT, 'dbt'),
        '--target-path',
        join(out, 'target'),
        '--log-path',
        join(out, 'logs'),
      ],
      { encoding: 'utf8', env: { ...process.env, OP_LAKE: lake, DO_NOT_TRACK: '1' }, timeout: 180_000 },
    );
    expect(r.status, r.stdout.slice(-3000)).toBe(0);
    expect(existsSync(join(out, 'target', 'index.html'))).toBe(true);
    const catalog = JSON.parse(readFileSync(join(out, 'target', 'catalog.json'), 'utf8')) as {
      nodes: Record<string, { columns: Record<string, unknown> }>;
    };
    const fct = catalog.nodes['model.open_payments.fct_payments'];
    expect(Object.keys(fct?.columns ?? {})).toEqual(
      expect.arrayContaining(['payment_key', 'amount_usd', 'company_key']),
    );
  });

  it('the aws target (dbt-athena) parses and compiles offline, with Athena SQL', () => {
    const out = join(work, 'athena');
    const r = spawnSync(
      join(VENV_BIN, 'dbt'),
      [
        'compile',
        '--no-populate-cache',
        '--exclude',
        'resource_type:unit_test',
        '--project-dir',
        join(ROOT, 'dbt'),
        '--profiles-dir',
        join(ROOT, 'dbt'),
        '--target',
        'aws',
        '--target-path',
        join(out, 'target'),
        '--log-path',
        join(out, 'logs'),
      ],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          DO_NOT_TRACK: '1',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_ACCESS_KEY_ID: 'offline',
          AWS_SECRET_ACCESS_KEY: 'offline',
        },
        timeout: 180_000,
      },
    );
    expect(r.status, r.stdout.slice(-3000)).toBe(0);
    const compiled = join(out, 'target/compiled/open_payments/models');
    const staging = readFileSync(
      join(compiled, 'staging/open_payments/stg_open_payments__general_payments.sql'),
      'utf8',
    );
    expect(staging).toContain('from "awsdatacatalog"."open_payments"."general"');
    const summary = readFileSync(join(compiled, 'marts/payments_by_year_company_nature.sql'), 'utf8');
    expect(summary).toContain('approx_percentile(amount_usd, 0.5)');
  });

  it('the SQL passes sqlfluff', () => {
    const r = spawnSync(join(VENV_BIN, 'sqlfluff'), ['lint', 'dbt'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout.slice(-3000)).toBe(0);
  });
});

describe('a broken input', () => {
  it('a payment of a company never named fails the relationships test, by name, and nothing else', async () => {
    const broken = join(work, 'broken-lake');
    cpSync(lake, broken, { recursive: true });
    const partition = join(broken, 'curated/open_payments/general/program_year=2023');
    // One more curated General row, copied from a real one, paid by a company id that appears
    // nowhere with a name: dim_companies cannot describe it.
    const db = await DuckDBInstance.create(':memory:');
    const sql = await db.connect();
    try {
      await sql.run(
        `COPY (
           SELECT * REPLACE ('999999999999' AS applicable_manufacturer_or_applicable_gpo_making_payment_id,
                             NULL::VARCHAR AS applicable_manufacturer_or_applicable_gpo_making_payment_name,
                             'BROKEN-0001' AS record_id)
           FROM read_parquet('${partition}/*.parquet') LIMIT 1
         ) TO '${partition}/part-broken.parquet' (FORMAT parquet)`,
      );
    } finally {
      sql.closeSync();
      db.closeSync();
    }
    expect(existsSync(join(partition, 'part-broken.parquet'))).toBe(true);

    const r = runCli(['--lake', broken, '--log-level', 'warn', '--json', 'dbt', 'build'], { cwd: work });
    expect(r.code).toBe(EXIT_CODES.job.code);
    const error = JSON.parse(r.stdout).error as {
      code: string;
      message: string;
      data: { summary: { failed: { uniqueId: string; failures: number }[] }; runResults: string };
    };
    expect(error.code).toBe('DBT_BUILD_FAILED');
    // Exactly one failure: the broken row, found by the fact → dim_companies relationships test.
    expect(error.data.summary.failed.map((f) => [f.uniqueId.split('.')[2], f.failures])).toEqual([
      ['relationships_fct_payments_company_key__company_key__ref_dim_companies_', 1],
    ]);
    expect(error.message).toContain(
      'relationships_fct_payments_company_key__company_key__ref_dim_companies_',
    );
    // dbt build stops downstream of a failed test: the summary mart is not rebuilt on bad facts.
    const results = JSON.parse(readFileSync(error.data.runResults, 'utf8')) as {
      results: { unique_id: string; status: string }[];
    };
    const status = (id: string) => results.results.find((x) => x.unique_id === id)?.status;
    expect(status('model.open_payments.payments_by_year_company_nature')).toBe('skipped');
    expect(status('model.open_payments.fct_payments')).toBe('success');
    expect(status('test.open_payments.assert_fct_payments_reconciles_with_curated')).toBe('pass');
  }, 300_000);
});

describe('a lake without every source table', () => {
  it('is refused before dbt runs, naming the missing tables; --when-ready skips instead', () => {
    const empty = join(tempDir('op-dbt-empty-'), 'lake');
    const refused = runCli(['--lake', empty, '--json', 'dbt', 'build'], { cwd: work });
    expect(refused.code).toBe(EXIT_CODES.input.code);
    const error = JSON.parse(refused.stdout).error;
    expect(error.code).toBe('DBT_SOURCES_MISSING');
    expect(error.data.missing).toEqual(['general', 'research', 'ownership', 'removed_deleted', 'profiles']);
    const skipped = runCli(['--lake', empty, '--json', 'dbt', 'build', '--when-ready'], { cwd: work });
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({
      status: 'skipped',
      missing: expect.arrayContaining(['profiles']),
    });
    expect(existsSync(analytics(empty))).toBe(false);
  });
});
