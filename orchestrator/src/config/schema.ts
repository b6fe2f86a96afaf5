/**
 * The configuration schema: every field has a description and a default, so `orchestrator` runs with
 * no config file at all. Sources, lowest to highest precedence: defaults < orchestrator.config.(yaml|json)
 * < ORCHESTRATOR_* environment variables < command-line flags. The published JSON Schema
 * (docs/config.schema.json) is generated from this and snapshot-tested.
 */
import { z } from 'zod';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** JVM options: whitespace-separated words, each an option ("-X…", "-D…"); empty keeps the JVM's own defaults. */
const JVM_OPTIONS = /^\s*(-\S+(\s+-\S+)*)?\s*$/;
/** Driver JVM options of local runs (see spark.driverJavaOptions). */
export const DEFAULT_DRIVER_JAVA_OPTIONS = '-XX:+UseParallelGC';

const positive = (fallback: number, what: string) =>
  z.coerce.number().positive().default(fallback).describe(what);

/** Driver or executor size: what EMR Serverless allocates per worker. */
const WorkerSize = (role: string) =>
  z
    .strictObject({
      cores: z.coerce
        .number()
        .int()
        .refine((n) => [1, 2, 4, 8, 16].includes(n), 'EMR Serverless workers have 1, 2, 4, 8 or 16 vCPU')
        .default(4)
        .describe(`vCPU of the ${role}.`),
      memory: z
        .string()
        .regex(/^\d+g$/, 'whole GB like 16g')
        .default('16g')
        .describe(`Memory of the ${role} (spark.${role}.memory; EMR adds overhead on top).`),
    })
    .prefault({});

const EmrServerlessSchema = z.strictObject({
  applicationId: z
    .string()
    .regex(/^[0-9a-z]{1,64}$/, 'an EMR Serverless application id (lower-case letters and digits)')
    .optional()
    .describe(
      'Spark application that runs the jobs (output `application_id` of the Terraform emr_serverless module).',
    ),
  executionRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN')
    .optional()
    .describe('Job execution role the jobs run as (Terraform iam module output `job_role_arn`).'),
  logUri: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]+[a-z0-9](\/.*)?$/, 'an s3:// URI')
    .optional()
    .describe('Where EMR writes driver logs; default s3://<bucket>/<prefix>logs/emr-serverless/.'),
  driver: WorkerSize('driver').describe('Size of the Spark driver worker.'),
  executor: WorkerSize('executor').describe('Size of each Spark executor worker.'),
  maxExecutors: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .describe('spark.dynamicAllocation.maxExecutors: the ceiling on workers (and cost) of one job.'),
  shufflePartitions: z.coerce
    .number()
    .int()
    .min(1)
    .default(200)
    .describe('spark.sql.shuffle.partitions on EMR (AQE coalesces them).'),
  executionTimeoutMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .default(180)
    .describe('EMR cancels a job run that runs longer than this.'),
  pollInitialSeconds: positive(
    2,
    'First GetJobRun interval; it backs off (with jitter) up to pollMaxSeconds.',
  ),
  pollMaxSeconds: positive(30, 'Longest interval between GetJobRun calls.'),
  logGraceSeconds: positive(
    120,
    'After the run ends, keep looking this long for driver logs EMR has not uploaded yet.',
  ),
  cancelTimeoutSeconds: positive(600, 'On Ctrl-C, wait this long for the run to reach CANCELLED.'),
  prices: z
    .strictObject({
      vcpuHour: positive(0.052624, 'USD per vCPU-hour (us-east-1 list price, arm64 is cheaper).'),
      memoryGbHour: positive(0.0057785, 'USD per GB-hour of memory.'),
      storageGbHour: positive(
        0.000111,
        'USD per GB-hour of ephemeral storage beyond the free 20 GB per worker.',
      ),
    })
    .prefault({})
    .describe("EMR Serverless unit prices for the cost estimate; set your region's."),
  tags: z
    .record(z.string().regex(/^[\w.:/=+@ -]{1,128}$/), z.string().max(256))
    .default({})
    .describe('Tags on every job run (the orchestrator adds job, program-year and run-id).'),
});

export const ConfigSchema = z
  .strictObject({
    target: z
      .enum(['local', 'aws'])
      .default('local')
      .describe(
        'Where the pipeline runs: `local` (lake folder, local spark-submit, DuckDB) or `aws` (S3, EMR Serverless, Glue, Athena).',
      ),
    logLevel: z.enum(LOG_LEVELS).default('info').describe('Minimum level of log events written to stderr.'),
    lake: z
      .strictObject({
        root: z
          .string()
          .min(1)
          .default('.lake')
          .describe(
            'Local lake folder (relative paths are resolved from the working directory). Used by the local target.',
          ),
      })
      .default({ root: '.lake' })
      .describe('The local lake.'),
    python: z
      .strictObject({
        venv: z
          .string()
          .min(1)
          .default('.venv')
          .describe(
            'Project Python venv with pyspark and dbt (created by scripts/bootstrap.sh); relative to the project root.',
          ),
      })
      .default({ venv: '.venv' })
      .describe('The Python environment that runs Spark jobs and dbt locally.'),
    doctor: z
      .strictObject({
        minFreeDiskGb: z.coerce
          .number()
          .nonnegative()
          .default(20)
          .describe(
            'Free disk space required under the lake folder, in GB (one program year of General payments is ~9 GB raw).',
          ),
      })
      .default({ minFreeDiskGb: 20 })
      .describe('Thresholds of `orchestrator doctor`.'),
    locks: z
      .strictObject({
        leaseMinutes: z.coerce
          .number()
          .positive()
          .default(30)
          .describe(
            'Lifetime of the one-writer lease of a table and year; renewed while the run works, taken over once a killed run lets it expire.',
          ),
      })
      .prefault({})
      .describe('One writer per (table, program year).'),
    ingest: z
      .strictObject({
        landingDir: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Local folder for downloads and work files before they are landed (default: <lake>/.landing). Needs room for one source file.',
          ),
        chunkMb: z.coerce
          .number()
          .positive()
          .default(128)
          .describe('Uncompressed size of a staging chunk in MB (Spark reads one chunk per task).'),
        maxAttempts: z.coerce
          .number()
          .int()
          .min(1)
          .max(20)
          .default(5)
          .describe('Attempts per download before giving up (with exponential backoff and jitter).'),
        stallTimeoutSeconds: z.coerce
          .number()
          .positive()
          .default(60)
          .describe('A download that receives no byte for this long is retried.'),
      })
      .default({ chunkMb: 128, maxAttempts: 5, stallTimeoutSeconds: 60 })
      .describe('Ingestion: downloads, landing and staging chunks.'),
    spark: z
      .strictObject({
        master: z
          .string()
          .regex(/^local(\[(\*|\d+)\])?$/, 'local, local[N] or local[*]')
          .default('local[*]')
          .describe('Spark master of the local runners: local[*] uses every core, local[N] N of them.'),
        driverMemory: z
          .string()
          .regex(/^\d+[mgMG]$/, 'a JVM size like 2g or 512m')
          .default('2g')
          .describe('Driver memory of local runs (in local mode the driver does all the work).'),
        driverJavaOptions: z
          .string()
          .regex(JVM_OPTIONS, 'JVM options, each starting with "-" (or empty for the JVM defaults)')
          .default(DEFAULT_DRIVER_JAVA_OPTIONS)
          .describe(
            "JVM options of the local runs' driver, passed as spark.driver.defaultJavaOptions (a spark-defaults.conf extraJavaOptions still adds to them; choose another collector here, as the JVM refuses two). The Parallel collector by default: a local run is one batch JVM that allocates a short-lived string per value, and G1's write barriers and concurrent threads made the 1M-row transform 5–8% slower on 2 cores.",
          ),
        shufflePartitions: z.coerce
          .number()
          .int()
          .min(1)
          .default(8)
          .describe('spark.sql.shuffle.partitions for local runs (AQE coalesces them further).'),
        targetFileMb: z.coerce
          .number()
          .int()
          .min(1)
          .default(256)
          .describe(
            'Curated Parquet files hold about this many MB of input CSV each (no thousands of tiny files).',
          ),
        dockerImage: z
          .string()
          .min(1)
          .default('openpayments-local-spark:3.5.5')
          .describe('Image of the docker runner, built from local-spark/Dockerfile.'),
      })
      .default({
        master: 'local[*]',
        driverMemory: '2g',
        driverJavaOptions: DEFAULT_DRIVER_JAVA_OPTIONS,
        shufflePartitions: 8,
        targetFileMb: 256,
        dockerImage: 'openpayments-local-spark:3.5.5',
      })
      .describe('Spark jobs submitted by `orchestrator submit`.'),
    cms: z
      .strictObject({
        catalogBaseUrl: z
          .url()
          .default('https://openpaymentsdata.cms.gov')
          .describe('Base URL of the CMS Open Payments catalog API (DKAN); tests point it at a local fake.'),
      })
      .default({ catalogBaseUrl: 'https://openpaymentsdata.cms.gov' })
      .describe('The CMS publisher.'),
    aws: z
      .strictObject({
        region: z
          .string()
          .min(1)
          .default('us-east-1')
          .describe('AWS region of the lake bucket, EMR Serverless application and Glue catalog.'),
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (lower case, digits, dots, dashes)')
          .optional()
          .describe('S3 bucket that holds the lake (required for --target aws).'),
        emrReleaseLabel: z
          .string()
          .regex(/^emr-\d+\.\d+\.\d+$/)
          .default('emr-7.10.0')
          .describe(
            'EMR Serverless release; its Spark version must equal the pinned pyspark (versions.json).',
          ),
        prefix: z
          .string()
          .regex(/^([a-z0-9][a-z0-9._-]*\/)*$/, 'empty, or folders ending with "/" (e.g. lakes/dev/)')
          .default('')
          .describe('Key prefix of the lake inside the bucket (empty: the lake is the whole bucket).'),
        endpoints: z
          .strictObject({
            s3: z.url().optional().describe('S3 endpoint override (path-style is used when set).'),
            glue: z.url().optional().describe('Glue endpoint override.'),
            emrServerless: z.url().optional().describe('EMR Serverless endpoint override.'),
            sts: z.url().optional().describe('STS endpoint override.'),
          })
          .default({})
          .describe(
            'Per-service endpoint overrides, for S3-compatible stores and local emulators; unset means the real AWS endpoints of the region.',
          ),
        maxAttempts: z.coerce
          .number()
          .int()
          .min(1)
          .max(20)
          .default(6)
          .describe('Attempts per AWS call (adaptive retry with backoff on throttling and 5xx).'),
        glueDatabase: z
          .string()
          .regex(/^[a-z0-9_]{1,255}$/, 'a Glue database name (lower case, digits, underscores)')
          .default('open_payments')
          .describe('Glue database of the curated tables (the Terraform glue_catalog module creates it).'),
        emrServerless: EmrServerlessSchema.prefault({}).describe(
          'The EMR Serverless runner of `submit` on the aws target.',
        ),
      })
      .prefault({})
      .describe('The AWS target.'),
  })
  .describe('Configuration of the orchestrator CLI.');

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** JSON Schema of the config file, for editors and docs. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(ConfigSchema, { io: 'input' });
}
