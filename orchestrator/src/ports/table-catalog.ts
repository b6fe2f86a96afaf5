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
}
