/**
 * Composition root: the only module that knows both the use cases and the concrete adapters.
 * config.target picks the adapters; the AWS ones arrive with the AWS issue.
 */
import { join, resolve } from 'node:path';
import { awsClients } from './adapters/aws/clients.js';
import { S3ObjectStore } from './adapters/aws/s3-object-store.js';
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
import { Ingest } from './app/ingest/ingest.js';
import { Submit } from './app/submit/submit.js';
import type { CommandContext } from './cli/context.js';
import { CONTRACT } from './domain/contract/index.js';
import { OrchestratorError } from './domain/errors.js';
import type { ArchiveReader } from './ports/fetching.js';
import type { ObjectStore } from './ports/object-store.js';
import type { SparkRunner } from './ports/spark-runner.js';
import type { SystemProbe } from './ports/system.js';
import type { TableCatalog } from './ports/table-catalog.js';

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

export function objectStore(ctx: Pick<CommandContext, 'config' | 'io'>): ObjectStore {
  if (ctx.config.target === 'aws') {
    const { aws } = ctx.config;
    if (!aws.bucket) {
      throw new OrchestratorError('CONFIG_INVALID', 'The aws target needs a bucket: aws.bucket is not set.', {
        suggestion:
          'Set aws.bucket in orchestrator.config.yaml or ORCHESTRATOR_AWS__BUCKET (the bucket the Terraform s3_lake module creates).',
      });
    }
    return new S3ObjectStore({ client: awsClients(aws).s3, bucket: aws.bucket, prefix: aws.prefix });
  }
  return new FsObjectStore(localPaths(ctx).lakeRoot);
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

/** The Spark runner of a submit: spark-submit from the venv, or the same in the local-spark image. */
export function sparkRunner(ctx: CommandContext, kind: 'local' | 'docker'): SparkRunner {
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

/** The local catalog: a DuckDB file in the lake (the Glue catalog arrives with the AWS target). */
export function tableCatalog(ctx: CommandContext): TableCatalog {
  if (ctx.config.target === 'aws') {
    throw new OrchestratorError(
      'TARGET_NOT_AVAILABLE',
      'Spark jobs on the aws target (EMR Serverless, Glue) are not available yet.',
      {
        suggestion: 'Run submit on --target local; on aws, ingest and upload work today.',
      },
    );
  }
  return new DuckDbCatalog(localPaths(ctx).lakeRoot);
}

export function submitUseCase(ctx: CommandContext, runId: string, runner: 'local' | 'docker'): Submit {
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
      shufflePartitions: ctx.config.spark.shufflePartitions,
      targetFileMb: ctx.config.spark.targetFileMb,
    },
    jobEnv,
  });
}
