/**
 * The Spark jobs `orchestrator submit` knows, and what each one reads and writes. Job code lives in
 * spark-jobs/openpayments_jobs; the entry points are its `jobs/*.py` files.
 */
import type { DatasetId } from '../../domain/contract/types.js';
import { OrchestratorError } from '../../domain/errors.js';

/** Removed/deleted first: the payment datasets exclude the records it lists. */
export const TRANSFORM_ORDER: readonly DatasetId[] = [
  'removed_deleted',
  'general',
  'research',
  'ownership',
  'profiles',
];

/** Datasets whose curated rows exclude the publication's removed/deleted records. */
export const REMOVABLE: ReadonlySet<DatasetId> = new Set(['general', 'research', 'ownership']);

export interface TransformJob {
  kind: 'transform';
  name: 'transform';
  entry: 'transform.py';
  description: string;
}

/** A column of a table a SQL job writes, with its Hive type (what Glue and Athena declare). */
export interface OutputColumn {
  name: string;
  type: string;
  description: string;
}

export interface SqlJob {
  kind: 'sql';
  name: string;
  entry: 'run_sql.py';
  /** The .sql file in openpayments_jobs/sql. */
  sql: string;
  /** The curated dataset it reads. */
  reads: DatasetId;
  description: string;
  /** What the query returns, program_year aside (the partition key): the catalog's table schema. */
  columns: OutputColumn[];
}

export type JobDefinition = TransformJob | SqlJob;

export const JOBS: readonly JobDefinition[] = [
  {
    kind: 'transform',
    name: 'transform',
    entry: 'transform.py',
    description: 'staging chunks → typed curated Parquet, quarantine, metrics (one run per dataset)',
  },
  {
    kind: 'sql',
    name: 'yearly_summary',
    entry: 'run_sql.py',
    sql: 'yearly_summary',
    reads: 'general',
    description: 'Spark SQL: general payments by manufacturer × nature of payment (count, total, median)',
    columns: [
      { name: 'manufacturer_id', type: 'string', description: 'Paying manufacturer or GPO (CMS id).' },
      {
        name: 'manufacturer_name',
        type: 'string',
        description: "The id's most frequent spelling of the name in the year.",
      },
      { name: 'nature_of_payment', type: 'string', description: 'Nature of payment or transfer of value.' },
      { name: 'payments', type: 'bigint', description: 'Number of curated payments.' },
      { name: 'total_amount_usd', type: 'decimal(28,2)', description: 'Sum of the payments, USD.' },
      {
        name: 'median_amount_usd',
        type: 'decimal(18,2)',
        description: 'Median payment, USD (percentile_approx, accuracy 10000).',
      },
    ],
  },
];

export function jobNamed(name: string): JobDefinition {
  const job = JOBS.find((j) => j.name === name);
  if (!job) {
    throw new OrchestratorError('UNKNOWN_JOB', `There is no Spark job named "${name}".`, {
      suggestion: `Jobs: ${JOBS.map((j) => j.name).join(', ')}.`,
    });
  }
  return job;
}
