/** Columns the pipeline adds to every curated row so each one can be traced to its source. */
import type { CuratedColumn, CuratedType } from './types.js';

const col = (name: string, type: CuratedType, description: string, nullable: boolean): CuratedColumn => ({
  name,
  type,
  nullable,
  description,
});

export const LINEAGE_COLUMNS: CuratedColumn[] = [
  col('_source_file', 'string', 'Raw-zone key of the file the row came from.', false),
  col(
    '_publication_date',
    'date',
    'CMS publication the file belongs to (the raw publication= folder).',
    false,
  ),
  col('_ingest_run_id', 'string', 'Run id of the ingest that landed the file.', false),
  col('_era', 'string', 'Header layout (era id) detected for the source file.', false),
  col('_row_number', 'bigint', '1-based record position in the source file (records, not lines).', false),
  col(
    '_dq_flags',
    'array<string>',
    'Soft data-quality rule codes that fired for this row (empty when clean).',
    false,
  ),
];
