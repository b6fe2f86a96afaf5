/**
 * The configuration schema: every field has a description and a default, so `orchestrator` runs with
 * no config file at all. Sources, lowest to highest precedence: defaults < orchestrator.config.(yaml|json)
 * < ORCHESTRATOR_* environment variables < command-line flags. The published JSON Schema
 * (docs/config.schema.json) is generated from this and snapshot-tested.
 */
import { z } from 'zod';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

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
      })
      .default({
        region: 'us-east-1',
        emrReleaseLabel: 'emr-7.10.0',
        prefix: '',
        endpoints: {},
        maxAttempts: 6,
      })
      .describe('The AWS target.'),
  })
  .describe('Configuration of the orchestrator CLI.');

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** JSON Schema of the config file, for editors and docs. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(ConfigSchema, { io: 'input' });
}
