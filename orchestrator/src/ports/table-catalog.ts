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
  /** Rows in the Parquet files under a lake prefix, e.g. before it is published (0 when it holds none). */
  countParquetRows(prefix: string): Promise<number>;
  /**
   * Null values per column in one partition (a query, or the Parquet statistics); a column the
   * catalog cannot tell about is absent from the answer.
   */
  nullCounts(table: string, programYear: number, columns: string[]): Promise<Record<string, number>>;
  /**
   * The questions `validate` asks of one partition's data. Locally DuckDB answers them in SQL; on
   * aws the Parquet files under the partition's Glue location are read column by column (only the
   * columns asked for), so the checks run the same on both targets without a query engine.
   */
  /** Exact sum of a decimal column, as text with two decimals ("1234.50"). */
  sumDecimal(table: string, programYear: number, column: string): Promise<string>;
  /** Rows whose date column falls in a year other than the partition's program year. */
  countOutsideYear(table: string, programYear: number, dateColumn: string): Promise<number>;
  /** Rows whose `key` value also appears in `other`'s partition of the same program year. */
  countSharedKeys(table: string, other: string, programYear: number, key: string): Promise<number>;
}
