/**
 * The S3 side of a run: the entry point and its py-files/jars/files are `s3://` URIs on EMR, fetched by
 * the service before the driver starts. The local spark-submit could only fetch them itself with the
 * s3a jars on its launcher classpath, so they are downloaded to the run's work dir first and passed
 * as local paths.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface S3Location {
  bucket: string;
  key: string;
}

/** `s3://bucket/key` or `s3a://bucket/key`; undefined for anything else (a local path). */
export function parseS3Uri(uri: string): S3Location | undefined {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

/** `<logUri>/<relative>`, whether or not the logUri ends with a slash. */
export function joinS3Key(prefix: string, relative: string): string {
  return prefix === '' ? relative : `${prefix.replace(/\/+$/, '')}/${relative}`;
}

/**
 * Makes a URI local: S3 objects are downloaded into `dir` under their own file name (which Python
 * imports of a py-files zip depend on); `local://` and plain paths are used as they are, as EMR does
 * for files baked into the image. An `#alias` suffix (archives: `env.tar.gz#environment`) names the
 * unpacked directory for Spark, not the object: it is kept on the local path.
 */
export async function stageArtifact(s3: S3Client, uri: string, dir: string): Promise<string> {
  if (uri.startsWith('local://')) return uri.slice('local://'.length);
  const hash = uri.indexOf('#');
  const [location, alias] = hash < 0 ? [uri, ''] : [uri.slice(0, hash), uri.slice(hash)];
  const loc = parseS3Uri(location);
  if (!loc) return uri;
  await mkdir(dir, { recursive: true });
  const target = join(dir, basename(loc.key) || 'object');
  const got = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
  await pipeline(got.Body as Readable, createWriteStream(target));
  return target + alias;
}

export async function putObject(s3: S3Client, loc: S3Location, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: body }));
}
