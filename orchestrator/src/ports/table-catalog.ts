/**
 * Where curated partitions become queryable tables: a DuckDB file in the lake locally, the Glue Data
 * Catalog on AWS. Registration is idempotent: registering the same partition again updates it.
 */
export interface PartitionRegistration {
  /** A contract dataset id, or a derived table (yearly_summary). */
  table: string;
  programYear: number;
  /** Lake key of the partition folder (`curated/open_payments/general/program_year=2023/`). */
  key: string;
  rows: number;
  files: number;
  runId: string;
}

export interface RegisteredPartition extends PartitionRegistration {
  registeredAt: string;
}

export interface TableCatalog {
  /** Where the catalog lives, for messages. */
  readonly location: string;
  /** Ensures the dataset's table exists over its curated folder and records the partition. */
  registerPartition(p: PartitionRegistration): Promise<void>;
  partitions(table?: string): Promise<RegisteredPartition[]>;
  /** Rows the catalog's table returns for one partition (reads the data: proves it is queryable). */
  countRows(table: string, programYear: number): Promise<number>;
  /** Rows in the Parquet files under a lake prefix, before it is published (reads the files). */
  countParquetRows(prefix: string): Promise<number>;
  /**
   * Null values per column in one partition (a query, or the Parquet statistics); a column the
   * catalog cannot tell about is absent from the answer.
   */
  nullCounts(table: string, programYear: number, columns: string[]): Promise<Record<string, number>>;
  /**
   * SQL over the catalog's tables (`open_payments.<table>`), where the CLI has an engine at hand:
   * DuckDB locally. Absent on AWS (that engine is Athena), so checks that need it are skipped there.
   */
  query?(sql: string): Promise<Record<string, unknown>[]>;
}
