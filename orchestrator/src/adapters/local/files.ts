/**
 * Writing user-named files (sample output, contract exports): one mapping from fs errors to coded
 * errors, and an atomic small-file write (temp file + rename) so a failure never leaves half a file.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OrchestratorError } from '../../domain/errors.js';

/** Error codes that mean "this path cannot be written", as opposed to a transient I/O failure. */
export const NOT_WRITABLE: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (no permission, or the file system does not support hard links)',
  EROFS: 'read-only file system',
  ENOTDIR: 'a parent of the path is a file, not a folder',
  EEXIST: 'a parent of the path is a file, not a folder',
  EISDIR: 'a folder is in the way',
  ENOTEMPTY: 'a folder is in the way',
  ENOTSUP: 'the file system does not support hard links',
  EOPNOTSUPP: 'the file system does not support hard links',
};

export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** OUTPUT_NOT_WRITABLE for a path that cannot be written, IO_ERROR for anything else. */
export function outputWriteError(e: unknown, path: string): OrchestratorError {
  if (e instanceof OrchestratorError) return e;
  const code = errnoCode(e);
  const reason =
    code === undefined
      ? undefined
      : (NOT_WRITABLE[code] ?? (code === 'ENOENT' ? 'the folder does not exist' : undefined));
  const message = e instanceof Error ? e.message : String(e);
  if (reason !== undefined) {
    return new OrchestratorError('OUTPUT_NOT_WRITABLE', `Cannot write ${path}: ${reason} (${message}).`, {
      cause: e,
      suggestion: 'Choose an --out path in a writable folder.',
      data: { path, errno: code },
    });
  }
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  return new OrchestratorError('IO_ERROR', `Writing ${path} failed: ${message}.`, {
    cause: e,
    suggestion: full
      ? 'Free disk space or write somewhere else, then retry.'
      : 'Retry; if it persists, check the disk.',
    data: { path, ...(code === undefined ? {} : { errno: code }) },
  });
}

/** A temp path next to `path`, on the same file system so the final rename is atomic. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.tmp-${process.pid}-${basename(path)}`);
}

/** Writes a small file atomically (folders created); any failure leaves the old file, or nothing. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined); // keep the original error
    throw outputWriteError(e, path);
  }
}
