/**
 * The lake's storage port. Keys are relative ('raw/open_payments/…'); the local adapter maps them to a
 * folder, the S3 adapter to a bucket. Writes are atomic (a reader sees the old object or the new one,
 * never a partial one). Keys under raw/ are write-once: writing the same bytes again is a no-op that
 * reports `unchanged`; different bytes fail with RAW_IMMUTABLE and leave the stored object untouched.
 */
import type { Readable } from 'node:stream';

export type Body = Readable | Uint8Array | string;

export interface ObjectInfo {
  key: string;
  size: number;
  modified: Date;
}

export interface PutResult {
  key: string;
  status: 'created' | 'replaced' | 'unchanged';
  size: number;
  sha256: string;
}

export interface ObjectStore {
  /** Human-readable location of the store (a path or s3:// URI), for messages. */
  readonly location: string;
  /** URI of a key as other tools (Spark, DuckDB) see it. */
  uri(key: string): string;
  put(key: string, body: Body): Promise<PutResult>;
  /**
   * Exclusive create for any key (used for locks); raw/ keys always behave like this. An object
   * already there with other bytes is an ObjectExistsError (the same bytes: `unchanged`).
   */
  putIfAbsent(key: string, body: Body): Promise<PutResult>;
  /**
   * Takes a finished local file into the store (the local file is gone afterwards): a rename on the
   * same disk, an upload elsewhere. Same write-once rules as put(). `known` skips re-hashing a file
   * whose digest the caller already computed.
   */
  moveFileIn(key: string, localPath: string, known?: { size: number; sha256: string }): Promise<PutResult>;
  get(key: string): Promise<Readable>;
  getText(key: string): Promise<string>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** sha256 of the stored bytes (hex), undefined when there is no object; used to skip identical uploads. */
  sha256(key: string): Promise<string | undefined>;
  /** All objects under a prefix, in key order, streamed so huge listings stay in constant memory. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Refused for raw/ keys. */
  delete(key: string): Promise<void>;
  /**
   * Publishes a folder: afterwards `toPrefix` holds exactly what `fromPrefix` held (the objects it
   * held before are gone) and `fromPrefix` is empty. Locally two renames, so a reader sees the old
   * folder or the new one; object stores copy then delete. Both prefixes end with '/'; raw/ is refused.
   */
  replacePrefix(fromPrefix: string, toPrefix: string): Promise<void>;
}

/** putIfAbsent found the key taken by different bytes (for raw/ keys the store says RAW_IMMUTABLE). */
export class ObjectExistsError extends Error {
  readonly key: string;
  readonly existingSha256: string;
  readonly attemptedSha256: string;

  constructor(key: string, existingSha256: string, attemptedSha256: string) {
    super(
      `Object ${key} already exists with different content (stored sha256 ${existingSha256}, new sha256 ${attemptedSha256}).`,
    );
    this.name = 'ObjectExistsError';
    this.key = key;
    this.existingSha256 = existingSha256;
    this.attemptedSha256 = attemptedSha256;
  }
}
