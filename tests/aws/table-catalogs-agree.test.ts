/**
 * The two TableCatalogs answer `validate`'s questions from different engines — DuckDB SQL over a lake
 * folder, and hyparquet reads of the Parquet files under a Glue partition's S3 location. Here both get
 * the very same files (several files, several row groups each, nulls, decimals with cents, dates on
 * both sides of the year, keys shared with a second table) and must give the same answers, which are
 * also checked against the values the files were generated from.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlueCatalog } from '../../orchestrator/src/adapters/aws/glue-catalog.js';
import { GlueTableCatalog } from '../../orchestrator/src/adapters/aws/glue-table-catalog.js';
import { S3ObjectStore } from '../../orchestrator/src/adapters/aws/s3-object-store.js';
import { DuckDbCatalog } from '../../orchestrator/src/adapters/local/duckdb-catalog.js';
import { CONTRACT } from '../../orchestrator/src/domain/contract/index.js';
import { lake } from '../../orchestrator/src/domain/lake.js';
import type { TableCatalog } from '../../orchestrator/src/ports/table-catalog.js';
import { type LocalAws, localS3Client, startLocalAws } from '../aws-local/endpoints.js';
import { tempDir } from '../helpers.js';

const YEAR = 2023;
const ROWS = 25_000;
const lakeRoot = join(tempDir('op-catalogs-'), 'lake');
let aws: LocalAws;
let s3: S3Client;
let local: DuckDbCatalog;
let glue: GlueTableCatalog;

/** Row i of the generated general partition: one in 37 states null, one in 50 dated the year before. */
const SELECT_GENERAL = `
  SELECT 'R' || lpad(i::VARCHAR, 8, '0') AS record_id,
         CASE WHEN i % 37 = 0 THEN NULL ELSE 'NY' END AS recipient_state,
         ((i * 7919) % 1000000 / 100.0 + CASE WHEN i % 3 = 0 THEN 0.01 ELSE 0 END)::DECIMAL(18,2)
           AS total_amount_of_payment_usdollars,
         (DATE '${YEAR}-01-01' + INTERVAL (i % 365) DAY - CASE WHEN i % 50 = 0 THEN INTERVAL 400 DAY ELSE INTERVAL 0 DAY END)::DATE
           AS date_of_payment
  FROM range(${ROWS}) t(i)`;

/** Every 97th general record is listed as removed, plus ids general never had. */
const SELECT_REMOVED = `
  SELECT 'R' || lpad(i::VARCHAR, 8, '0') AS record_id, 'DELETED' AS change_type
  FROM range(0, ${ROWS + 5000}, 97) t(i)`;

/** Writes a partition as several Parquet files of small row groups under the lake folder. */
async function writePartition(table: string, select: string, files: number): Promise<string> {
  const key = lake.curatedPartitionPrefix(table, YEAR);
  const dir = join(lakeRoot, key);
  mkdirSync(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  for (let f = 0; f < files; f++) {
    await c.run(
      `COPY (SELECT * FROM (${select}) WHERE hash(record_id) % ${files} = ${f}) TO '${join(dir, `part-${f}.parquet`)}'
       (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
    );
  }
  c.closeSync();
  db.closeSync();
  return key;
}

async function register(catalogs: TableCatalog[], store: S3ObjectStore, table: string, key: string) {
  for (const file of readdirSync(join(lakeRoot, key))) {
    await store.put(`${key}${file}`, readFileSync(join(lakeRoot, key, file)));
  }
  for (const catalog of catalogs) {
    await catalog.registerPartition({ table, programYear: YEAR, key, rows: 0, files: 0, runId: 'test' });
  }
}

beforeAll(async () => {
  aws = await startLocalAws();
  s3 = localS3Client(aws);
  const bucket = 'op-catalogs-agree';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const store = new S3ObjectStore({
    client: s3,
    bucket,
    prefix: 'lake/',
    partSize: 5 * 1024 * 1024,
    queueSize: 2,
  });
  const glueClient = new GlueClient({
    endpoint: aws.glueEndpoint,
    region: aws.region,
    credentials: aws.credentials,
  });
  glue = new GlueTableCatalog(new GlueCatalog(glueClient, `agree_${Date.now()}`, CONTRACT, {}), store);
  local = new DuckDbCatalog(lakeRoot);
  await register([local, glue], store, 'general', await writePartition('general', SELECT_GENERAL, 3));
  await register(
    [local, glue],
    store,
    'removed_deleted',
    await writePartition('removed_deleted', SELECT_REMOVED, 2),
  );
}, 600_000);

afterAll(async () => {
  s3?.destroy();
  await aws?.stop();
});

/** The expected answers, computed here from the generating rule rather than by either engine. */
function expected() {
  let cents = 0n;
  let outside = 0;
  let nullStates = 0;
  let shared = 0;
  for (let i = 0; i < ROWS; i++) {
    cents += BigInt(((i * 7919) % 1000000) + (i % 3 === 0 ? 1 : 0));
    if (i % 50 === 0) outside++; // Jan 1 + at most 364 days − 400 days: always the year before
    if (i % 37 === 0) nullStates++;
    if (i % 97 === 0) shared++;
  }
  return { total: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`, outside, nullStates, shared };
}

describe('DuckDB and Glue catalogs agree on the same Parquet files', () => {
  it('row counts, nulls, the exact amount total, dates outside the year and keys shared with removed records', async () => {
    const want = expected();
    expect(want.outside).toBeGreaterThan(0);
    for (const catalog of [local, glue]) {
      const where = catalog.location;
      expect(await catalog.countRows('general', YEAR), where).toBe(ROWS);
      expect(await catalog.nullCounts('general', YEAR, ['recipient_state', 'record_id']), where).toEqual({
        recipient_state: want.nullStates,
        record_id: 0,
      });
      expect(await catalog.sumDecimal('general', YEAR, 'total_amount_of_payment_usdollars'), where).toBe(
        want.total,
      );
      expect(await catalog.countOutsideYear('general', YEAR, 'date_of_payment'), where).toBe(want.outside);
      expect(await catalog.countSharedKeys('general', 'removed_deleted', YEAR, 'record_id'), where).toBe(
        want.shared,
      );
    }
  });

  it('a year with no partition reads as empty on both', async () => {
    for (const catalog of [local, glue]) {
      // A prefix without Parquet (e.g. a job that kept no row) holds 0 rows: not an error.
      expect(await catalog.countParquetRows('staging/curated/run_id=none/general/')).toBe(0);
      expect(await catalog.countParquetRows(lake.curatedPartitionPrefix('general', YEAR))).toBe(ROWS);
      expect(await catalog.countRows('general', YEAR - 1)).toBe(0);
      expect(await catalog.sumDecimal('general', YEAR - 1, 'total_amount_of_payment_usdollars')).toBe('0.00');
      expect(await catalog.countOutsideYear('general', YEAR - 1, 'date_of_payment')).toBe(0);
    }
  });
});
