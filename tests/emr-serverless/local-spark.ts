/**
 * How a job run becomes a local `spark-submit --master local[N]`: the project venv's Spark, the s3a
 * connector jars from the cache (scripts/emr-local.sh), and s3a pointed at the local S3 server, with
 * `s3://` served by s3a as EMR's own S3 filesystem serves it there.
 */
import { join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { spawnCollect } from '../helpers.js';
import { stageArtifact } from './s3-artifacts.js';
import type { SparkSubmitParams } from './spark-submit-params.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const EMR_LOCAL_SCRIPT = join(REPO_ROOT, 'scripts/emr-local.sh');

export interface LocalS3 {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface LocalSparkConfig {
  /** The Python venv with pyspark (its bin/spark-submit and bin/python are used). */
  venv: string;
  /** `local[N]`. */
  master: string;
  /** hadoop-aws and the AWS SDK bundle matching pyspark's Hadoop. */
  jars: string[];
  s3: LocalS3;
}

export interface SparkSubmitCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Installs the s3a jars if needed (idempotent, cached outside the repo) and returns their paths. */
export async function ensureS3aJars(): Promise<string[]> {
  const r = await spawnCollect('bash', [EMR_LOCAL_SCRIPT, 'install']);
  if (r.code !== 0) throw new Error(`scripts/emr-local.sh install failed (exit ${r.code}):\n${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * Spark settings that point s3a (and `s3://`) at the local S3 server. They come last on the command
 * line, so a job's own `fs.s3a.*` settings can never send it to real AWS.
 */
export function s3aConf(s3: LocalS3): Record<string, string> {
  return {
    'spark.hadoop.fs.s3a.endpoint': s3.endpoint,
    'spark.hadoop.fs.s3a.endpoint.region': s3.region,
    'spark.hadoop.fs.s3a.connection.ssl.enabled': String(s3.endpoint.startsWith('https:')),
    // An IP endpoint has no bucket subdomains.
    'spark.hadoop.fs.s3a.path.style.access': 'true',
    'spark.hadoop.fs.s3a.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider',
    'spark.hadoop.fs.s3a.access.key': s3.credentials.accessKeyId,
    'spark.hadoop.fs.s3a.secret.key': s3.credentials.secretAccessKey,
    'spark.hadoop.fs.s3a.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    // EMR jobs use s3:// URIs (EMRFS there); s3a serves them here.
    'spark.hadoop.fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    // versitygw's posix backend keeps "directory" markers as real directories and refuses to delete
    // one that is not empty (ErrDirectoryNotEmpty). s3a deletes the parent markers after each write
    // by default and retries that refusal with backoff: a two-row Parquet write took ~10 minutes.
    // `keep` (Hadoop >= 3.3.1) leaves the markers alone; the same write then commits in well under 1 s.
    'spark.hadoop.fs.s3a.directory.marker.retention': 'keep',
  };
}

/** Settings that make a local run quieter and cheaper without changing what a job computes. */
const LOCAL_RUN_CONF: Record<string, string> = {
  // The dashboard URL of GetDashboardForJobRun is served by the emulator: no port per driver.
  'spark.ui.enabled': 'false',
  // Progress bars would fill the driver's stderr.gz with carriage-return noise.
  'spark.ui.showConsoleProgress': 'false',
};

export interface StagedJob {
  entryPoint: string;
  entryPointArguments: string[];
  params: SparkSubmitParams;
  /** `configurationOverrides.applicationConfiguration` spark-defaults, which EMR passes as --conf. */
  sparkDefaults: Record<string, string>;
}

/** Downloads the job's S3 artifacts into `workDir` and returns the spark-submit command line. */
export async function sparkSubmitCommand(
  job: StagedJob,
  config: LocalSparkConfig,
  s3: S3Client,
  workDir: string,
): Promise<SparkSubmitCommand> {
  const stage = (uris: string[], sub: string) =>
    Promise.all(uris.map((uri) => stageArtifact(s3, uri, join(workDir, sub))));
  const entryPoint = await stageArtifact(s3, job.entryPoint, join(workDir, 'entry'));
  const pyFiles = await stage(job.params.pyFiles, 'py-files');
  const jars = await stage(job.params.jars, 'jars');
  const files = await stage(job.params.files, 'files');
  const archives = await stage(job.params.archives, 'archives');

  const conf = { ...job.sparkDefaults, ...job.params.conf, ...LOCAL_RUN_CONF, ...s3aConf(config.s3) };
  const args = ['--master', config.master];
  if (job.params.name) args.push('--name', job.params.name);
  if (job.params.mainClass) args.push('--class', job.params.mainClass);
  for (const [k, v] of Object.entries(conf)) args.push('--conf', `${k}=${v}`);
  args.push('--jars', [...config.jars, ...jars].join(','));
  if (pyFiles.length) args.push('--py-files', pyFiles.join(','));
  if (files.length) args.push('--files', files.join(','));
  if (archives.length) args.push('--archives', archives.join(','));
  args.push(entryPoint, ...job.entryPointArguments);

  const bin = join(config.venv, 'bin');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // spark-submit finds SPARK_HOME through the `python3` on PATH, which must be the venv's.
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    VIRTUAL_ENV: config.venv,
    PYSPARK_PYTHON: join(bin, 'python'),
    PYSPARK_DRIVER_PYTHON: join(bin, 'python'),
    SPARK_LOCAL_IP: '127.0.0.1',
    // A job that uses boto3 next to Spark reaches the same local S3.
    AWS_ENDPOINT_URL_S3: config.s3.endpoint,
    AWS_ACCESS_KEY_ID: config.s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.s3.credentials.secretAccessKey,
    AWS_REGION: config.s3.region,
  };
  // spark.emr-serverless.driverEnv.X sets X in the driver's environment on EMR; the local driver is
  // the spark-submit process tree, so it gets them there.
  const DRIVER_ENV = 'spark.emr-serverless.driverEnv.';
  for (const [k, v] of Object.entries(job.params.sizing))
    if (k.startsWith(DRIVER_ENV)) env[k.slice(DRIVER_ENV.length)] = v;
  // A SPARK_HOME of the caller's (another Spark install) would win over the venv's pyspark.
  delete env['SPARK_HOME'];
  return { command: join(bin, 'spark-submit'), args, env };
}
