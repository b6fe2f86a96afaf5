/**
 * The local catalog: a DuckDB database file in the lake. Each dataset is a view over its curated
 * Parquet with hive partitioning (program_year from the folder names), and `_partitions` records what
 * was registered, by which run. dbt-duckdb and ad-hoc queries open the same file.
 *
 * DuckDB allows one writing process per file: the connection is opened per call and closed at once,
 * so the file is never held between steps.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { OrchestratorError } from '../../domain/errors.js';
import { lake } from '../../domain/lake.js';
import { duckDbType, RUN_TABLES } from '../../domain/run-tables.js';
import type { PartitionRegistration, RegisteredPartition, TableCatalog } from '../../ports/table-catalog.js';

export const SCHEMA = 'open_payments';
const LOCK_WAIT_MS = 60_000;

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export class DuckDbCatalog implements TableCatalog {
  readonly location: string;

  constructor(
    private readonly lakeRoot: string,
    // Not named after the schema: DuckDB names the database after the file, and equal names are ambiguous.
    file = join(lakeRoot, 'metadata', 'catalog', 'lake.duckdb'),
  ) {
    this.location = file;
  }

  async registerPartition(p: PartitionRegistration): Promise<void> {
    await this.withConnection(async (c) => {
      await c.run(`CREATE OR REPLACE VIEW ${SCHEMA}.${p.table} AS ${this.scan(p.table)}`);
      await c.run(
        `INSERT OR REPLACE INTO ${SCHEMA}._partitions VALUES ($table, $year, $key, $rows, $files, $run, now()::TIMESTAMP)`,
        { table: p.table, year: p.programYear, key: p.key, rows: p.rows, files: p.files, run: p.runId },
      );
    });
  }

  async partitions(table?: string): Promise<RegisteredPartition[]> {
    return this.withConnection(async (c) => {
      const reader = await c.runAndReadAll(
        `SELECT table_name, program_year, key, rows, files, run_id, strftime(registered_at, '%Y-%m-%dT%H:%M:%SZ') AS registered_at
         FROM ${SCHEMA}._partitions ${table ? 'WHERE table_name = $table' : ''} ORDER BY table_name, program_year`,
        table ? { table } : {},
      );
      return reader.getRowObjectsJS().map((r) => ({
        table: String(r['table_name']),
        programYear: Number(r['program_year']),
        key: String(r['key']),
        rows: Number(r['rows']),
        files: Number(r['files']),
        runId: String(r['run_id']),
        registeredAt: String(r['registered_at']),
      }));
    });
  }

  /**
   * `_runs` and `_validation` over the JSON lines the runs wrote under metadata/tables/ (columns as
   * declared in domain/run-tables.ts, the same as the Glue tables on aws), so run history and
   * data-quality results can be queried like the data. Each view exists once its files do (DuckDB
   * binds a glob when the view is created).
   */
  async registerMetadataViews(): Promise<void> {
    const views: string[] = [];
    for (const [name, table] of Object.entries(RUN_TABLES)) {
      const folder = join(this.lakeRoot, ...table.prefix.split('/').filter(Boolean));
      // A view over files that do not exist yet fails to query: it waits for a later command.
      const files = await readdir(folder).catch(() => [] as string[]);
      if (!files.some((f) => f.endsWith('.json'))) continue;
      const columns = table.columns
        .map((col) => `"${col.name}": ${sqlString(duckDbType(col.type))}`)
        .join(', ');
      views.push(`CREATE OR REPLACE VIEW ${SCHEMA}."${name}" AS
          SELECT * FROM read_json(${sqlString(join(folder, '*.json'))}, format = 'newline_delimited', columns = {${columns}})`);
    }
    if (views.length === 0) return;
    // Every command ends here: when these views already exist as defined now, DuckDB is not even
    // opened (loading it costs a fifth of a second and ~25 MB). The stamp sits next to the catalog.
    const stamp = createHash('sha256').update(JSON.stringify(views)).digest('hex');
    const stampFile = join(dirname(this.location), 'run-views.sha256');
    const registered = await readFile(stampFile, 'utf8').catch(() => undefined);
    if (registered === stamp && existsSync(this.location)) return;
    await this.withConnection(async (c) => {
      for (const sql of views) await c.run(sql);
    });
    await writeFile(stampFile, stamp);
  }

  async countRows(table: string, programYear: number): Promise<number> {
    return this.count(`SELECT count(*) AS n FROM ${SCHEMA}.${table} WHERE program_year = $year`, {
      year: programYear,
    });
  }

  async countParquetRows(prefix: string): Promise<number> {
    const glob = join(this.lakeRoot, ...prefix.split('/').filter(Boolean), '**', '*.parquet');
    // read_parquet refuses a glob that matches nothing; no file holds no rows (as on S3).
    const files = await this.count(`SELECT count(*) AS n FROM glob(${sqlString(glob)})`, {});
    if (files === 0) return 0;
    return this.count(`SELECT count(*) AS n FROM read_parquet(${sqlString(glob)})`, {});
  }

  async nullCounts(table: string, programYear: number, columns: string[]): Promise<Record<string, number>> {
    if (columns.length === 0) return {};
    const sql = `SELECT ${columns.map((c, i) => `count(*) FILTER (WHERE ${quote(c)} IS NULL) AS c${i}`).join(', ')}
                 FROM ${SCHEMA}.${table} WHERE program_year = $year`;
    const row = await this.withConnection(
      async (c) => (await c.runAndReadAll(sql, { year: programYear })).getRowObjectsJS()[0],
    );
    return Object.fromEntries(columns.map((c, i) => [c, Number(row?.[`c${i}`] ?? 0)]));
  }

  async sumDecimal(table: string, programYear: number, column: string): Promise<string> {
    return this.withConnection(async (c) => {
      const reader = await c.runAndReadAll(
        `SELECT coalesce(sum(${quote(column)}), 0)::DECIMAL(38,2)::VARCHAR AS total FROM ${SCHEMA}.${table} WHERE program_year = $year`,
        { year: programYear },
      );
      return String(reader.getRowObjectsJS()[0]?.['total'] ?? '0.00');
    });
  }

  async countOutsideYear(table: string, programYear: number, dateColumn: string): Promise<number> {
    return this.count(
      `SELECT count(*) AS n FROM ${SCHEMA}.${table} WHERE program_year = $year AND year(${quote(dateColumn)}) <> $year`,
      { year: programYear },
    );
  }

  async countSharedKeys(table: string, other: string, programYear: number, key: string): Promise<number> {
    return this.count(
      `SELECT count(*) AS n FROM ${SCHEMA}.${table} t
       WHERE t.program_year = $year AND ${quote(key)} IN (SELECT ${quote(key)} FROM ${SCHEMA}.${other} WHERE program_year = $year)`,
      { year: programYear },
    );
  }

  private count(sql: string, params: Record<string, number>): Promise<number> {
    return this.withConnection(async (c) => {
      const reader = await c.runAndReadAll(sql, params);
      return Number(reader.getRowObjectsJS()[0]?.['n'] ?? 0);
    });
  }

  /** The Parquet scan behind a table's view (absolute paths: DuckDB resolves relative ones from its cwd). */
  private scan(table: string): string {
    const glob = join(this.lakeRoot, lake.curatedTablePrefix(table), '*', '*.parquet');
    return `SELECT * FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types = {'program_year': INTEGER})`;
  }

  /**
   * DuckDB lets one process at a time open the file; another submit (a backfill running years in
   * parallel) may hold it for a moment, so a lock conflict is retried for up to LOCK_WAIT_MS.
   */
  private async withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.connectOnce(fn);
      } catch (e) {
        const locked = /Could not set lock|Conflicting lock/i.test(String((e as Error).cause ?? e));
        if (!locked || Date.now() > deadline) throw e;
        await delay(Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  }

  private async connectOnce<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    let instance: DuckDBInstance | undefined;
    let connection: DuckDBConnection | undefined;
    try {
      await mkdir(dirname(this.location), { recursive: true });
      // Loaded on first use: commands that never open the catalog (ingest) skip DuckDB's ~25 MB.
      const duckdb = await import('@duckdb/node-api');
      instance = await duckdb.DuckDBInstance.create(this.location);
      connection = await instance.connect();
      await connection.run(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
      await connection.run(
        `CREATE TABLE IF NOT EXISTS ${SCHEMA}._partitions (
           table_name VARCHAR, program_year INTEGER, key VARCHAR, rows BIGINT, files INTEGER, run_id VARCHAR,
           registered_at TIMESTAMP, PRIMARY KEY (table_name, program_year))`,
      );
      return await fn(connection);
    } catch (e) {
      if (e instanceof OrchestratorError) throw e;
      throw new OrchestratorError(
        'CATALOG_FAILED',
        `The local catalog ${this.location} failed: ${(e as Error).message}`,
        {
          cause: e,
          suggestion:
            'Check that no other process holds the catalog file open (DuckDB allows one writer), then rerun.',
        },
      );
    } finally {
      connection?.closeSync();
      instance?.closeSync();
    }
  }
}
