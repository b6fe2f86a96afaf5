/**
 * The S3 lake store against a real S3-protocol server (versitygw, started by scripts/aws-local.sh)
 * with the real SDK: the same write-once rules as the local store, conditional writes, multipart,
 * pagination and publishing a folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../orchestrator/src/adapters/aws/s3-object-store.js';
import { ObjectExistsError } from '../../orchestrator/src/adapters/object-store-rules.js';
import { type LocalAws, localS3Client, startLocalAws } from '../aws-local/endpoints.js';

let aws: LocalAws;
let client: S3Client;
const bucket = 'op-lake-test';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const RAW = 'raw/open_payments/general/program_year=2023/publication=2024-06-30/OP_DTL_GNRL_PGYR2023.csv';

beforeAll(async () => {
  aws = await startLocalAws();
  client = localS3Client(aws);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}, 600_000);

afterAll(async () => {
  client?.destroy();
  await aws?.stop();
});

const store = (prefix = `t-${randomBytes(4).toString('hex')}/`, extra: object = {}) =>
  new S3ObjectStore({ client, bucket, prefix, partSize: 5 * 1024 * 1024, queueSize: 2, ...extra });

describe('S3ObjectStore', () => {
  it('writes, reads back, heads and lists under its prefix, with s3:// URIs', async () => {
    const s = store('lakes/dev/');
    const r = await s.put('metadata/a.json', '{"a":1}');
    expect(r).toMatchObject({ status: 'created', size: 7, sha256: sha('{"a":1}') });
    expect(await s.getText('metadata/a.json')).toBe('{"a":1}');
    expect(await s.head('metadata/a.json')).toMatchObject({ key: 'metadata/a.json', size: 7 });
    expect(await s.head('metadata/missing.json')).toBeUndefined();
    expect(await s.sha256('metadata/a.json')).toBe(sha('{"a":1}'));
    expect(s.uri('curated/x/')).toBe(`s3://${bucket}/lakes/dev/curated/x/`);
    expect((await s.put('metadata/a.json', '{"a":2}')).status).toBe('replaced');
    await expect(s.getText('metadata/none.json')).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' });
  });

  it('uploads a large local file in concurrent multipart parts and keeps its digest as metadata', async () => {
    const s = store();
    const data = randomBytes(12 * 1024 * 1024 + 123);
    const file = join(mkdtempSync(join(tmpdir(), 'op-s3-')), 'big.csv');
    writeFileSync(file, data);
    const r = await s.moveFileIn('staging/big.csv', file);
    expect(r).toMatchObject({ status: 'created', size: data.length, sha256: sha(data) });
    expect(existsSync(file)).toBe(false);
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${s.location.split('/').at(-2)}/staging/big.csv` }),
    );
    expect(head.ETag).toMatch(/-3"$/); // three parts
    expect(head.Metadata?.['sha256']).toBe(sha(data));
    const back: Buffer[] = [];
    for await (const c of await s.get('staging/big.csv')) back.push(Buffer.from(c as Uint8Array));
    expect(sha(Buffer.concat(back))).toBe(sha(data));
  });

  it('never overwrites raw: the same bytes are unchanged, different bytes are refused and the object stays', async () => {
    const s = store();
    expect((await s.put(RAW, 'original')).status).toBe('created');
    expect((await s.put(RAW, 'original')).status).toBe('unchanged');
    await expect(s.put(RAW, 'tampered')).rejects.toMatchObject({ code: 'RAW_IMMUTABLE' });
    await expect(s.put(RAW, Readable.from([Buffer.from('tampered stream')]))).rejects.toMatchObject({
      code: 'RAW_IMMUTABLE',
    });
    expect(await s.getText(RAW)).toBe('original');
    await expect(s.delete(RAW)).rejects.toMatchObject({ code: 'RAW_IMMUTABLE' });
  });

  it('creates a lock exactly once (If-None-Match) and names the holder to the loser', async () => {
    const s = store();
    const key = 'metadata/locks/general-2023.lock';
    const [a, b] = await Promise.allSettled([
      s.putIfAbsent(key, '{"owner":"a"}'),
      s.putIfAbsent(key, '{"owner":"b"}'),
    ]);
    const won = [a, b].filter((x) => x.status === 'fulfilled');
    const lost = [a, b].filter((x) => x.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ObjectExistsError);
    expect(['{"owner":"a"}', '{"owner":"b"}']).toContain(await s.getText(key));
  });

  it('lists through many pages in key order', async () => {
    const s = store(undefined, { pageSize: 7 });
    const keys = Array.from({ length: 23 }, (_, i) => `staging/p/part-${String(i).padStart(5, '0')}.csv.gz`);
    for (const k of keys) await s.put(k, k);
    const listed: string[] = [];
    for await (const o of s.list('staging/p/')) listed.push(o.key);
    expect(listed).toEqual(keys);
  });

  it('publishes a staged folder over a partition: new objects in, stale ones gone, staging emptied', async () => {
    const s = store();
    await s.put('curated/t/program_year=2023/old.parquet', 'old');
    await s.put('curated/t/program_year=2022/keep.parquet', 'keep');
    await s.put('staging/curated/run_id=r/t/program_year=2023/new-1.parquet', 'n1');
    await s.put('staging/curated/run_id=r/t/program_year=2023/new-2.parquet', 'n2');
    await s.replacePrefix('staging/curated/run_id=r/t/program_year=2023/', 'curated/t/program_year=2023/');
    const keys: string[] = [];
    for await (const o of s.list('curated/t/')) keys.push(o.key);
    expect(keys).toEqual([
      'curated/t/program_year=2022/keep.parquet',
      'curated/t/program_year=2023/new-1.parquet',
      'curated/t/program_year=2023/new-2.parquet',
    ]);
    expect(await s.getText('curated/t/program_year=2023/new-2.parquet')).toBe('n2');
    for await (const o of s.list('staging/curated/run_id=r/')) expect.fail(`left behind: ${o.key}`);
    await expect(s.replacePrefix('staging/none/', 'curated/t/program_year=2023/')).rejects.toMatchObject({
      code: 'OBJECT_NOT_FOUND',
    });
  });
});
