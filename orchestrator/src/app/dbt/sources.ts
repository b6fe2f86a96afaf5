/**
 * The dbt sources file, generated from the dataset contract: one source table per curated dataset,
 * every curated and lineage column with its contract type and description, and the tests the
 * contract implies (not-null columns, record-key uniqueness per partition, accepted values).
 * Pure: contract in, YAML text out. `orchestrator dbt sources` writes it; a unit test fails when
 * the committed file differs from what this returns.
 */
import YAML from 'yaml';
import type { Contract, CuratedColumn, DatasetSpec } from '../../domain/contract/types.js';

/** Where the generated file lives, relative to the repository root. */
export const DBT_SOURCES_PATH = 'dbt/models/staging/open_payments/_open_payments__sources.yml';

export const SOURCE_NAME = 'open_payments';

/**
 * How dbt-duckdb reads a curated table: straight from the lake's Parquet, never through the
 * catalog file `lake.duckdb`. DuckDB lets one process hold a file for writing, and even a READ_ONLY
 * ATTACH takes a lock that makes the orchestrator's catalog registration fail while dbt runs; the
 * Parquet files are what the catalog views point at anyway. `{name}` is filled in by dbt-duckdb with
 * the source table's name; the lake comes from OP_LAKE (default `.lake`, the orchestrator's default,
 * relative to the directory dbt is run from). Hive partitioning gives `program_year` from the folder.
 */
const EXTERNAL_LOCATION =
  "read_parquet('{{ env_var('OP_LAKE', '.lake') }}/curated/open_payments/{name}/program_year=*/*.parquet', hive_partitioning = true)";

type Test = string | Record<string, unknown>;

interface SourceColumnYaml {
  name: string;
  description: string;
  data_type: string;
  data_tests?: Test[];
}

/** Column-level tests the contract guarantees for a curated column. */
function columnTests(dataset: DatasetSpec, column: CuratedColumn): Test[] {
  const tests: Test[] = [];
  if (!column.nullable) tests.push('not_null');
  // A warning here: `orchestrator validate` is the gate for null rates (it fails the pipeline before
  // dbt runs); dbt reports them again without holding every mart back for one key column.
  if (column.maxNullRate !== undefined)
    tests.push({
      op_null_rate_at_most: { arguments: { max_rate: column.maxNullRate }, config: { severity: 'warn' } },
    });
  for (const rule of dataset.rules) {
    if (rule.check.kind !== 'accepted_values' || rule.check.column !== column.name) continue;
    // A hard rule quarantined every other value, so one in curated is a bug (error); a soft rule
    // only flagged it (`_dq_flags`), so curated may legitimately hold it (warn, and count it).
    tests.push({
      accepted_values: {
        // Named after the rule: the default name lists every value and runs to hundreds of characters.
        name: `source_${dataset.id}__${rule.code.toLowerCase()}`,
        arguments: { values: rule.check.values },
        config: { severity: rule.severity === 'hard' ? 'error' : 'warn' },
      },
    });
  }
  return tests;
}

function sourceTable(contract: Contract, dataset: DatasetSpec): Record<string, unknown> {
  const toColumn = (c: CuratedColumn, tests: Test[]): SourceColumnYaml => ({
    name: c.name,
    description: c.description,
    data_type: c.type,
    ...(tests.length ? { data_tests: tests } : {}),
  });
  // The record key is unique within one partition (the transform drops duplicates of a publication).
  const key = [...new Set([...dataset.partitionKeys, ...dataset.recordKey])];
  return {
    name: dataset.id,
    description: `${dataset.title}: curated Parquet partitioned by ${dataset.partitionKeys.join(', ')} (contract ${contract.contractVersion}).`,
    data_tests: [{ op_unique_combination_of_columns: { arguments: { combination_of_columns: key } } }],
    columns: [
      ...dataset.curated.map((c) => toColumn(c, columnTests(dataset, c))),
      ...contract.lineage.map((c) => toColumn(c, [])),
    ],
  };
}

/** The sources YAML for a contract; deterministic (same contract → same bytes). */
export function renderDbtSources(contract: Contract): string {
  const doc = {
    version: 2,
    sources: [
      {
        name: SOURCE_NAME,
        description:
          'Curated CMS Open Payments tables written by the Spark transform: typed, validated, removed/deleted records excluded, one partition per program year.',
        // On Athena these are the Glue tables the orchestrator registers (database from
        // OP_GLUE_DATABASE, as `aws.glueDatabase`); dbt-duckdb ignores both and reads meta.external_location.
        database: "{{ 'awsdatacatalog' if target.type == 'athena' else target.database }}",
        schema: "{{ env_var('OP_GLUE_DATABASE', 'open_payments') }}",
        config: {
          // CMS publishes each program year once a year (June 30) and refreshes it in January.
          loaded_at_field: 'cast(_publication_date as timestamp)',
          freshness: {
            warn_after: { count: 400, period: 'day' },
            error_after: { count: 800, period: 'day' },
          },
          meta: { external_location: EXTERNAL_LOCATION },
        },
        tables: contract.datasets.map((d) => sourceTable(contract, d)),
      },
    ],
  };
  const header = [
    `# Generated by \`orchestrator dbt sources\` from the dataset contract v${contract.contractVersion}.`,
    '# Do not edit: change the contract (orchestrator/src/domain/contract) and regenerate.',
  ].join('\n');
  return `${header}\n${YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
