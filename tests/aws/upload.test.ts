/**
 * `orchestrator upload --target aws` end to end against a real S3-protocol server: what ingest landed
 * locally goes to the bucket (multipart for the big file), a rerun skips everything, and a raw object
 * changed in the landing is refused instead of overwriting the bucket's copy.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { type LocalAws, localS3Client, startLocalAws } from '../aws-local/endpoints.js';
import { generateSample, runCliAsync, tempDir } from '../helpers.js';

let aws: LocalAws;
let s3: S3Client;
const bucket = 'op-upload-test';

beforeAll(async () => {
  aws = await startLocalAws();
  s3 = localS3Client(aws);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}, 600_000);

afterAll(async () => {
  s3?.destroy();
  await aws?.stop();
});

async function keys(prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix }))
    for (const o of page.Contents ?? []) out.push(o.Key!);
  return out.sort();
}

describe('upload --target aws', () => {
  it('moves raw, staging and metadata to S3, skips them on a rerun, and never overwrites raw', async () => {
    const dir = tempDir();
    const landing = join(dir, 'landing');
    const csv = join(dir, 'OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv');
    const env = {
      ...aws.env,
      ORCHESTRATOR_TARGET: 'aws',
      ORCHESTRATOR_AWS__BUCKET: bucket,
      ORCHESTRATOR_AWS__PREFIX: 'dev/',
      ORCHESTRATOR_AWS__ENDPOINTS__S3: aws.s3Endpoint,
      ORCHESTRATOR_INGEST__LANDING_DIR: landing,
    };
    const cli = (...args: string[]) =>
      runCliAsync(['--log-level', 'warn', '--json', ...args], { cwd: dir, env });
    generateSample(csv, { rows: 12000 });
    const ingest = await cli(
      'ingest',
      '--dataset',
      'general',
      '--year',
      '2023',
      '--source',
      csv,
      '--chunk-mb',
      '3',
    );
    expect(ingest.code, ingest.stderr).toBe(0);

    const first = await cli('upload', '--year', '2023');
    expect(first.code, first.stderr).toBe(0);
    const up = JSON.parse(first.stdout);
    expect(up.status).toBe('uploaded');
    const stored = await keys('dev/');
    const raw = stored.filter((k) => k.startsWith('dev/raw/'));
    expect(raw).toEqual([
      'dev/raw/open_payments/general/program_year=2023/publication=2024-06-30/OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv',
    ]);
    expect(stored.filter((k) => k.startsWith('dev/staging/open_payments/general/')).length).toBeGreaterThan(
      1,
    );
    expect(stored.some((k) => k.startsWith('dev/metadata/ingest/'))).toBe(true);
    expect(stored.some((k) => /^dev\/metadata\/runs\/run_id=[^/]+\/manifest\.json$/.test(k))).toBe(true);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: raw[0] }))
    ).Body!.transformToByteArray();
    expect(createHash('sha256').update(body).digest('hex')).toBe(
      createHash('sha256').update(readFileSync(csv)).digest('hex'),
    );

    const again = JSON.parse((await cli('upload', '--year', '2023')).stdout);
    expect(again).toMatchObject({ status: 'up-to-date', uploaded: [] });
    expect(again.skipped.length).toBe(up.uploaded.length);

    // Someone edits the landed raw file: the bucket's raw copy must win.
    const landedRaw = join(landing, 'lake', raw[0]!.slice('dev/'.length));
    writeFileSync(landedRaw, 'tampered');
    const refused = await cli('upload', '--year', '2023');
    expect(refused.code).toBe(EXIT_CODES.conflict.code);
    expect(JSON.parse(refused.stdout).error.code).toBe('RAW_IMMUTABLE');
    const after = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: raw[0] }))
    ).Body!.transformToByteArray();
    expect(Buffer.from(after).equals(Buffer.from(body))).toBe(true);
    expect(readdirSync(landing).length).toBeGreaterThan(0);
  }, 300_000);
});
