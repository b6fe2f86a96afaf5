/**
 * The local AWS endpoints behave as the aws target needs them to, through the real AWS SDK v3:
 * path-style S3 on versitygw (multipart, conditional create, listing pages, ranges) and the Glue
 * catalog calls on moto. About 5 s once installed; a cold machine first builds versitygw (minutes).
 * Needs @aws-sdk/client-s3, @aws-sdk/lib-storage and @aws-sdk/client-glue (3.1169.0) in the workspace.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BatchCreatePartitionCommand,
  CreateDatabaseCommand,
  CreateTableCommand,
  GetPartitionsCommand,
  GlueClient,
} from '@aws-sdk/client-glue';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from './endpoints.js';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('local AWS endpoints', () => {
  let aws: LocalAws;
  let s3: S3Client;
  let glue: GlueClient;
  const Bucket = 'op-lake';

  beforeAll(async () => {
    aws = await startLocalAws();
    const common = { region: aws.region, credentials: aws.credentials };
    s3 = new S3Client({ ...common, endpoint: aws.s3Endpoint, forcePathStyle: true });
    glue = new GlueClient({ ...common, endpoint: aws.glueEndpoint });
    await s3.send(new CreateBucketCommand({ Bucket }));
  }, 600_000); // a cold machine builds versitygw first

  afterAll(async () => {
    s3?.destroy();
    glue?.destroy();
    await aws?.stop();
  });

  it('serves path-style requests from a posix directory', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'raw/a.txt', Body: 'a' }));
    expect(existsSync(join(aws.stateDir, 's3', Bucket, 'raw', 'a.txt'))).toBe(true);
  });

  it('completes a 3-part multipart upload (lib-storage, 5 MiB parts, queueSize 2)', async () => {
    const body = randomBytes(15 * MiB);
    const upload = new Upload({
      client: s3,
      params: { Bucket, Key: 'raw/big.bin', Body: body },
      partSize: 5 * MiB,
      queueSize: 2,
    });
    const done = await upload.done();
    expect(done.ETag).toMatch(/-3"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'raw/big.bin' }));
    expect(head.ContentLength).toBe(15 * MiB);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'raw/big.bin' }));
    expect(sha256((await got.Body?.transformToByteArray())!)).toBe(sha256(body));

    const range = await s3.send(
      new GetObjectCommand({ Bucket, Key: 'raw/big.bin', Range: `bytes=${5 * MiB - 3}-${5 * MiB + 4}` }),
    );
    expect(range.ContentRange).toBe(`bytes ${5 * MiB - 3}-${5 * MiB + 4}/${15 * MiB}`);
    expect(Buffer.from((await range.Body?.transformToByteArray())!)).toEqual(
      body.subarray(5 * MiB - 3, 5 * MiB + 5),
    );
  });

  it('creates with IfNoneMatch "*" once, then answers 412 PreconditionFailed', async () => {
    const Key = 'markers/_COMMITTED';
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'first', IfNoneMatch: '*' }));
    await expect(
      s3.send(new PutObjectCommand({ Bucket, Key, Body: 'second', IfNoneMatch: '*' })),
    ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe('first');
  });

  it('pages ListObjectsV2 with continuation tokens', async () => {
    for (let i = 0; i < 5; i++) {
      await s3.send(new PutObjectCommand({ Bucket, Key: `list/k${i}`, Body: String(i) }));
    }
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket, Prefix: 'list/', MaxKeys: 2, ContinuationToken: token }),
      );
      pages.push((page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(pages).toEqual([['list/k0', 'list/k1'], ['list/k2', 'list/k3'], ['list/k4']]);
  });

  it('keeps a Glue database, table and partitions', async () => {
    const DatabaseName = 'open_payments';
    const columns = [
      { Name: 'record_id', Type: 'bigint' },
      { Name: 'amount', Type: 'decimal(12,2)' },
    ];
    const location = `s3://${Bucket}/curated/general_payments/`;
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: DatabaseName } }));
    await glue.send(
      new CreateTableCommand({
        DatabaseName,
        TableInput: {
          Name: 'general_payments',
          TableType: 'EXTERNAL_TABLE',
          PartitionKeys: [{ Name: 'program_year', Type: 'int' }],
          StorageDescriptor: { Columns: columns, Location: location },
        },
      }),
    );
    const created = await glue.send(
      new BatchCreatePartitionCommand({
        DatabaseName,
        TableName: 'general_payments',
        PartitionInputList: ['2022', '2023'].map((y) => ({
          Values: [y],
          StorageDescriptor: { Columns: columns, Location: `${location}program_year=${y}/` },
        })),
      }),
    );
    expect(created.Errors ?? []).toEqual([]);
    const parts = await glue.send(new GetPartitionsCommand({ DatabaseName, TableName: 'general_payments' }));
    expect((parts.Partitions ?? []).map((p) => p.Values?.[0]).sort()).toEqual(['2022', '2023']);
  });

  it('stop() ends both servers', async () => {
    await aws.stop();
    for (const url of [aws.s3Endpoint, aws.glueEndpoint]) {
      await expect(fetch(url)).rejects.toThrow();
    }
  });
});
