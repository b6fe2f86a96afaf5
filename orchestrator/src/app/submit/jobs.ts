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

export interface SqlJob {
  kind: 'sql';
  name: string;
  entry: 'run_sql.py';
  /** The .sql file in openpayments_jobs/sql. */
  sql: string;
  /** The curated dataset it reads. */
  reads: DatasetId;
  description: string;
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
