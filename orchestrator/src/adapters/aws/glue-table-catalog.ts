/**
 * The TableCatalog of the aws target: partitions registered in the Glue Data Catalog (what Athena,
 * dbt-athena and Spark on EMR read), with the rows, files and publishing run kept as partition
 * parameters. Row counts come from the Parquet footers on S3 (two ranged reads per file, no data
 * scanned): the staged output before publishing, and the files under the location Glue gives for a
 * partition afterwards — which proves the catalog points at the rows the job wrote. (An Athena
 * `count(*)` would prove the same through a query engine, at a query's cost and latency.) The value
 * checks of `validate` read only the columns they need, a row group at a time.
 */
import { type AsyncBuffer, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { lake } from '../../domain/lake.js';
import type { ObjectInfo } from '../../ports/object-store.js';
import type { PartitionRegistration, RegisteredPartition, TableCatalog } from '../../ports/table-catalog.js';
import type { GlueCatalog } from './glue-catalog.js';

/** The part of the S3 store this needs: listings and ranged reads by lake key. */
export interface ParquetObjects {
  readonly location: string;
  uri(key: string): string;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  getRange(key: string, start: number, end: number): Promise<Buffer>;
}

const PARAM = { rows: 'orchestrator.rows', files: 'orchestrator.files', runId: 'orchestrator.run_id' };

export class GlueTableCatalog implements TableCatalog {
  readonly location: string;

  constructor(
    private readonly glue: GlueCatalog,
    private readonly objects: ParquetObjects,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.location = `Glue database ${glue.databaseName}`;
  }

  async registerPartition(p: PartitionRegistration): Promise<void> {
    await this.glue.registerPartitions(p.table, this.objects.uri(lake.curatedTablePrefix(p.table)), [
      {
        programYear: p.programYear,
        location: this.objects.uri(p.key),
        parameters: {
          [PARAM.rows]: String(p.rows),
          [PARAM.files]: String(p.files),
          [PARAM.runId]: p.runId,
          'orchestrator.registered_at': this.now().toISOString(),
        },
      },
    ]);
  }

  async partitions(table?: string): Promise<RegisteredPartition[]> {
    const tables = table ? [table] : await this.glue.tables();
    const out: RegisteredPartition[] = [];
    for (const t of tables) {
      for (const p of (await this.glue.partitionsOf(t)).values()) {
        const params = p.parameters ?? {};
        out.push({
          table: t,
          programYear: p.programYear,
          key: this.keyOf(p.location),
          rows: Number(params[PARAM.rows] ?? Number.NaN),
          files: Number(params[PARAM.files] ?? Number.NaN),
          runId: params[PARAM.runId] ?? '',
          registeredAt: params['orchestrator.registered_at'] ?? '',
        });
      }
    }
    return out.sort((a, b) => a.table.localeCompare(b.table) || a.programYear - b.programYear);
  }

  async countRows(table: string, programYear: number): Promise<number> {
    const location = (await this.glue.locations(table)).get(programYear);
    if (location === undefined) return 0;
    return this.countParquetRows(this.keyOf(location));
  }

  async countParquetRows(prefix: string): Promise<number> {
    let rows = 0;
    for await (const meta of this.footers(prefix)) rows += Number(meta.num_rows);
    return rows;
  }

  /** From the column statistics Spark writes into every row group (no data read). */
  async nullCounts(table: string, programYear: number, columns: string[]): Promise<Record<string, number>> {
    const location = (await this.glue.locations(table)).get(programYear);
    if (location === undefined) return {};
    const nulls = new Map<string, number | undefined>(columns.map((c) => [c, 0]));
    for await (const meta of this.footers(this.keyOf(location))) {
      for (const group of meta.row_groups) {
        for (const column of columns) {
          const chunk = group.columns.find((c) => c.meta_data?.path_in_schema.join('.') === column);
          const n = chunk?.meta_data?.statistics?.null_count;
          const sum = nulls.get(column);
          // A row group without the column's statistics makes the whole count unknown.
          nulls.set(column, n === undefined || sum === undefined ? undefined : sum + Number(n));
        }
      }
    }
    return Object.fromEntries([...nulls].filter((e): e is [string, number] => e[1] !== undefined));
  }

  async sumDecimal(table: string, programYear: number, column: string): Promise<string> {
    // Whole cents as a bigint: hyparquet hands decimals over as numbers (exact to the cent for any
    // amount a decimal(18,2) holds), and the sum of a year's millions of rows must not drift.
    let cents = 0n;
    for await (const rows of this.columnRows(table, programYear, [column])) {
      for (const [v] of rows) if (v !== null && v !== undefined) cents += BigInt(Math.round(Number(v) * 100));
    }
    const sign = cents < 0n ? '-' : '';
    const abs = cents < 0n ? -cents : cents;
    return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
  }

  async countOutsideYear(table: string, programYear: number, dateColumn: string): Promise<number> {
    let n = 0;
    for await (const rows of this.columnRows(table, programYear, [dateColumn])) {
      for (const [v] of rows) if (v instanceof Date && v.getUTCFullYear() !== programYear) n++;
    }
    return n;
  }

  async countSharedKeys(table: string, other: string, programYear: number, key: string): Promise<number> {
    const keys = new Set<unknown>();
    for await (const rows of this.columnRows(other, programYear, [key])) for (const [v] of rows) keys.add(v);
    let n = 0;
    for await (const rows of this.columnRows(table, programYear, [key])) {
      for (const [v] of rows) if (v !== null && v !== undefined && keys.has(v)) n++;
    }
    return n;
  }

  /**
   * The asked-for columns of one partition, a row group at a time (bounded memory whatever the
   * partition's size; only those columns' pages are fetched).
   */
  private async *columnRows(table: string, programYear: number, columns: string[]) {
    const location = (await this.glue.locations(table)).get(programYear);
    if (location === undefined) return;
    for await (const { file, metadata } of this.parquetFiles(this.keyOf(location))) {
      let rowStart = 0;
      for (const group of metadata.row_groups) {
        const rowEnd = rowStart + Number(group.num_rows);
        const rows = await new Promise<unknown[][]>((resolve, reject) => {
          parquetRead({ file, metadata, columns, rowStart, rowEnd, onComplete: resolve }).catch(reject);
        });
        yield rows;
        rowStart = rowEnd;
      }
    }
  }

  private async *footers(prefix: string) {
    for await (const { metadata } of this.parquetFiles(prefix)) yield metadata;
  }

  private async *parquetFiles(prefix: string) {
    for await (const o of this.objects.list(prefix)) {
      if (!o.key.endsWith('.parquet')) continue;
      const file: AsyncBuffer = {
        byteLength: o.size,
        slice: async (start, end) => {
          const b = await this.objects.getRange(o.key, start, end ?? o.size);
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        },
      };
      yield { file, metadata: await parquetMetadataAsync(file) };
    }
  }

  /** The lake key of an s3:// location in this lake. */
  private keyOf(location: string): string {
    const root = this.objects.uri('');
    if (!location.startsWith(root)) throw new Error(`${location} is outside the lake ${root}`);
    return location.slice(root.length);
  }
}
