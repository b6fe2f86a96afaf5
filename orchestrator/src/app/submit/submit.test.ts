/**
 * The submit use case around a job: fingerprints, publication, reconciliation and catalog
 * registration, with the real lake store and the real DuckDB catalog. The Spark runner is replaced by
 * one that writes what a job writes (Parquet through DuckDB, and metrics JSON) so each path — success,
 * failure, mismatch, rerun — runs in milliseconds; the real spark-submit path has its own CLI test.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { DuckDbCatalog } from '../../adapters/local/duckdb-catalog.js';
import { FsObjectStore } from '../../adapters/local/fs-object-store.js';
import { CONTRACT } from '../../domain/contract/index.js';
import type { OrchestratorError } from '../../domain/errors.js';
import { lake } from '../../domain/lake.js';
import { RecordingReporter } from '../../ports/reporter.js';
import type { SparkJobSpec, SparkRunner, SparkRunResult } from '../../ports/spark-runner.js';
import type { IngestRecord } from '../ingest/ingest.js';
import { jobNamed } from './jobs.js';
import { type JobMetrics, Submit } from './submit.js';

type Behaviour = { exitCode?: number; rows?: number; lie?: Partial<JobMetrics>; rejected?: number };

/** Writes `rows` curated rows with DuckDB where the job would, and metrics that add up (unless told to lie). */
class FakeSparkRunner implements SparkRunner {
  readonly kind = 'local' as const;
  readonly reattachable = false;
  readonly runs: SparkJobSpec[] = [];
  constructor(public behaviour: Behaviour = {}) {}

  describe(spec: SparkJobSpec): string {
    return ['spark-submit', spec.entryPoint, ...spec.args].join(' ');
  }

  async run(spec: SparkJobSpec): Promise<SparkRunResult> {
    this.runs.push(spec);
    const b = this.behaviour;
    const arg = (name: string) => spec.args[spec.args.indexOf(name) + 1]!;
    if (b.exitCode) return { exitCode: b.exitCode, durationMs: 1, tail: ['Traceback: boom'] };
    const inputs = JSON.parse(readFileSync(arg('--inputs'), 'utf8'));
    const rowsIn = inputs.files[0].records as number;
    const rows = b.rows ?? rowsIn - (b.rejected ?? 0);
    const dir = join(arg('--curated-root'), arg('--dataset'), `program_year=${arg('--year')}`);
    mkdirSync(dir, { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `CREATE TABLE t AS SELECT i AS record_id, ${arg('--year')} AS program_year FROM range(${rows}) r(i)`,
    );
    if (rows > 0)
      await c.run(`COPY (SELECT record_id FROM t) TO '${dir}/part-00000.parquet' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    const metrics: JobMetrics = {
      job: 'transform',
      rowsIn,
      rowsOut: rows,
      rowsRejected: rowsIn - rows,
      removed: 0,
      ...b.lie,
    };
    mkdirSync(join(arg('--metrics'), '..'), { recursive: true });
    writeFileSync(arg('--metrics'), JSON.stringify(metrics));
    return { exitCode: 0, durationMs: 1, tail: [] };
  }
}

async function setup(records = 100) {
  const root = mkdtempSync(join(tmpdir(), 'op-submit-'));
  const store = new FsObjectStore(root);
  const loc = { dataset: 'general' as const, programYear: 2023, publication: '2024-06-30' };
  const ingest: IngestRecord = {
    fingerprint: 'f1',
    runId: 'ingest-1',
    dataset: 'general',
    programYear: 2023,
    publication: '2024-06-30',
    rawKey: lake.rawFile(loc, 'OP_DTL_GNRL_PGYR2023_P06302024.csv'),
    sha256: 'abc',
    records,
    era: 'general_91',
    header: ['Record_ID'],
    stagingKeys: [lake.stagingChunk(loc, 0)],
    chunks: [{ key: lake.stagingChunk(loc, 0), records, bytes: 1000 }],
    source: {},
  };
  await store.put(lake.ingestRecord(loc), JSON.stringify(ingest));
  const catalog = new DuckDbCatalog(root);
  const runner = new FakeSparkRunner();
  let n = 0;
  const submit = (runId = `run-${++n}`) =>
    new Submit({
      contract: CONTRACT,
      store,
      catalog,
      runner,
      reporter: new RecordingReporter(),
      runId,
      now: () => new Date('2026-11-26T12:00:00Z'),
      jobCode: async () => ({
        hash: 'c0de'.repeat(16),
        zip: Buffer.from('zip'),
        entryPoints: { 'transform.py': Buffer.from('') },
      }),
      spark: { driverMemory: '1g', shufflePartitions: 2, targetFileMb: 64 },
    });
  const req = (extra: Partial<Parameters<Submit['run']>[0]> = {}) => ({
    job: jobNamed('transform'),
    year: 2023,
    dryRun: false,
    force: false,
    ...extra,
  });
  const partition = join(root, 'curated/open_payments/general/program_year=2023');
  return { root, store, catalog, runner, submit, req, partition };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as OrchestratorError,
  );

describe('submit transform', () => {
  it('publishes the partition, registers it in the DuckDB catalog and says unchanged on a rerun', async () => {
    const s = await setup(100);
    const first = await s.submit().run(s.req());
    expect(first.status).toBe('succeeded');
    expect(first.tables[0]).toMatchObject({ table: 'general', status: 'published' });
    expect(readdirSync(s.partition)).toEqual(['part-00000.parquet']);
    expect(await s.catalog.countRows('general', 2023)).toBe(100);
    expect(await s.catalog.partitions('general')).toMatchObject([
      { table: 'general', programYear: 2023, rows: 100, files: 1, runId: 'run-1' },
    ]);
    // Staging of the run is cleaned up; code and contract are staged once, content-addressed.
    expect(
      readdirSync(join(s.root, 'staging/curated/run_id=run-1'), { recursive: true }).filter((f) =>
        String(f).endsWith('.parquet'),
      ),
    ).toEqual([]);
    expect(readdirSync(join(s.root, 'artifacts')).sort()).toHaveLength(2);

    const again = await s.submit().run(s.req());
    expect(again.status).toBe('unchanged');
    expect(again.tables[0]).toMatchObject({ status: 'unchanged', producedBy: 'run-1' });
    expect(s.runner.runs).toHaveLength(1);

    const forced = await s.submit().run(s.req({ force: true }));
    expect(forced.status).toBe('succeeded');
    expect(s.runner.runs).toHaveLength(2);
  });

  it('keeps the previous partition when the job fails', async () => {
    const s = await setup(100);
    await s.submit().run(s.req());
    const before = readFileSync(join(s.partition, 'part-00000.parquet'));
    s.runner.behaviour = { exitCode: 1 };
    const e = await failure(s.submit('run-x').run(s.req({ force: true })));
    expect(e?.code).toBe('SPARK_JOB_FAILED');
    expect(e?.message).toContain('Traceback: boom');
    expect(readFileSync(join(s.partition, 'part-00000.parquet')).equals(before)).toBe(true);
    const manifest = JSON.parse(
      readFileSync(join(s.root, 'metadata/runs/run_id=run-x/manifest.json'), 'utf8'),
    );
    expect(manifest).toMatchObject({ status: 'failed', error: { code: 'SPARK_JOB_FAILED' } });
  });

  it.each([
    ['metrics that do not add up', { lie: { rowsRejected: 3 } }, 'rows in 100 ≠ out'],
    [
      'a staged partition that is not what the metrics say',
      { lie: { rowsOut: 90, rowsRejected: 10 } },
      'staged Parquet holds 100 rows',
    ],
    [
      'a job that read fewer rows than the ingest audit counted',
      { lie: { rowsIn: 99, rowsRejected: -1 } },
      'ingest audit counted 100',
    ],
  ])(
    'refuses to publish %s and keeps the previous partition',
    async (_what, behaviour: Behaviour, message) => {
      const s = await setup(100);
      s.runner.behaviour = { rows: 60 };
      await s.submit().run(s.req());
      s.runner.behaviour = behaviour;
      const e = await failure(s.submit().run(s.req({ force: true })));
      expect(e?.code).toBe('RECONCILIATION_FAILED');
      expect(e?.message).toContain(message);
      expect(await s.catalog.countRows('general', 2023)).toBe(60);
    },
  );

  it('tells the user which ingest to run when nothing was ingested', async () => {
    const s = await setup(100);
    const e = await failure(s.submit().run(s.req({ year: 2022 })));
    expect(e?.code).toBe('NOT_INGESTED');
    expect(e?.suggestion).toContain('orchestrator ingest --dataset all --year 2022');
    const only = await failure(s.submit().run(s.req({ datasets: ['research'] })));
    expect(only?.suggestion).toContain('orchestrator ingest --dataset research --year 2023');
  });

  it('plans without running or writing anything on a dry run', async () => {
    const s = await setup(100);
    const r = await s.submit('dry').run(s.req({ dryRun: true }));
    expect(r.status).toBe('dry-run');
    expect(r.tables[0]!.command).toContain('--dataset general --year 2023');
    expect(r.tables[0]!.partitionKey).toBe('curated/open_payments/general/program_year=2023/');
    expect(s.runner.runs).toHaveLength(0);
    expect(readdirSync(s.root)).toEqual(['metadata']);
    expect(readdirSync(join(s.root, 'metadata'))).toEqual(['ingest']);
  });

  it('runs the SQL job only once its source is transformed', async () => {
    const s = await setup(100);
    const e = await failure(s.submit().run(s.req({ job: jobNamed('yearly_summary') })));
    expect(e?.code).toBe('NOT_TRANSFORMED');
    expect(e?.suggestion).toBe('Run: orchestrator submit transform --year 2023 --dataset general');
  });
});
