/**
 * The aws target end to end, offline: `orchestrator pipeline --target aws` ingests a generated file,
 * uploads it to the S3 server (versitygw), runs the transform as an EMR Serverless job run (the
 * emulator runs the real job with spark-submit on s3a), registers the partition in Glue (moto) and
 * counts it back. Then what can go wrong with a remote run: throttling, a failed job's traceback,
 * Ctrl-C (the run is cancelled remotely), a CLI killed mid-run (the rerun attaches to the same run),
 * and the SQL job's table in Glue. Tests run in order and share the lake.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetPartitionsCommand, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { type LocalAws, startLocalAws } from '../aws-local/endpoints.js';
import { type EmrServerlessEmulator, startEmrServerlessEmulator } from '../emr-serverless/emulator.js';
import { type CliRun, generateSample, runCliAsync, tempDir, waitFor } from '../helpers.js';

const BUCKET = 'op-aws-pipeline';
const PREFIX = 'dev/';
const ROLE = 'arn:aws:iam::123456789012:role/op-emr-job';
const ROWS = 3000;
const CURATED = `${PREFIX}curated/open_payments/general/program_year=2023/`;

let aws: LocalAws;
let emr: EmrServerlessEmulator;
let s3: S3Client;
let glue: GlueClient;
let db: DuckDBInstance;
let sql: DuckDBConnection;
const work = tempDir('op-aws-e2e-');
const csv = join(work, 'OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv');
let env: Record<string, string>;

beforeAll(async () => {
  aws = await startLocalAws();
  emr = await startEmrServerlessEmulator({
    aws,
    logUploadIntervalMs: 500,
    killGraceMs: 3000,
    releaseLabel: 'emr-7.10.0', // the release versions.json pins
  });
  const common = { region: aws.region, credentials: aws.credentials };
  s3 = new S3Client({ ...common, endpoint: aws.s3Endpoint, forcePathStyle: true });
  glue = new GlueClient({ ...common, endpoint: aws.glueEndpoint });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  db = await DuckDBInstance.create(':memory:');
  sql = await db.connect();
  generateSample(csv, { rows: ROWS });
  env = {
    ...aws.env,
    ...emr.env,
    ORCHESTRATOR_TARGET: 'aws',
    ORCHESTRATOR_AWS__BUCKET: BUCKET,
    ORCHESTRATOR_AWS__PREFIX: PREFIX,
    ORCHESTRATOR_AWS__ENDPOINTS__S3: aws.s3Endpoint,
    ORCHESTRATOR_AWS__ENDPOINTS__GLUE: aws.glueEndpoint,
    ORCHESTRATOR_AWS__ENDPOINTS__EMR_SERVERLESS: emr.endpoint,
    ORCHESTRATOR_AWS__EMR_SERVERLESS__APPLICATION_ID: emr.applicationId,
    ORCHESTRATOR_AWS__EMR_SERVERLESS__EXECUTION_ROLE_ARN: ROLE,
    ORCHESTRATOR_AWS__EMR_SERVERLESS__POLL_INITIAL_SECONDS: '0.3',
    ORCHESTRATOR_AWS__EMR_SERVERLESS__POLL_MAX_SECONDS: '1',
    ORCHESTRATOR_AWS__EMR_SERVERLESS__LOG_GRACE_SECONDS: '10',
    ORCHESTRATOR_AWS__EMR_SERVERLESS__CANCEL_TIMEOUT_SECONDS: '60',
    ORCHESTRATOR_INGEST__LANDING_DIR: join(work, 'landing'),
  };
}, 900_000);

afterAll(async () => {
  sql?.closeSync();
  s3?.destroy();
  glue?.destroy();
  await emr?.stop();
  await aws?.stop();
});

/** The CLI on the aws target: debug logs as JSON lines on stderr, the result as JSON on stdout. */
function cli(
  args: string[],
  extra: { env?: Record<string, string>; onSpawn?: (c: ChildProcess) => void } = {},
) {
  return runCliAsync(['--log-level', 'debug', '--json', ...args], {
    cwd: work,
    env: { ...env, ...(extra.env ?? {}) },
    ...(extra.onSpawn ? { onSpawn: extra.onSpawn } : {}),
  });
}

interface LogLine {
  code?: string;
  msg?: string;
  level?: number | string;
  [k: string]: unknown;
}

function events(r: CliRun): LogLine[] {
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, navigated freely by assertions
type Json = Record<string, any>;
const result = (r: CliRun) => JSON.parse(r.stdout) as Json;

async function keys(prefix: string): Promise<{ key: string; etag: string }[]> {
  const out: { key: string; etag: string }[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: BUCKET, Prefix: prefix }))
    for (const o of page.Contents ?? []) out.push({ key: o.Key!, etag: o.ETag ?? '' });
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

async function getText(key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return got.Body!.transformToString();
}

/** Downloads the Parquet files under a prefix and reads them with DuckDB. */
async function parquetFrom(prefix: string): Promise<string> {
  const dir = join(tempDir('op-aws-read-'), 'p');
  mkdirSync(dir, { recursive: true });
  const files = (await keys(prefix)).filter((o) => o.key.endsWith('.parquet'));
  expect(files.length).toBeGreaterThan(0);
  for (const [i, o] of files.entries()) {
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.key }));
    writeFileSync(join(dir, `${i}.parquet`), await got.Body!.transformToByteArray());
  }
  return `read_parquet('${dir}/*.parquet')`;
}

async function count(from: string): Promise<number> {
  const r = await sql.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${from}`);
  return Number(r.getRowObjectsJS()[0]!['n']);
}

async function partitions(table: string) {
  const out = await glue.send(new GetPartitionsCommand({ DatabaseName: 'open_payments', TableName: table }));
  return (out.Partitions ?? []).map((p) => ({
    values: p.Values,
    location: p.StorageDescriptor?.Location,
    parameters: p.Parameters,
  }));
}

const submission = async () =>
  JSON.parse(await getText(`${PREFIX}metadata/submissions/open_payments/general/program_year=2023.json`));

describe('the aws target end to end (S3 server, EMR Serverless emulator, Glue on moto)', () => {
  let published: Json;
  let curatedRows: number;

  it('doctor --target aws checks the settings and reaches the bucket, the application and Glue', async () => {
    const r = await cli(['doctor']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const checks = Object.fromEntries(result(r).checks.map((c: Json) => [c.name, c]));
    expect(checks['S3 bucket'].status).toBe('ok');
    expect(checks['EMR app'].detail).toContain(`${emr.applicationId}: Spark, emr-7.10.0`);
    expect(checks['Glue database'].status).toBe('warn'); // the first submit creates it

    const wrong = await cli(['doctor'], {
      env: { ORCHESTRATOR_AWS__EMR_SERVERLESS__APPLICATION_ID: '00nosuchapp' },
    });
    expect(wrong.code).toBe(EXIT_CODES.environment.code);
    const failed = result(wrong).error.data.checks.find((c: Json) => c.name === 'EMR app');
    expect(failed.status).toBe('fail');
    expect(failed.detail).toContain('ResourceNotFoundException');
  });

  it('pipeline --target aws: upload, transform on EMR Serverless (throttled calls retried), Glue registration; curated rows read back from S3', async () => {
    // The first calls of the run are throttled: the SDK's retries ride them out.
    emr.setBehaviour({ throttle: 3 });
    const r = await cli(['pipeline', '--year', '2023', '--dataset', 'general', '--source', csv]);
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    expect(emr.throttledCalls()).toBe(3);
    expect(emr.launches).toHaveLength(1);
    const general = result(r).transform.tables[0];
    published = general;
    expect(general).toMatchObject({ table: 'general', status: 'published' });
    const m = general.metrics;
    expect(m.rowsIn).toBe(ROWS);
    expect(m.rowsOut + m.rowsRejected + m.removed).toBe(ROWS);
    curatedRows = m.rowsOut;

    // Curated Parquet on the S3 server holds exactly the rows the job reported.
    expect(await count(await parquetFrom(CURATED))).toBe(m.rowsOut);
    // Rejected rows are kept under the run, with their reason.
    const rejected = await parquetFrom(`${PREFIX}staging/rejected/open_payments/`);
    expect(await count(rejected)).toBe(m.rowsRejected);
    // Nothing is left in the run's staging folder.
    expect(await keys(`${PREFIX}staging/curated/`)).toEqual([]);

    // Glue lists the partition at its S3 location, with the rows and the run that published it.
    expect(await partitions('general')).toEqual([
      {
        values: ['2023'],
        location: `s3://${BUCKET}/${CURATED}`,
        parameters: expect.objectContaining({
          'orchestrator.rows': String(m.rowsOut),
          'orchestrator.run_id': general.producedBy,
        }),
      },
    ]);
    const table = await glue.send(new GetTableCommand({ DatabaseName: 'open_payments', Name: 'general' }));
    expect(table.Table?.StorageDescriptor?.Location).toBe(
      `s3://${BUCKET}/${PREFIX}curated/open_payments/general/`,
    );

    // The remote run: its id, billed resources, cost estimate and Spark UI link.
    const run = [...emr.runs.values()][0]!;
    expect(run.state).toBe('SUCCESS');
    expect(general.remote).toMatchObject({
      service: 'emr-serverless',
      jobRunId: run.jobRunId,
      state: 'SUCCESS',
      dashboardUrl: expect.stringContaining(run.jobRunId),
    });
    expect(general.remote.billed.vCPUHour).toBeGreaterThan(0);
    expect(general.remote.estimatedCostUsd).toBeGreaterThan(0);
    // The request carried the deterministic token, the tags and the sizing from config.
    expect(run.request.clientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(run.request.tags).toMatchObject({ 'openpayments:table': 'general', 'openpayments:attempt': '1' });
    expect(run.request.jobDriver?.sparkSubmit?.sparkSubmitParameters).toContain(
      '--conf spark.dynamicAllocation.maxExecutors=20',
    );

    // Logs streamed while the run was RUNNING: driver lines arrived before the SUCCESS state.
    const log = events(r);
    const firstDriverLine = log.findIndex((e) => e.code === 'spark.log' || e.code === 'spark.output');
    const success = log.findIndex((e) => e.code === 'emr.state' && String(e.msg).includes(' SUCCESS'));
    expect(firstDriverLine).toBeGreaterThan(-1);
    expect(firstDriverLine).toBeLessThan(success);
    const states = log.filter((e) => e.code === 'emr.state').map((e) => String(e.msg).split(' ').at(-1));
    expect(states).toContain('RUNNING');
    expect(log.find((e) => e.code === 'emr.finished')?.msg).toMatch(/billed .* vCPU-h.*≈ \$/);
  });

  it('the pipeline validated the year on S3: every check runs there too, reading the Parquet on S3', async () => {
    const r = await cli(['validate', '--year', '2023']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const checks = Object.fromEntries(
      result(r).checks.map((c: Json) => [`${c.dataset} ${c.check}`, c.status]),
    );
    expect(checks).toMatchObject({
      'general raw.sha256': 'pass',
      'general staging.records': 'pass',
      'general curated.reconciled': 'pass',
      'general rejected.rows': 'pass',
      'general curated.catalog_rows': 'pass',
      'general curated.nulls': 'pass',
      'general curated.null_rates': 'pass',
      'general curated.amount': 'pass',
      'general curated.date_in_year': 'pass',
    });
    // Nothing is skipped on aws any more except what the year lacks (e.g. no removed/deleted file).
    const skipped = result(r).checks.filter((c: Json) => c.status === 'skip');
    expect(skipped.map((c: Json) => `${c.dataset} ${c.check}: ${c.detail}`).join('\n')).not.toMatch(
      /Athena|SQL engine/,
    );
    expect((await keys(`${PREFIX}metadata/validation/`)).map((o) => o.key)).toContain(
      `${PREFIX}metadata/validation/open_payments/general/program_year=2023.json`,
    );
  });

  it('runs and validation results are Glue tables (_runs, _validation) over one-line JSON rows on S3', async () => {
    const r = await cli(['validate', '--year', '2023', '--dataset', 'general']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const validateRun = result(r).runId as string;
    for (const [name, folder] of [
      ['_runs', 'runs'],
      ['_validation', 'validation'],
    ] as const) {
      const { Table } = await glue.send(new GetTableCommand({ DatabaseName: 'open_payments', Name: name }));
      const sd = Table!.StorageDescriptor!;
      expect(sd.Location).toBe(`s3://${BUCKET}/${PREFIX}metadata/tables/${folder}/`);
      expect(sd.SerdeInfo?.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
      // Every row on S3 is one JSON object per line whose keys are exactly the table's columns.
      const columns = sd.Columns!.map((c) => c.Name);
      const objects = await keys(`${PREFIX}metadata/tables/${folder}/`);
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects)
        for (const line of (await getText(o.key)).trim().split('\n'))
          expect(Object.keys(JSON.parse(line))).toEqual(columns);
    }
    // The validate run's row, and one _validation row per check it made, with what it found.
    const run = JSON.parse(await getText(`${PREFIX}metadata/tables/runs/${validateRun}.json`));
    expect(run).toMatchObject({
      run_id: validateRun,
      kind: 'validate',
      program_year: 2023,
      status: 'passed',
    });
    const rows = (await getText(`${PREFIX}metadata/tables/validation/${validateRun}.json`))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(result(r).checks.length);
    expect(rows.find((c) => c.check === 'curated.reconciled')).toMatchObject({
      run_id: validateRun,
      dataset: 'general',
      program_year: 2023,
      status: 'pass',
    });
    // The pipeline's transform run is there too, with its row counts per table.
    const submitRuns = await Promise.all(
      (await keys(`${PREFIX}metadata/tables/runs/`)).map(async (o) => JSON.parse(await getText(o.key))),
    );
    const transform = submitRuns.find((x) => x.command === 'submit transform' && x.status === 'succeeded');
    expect(transform.tables[0]).toMatchObject({ table: 'general', rows_out: expect.any(Number) });
    expect(transform.tables[0].rows_out).toBeGreaterThan(0);
  });

  it('a rerun submits nothing and leaves Glue as it was (registration is idempotent)', async () => {
    const before = await partitions('general');
    const r = await cli(['pipeline', '--year', '2023', '--dataset', 'general', '--source', csv]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(result(r).transform.status).toBe('unchanged');
    expect(emr.launches).toHaveLength(1);
    expect(await partitions('general')).toEqual(before);
  });

  it('--dry-run prints the exact StartJobRun request and starts nothing', async () => {
    const r = await cli(['submit', 'transform', '--year', '2023', '--dry-run']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const command: string = result(r).tables[0].command;
    expect(command.startsWith('EMR Serverless StartJobRun {')).toBe(true);
    const request = JSON.parse(command.slice('EMR Serverless StartJobRun '.length));
    expect(request).toMatchObject({
      applicationId: emr.applicationId,
      executionRoleArn: ROLE,
      clientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      configurationOverrides: {
        monitoringConfiguration: {
          s3MonitoringConfiguration: { logUri: `s3://${BUCKET}/${PREFIX}logs/emr-serverless/` },
        },
      },
    });
    expect(request.jobDriver.sparkSubmit.entryPoint).toMatch(
      new RegExp(`^s3://${BUCKET}/${PREFIX}artifacts/`),
    );
    expect(emr.runs.size).toBe(1);
  });

  it('a failed job surfaces the driver’s traceback and the state details; the published partition is unchanged', async () => {
    const before = await keys(CURATED);
    const r = await cli(['submit', 'transform', '--year', '2023', '--force'], {
      env: { OP_TRANSFORM_INJECT_FAILURE: 'before-commit' },
    });
    expect(r.code, r.stderr.slice(-3000)).toBe(EXIT_CODES.job.code);
    const error = result(r).error;
    expect(error.code).toBe('SPARK_JOB_FAILED');
    expect(error.message).toContain('EMR Serverless: FAILED');
    expect(error.message).toContain('ExitCode: 1');
    expect(error.message).toContain('Traceback (most recent call last)');
    expect(error.message).toMatch(/--- driver (stdout|stderr) \(last \d+ lines\) ---/);
    expect(await keys(CURATED)).toEqual(before);
    expect((await submission()).state).toBe('failed');
  });

  it('Ctrl-C during a run cancels it remotely and exits with its own code; nothing is published', async () => {
    const before = await keys(CURATED);
    emr.setBehaviour({ hang: true });
    const known = new Set(emr.runs.keys());
    let child: ChildProcess | undefined;
    const running = cli(['submit', 'transform', '--year', '2023', '--force'], {
      onSpawn: (c) => {
        child = c;
      },
    });
    const run = await waitFor('a RUNNING job run', () =>
      [...emr.runs.values()].find((x) => !known.has(x.jobRunId) && x.state === 'RUNNING'),
    );
    emr.setBehaviour({});
    child!.kill('SIGINT');
    const r = await running;
    expect(r.code, r.stderr.slice(-3000)).toBe(EXIT_CODES.cancelled.code);
    expect(result(r).error.code).toBe('JOB_CANCELLED');
    expect(run.state).toBe('CANCELLED');
    expect(run.history.map((h) => h.state)).toContain('CANCELLING');
    expect(await keys(CURATED)).toEqual(before);
    expect((await submission()).state).toBe('cancelled');
  });

  it('a CLI killed mid-run leaves the job running; the rerun attaches to that run instead of starting another', async () => {
    emr.setBehaviour({ slowStates: 2500 });
    const known = new Set(emr.runs.keys());
    let child: ChildProcess | undefined;
    const first = cli(['submit', 'transform', '--year', '2023', '--force'], {
      onSpawn: (c) => {
        child = c;
      },
    });
    const run = await waitFor('a new job run', () =>
      [...emr.runs.values()].find((x) => !known.has(x.jobRunId)),
    );
    emr.setBehaviour({});
    child!.kill('SIGKILL'); // no chance to cancel: the run goes on
    await first;
    const record = await submission();
    expect(record.state).toBe('running');

    const r = await cli(['submit', 'transform', '--year', '2023', '--force']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(events(r).some((e) => e.code === 'submit.reattached')).toBe(true);
    // The same run, one driver: the resent StartJobRun carried the same clientToken.
    expect([...emr.runs.keys()].filter((id) => !known.has(id))).toEqual([run.jobRunId]);
    expect(emr.launches.filter((l) => l.jobRunId === run.jobRunId)).toHaveLength(1);
    const table = result(r).tables[0];
    expect(table.producedBy).toBe(record.runId);
    expect(table.remote.jobRunId).toBe(run.jobRunId);
    expect(await count(await parquetFrom(CURATED))).toBe(curatedRows);
    expect((await submission()).state).toBe('published');
  });

  it('the SQL job runs on EMR Serverless too; its Glue table declares the columns its Parquet has', async () => {
    const r = await cli(['submit', 'yearly_summary', '--year', '2023']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const prefix = `${PREFIX}curated/open_payments/yearly_summary/program_year=2023/`;
    const from = await parquetFrom(prefix);
    const described = (await sql.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJS();
    const table = await glue.send(
      new GetTableCommand({ DatabaseName: 'open_payments', Name: 'yearly_summary' }),
    );
    const hive = (t: string) => t.toLowerCase().replace('varchar', 'string');
    expect(described.map((c) => [c['column_name'], hive(String(c['column_type']))])).toEqual(
      table.Table!.StorageDescriptor!.Columns!.map((c) => [c.Name, c.Type]),
    );
    const total = await sql.runAndReadAll(`SELECT sum(payments)::INTEGER AS n FROM ${from}`);
    expect(Number(total.getRowObjectsJS()[0]!['n'])).toBe(curatedRows);
    expect((await partitions('yearly_summary'))[0]?.values).toEqual(['2023']);
    expect(published.producedBy).not.toBe(result(r).tables[0].producedBy);
  });
});

// The write-once raw zone on S3 (If-None-Match) is tested in upload.test.ts and s3-object-store.test.ts.
