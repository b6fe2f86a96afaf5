/**
 * The write-once rules every object store applies the same way: storing bytes over an existing
 * object is a no-op when they are equal, refused otherwise (RAW_IMMUTABLE under raw/, an
 * ObjectExistsError elsewhere — e.g. a lock held by another run).
 */
import { OrchestratorError } from '../domain/errors.js';
import { assertSafeKey, isWriteOnceKey } from '../domain/lake.js';
import { ObjectExistsError, type PutResult } from '../ports/object-store.js';

export { ObjectExistsError };

export interface Digest {
  size: number;
  sha256: string;
}

export function settleExisting(key: string, stored: Digest, incoming: Digest): PutResult {
  if (stored.sha256 === incoming.sha256 && stored.size === incoming.size) {
    return { key, status: 'unchanged', size: incoming.size, sha256: incoming.sha256 };
  }
  if (!isWriteOnceKey(key)) throw new ObjectExistsError(key, stored.sha256, incoming.sha256);
  throw new OrchestratorError(
    'RAW_IMMUTABLE',
    `Refusing to overwrite ${key}: the stored file has sha256 ${stored.sha256} (${stored.size} bytes) ` +
      `but the new content has sha256 ${incoming.sha256} (${incoming.size} bytes).`,
    {
      suggestion:
        'Raw files are write-once: a new CMS publication goes to a new publication= folder; never overwrite raw.',
      data: { key, storedSha256: stored.sha256, newSha256: incoming.sha256 },
    },
  );
}

/** replacePrefix takes folder prefixes outside raw/ (publishing never touches the write-once zone). */
export function assertPublishablePrefixes(...prefixes: string[]): void {
  for (const prefix of prefixes) {
    assertSafeKey(prefix);
    if (!prefix.endsWith('/') || prefix === '/') {
      throw new OrchestratorError(
        'INVALID_LAKE_KEY',
        `Invalid folder prefix ${JSON.stringify(prefix)}: a folder prefix ends with "/".`,
        {
          data: { key: prefix },
        },
      );
    }
    if (isWriteOnceKey(prefix)) {
      throw new OrchestratorError(
        'RAW_IMMUTABLE',
        `Refusing to replace ${prefix}: the raw zone is write-once.`,
      );
    }
  }
}
