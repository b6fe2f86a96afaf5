/**
 * The shape of the dataset contract. Declared with zod so the exported JSON (read by Spark, Glue and
 * dbt generators) is validated on the way out and its JSON Schema can be published.
 */
import { z } from 'zod';

export const DATASET_IDS = ['general', 'research', 'ownership', 'removed_deleted', 'profiles'] as const;
export const DatasetId = z.enum(DATASET_IDS);
export type DatasetId = z.infer<typeof DatasetId>;

export const CURATED_TYPES = [
  'string',
  'int',
  'bigint',
  'decimal(18,2)',
  'date',
  'boolean',
  'array<string>',
] as const;
export const CuratedType = z.enum(CURATED_TYPES);
export type CuratedType = z.infer<typeof CuratedType>;

export const CuratedColumn = z.object({
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  type: CuratedType,
  nullable: z.boolean(),
  /**
   * For a nullable key column: the largest share of null values a published partition may hold
   * before `orchestrator validate` fails it (a layout mapped wrongly shows up as a column gone null).
   */
  maxNullRate: z.number().min(0).max(1).optional(),
  description: z.string().min(1),
});
export type CuratedColumn = z.infer<typeof CuratedColumn>;

/** One column of a source header: where it goes in the curated schema, or why it is dropped. */
export const SourceColumn = z
  .object({
    source: z.string().min(1),
    curated: z.string().optional(),
    dropReason: z.string().optional(),
    /** false when the column name/position could not be confirmed from real files or public loaders. */
    verified: z.boolean(),
  })
  .refine((c) => (c.curated === undefined) !== (c.dropReason === undefined), {
    message: 'a source column is either mapped to a curated column or dropped with a reason',
  });
export type SourceColumn = z.infer<typeof SourceColumn>;

export const Era = z.object({
  id: z.string().regex(/^[a-z_]+_[a-z0-9_]+$/),
  dataset: DatasetId,
  title: z.string(),
  /** Program years first published in this layout (informational; detection uses the header only). */
  programYears: z.object({ from: z.number().int(), to: z.number().int().nullable() }),
  /** Ordered header as published. */
  columns: z.array(SourceColumn).min(1),
  notes: z.array(z.string()),
});
export type Era = z.infer<typeof Era>;

/**
 * Declarative data-quality rules, evaluated per row by the transform. Hard rules run in order and the
 * first failure is the quarantine reason; soft rules add their code to `_dq_flags`. A rule whose
 * column the row's era does not supply is skipped (e.g. NPI rules before PY2015).
 */
export const DqCheck = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('field_count') }),
  z.object({ kind: z.literal('required'), column: z.string() }),
  z.object({ kind: z.literal('castable'), column: z.string() }),
  z.object({ kind: z.literal('min'), column: z.string(), min: z.number() }),
  z.object({
    kind: z.literal('date_between'),
    column: z.string(),
    min: z.string(),
    maxYearsAfterProgramYear: z.number().int(),
  }),
  z.object({ kind: z.literal('equals_job_year'), column: z.string() }),
  z.object({ kind: z.literal('unique_in_publication'), column: z.string() }),
  z.object({ kind: z.literal('within_program_year'), column: z.string() }),
  z.object({
    kind: z.literal('pattern'),
    column: z.string(),
    regex: z.string(),
    when: z.record(z.string(), z.array(z.string())).optional(),
  }),
  z.object({
    kind: z.literal('present_when'),
    column: z.string(),
    when: z.record(z.string(), z.array(z.string())),
  }),
  z.object({ kind: z.literal('accepted_values'), column: z.string(), values: z.array(z.string()) }),
  z.object({ kind: z.literal('placeholder'), values: z.array(z.string()) }),
  z.object({ kind: z.literal('leading_artifact'), prefixes: z.array(z.string()) }),
  z.object({ kind: z.literal('castable_nullable_columns') }),
]);
export type DqCheck = z.infer<typeof DqCheck>;

export const DqRule = z.object({
  code: z.string().regex(/^[A-Z][A-Z0-9_]+$/),
  severity: z.enum(['hard', 'soft']),
  description: z.string(),
  check: DqCheck,
});
export type DqRule = z.infer<typeof DqRule>;

export const DatasetSpec = z.object({
  id: DatasetId,
  title: z.string(),
  /** CMS file-name prefix(es), e.g. OP_DTL_GNRL. */
  filePrefixes: z.array(z.string()),
  /** The curated column that identifies a row within a publication (dedupe and removal key). */
  recordKey: z.array(z.string()),
  partitionKeys: z.array(z.string()),
  curated: z.array(CuratedColumn),
  eras: z.array(Era).min(1),
  rules: z.array(DqRule),
});
export type DatasetSpec = z.infer<typeof DatasetSpec>;

export const Contract = z.object({
  contractVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
  lineage: z.array(CuratedColumn),
  /** How text is read before typing: trimmed, and which literals mean true/false. */
  parsing: z.object({
    dateFormat: z.object({ spark: z.string(), duckdb: z.string(), athena: z.string() }),
    booleanTrue: z.array(z.string()),
    booleanFalse: z.array(z.string()),
    trimWhitespace: z.boolean(),
  }),
  datasets: z.array(DatasetSpec),
});
export type Contract = z.infer<typeof Contract>;
