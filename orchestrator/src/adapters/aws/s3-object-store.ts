/**
 * The lake on S3: the same port and rules as the local store.
 *
 * - Writes stream through `@aws-sdk/lib-storage` (multipart above one part, parts uploaded
 *   concurrently), hashing on the way; the sha256 is stored as object metadata so a later
 *   upload of the same bytes can be skipped without reading the object back.
 * - raw/ keys (and putIfAbsent) use a conditional write, `If-None-Match: *`: S3 refuses to create an
 *   object that exists (412), so two writers can never both win and raw is never overwritten; on a
 *   412 the stored digest decides between `unchanged` and a refusal (see object-store-rules.ts).
 * - Listings page through ListObjectsV2; reads stream the body.
 * - replacePrefix copies then deletes (S3 has no rename): readers may briefly see a partial folder,
 *   which is why the catalog, not the folder, says which partition is current on AWS.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { OrchestratorError } from '../../domain/errors.js';
import { assertSafeKey, isWriteOnceKey } from '../../domain/lake.js';
import type { Body, ObjectInfo, ObjectStore, PutResult } from '../../ports/object-store.js';
import { assertPublishablePrefixes, type Digest, settleExisting } from '../object-store-rules.js';

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of the lake in the bucket: '' or 'folders/'. */
  prefix?: string;
  /** Multipart part size (bytes, ≥ 5 MiB) and parts in flight. */
  partSize?: number;
  queueSize?: number;
  /** Keys per ListObjectsV2 page (tests use small pages to exercise pagination). */
  pageSize?: number;
}

const SHA256_META = 'sha256';
const COPY_CONCURRENCY = 8;

export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(private readonly opts: S3StoreOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    this.location = `s3://${this.bucket}/${this.prefix}`;
  }

  uri(key: string): string {
    assertSafeKey(key);
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  put(key: string, body: Body): Promise<PutResult> {
    return isWriteOnceKey(key) ? this.putIfAbsent(key, body) : this.upload(key, body, false);
  }

  putIfAbsent(key: string, body: Body): Promise<PutResult> {
    return this.upload(key, body, true);
  }

  async moveFileIn(key: string, localPath: string): Promise<PutResult> {
    const result = await this.put(key, createReadStream(localPath));
    await rm(localPath, { force: true });
    return result;
  }

  async get(key: string): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return out.Body as Readable;
    } catch (e) {
      throw this.error(e, 'read', key);
    }
  }

  /** Bytes [start, end) of an object: a Parquet footer without the file. */
  async getRange(key: string, start: number, end: number): Promise<Buffer> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Range: `bytes=${start}-${end - 1}`,
        }),
      );
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (e) {
      throw this.error(e, 'read', key);
    }
  }

  async getText(key: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of await this.get(key)) chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const h = await this.headRaw(key);
    return h && { key, size: h.size, modified: h.modified };
  }

  async sha256(key: string): Promise<string | undefined> {
    const h = await this.headRaw(key);
    if (!h) return undefined;
    if (h.sha256) return h.sha256;
    // Written by another tool: hash the bytes.
    const hash = createHash('sha256');
    for await (const c of await this.get(key)) hash.update(c as Uint8Array);
    return hash.digest('hex');
  }

  async *list(prefix: string): AsyncGenerator<ObjectInfo> {
    assertSafeKey(prefix);
    try {
      const pages = paginateListObjectsV2(
        { client: this.client, ...(this.opts.pageSize ? { pageSize: this.opts.pageSize } : {}) },
        { Bucket: this.bucket, Prefix: this.objectKey(prefix, true) },
      );
      for await (const page of pages) {
        for (const o of page.Contents ?? []) {
          // Keys ending in '/' are folder markers, which Hadoop's S3A leaves when a failed Spark
          // task deletes its file: not lake objects (a local lake lists files only, too).
          if (!o.Key || o.Key.endsWith('/')) continue;
          yield {
            key: o.Key.slice(this.prefix.length),
            size: o.Size ?? 0,
            modified: o.LastModified ?? new Date(0),
          };
        }
      }
    } catch (e) {
      throw this.error(e, 'list', prefix);
    }
  }

  async delete(key: string): Promise<void> {
    if (isWriteOnceKey(key)) {
      throw new OrchestratorError('RAW_IMMUTABLE', `Refusing to delete ${key}: the raw zone is write-once.`, {
        data: { key },
      });
    }
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (e) {
      throw this.error(e, 'write', key);
    }
  }

  async replacePrefix(fromPrefix: string, toPrefix: string): Promise<void> {
    assertPublishablePrefixes(fromPrefix, toPrefix);
    const incoming: ObjectInfo[] = [];
    for await (const o of this.list(fromPrefix)) incoming.push(o);
    if (incoming.length === 0) {
      throw new OrchestratorError('OBJECT_NOT_FOUND', `Nothing to publish under ${fromPrefix}.`, {
        data: { fromPrefix },
      });
    }
    const newKeys = new Set(incoming.map((o) => toPrefix + o.key.slice(fromPrefix.length)));
    const stale: string[] = [];
    for await (const o of this.list(toPrefix)) if (!newKeys.has(o.key)) stale.push(o.key);
    await inBatches(incoming, COPY_CONCURRENCY, async (o) => {
      const target = toPrefix + o.key.slice(fromPrefix.length);
      try {
        await this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: this.objectKey(target),
            CopySource: encodeURI(`${this.bucket}/${this.objectKey(o.key)}`),
            MetadataDirective: 'COPY',
          }),
        );
      } catch (e) {
        throw this.error(e, 'write', target);
      }
    });
    await inBatches(stale, COPY_CONCURRENCY, (k) => this.delete(k));
    await inBatches(incoming, COPY_CONCURRENCY, (o) => this.delete(o.key));
  }

  // ---- internals -----------------------------------------------------------------------------------

  private objectKey(key: string, prefixOnly = false): string {
    assertSafeKey(key);
    if (!prefixOnly && (key === '' || key.endsWith('/'))) {
      throw new OrchestratorError(
        'INVALID_LAKE_KEY',
        `Invalid object key ${JSON.stringify(key)}: it names a folder.`,
      );
    }
    return this.prefix + key;
  }

  private async headRaw(key: string): Promise<(Digest & { modified: Date; sha256: string }) | undefined> {
    try {
      const h = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return {
        size: h.ContentLength ?? 0,
        modified: h.LastModified ?? new Date(0),
        sha256: h.Metadata?.[SHA256_META] ?? '',
      };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.error(e, 'read', key);
    }
  }

  /**
   * Streams the body to S3 while hashing it; `exclusive` adds If-None-Match, and an existing object is
   * then settled by digest. The digest goes in the object's metadata, so it must be known before the
   * upload starts: bytes and local files (the common case: everything we upload was landed on disk
   * first) are hashed up front; any other stream is uploaded without it.
   */
  private async upload(key: string, body: Body, exclusive: boolean): Promise<PutResult> {
    const objectKey = this.objectKey(key);
    const prepared = await prepareBody(body);
    const existed = exclusive ? false : (await this.headRaw(key)) !== undefined;
    try {
      await new Upload({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: objectKey,
          Body: prepared.body,
          ...(prepared.digest ? { Metadata: { [SHA256_META]: prepared.digest.sha256 } } : {}),
          ...(exclusive ? { IfNoneMatch: '*' } : {}),
        },
        partSize: this.opts.partSize ?? 8 * 1024 * 1024,
        queueSize: this.opts.queueSize ?? 4,
        leavePartsOnError: false,
      }).done();
    } catch (e) {
      if (exclusive && isPreconditionFailed(e)) {
        const incoming = prepared.digest ?? (await prepared.finish());
        const storedSha = (await this.sha256(key)) ?? '';
        const stored = await this.headRaw(key);
        return settleExisting(key, { size: stored?.size ?? -1, sha256: storedSha }, incoming);
      }
      prepared.body.destroy?.();
      throw this.error(e, 'write', key);
    }
    const digest = prepared.digest ?? (await prepared.finish());
    return { key, status: existed ? 'replaced' : 'created', ...digest };
  }

  private error(e: unknown, action: 'read' | 'write' | 'list', key: string): OrchestratorError {
    if (e instanceof OrchestratorError) return e;
    const where = this.uri(key);
    if (isNotFound(e)) {
      return new OrchestratorError('OBJECT_NOT_FOUND', `No object ${key} in the lake (${where}).`, {
        cause: e,
        suggestion:
          'Check the bucket and prefix in config (aws.bucket, aws.prefix), and that the step that produces this object has run.',
        data: { key, uri: where },
      });
    }
    const name = e instanceof S3ServiceException ? e.name : (e as Error)?.name;
    const status = e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
    const denied = status === 403 || name === 'AccessDenied';
    return new OrchestratorError(
      denied ? 'OUTPUT_NOT_WRITABLE' : 'IO_ERROR',
      `Failed to ${action} ${key} at ${where}: ${name ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${(e as Error)?.message ?? e}`,
      {
        cause: e,
        suggestion: denied
          ? 'Check that the credentials in use may access this bucket and prefix (see the IAM actions in the README).'
          : 'Retry; if it persists, check the S3 endpoint and network.',
        data: { key, uri: where, status },
      },
    );
  }
}

interface PreparedBody {
  body: Readable & { destroy?: () => void };
  digest: Digest | undefined;
  /** For streams hashed on the way: the digest once the body has been read to its end. */
  finish: () => Promise<Digest>;
}

/** Bytes and local files are hashed before the upload (their digest goes in the metadata). */
async function prepareBody(body: Body): Promise<PreparedBody> {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    const digest = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    return { body: Readable.from([bytes]), digest, finish: async () => digest };
  }
  const path = (body as Readable & { path?: unknown }).path;
  if (typeof path === 'string') {
    body.destroy(); // re-opened below, after hashing
    const hash = createHash('sha256');
    let size = 0;
    for await (const c of createReadStream(path)) {
      hash.update(c as Buffer);
      size += (c as Buffer).length;
    }
    const digest = { size, sha256: hash.digest('hex') };
    return { body: createReadStream(path), digest, finish: async () => digest };
  }
  const hash = createHash('sha256');
  let size = 0;
  const tap = new PassThrough();
  body.on('error', (e) => tap.destroy(e));
  body.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  body.pipe(tap);
  return {
    body: tap,
    digest: undefined,
    finish: async () => {
      for await (const _ of tap) void _; // whatever the upload did not read
      return { size, sha256: hash.digest('hex') };
    },
  };
}

function isNotFound(e: unknown): boolean {
  const name = (e as { name?: string })?.name;
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
}

function isPreconditionFailed(e: unknown): boolean {
  const name = (e as { name?: string })?.name;
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return name === 'PreconditionFailed' || status === 412;
}

async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
