/**
 * Composition root: the only module that knows both the use cases and the concrete adapters.
 * config.target picks the adapters; the AWS ones arrive with the AWS issue.
 */
import { join, resolve } from 'node:path';
import type { AwsClients, EmrServerlessRunner, GlueCatalog, S3ObjectStore } from './adapters/aws/index.js';
import { HttpCmsCatalog } from './adapters/http/cms-catalog.js';
import { download } from './adapters/http/download.js';
import { DockerSparkRunner } from './adapters/local/docker-spark.js';
import { DuckDbCatalog } from './adapters/local/duckdb-catalog.js';
import { FsObjectStore } from './adapters/local/fs-object-store.js';
import { buildJobPackage } from './adapters/local/job-package.js';
import { projectRoot, readPlatformVersions, venvEnv } from './adapters/local/project.js';
import { LocalSparkRunner } from './adapters/local/spark-submit.js';
import { LocalSystemProbe } from './adapters/local/system-probe.js';
import { extractZipEntry, listZip } from './adapters/local/zip.js';
import type { AwsProbe } from './app/doctor-aws.js';
import { Ingest } from './app/ingest/ingest.js';
import { PartitionLocks } from './app/locks.js';
import { writeRunTableRows } from './app/run-tables.js';
import type { RunSummary } from './app/runs.js';
import { JOBS } from './app/submit/jobs.js';
import { Submit } from './app/submit/submit.js';
import { Validate } from './app/validate/validate.js';
import type { CommandContext } from './cli/context.js';
import type { Config } from './config/schema.js';
import { CONTRACT } from './domain/contract/index.js';
import { OrchestratorError } from './domain/errors.js';
import { RUN_TABLES } from './domain/run-tables.js';
import type { ArchiveReader } from './ports/fetching.js';
import type { ObjectStore } from './ports/object-store.js';
import type { SparkRunner } from './ports/spark-runner.js';
import type { SystemProbe } from './ports/system.js';
import type { TableCatalog } from './ports/table-catalog.js';

type AwsAdapters = typeof import('./adapters/aws/index.js');
let awsAdapters: AwsAdapters | undefined;

/**
 * Loads the adapters of the target a command runs on, before any factory below is called (the CLI
 * does it once the config says the target). Only the aws target loads the AWS SDK: every local
 * command used to pay ~0.3 s and ~40 MB for it.
 */
export async function loadTargetAdapters(target: Config['target']): Promise<void> {
  if (target === 'aws') awsAdapters ??= await import('./adapters/aws/index.js');
}

function awsAdapter(): AwsAdapters {
  if (!awsAdapters) throw new Error('The aws adapters are not loaded: call loadTargetAdapters first.');
  return awsAdapters;
}

export function localPaths(ctx: Pick<CommandContext, 'config' | 'io'>) {
  const root = projectRoot(ctx.io.env);
  const venv = resolve(root, ctx.config.python.venv);
  return {
    projectRoot: root,
    venv,
    venvEnv: venvEnv(venv, ctx.io.env),
    lakeRoot: resolve(ctx.io.cwd, ctx.config.lake.root),
    versions: readPlatformVersions(root),
  };
}

export function systemProbe(): SystemProbe {
  return new LocalSystemProbe();
}

/** What `doctor` calls on the aws target (one read-only call per service). */
export function awsDoctorProbe(ctx: Pick<CommandContext, 'config'>): AwsProbe {
  return awsAdapter().awsProbe(clientsOf(ctx.config.aws));
}

/** One set of AWS clients per config (the SDK clients pool their connections). */
const clientsByConfig = new WeakMap<object, AwsClients>();
function clientsOf(aws: Config['aws']): AwsClients {
  const known = clientsByConfig.get(aws);
  if (known) return known;
  const clients = awsAdapter().awsClients(aws);
  clientsByConfig.set(aws, clients);
  return clients;
}

/** A setting the aws target cannot do without: a config error that names the key and its source. */
function requireAws<T>(value: T | undefined, key: string, env: string, source: string): T {
  if (value === undefined) {
    throw new OrchestratorError('CONFIG_INVALID', `The aws target needs ${key}, which is not set.`, {
      suggestion: `Set ${key} in orchestrator.config.yaml or ${env} (${source}).`,
      data: { key },
    });
  }
  return value;
}

function s3Store(ctx: Pick<CommandContext, 'config'>): S3ObjectStore {
  const { aws } = ctx.config;
  const bucket = requireAws(
    aws.bucket,
    'aws.bucket',
    'ORCHESTRATOR_AWS__BUCKET',
    'the bucket the Terraform s3_lake module creates',
  );
  return new (awsAdapter().S3ObjectStore)({ client: clientsOf(aws).s3, bucket, prefix: aws.prefix });
}

export function objectStore(ctx: Pick<CommandContext, 'config' | 'io'>): ObjectStore {
  return ctx.config.target === 'aws' ? s3Store(ctx) : new FsObjectStore(localPaths(ctx).lakeRoot);
}

/** CMS zips through the safe reader: validated listing, CRC-checked streamed extraction. */
const zipArchives: ArchiveReader = {
  list: async (path) =>
    (await listZip(path)).map((e) => ({
      name: e.name,
      uncompressedSize: e.uncompressedSize,
      isDirectory: e.isDirectory,
    })),
  extract: (path, entryName, dest, signal) =>
    extractZipEntry(path, entryName, dest, signal ? { signal } : {}),
};

/**
 * Ingest always lands on local disk: on the local target the landing is the lake itself; on aws it is
 * a local landing lake that `orchestrator upload` then moves to S3.
 */
function landingDirOf(ctx: Pick<CommandContext, 'config' | 'io'>): string {
  const { lakeRoot } = localPaths(ctx);
  return ctx.config.ingest.landingDir
    ? resolve(ctx.io.cwd, ctx.config.ingest.landingDir)
    : join(lakeRoot, '.landing');
}

/** Where ingest lands: the lake itself on the local target, a local landing lake otherwise. */
export function landingStore(ctx: Pick<CommandContext, 'config' | 'io'>): ObjectStore {
  return ctx.config.target === 'local'
    ? objectStore(ctx)
    : new FsObjectStore(join(landingDirOf(ctx), 'lake'));
}

export function ingestUseCase(ctx: CommandContext, runId: string): Ingest {
  const landingDir = landingDirOf(ctx);
  const store = landingStore(ctx);
  return new Ingest({
    contract: CONTRACT,
    store,
    catalog: new HttpCmsCatalog(ctx.config.cms.catalogBaseUrl),
    download,
    archives: zipArchives,
    reporter: ctx.reporter,
    landingDir,
    runId,
    now: () => new Date(),
    signal: ctx.signal,
    downloadOptions: {
      maxAttempts: ctx.config.ingest.maxAttempts,
      stallTimeoutMs: ctx.config.ingest.stallTimeoutSeconds * 1000,
    },
  });
}

export type RunnerKind = SparkRunner['kind'];

/** The runner a target uses unless told otherwise, and the runners it can use. */
export function runnerFor(target: Config['target'], asked: RunnerKind | undefined): RunnerKind {
  const allowed: RunnerKind[] = target === 'aws' ? ['emr-serverless'] : ['local', 'docker'];
  const kind = asked ?? allowed[0]!;
  if (!allowed.includes(kind)) {
    throw new OrchestratorError(
      'INVALID_OPTION',
      `--runner ${kind} does not run on the ${target} target (its lake is ${target === 'aws' ? 'on S3' : 'a local folder'}).`,
      { suggestion: `Use --runner ${allowed.join(' or --runner ')} with --target ${target}.` },
    );
  }
  return kind;
}

/** EMR Serverless on the aws target: application, role and logs from config. */
function emrServerlessRunner(ctx: CommandContext): EmrServerlessRunner {
  const { aws } = ctx.config;
  const emr = aws.emrServerless;
  const source = 'the Terraform emr_serverless and iam modules output them';
  const applicationId = requireAws(
    emr.applicationId,
    'aws.emrServerless.applicationId',
    'ORCHESTRATOR_AWS__EMR_SERVERLESS__APPLICATION_ID',
    source,
  );
  const executionRoleArn = requireAws(
    emr.executionRoleArn,
    'aws.emrServerless.executionRoleArn',
    'ORCHESTRATOR_AWS__EMR_SERVERLESS__EXECUTION_ROLE_ARN',
    source,
  );
  const logUri = emr.logUri ?? s3Store(ctx).uri('logs/emr-serverless/');
  const clients = clientsOf(aws);
  const { EmrServerlessRunner, emrServerlessApi, s3DriverLogs } = awsAdapter();
  return new EmrServerlessRunner({
    api: emrServerlessApi(clients.emrServerless),
    logs: s3DriverLogs(clients.s3),
    settings: { ...emr, applicationId, executionRoleArn, logUri },
  });
}

/** The Spark runner of a submit: spark-submit from the venv, the same in the local-spark image, or EMR Serverless. */
export function sparkRunner(ctx: CommandContext, kind: RunnerKind): SparkRunner {
  if (kind === 'emr-serverless') return emrServerlessRunner(ctx);
  const paths = localPaths(ctx);
  if (kind === 'docker') {
    return new DockerSparkRunner({
      image: ctx.config.spark.dockerImage,
      master: ctx.config.spark.master,
      mounts: [paths.lakeRoot],
      user: { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 },
      baseEnv: ctx.io.env,
    });
  }
  return new LocalSparkRunner({ venv: paths.venv, master: ctx.config.spark.master, baseEnv: ctx.io.env });
}

/** The SQL jobs' output tables, for catalogs that declare schemas (Glue). */
const JOB_TABLES = Object.fromEntries(
  JOBS.flatMap((j) => (j.kind === 'sql' ? [[j.name, { title: j.description, columns: j.columns }]] : [])),
);

/** The aws target's Glue database, with the contract's tables and the SQL jobs' tables. */
function glueCatalog(ctx: CommandContext): GlueCatalog {
  const { aws } = ctx.config;
  return new (awsAdapter().GlueCatalog)(clientsOf(aws).glue, aws.glueDatabase, CONTRACT, JOB_TABLES);
}

/** The catalog: a DuckDB file in the lake locally, the Glue Data Catalog on aws. */
export function tableCatalog(ctx: CommandContext): TableCatalog {
  if (ctx.config.target === 'aws') return new (awsAdapter().GlueTableCatalog)(glueCatalog(ctx), s3Store(ctx));
  return new DuckDbCatalog(localPaths(ctx).lakeRoot);
}

export function submitUseCase(ctx: CommandContext, runId: string, runner: RunnerKind): Submit {
  const paths = localPaths(ctx);
  // Test hooks of the job pass through from the environment (never secrets: an explicit allow-list).
  const jobEnv = Object.fromEntries(
    Object.entries(ctx.io.env).filter(([k, v]) => k.startsWith('OP_TRANSFORM_') && v !== undefined),
  ) as Record<string, string>;
  return new Submit({
    contract: CONTRACT,
    store: objectStore(ctx),
    catalog: tableCatalog(ctx),
    runner: sparkRunner(ctx, runner),
    reporter: ctx.reporter,
    runId,
    now: () => new Date(),
    signal: ctx.signal,
    jobCode: () => buildJobPackage(paths.projectRoot),
    spark: {
      driverMemory: ctx.config.spark.driverMemory,
      driverJavaOptions: ctx.config.spark.driverJavaOptions,
      shufflePartitions: ctx.config.spark.shufflePartitions,
      targetFileMb: ctx.config.spark.targetFileMb,
    },
    jobEnv,
  });
}

export function validateUseCase(ctx: CommandContext, runId: string): Validate {
  return new Validate({
    contract: CONTRACT,
    store: objectStore(ctx),
    catalog: tableCatalog(ctx),
    reporter: ctx.reporter,
    runId,
    now: () => new Date(),
  });
}

/**
 * Runs `fn` as the one writer of these tables' program year (or of the whole tables, without a year),
 * with leases in the target's lake (so runs on different machines exclude each other too). `all`
 * means every dataset of the contract.
 */
export function withWriterLocks<T>(
  ctx: CommandContext,
  lock: { year?: number; tables: string[]; runId: string; command: string },
  fn: () => Promise<T>,
): Promise<T> {
  const tables = lock.tables.includes('all') ? CONTRACT.datasets.map((d) => d.id) : lock.tables;
  const locks = new PartitionLocks({
    store: objectStore(ctx),
    reporter: ctx.reporter,
    ttlMs: ctx.config.locks.leaseMinutes * 60_000,
  });
  return locks.withLocks(
    tables.map((table) => (lock.year === undefined ? { table } : { table, programYear: lock.year })),
    lock.runId,
    lock.command,
    fn,
  );
}

/**
 * Run summaries and validation results as catalog tables (`_runs`, `_validation`): each run's rows as
 * JSON lines under metadata/tables/ on every target, registered as Glue tables on aws (queried with
 * Athena); locally the DuckDB catalog's views read the run folders.
 */
export async function registerRunTables(ctx: CommandContext, runs: RunSummary[]): Promise<void> {
  await writeRunTableRows(objectStore(ctx), runs);
  if (ctx.config.target === 'aws') {
    const glue = glueCatalog(ctx);
    const store = s3Store(ctx);
    for (const [name, table] of Object.entries(RUN_TABLES))
      await glue.ensureJsonTable(name, table, store.uri(table.prefix));
    return;
  }
  await new DuckDbCatalog(localPaths(ctx).lakeRoot).registerMetadataViews();
}
