/**
 * The lake on the local file system: key 'raw/open_payments/…' is the file '<root>/raw/open_payments/…'.
 *
 * Writes stream the body into a '.tmp-…' file next to the target (hashing it on the way, in constant
 * memory), fsync it, then publish it in one atomic step, so a reader sees the old object or the new one,
 * never a partial one:
 * - put() on an ordinary key renames the temp file over the target ('created' or 'replaced');
 * - raw/ keys (through put or putIfAbsent) and putIfAbsent hard-link the temp file to the target, which
 *   fails with EEXIST when the target exists. Then the stored bytes are hashed: the same bytes are
 *   'unchanged', different bytes are refused (RAW_IMMUTABLE for raw/, ObjectExistsError otherwise) and
 *   the stored object is left untouched.
 * The temp file is removed whatever happens; listings skip '.tmp-' files left by a killed process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { OrchestratorError } from '../../domain/errors.js';
import { assertSafeKey, isWriteOnceKey } from '../../domain/lake.js';
import type { Body, ObjectInfo, ObjectStore, PutResult } from '../../ports/object-store.js';
import { assertPublishablePrefixes, ObjectExistsError, settleExisting } from '../object-store-rules.js';
import { errnoCode, NOT_WRITABLE } from './files.js';

const TMP_PREFIX = '.tmp-';
/** How often a write-once put retries when the object it collided with vanishes before it is hashed. */
const MAX_LINK_ATTEMPTS = 5;
const HASH_BUFFER_BYTES = 1024 * 1024;

/** Error codes that mean "there is no object at this key". */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

export { ObjectExistsError };

interface Digest {
  size: number;
  sha256: string;
}

interface TempFile extends Digest {
  path: string;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isReadable(body: Body): body is Readable {
  return typeof body !== 'string' && !(body instanceof Uint8Array);
}

function toBytes(chunk: unknown, key: string): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError(`The body stream for ${key} produced a ${typeof chunk} chunk; expected bytes.`);
}

/** fsync a directory so a rename/link in it survives a crash; not every platform allows it. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the data itself was fsynced before it was published.
  }
}

async function removeQuietly(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => undefined);
}

export class FsObjectStore implements ObjectStore {
  readonly location: string;
  private readonly root: string;

  /** @param root the lake folder; resolved to an absolute path. It is created on the first write. */
  constructor(root: string) {
    this.root = path.resolve(root);
    this.location = this.root;
  }

  /** Absolute file path of a key; a prefix ending in '/' gives the folder (what Spark/DuckDB read). */
  uri(key: string): string {
    assertSafeKey(key);
    if (key === '') return this.root;
    const file = path.join(this.root, ...key.split('/'));
    return key.endsWith('/') ? file + path.sep : file;
  }

  async put(key: string, body: Body): Promise<PutResult> {
    return this.withBody(body, async () => {
      const file = this.objectPath(key);
      return isWriteOnceKey(key) ? this.writeOnce(key, file, body) : this.writeReplace(key, file, body);
    });
  }

  async putIfAbsent(key: string, body: Body): Promise<PutResult> {
    return this.withBody(body, async () => this.writeOnce(key, this.objectPath(key), body));
  }

  async moveFileIn(
    key: string,
    localPath: string,
    known?: { size: number; sha256: string },
  ): Promise<PutResult> {
    const file = this.objectPath(key);
    const digest = known ?? (await this.hashLocal(key, localPath));
    const dir = path.dirname(file);
    await this.mkdirs(key, dir);
    try {
      if (isWriteOnceKey(key)) {
        // Exclusive create by hard link, then drop the source name: no copy, and never an overwrite.
        await fs.link(localPath, file);
        await fs.rm(localPath);
        await syncDir(dir);
        return { key, status: 'created', ...digest };
      }
      const existed = (await this.head(key)) !== undefined;
      await fs.rename(localPath, file);
      await syncDir(dir);
      return { key, status: existed ? 'replaced' : 'created', ...digest };
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EEXIST') {
        const stored = await this.hashStored(key, file);
        if (stored !== undefined) {
          const result = this.settleExisting(key, stored, digest);
          await removeQuietly(localPath);
          return result;
        }
      }
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
        // Another file system, or no hard links: copy through the ordinary atomic put.
        const result = await this.put(key, createReadStream(localPath));
        await removeQuietly(localPath);
        return result;
      }
      throw this.writeError(e, key, file);
    }
  }

  private async hashLocal(key: string, localPath: string): Promise<Digest> {
    const digest = await this.hashStored(key, localPath);
    if (!digest)
      throw new OrchestratorError('OBJECT_NOT_FOUND', `No local file ${localPath} to move into ${key}.`);
    return digest;
  }

  async get(key: string): Promise<Readable> {
    const file = this.objectPath(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (e) {
      throw this.readError(e, key, file);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw Object.assign(new Error(`${file} is not a file`), { code: 'EISDIR' });
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw this.readError(e, key, file);
    }
    return handle.createReadStream();
  }

  async getText(key: string): Promise<string> {
    const file = this.objectPath(key);
    try {
      return await fs.readFile(file, 'utf8');
    } catch (e) {
      throw this.readError(e, key, file);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const file = this.objectPath(key);
    try {
      const stats = await fs.stat(file);
      return stats.isFile() ? { key, size: stats.size, modified: stats.mtime } : undefined;
    } catch (e) {
      if (ABSENT.has(errnoCode(e) ?? '')) return undefined;
      throw this.ioError(e, 'read', key, file);
    }
  }

  async sha256(key: string): Promise<string | undefined> {
    return (await this.hashStored(key, this.objectPath(key)))?.sha256;
  }

  /**
   * Files under a prefix ('dir/' or a partial name such as 'dir/part-'), in UTF-8 byte order of their
   * keys like S3. Walks one directory at a time, so memory grows with the widest folder, not the lake.
   */
  async *list(prefix: string): AsyncGenerator<ObjectInfo> {
    assertSafeKey(prefix);
    if (prefix.includes('\0')) this.invalidKey(prefix, 'keys cannot contain NUL characters');
    yield* this.walk(prefix.slice(0, prefix.lastIndexOf('/') + 1), prefix);
  }

  async delete(key: string): Promise<void> {
    const file = this.objectPath(key);
    if (isWriteOnceKey(key)) {
      throw new OrchestratorError('RAW_IMMUTABLE', `Refusing to delete ${key}: the raw zone is write-once.`, {
        suggestion:
          'Raw files are never deleted or overwritten; a new CMS publication goes to a new publication= folder.',
        data: { key },
      });
    }
    try {
      await fs.unlink(file);
    } catch (e) {
      const code = errnoCode(e) ?? '';
      if (ABSENT.has(code)) return;
      // macOS reports unlink() of a folder as EPERM: a folder is not an object, so there is nothing to delete.
      if (code === 'EPERM' && (await fs.lstat(file).catch(() => undefined))?.isDirectory()) return;
      throw this.writeError(e, key, file);
    }
  }

  async replacePrefix(fromPrefix: string, toPrefix: string): Promise<void> {
    assertPublishablePrefixes(fromPrefix, toPrefix);
    const from = this.uri(fromPrefix).slice(0, -1);
    const to = this.uri(toPrefix).slice(0, -1);
    const parent = path.dirname(to);
    const old = path.join(parent, `${TMP_PREFIX}${path.basename(to)}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.mkdir(parent, { recursive: true });
      await fs.stat(from);
      let moved = false;
      try {
        await fs.rename(to, old);
        moved = true;
      } catch (e) {
        if (!ABSENT.has(errnoCode(e) ?? '')) throw e;
      }
      try {
        await fs.rename(from, to);
      } catch (e) {
        if (moved) await fs.rename(old, to).catch(() => undefined); // put the previous folder back
        throw e;
      }
      await syncDir(parent);
      await fs.rm(old, { recursive: true, force: true });
    } catch (e) {
      throw this.writeError(e, toPrefix, to);
    }
  }

  // ---- writing -------------------------------------------------------------------------------------

  /** A Readable body the store did not finish reading is destroyed so its source (socket, file) is freed. */
  private async withBody(body: Body, write: () => Promise<PutResult>): Promise<PutResult> {
    try {
      return await write();
    } catch (e) {
      if (isReadable(body) && !body.destroyed) body.destroy();
      throw e;
    }
  }

  private async writeReplace(key: string, file: string, body: Body): Promise<PutResult> {
    const dir = path.dirname(file);
    await this.mkdirs(key, dir);
    const temp = await this.writeTemp(key, dir, body);
    try {
      const existed = await this.exists(key, file);
      try {
        await fs.rename(temp.path, file);
      } catch (e) {
        throw this.writeError(e, key, file);
      }
      await syncDir(dir);
      return { key, status: existed ? 'replaced' : 'created', size: temp.size, sha256: temp.sha256 };
    } finally {
      await removeQuietly(temp.path);
    }
  }

  private async writeOnce(key: string, file: string, body: Body): Promise<PutResult> {
    // Already stored: hash the new body without writing it (re-ingesting a multi-GB raw file then
    // needs no disk space). The body is only read once the stored object has been fully hashed.
    const stored = await this.hashStored(key, file);
    if (stored !== undefined) return this.settleExisting(key, stored, await this.consume(key, body));

    const dir = path.dirname(file);
    await this.mkdirs(key, dir);
    const temp = await this.writeTemp(key, dir, body);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await fs.link(temp.path, file);
        } catch (e) {
          if (errnoCode(e) !== 'EEXIST') throw this.writeError(e, key, file);
          const current = await this.hashStored(key, file);
          if (current !== undefined) return this.settleExisting(key, current, temp);
          // The object was deleted between link() and hashing it: try to create it again.
          if (attempt >= MAX_LINK_ATTEMPTS) {
            throw new OrchestratorError(
              'IO_ERROR',
              `Could not create ${key}: it keeps appearing and vanishing.`,
              {
                cause: e,
                suggestion: 'Another process is writing and deleting this key; retry once it has finished.',
                data: { key, path: file },
              },
            );
          }
          continue;
        }
        await syncDir(dir);
        return { key, status: 'created', size: temp.size, sha256: temp.sha256 };
      }
    } finally {
      await removeQuietly(temp.path);
    }
  }

  /** Outcome of a write-once put that found a stored object. */
  private settleExisting(key: string, stored: Digest, incoming: Digest): PutResult {
    return settleExisting(key, stored, incoming);
  }

  /** Streams the body into a new temp file in `dir`, fsynced and closed; removes it on any failure. */
  private async writeTemp(key: string, dir: string, body: Body): Promise<TempFile> {
    const tempPath = path.join(dir, TMP_PREFIX + randomBytes(8).toString('hex'));
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(tempPath, 'wx');
    } catch (e) {
      throw this.writeError(e, key, tempPath);
    }
    let open = true;
    try {
      const digest = await this.consume(key, body, handle, tempPath);
      try {
        await handle.sync();
        open = false;
        await handle.close();
      } catch (e) {
        throw this.writeError(e, key, tempPath);
      }
      return { path: tempPath, ...digest };
    } catch (e) {
      if (open) await handle.close().catch(() => undefined);
      await removeQuietly(tempPath);
      throw e;
    }
  }

  /** Reads the whole body once, hashing it and, when a file is given, writing it there. */
  private async consume(key: string, body: Body, sink?: fs.FileHandle, sinkPath = ''): Promise<Digest> {
    const hash = createHash('sha256');
    let size = 0;
    const take = async (bytes: Uint8Array): Promise<void> => {
      hash.update(bytes);
      size += bytes.byteLength;
      if (!sink) return;
      try {
        for (let offset = 0; offset < bytes.byteLength; ) {
          const { bytesWritten } = await sink.write(bytes, offset, bytes.byteLength - offset);
          offset += bytesWritten;
        }
      } catch (e) {
        throw this.writeError(e, key, sinkPath);
      }
    };
    if (typeof body === 'string') await take(Buffer.from(body, 'utf8'));
    else if (body instanceof Uint8Array) await take(body);
    else for await (const chunk of body) await take(toBytes(chunk, key));
    return { size, sha256: hash.digest('hex') };
  }

  /** sha256 and size of the stored file, streamed; undefined when there is none. */
  private async hashStored(key: string, file: string): Promise<Digest | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw this.ioError(e, 'read', key, file);
    }
    try {
      if (!(await handle.stat()).isFile()) {
        throw this.writeError(Object.assign(new Error('is a folder'), { code: 'EISDIR' }), key, file);
      }
      const hash = createHash('sha256');
      const buffer = Buffer.allocUnsafe(HASH_BUFFER_BYTES);
      let size = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
        size += bytesRead;
      }
      return { size, sha256: hash.digest('hex') };
    } catch (e) {
      throw e instanceof OrchestratorError ? e : this.ioError(e, 'read', key, file);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async mkdirs(key: string, dir: string): Promise<void> {
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (e) {
      throw this.writeError(e, key, dir);
    }
  }

  private async exists(key: string, file: string): Promise<boolean> {
    try {
      await fs.lstat(file);
      return true;
    } catch (e) {
      if (ABSENT.has(errnoCode(e) ?? '')) return false;
      throw this.writeError(e, key, file);
    }
  }

  // ---- listing -------------------------------------------------------------------------------------

  private async *walk(dirKey: string, prefix: string): AsyncGenerator<ObjectInfo> {
    const dirPath = dirKey === '' ? this.root : path.join(this.root, ...dirKey.split('/'));
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dirPath, { withFileTypes: true });
    } catch (e) {
      if (ABSENT.has(errnoCode(e) ?? '')) return;
      throw this.ioError(e, 'list', dirKey, dirPath);
    }
    // A folder sorts as 'name/', so 'a-b' (0x2d) comes before everything in 'a/' (0x2f), as in S3.
    const sorted = entries
      .map((entry) => ({ entry, order: Buffer.from(entry.name + (entry.isDirectory() ? '/' : ''), 'utf8') }))
      .sort((a, b) => Buffer.compare(a.order, b.order)); // UTF-8 byte order, like S3
    for (const { entry } of sorted) {
      const key = dirKey + entry.name;
      if (entry.isDirectory()) {
        const sub = `${key}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) yield* this.walk(sub, prefix);
        continue;
      }
      if (entry.name.startsWith(TMP_PREFIX) || !key.startsWith(prefix)) continue;
      const file = path.join(dirPath, entry.name);
      let stats: Awaited<ReturnType<typeof fs.stat>>;
      try {
        stats = await fs.stat(file);
      } catch (e) {
        if (ABSENT.has(errnoCode(e) ?? '')) continue; // deleted since readdir
        throw this.ioError(e, 'list', key, file);
      }
      if (stats.isFile()) yield { key, size: stats.size, modified: stats.mtime };
    }
  }

  // ---- keys and errors -----------------------------------------------------------------------------

  /** The file of an object key: a safe key naming a file, not a folder prefix. */
  private objectPath(key: string): string {
    assertSafeKey(key);
    if (key === '' || key.endsWith('/')) this.invalidKey(key, 'an object key names a file, not a folder');
    if (key.includes('\0')) this.invalidKey(key, 'keys cannot contain NUL characters');
    const parts = key.split('/');
    if (parts.some((p) => p.startsWith(TMP_PREFIX))) {
      this.invalidKey(key, `names starting with "${TMP_PREFIX}" are reserved for temporary files`);
    }
    return path.join(this.root, ...parts);
  }

  private invalidKey(key: string, rule: string): never {
    throw new OrchestratorError('INVALID_LAKE_KEY', `Invalid object key ${JSON.stringify(key)}: ${rule}.`, {
      data: { key },
    });
  }

  private writeError(e: unknown, key: string, file: string): OrchestratorError {
    if (e instanceof OrchestratorError) return e;
    const code = errnoCode(e);
    const reason = code === undefined ? undefined : NOT_WRITABLE[code];
    if (reason === undefined) return this.ioError(e, 'write', key, file);
    return new OrchestratorError(
      'OUTPUT_NOT_WRITABLE',
      `Cannot write ${key} at ${file}: ${reason} (${code}).`,
      {
        cause: e,
        suggestion: `Check the permissions of the lake folder ${this.root} and that no file sits where a folder is needed, or choose another --lake.`,
        data: { key, path: file, errno: code },
      },
    );
  }

  private readError(e: unknown, key: string, file: string): OrchestratorError {
    if (e instanceof OrchestratorError) return e;
    if (!ABSENT.has(errnoCode(e) ?? '')) return this.ioError(e, 'read', key, file);
    return new OrchestratorError('OBJECT_NOT_FOUND', `No object ${key} in the lake (looked for ${file}).`, {
      cause: e,
      suggestion: 'Check --lake, and that the step that produces this object has run.',
      data: { key, path: file },
    });
  }

  private ioError(
    e: unknown,
    action: 'read' | 'write' | 'list',
    key: string,
    file: string,
  ): OrchestratorError {
    const code = errnoCode(e);
    const full = code === 'ENOSPC' || code === 'EDQUOT';
    return new OrchestratorError(
      'IO_ERROR',
      `Failed to ${action} ${key || '/'} at ${file}: ${errorMessage(e)}`,
      {
        cause: e,
        suggestion: full
          ? `Free disk space on the lake's file system (${this.root}) or choose another --lake, then retry.`
          : 'Check the lake folder and retry.',
        data: { key, path: file, ...(code === undefined ? {} : { errno: code }) },
      },
    );
  }
}
