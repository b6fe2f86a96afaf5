/**
 * Glue registration against moto's Glue (started by scripts/aws-local.sh) with the real SDK client:
 * the table from the contract, partitions in chunks of 100, idempotent re-registration, a moved
 * partition updated, and the result verified through GetPartitions.
 */
import { GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlueCatalog } from '../../orchestrator/src/adapters/aws/glue-catalog.js';
import { CONTRACT } from '../../orchestrator/src/domain/contract/index.js';
import { type LocalAws, startLocalAws } from '../aws-local/endpoints.js';

let aws: LocalAws;
let glue: GlueClient;
const LOCATION = 's3://op-lake/curated/open_payments/general/';
const partition = (year: number, run = 'a') => ({
  programYear: year,
  location: `${LOCATION}program_year=${year}/${run === 'a' ? '' : `run=${run}/`}`,
});

beforeAll(async () => {
  aws = await startLocalAws();
  glue = new GlueClient({ endpoint: aws.glueEndpoint, region: aws.region, credentials: aws.credentials });
}, 600_000);

afterAll(async () => {
  glue?.destroy();
  await aws?.stop();
});

describe('GlueCatalog', () => {
  it('creates the database and a Parquet table whose schema is the contract, partitioned by program_year', async () => {
    const catalog = new GlueCatalog(glue, 'open_payments_t1', CONTRACT);
    expect(await catalog.ensureTable('general', LOCATION)).toBe('created');
    expect(await catalog.ensureTable('general', LOCATION)).toBe('unchanged');
    const { Table } = await glue.send(
      new GetTableCommand({ DatabaseName: 'open_payments_t1', Name: 'general' }),
    );
    expect(Table?.PartitionKeys).toEqual([{ Name: 'program_year', Type: 'int' }]);
    const columns = new Map(Table?.StorageDescriptor?.Columns?.map((c) => [c.Name, c.Type]));
    expect(columns.get('total_amount_of_payment_usdollars')).toBe('decimal(18,2)');
    expect(columns.get('date_of_payment')).toBe('date');
    expect(columns.get('_dq_flags')).toBe('array<string>');
    expect(columns.has('program_year')).toBe(false);
    expect(Table?.StorageDescriptor?.SerdeInfo?.SerializationLibrary).toContain('ParquetHiveSerDe');
    expect(Table?.StorageDescriptor?.Location).toBe(LOCATION);
  });

  it('registers 250 partitions in chunks of 100, and registering again changes nothing', async () => {
    const catalog = new GlueCatalog(glue, 'open_payments_t2', CONTRACT);
    const many = Array.from({ length: 250 }, (_, i) => partition(1800 + i));
    expect(await catalog.registerPartitions('general', LOCATION, many)).toEqual({
      created: 250,
      updated: 0,
      unchanged: 0,
    });
    expect(await catalog.registerPartitions('general', LOCATION, many)).toEqual({
      created: 0,
      updated: 0,
      unchanged: 250,
    });
    const listed = await catalog.locations('general');
    expect(listed.size).toBe(250);
    expect(listed.get(2023)).toBe(`${LOCATION}program_year=2023/`);
  });

  it('updates a partition whose location moved, and only that one', async () => {
    const catalog = new GlueCatalog(glue, 'open_payments_t3', CONTRACT);
    await catalog.registerPartitions('general', LOCATION, [partition(2022), partition(2023)]);
    const report = await catalog.registerPartitions('general', LOCATION, [
      partition(2022),
      partition(2023, 'r2'),
    ]);
    expect(report).toEqual({ created: 0, updated: 1, unchanged: 1 });
    expect((await catalog.locations('general')).get(2023)).toBe(`${LOCATION}program_year=2023/run=r2/`);
  });
});
