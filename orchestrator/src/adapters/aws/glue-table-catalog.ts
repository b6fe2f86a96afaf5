/**
 * The TableCatalog of the aws target: partitions registered in the Glue Data Catalog (what Athena,
 * dbt-athena and Spark on EMR read), with the rows, files and publishing run kept as partition
 * parameters. Row counts come from the Parquet footers on S3 (two ranged reads per file, no data
 * scanned): the staged output before publishing, and the files under the location Glue gives for a
 * partition afterwards — which proves the catalog points at the rows the job wrote. (An Athena
 * `count(*)` would prove the same through a query engine, at a query's cost and latency.)
 */
import { parquetMetadataAsync } from 'hyparquet';
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

  private async *footers(prefix: string) {
    for await (const o of this.objects.list(prefix)) {
      if (!o.key.endsWith('.parquet')) continue;
      yield await parquetMetadataAsync({
        byteLength: o.size,
        slice: async (start, end) => {
          const b = await this.objects.getRange(o.key, start, end ?? o.size);
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        },
      });
    }
  }

  /** The lake key of an s3:// location in this lake. */
  private keyOf(location: string): string {
    const root = this.objects.uri('');
    if (!location.startsWith(root)) throw new Error(`${location} is outside the lake ${root}`);
    return location.slice(root.length);
  }
}
