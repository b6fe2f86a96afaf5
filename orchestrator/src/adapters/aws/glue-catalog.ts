/**
 * Curated partitions in the Glue Data Catalog (what Athena, dbt-athena and EMR read).
 *
 * - The database and one EXTERNAL Parquet table per dataset, its schema from the contract (curated
 *   columns and lineage; `program_year` is the partition key, not a column), located at the
 *   dataset's curated folder. Created when missing, updated when the contract changed it.
 * - Partitions are registered with BatchCreatePartition in chunks of 100 (the API's limit). A
 *   partition that already exists is compared by location and updated with BatchUpdatePartition
 *   only when it differs, so registering twice changes nothing. GetPartitions verifies the result.
 */
import {
  BatchCreatePartitionCommand,
  BatchUpdatePartitionCommand,
  type Column,
  CreateDatabaseCommand,
  CreateTableCommand,
  EntityNotFoundException,
  GetDatabaseCommand,
  GetPartitionsCommand,
  GetTableCommand,
  GetTablesCommand,
  type GlueClient,
  type PartitionInput,
  type StorageDescriptor,
  type Table,
  type TableInput,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import type { Contract, CuratedColumn } from '../../domain/contract/types.js';
import { OrchestratorError } from '../../domain/errors.js';

export const GLUE_BATCH = 100;

/** Contract types → Hive types (what Glue and Athena expect). */
const HIVE_TYPES: Record<CuratedColumn['type'], string> = {
  string: 'string',
  int: 'int',
  bigint: 'bigint',
  'decimal(18,2)': 'decimal(18,2)',
  date: 'date',
  boolean: 'boolean',
  'array<string>': 'array<string>',
};

const PARQUET = {
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
};

/** Newline-delimited JSON (one record per line), read by Athena's OpenX JSON SerDe. */
const JSON_LINES = {
  InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  SerdeInfo: {
    SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
    // A row that does not parse is an error to see, not a silent null.
    Parameters: { 'ignore.malformed.json': 'FALSE' },
  },
};

/** An unpartitioned table over JSON lines (the runs and validation tables). */
export interface JsonLinesTable {
  title: string;
  columns: readonly { name: string; type: string; description: string }[];
}

export interface GluePartition {
  programYear: number;
  /** s3:// URI of the partition folder, ending with '/'. */
  location: string;
  /** Facts kept on the partition (rows, files, the run that published it). */
  parameters?: Record<string, string>;
}

/** A table that is not a contract dataset (a SQL job's output): its columns, partitioned by program_year. */
export interface DerivedTable {
  title: string;
  columns: { name: string; type: string; description: string }[];
}

export interface RegistrationReport {
  created: number;
  updated: number;
  unchanged: number;
}

export class GlueCatalog {
  constructor(
    private readonly client: GlueClient,
    private readonly database: string,
    private readonly contract: Contract,
    private readonly derived: Record<string, DerivedTable> = {},
  ) {}

  get databaseName(): string {
    return this.database;
  }

  /** The table's Glue definition: curated columns + lineage (or a SQL job's columns), partitioned by program_year. */
  tableInput(table: string, location: string): TableInput {
    const schema = this.schemaOf(table);
    return {
      Name: table,
      Description: `${schema.title} (contract ${this.contract.contractVersion})`,
      TableType: 'EXTERNAL_TABLE',
      Parameters: { classification: 'parquet', 'contract.version': this.contract.contractVersion },
      PartitionKeys: schema.partitionKeys.map((k) => ({ Name: k, Type: 'int' })),
      StorageDescriptor: { Columns: schema.columns, Location: location, ...PARQUET },
    };
  }

  private schemaOf(table: string): { title: string; columns: Column[]; partitionKeys: string[] } {
    const comment = (text: string) => text.slice(0, 255);
    const spec = this.contract.datasets.find((d) => d.id === table);
    if (spec) {
      const partitionKeys = new Set(spec.partitionKeys);
      const toColumn = (c: CuratedColumn): Column => ({
        Name: c.name,
        Type: HIVE_TYPES[c.type],
        Comment: comment(c.description),
      });
      const columns = [...spec.curated, ...this.contract.lineage]
        .filter((c) => !partitionKeys.has(c.name))
        .map(toColumn);
      return { title: spec.title, columns, partitionKeys: spec.partitionKeys };
    }
    const derived = this.derived[table];
    if (!derived) throw new OrchestratorError('UNKNOWN_DATASET', `No dataset or job table ${table}.`);
    return {
      title: derived.title,
      columns: derived.columns.map((c) => ({ Name: c.name, Type: c.type, Comment: comment(c.description) })),
      partitionKeys: ['program_year'],
    };
  }

  /** The tables of the database (names), paginated. */
  async tables(): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('tables', () =>
        this.client.send(new GetTablesCommand({ DatabaseName: this.database, NextToken: token })),
      );
      for (const t of page.TableList ?? []) if (t.Name) names.push(t.Name);
      token = page.NextToken;
    } while (token);
    return names.sort();
  }

  async ensureDatabase(): Promise<void> {
    try {
      await this.client.send(new GetDatabaseCommand({ Name: this.database }));
    } catch (e) {
      if (!(e instanceof EntityNotFoundException)) throw this.error(e, `database ${this.database}`);
      await this.client.send(
        new CreateDatabaseCommand({
          DatabaseInput: {
            Name: this.database,
            Description: 'CMS Open Payments curated tables (orchestrator)',
          },
        }),
      );
    }
  }

  /** Creates the table, or updates it when its definition (e.g. the contract version) changed. */
  async ensureTable(table: string, location: string): Promise<'created' | 'updated' | 'unchanged'> {
    await this.ensureDatabase();
    const wanted = this.tableInput(table, location);
    return this.upsertTable(
      wanted,
      (current) => current.Parameters?.['contract.version'] === this.contract.contractVersion,
    );
  }

  /**
   * Creates the table, or updates it when its location, columns or what `sameAlso` checks differ from
   * the wanted definition.
   */
  private async upsertTable(
    wanted: TableInput,
    sameAlso: (current: Table) => boolean,
  ): Promise<'created' | 'updated' | 'unchanged'> {
    const name = wanted.Name!;
    const columns = (t: { Columns?: Column[] | undefined } | undefined) =>
      JSON.stringify(t?.Columns?.map((c) => [c.Name, c.Type]));
    try {
      const { Table } = await this.client.send(
        new GetTableCommand({ DatabaseName: this.database, Name: name }),
      );
      const same =
        Table !== undefined &&
        Table.StorageDescriptor?.Location === wanted.StorageDescriptor?.Location &&
        columns(Table.StorageDescriptor) === columns(wanted.StorageDescriptor) &&
        sameAlso(Table);
      if (same) return 'unchanged';
      await this.client.send(new UpdateTableCommand({ DatabaseName: this.database, TableInput: wanted }));
      return 'updated';
    } catch (e) {
      if (!(e instanceof EntityNotFoundException)) throw this.error(e, `table ${this.database}.${name}`);
      await this.client.send(new CreateTableCommand({ DatabaseName: this.database, TableInput: wanted }));
      return 'created';
    }
  }

  /** Creates or updates an unpartitioned JSON-lines table (e.g. `_runs`) over the folder at `location`. */
  async ensureJsonTable(
    name: string,
    table: JsonLinesTable,
    location: string,
  ): Promise<'created' | 'updated' | 'unchanged'> {
    await this.ensureDatabase();
    const wanted: TableInput = {
      Name: name,
      Description: table.title,
      TableType: 'EXTERNAL_TABLE',
      Parameters: { classification: 'json' },
      PartitionKeys: [],
      StorageDescriptor: {
        Columns: table.columns.map((c) => ({
          Name: c.name,
          Type: c.type,
          Comment: c.description.slice(0, 255),
        })),
        Location: location,
        ...JSON_LINES,
      },
    };
    return this.upsertTable(
      wanted,
      (current) =>
        current.StorageDescriptor?.SerdeInfo?.SerializationLibrary ===
        JSON_LINES.SerdeInfo.SerializationLibrary,
    );
  }

  /** Registers partitions idempotently (chunks of 100; existing ones updated only if their location differs). */
  async registerPartitions(
    table: string,
    tableLocation: string,
    partitions: GluePartition[],
  ): Promise<RegistrationReport> {
    await this.ensureTable(table, tableLocation);
    const report: RegistrationReport = { created: 0, updated: 0, unchanged: 0 };
    const input = (p: GluePartition): PartitionInput => ({
      Values: [String(p.programYear)],
      StorageDescriptor: {
        ...(this.tableInput(table, tableLocation).StorageDescriptor as StorageDescriptor),
        Location: p.location,
      },
      ...(p.parameters ? { Parameters: p.parameters } : {}),
    });
    for (let i = 0; i < partitions.length; i += GLUE_BATCH) {
      const chunk = partitions.slice(i, i + GLUE_BATCH);
      const out = await this.call(`partitions of ${table}`, () =>
        this.client.send(
          new BatchCreatePartitionCommand({
            DatabaseName: this.database,
            TableName: table,
            PartitionInputList: chunk.map(input),
          }),
        ),
      );
      const existing = new Set<string>();
      for (const err of out.Errors ?? []) {
        const year = err.PartitionValues?.[0] ?? '?';
        if (err.ErrorDetail?.ErrorCode !== 'AlreadyExistsException') {
          throw new OrchestratorError(
            'CATALOG_FAILED',
            `Glue refused partition program_year=${year} of ${table}: ${err.ErrorDetail?.ErrorMessage}`,
            {
              data: { table, year, error: err.ErrorDetail },
            },
          );
        }
        existing.add(year);
      }
      report.created += chunk.length - existing.size;
      if (existing.size === 0) continue;
      const current = await this.partitionsOf(table);
      const moved = chunk.filter(
        (p) => existing.has(String(p.programYear)) && !samePartition(current.get(p.programYear), p),
      );
      report.unchanged += existing.size - moved.length;
      if (moved.length) {
        const res = await this.call(`partitions of ${table}`, () =>
          this.client.send(
            new BatchUpdatePartitionCommand({
              DatabaseName: this.database,
              TableName: table,
              Entries: moved.map((p) => ({
                PartitionValueList: [String(p.programYear)],
                PartitionInput: input(p),
              })),
            }),
          ),
        );
        if (res.Errors?.length) {
          throw new OrchestratorError(
            'CATALOG_FAILED',
            `Glue could not update ${res.Errors.length} partition(s) of ${table}.`,
            {
              data: { errors: res.Errors },
            },
          );
        }
        report.updated += moved.length;
      }
    }
    // Verify: every partition is there, at its location.
    const after = await this.partitionsOf(table);
    const wrong = partitions.filter((p) => !samePartition(after.get(p.programYear), p));
    if (wrong.length) {
      throw new OrchestratorError(
        'CATALOG_FAILED',
        `Glue does not list ${wrong.length} partition(s) of ${table} where they were registered.`,
        {
          data: { table, partitions: wrong },
        },
      );
    }
    return report;
  }

  /** program_year → location of every partition of the table (paginated). */
  async locations(table: string): Promise<Map<number, string>> {
    return new Map([...(await this.partitionsOf(table))].map(([year, p]) => [year, p.location]));
  }

  /** program_year → location and parameters of every partition of the table (paginated). */
  async partitionsOf(table: string): Promise<Map<number, GluePartition>> {
    const out = new Map<number, GluePartition>();
    let token: string | undefined;
    do {
      const page = await this.call(`partitions of ${table}`, () =>
        this.client.send(
          new GetPartitionsCommand({ DatabaseName: this.database, TableName: table, NextToken: token }),
        ),
      );
      for (const p of page.Partitions ?? []) {
        const programYear = Number(p.Values?.[0]);
        out.set(programYear, {
          programYear,
          location: p.StorageDescriptor?.Location ?? '',
          parameters: p.Parameters ?? {},
        });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.error(e, what);
    }
  }

  private error(e: unknown, what: string): OrchestratorError {
    if (e instanceof OrchestratorError) return e;
    const name = (e as Error)?.name ?? 'error';
    return new OrchestratorError(
      'CATALOG_FAILED',
      `Glue failed on ${what} in database ${this.database}: ${name}: ${(e as Error)?.message ?? e}`,
      {
        cause: e,
        suggestion:
          name === 'AccessDeniedException'
            ? 'The role in use needs the Glue actions listed in the README for this database and its tables.'
            : 'Retry; the SDK already retried throttling and 5xx answers.',
        data: { database: this.database, what },
      },
    );
  }
}

/** Same location and, when given, the same parameters: registering it again changes nothing. */
function samePartition(current: GluePartition | undefined, wanted: GluePartition): boolean {
  if (!current || current.location !== wanted.location) return false;
  return Object.entries(wanted.parameters ?? {}).every(([k, v]) => current.parameters?.[k] === v);
}
