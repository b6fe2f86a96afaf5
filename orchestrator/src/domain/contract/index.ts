/**
 * The dataset contract: the single source of truth for every Open Payments layout, the curated
 * schema, lineage and data-quality rules. Spark, Glue and dbt consume its JSON export.
 */
import { DATASETS } from './datasets.js';
import { LINEAGE_COLUMNS } from './lineage.js';
import { type Contract, Contract as ContractSchema, type DatasetId, type DatasetSpec } from './types.js';

/** Bump on any change to the exported JSON: major = breaking for consumers, minor = additive. */
export const CONTRACT_VERSION = '1.2.0';

export const CONTRACT: Contract = ContractSchema.parse({
  contractVersion: CONTRACT_VERSION,
  lineage: LINEAGE_COLUMNS,
  parsing: {
    dateFormat: { spark: 'MM/dd/yyyy', duckdb: '%m/%d/%Y', athena: '%m/%d/%Y' },
    booleanTrue: ['Yes', 'Y', 'TRUE', 'True', 'true'],
    booleanFalse: ['No', 'N', 'FALSE', 'False', 'false'],
    trimWhitespace: true,
  },
  datasets: DATASETS,
} satisfies Contract);

export function datasetSpec(contract: Contract, id: DatasetId): DatasetSpec {
  const spec = contract.datasets.find((d) => d.id === id);
  if (!spec) throw new Error(`dataset ${id} missing from contract`);
  return spec;
}

export { detectEra, findEra, normaliseHeaderName, rankEras } from './detect.js';
export { PUBLISHED_HEADERS } from './headers.js';
export { curatedNameFor } from './mapping.js';
export { LEADING_ARTIFACTS, PLACEHOLDER_VALUES } from './rules.js';
export * from './types.js';
export * from './vocabulary.js';
