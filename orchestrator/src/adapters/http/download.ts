/**
 * Resumable HTTP download of one (multi-GB) file to disk, in constant memory.
 *
 * Bytes go to `<dest>.part`; the server's validators go to `<dest>.part.json` before any body byte, so
 * a later run (after a crash, Ctrl-C or a failure) re-hashes the partial bytes and asks only for the
 * rest with `Range` + `If-Range`. A server answering 200 instead of 206 (the file changed) or a
 * different size makes the download start over. Transient failures (5xx, 429, 408, resets, truncated
 * bodies, stalls) are retried with exponential backoff and full jitter, each retry resuming from the
 * bytes on disk. Nothing is written at `dest` until the file is complete, fsynced and renamed.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, writevSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { OrchestratorError } from '../../domain/errors.js';
import type { DownloadSink } from '../../ports/fetching.js';
import type { Progress, Reporter } from '../../ports/reporter.js';
import { outputWriteError, writeFileAtomic } from '../local/files.js';

/** What `<dest>.part.json` holds: the identity of the remote file the partial bytes belong to. */
export interface PartValidators {
  /** The URL without query string or credentials. */
  url: string;
  etag: string | null;
  lastModified: string | null;
  /** Full size of the remote file, when the server said. */
  length: number | null;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  reporter: Reporter;
  /** Abort: stops promptly, keeps the partial download, throws INTERRUPTED. */
  signal?: AbortSignal;
  /** Failed attempts in a row (without receiving a byte in between) before giving up. Default 5. */
  maxAttempts?: number;
  /** A request that receives no byte for this long is abandoned and retried. Default 60 000. */
  stallTimeoutMs?: number;
  /** Backoff before retry n: uniform random in [0, min(maxMs, baseMs * 2^(n-1))]. Default 500 / 30 000. */
  backoff?: { baseMs: number; maxMs: number };
  /** Injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injectable for tests; returns [0, 1). */
  random?: () => number;
  /** Extra request headers (never logged). */
  headers?: Record<string, string>;
  /** Gets every byte of the file in order as it reaches the disk (see DownloadSink). */
  sink?: DownloadSink | undefined;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  etag: string | undefined;
  lastModified: string | undefined;
  /** Bytes reused from a partial download left by an earlier run (0 if none, or if it was discarded). */
  resumedFromBytes: number;
  /** HTTP requests made by this call. */
  attempts: number;
}

export const DOWNLOAD_DEFAULTS = {
  maxAttempts: 5,
  stallTimeoutMs: 60_000,
  backoff: { baseMs: 500, maxMs: 30_000 },
} as const;

/** Longest Retry-After honoured; a server asking for more is retried after this. */
export const MAX_RETRY_AFTER_MS = 300_000;

/** Received bytes are written in blocks of about this size (memory per download stays constant). */
const WRITE_BLOCK = 512 * 1024;
/** Bytes written between background flushes to disk (see receive). */
const SYNC_EVERY = 64 * 1024 * 1024;

/** The bytes of `pieces` from offset `from` (up to `to`), as views: no copy. */
function remainingPieces(pieces: Buffer[], from: number, to = Number.POSITIVE_INFINITY): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  for (const piece of pieces) {
    const start = Math.max(from - offset, 0);
    const end = Math.min(to - offset, piece.length);
    if (end > start) out.push(start === 0 && end === piece.length ? piece : piece.subarray(start, end));
    offset += piece.length;
  }
  return out;
}

export function partPaths(dest: string): { part: string; meta: string } {
  return { part: `${dest}.part`, meta: `${dest}.part.json` };
}

/** Full jitter: uniform in [0, min(maxMs, baseMs * 2^(failure-1))]. `failure` counts from 1. */
export function backoffDelayMs(
  failure: number,
  backoff: { baseMs: number; maxMs: number },
  random: () => number,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, failure - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as seconds or an HTTP date, in ms (capped); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const date = Date.parse(v);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** The URL without query string, fragment or credentials: safe for messages, logs and the sidecar. */
export function safeUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** `bytes 100-199/1000` → {start, end, total}; total null for `*`. */
function parseContentRange(
  value: string | null,
): { start: number; end: number; total: number | null } | undefined {
  const m = value === null ? null : /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

function parseLength(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value.trim()) : null;
}

/** If-Range needs a strong ETag; otherwise Last-Modified; neither means the partial cannot be trusted. */
function ifRangeValue(v: PartValidators): string | undefined {
  if (v.etag !== null && !v.etag.startsWith('W/')) return v.etag;
  return v.lastModified ?? undefined;
}

/** One failed request: `retryable` says whether another attempt may succeed. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** fetch failures carry the useful part (ECONNRESET, "other side closed") in `cause`. */
function describeNetworkError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    cause && typeof cause === 'object'
      ? [cause.code, cause.message].filter((x) => typeof x === 'string' && x !== '').join(': ')
      : '';
  return detail === '' ? e.message : `${e.message} (${detail})`;
}

interface State {
  validators: PartValidators | undefined;
  /** Bytes in the .part file, all of them hashed into `hash`. */
  bytes: number;
  hash: Hash;
  /** The bytes on disk came from an earlier run and no request has confirmed them yet. */
  fromEarlierRun: boolean;
}

type Outcome = 'complete' | 'restart';

export async function download(opts: DownloadOptions): Promise<DownloadResult> {
  const { dest, reporter, signal, sink } = opts;
  let urlForLogs: string;
  try {
    const u = new URL(opts.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new Error(`unsupported protocol ${u.protocol}`);
    urlForLogs = safeUrl(opts.url);
  } catch (e) {
    throw new OrchestratorError(
      'DOWNLOAD_FAILED',
      `Cannot download "${opts.url.split('?')[0]?.replace(/\/\/[^/@]*@/, '//')}": not an http(s) URL.`,
      {
        cause: e,
        suggestion: 'Rediscover the file from the CMS catalog; download URLs cannot be templated.',
      },
    );
  }
  const maxAttempts = Math.max(1, opts.maxAttempts ?? DOWNLOAD_DEFAULTS.maxAttempts);
  const stallTimeoutMs = opts.stallTimeoutMs ?? DOWNLOAD_DEFAULTS.stallTimeoutMs;
  const backoff = opts.backoff ?? DOWNLOAD_DEFAULTS.backoff;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? ((ms: number, s?: AbortSignal) => delay(ms, undefined, { signal: s }));
  const { part, meta } = partPaths(dest);
  const name = basename(dest);
  const label = `download ${name}`;

  const interrupted = (state: State) =>
    new OrchestratorError(
      'INTERRUPTED',
      `Download of ${name} interrupted after ${state.bytes} bytes; the partial download is kept and will resume.`,
      {
        suggestion: 'Rerun the same command to resume where it stopped.',
        data: { url: urlForLogs, part, bytes: state.bytes },
      },
    );

  try {
    await mkdir(dirname(dest), { recursive: true });
  } catch (e) {
    throw outputWriteError(e, dest);
  }

  let progress: Progress | undefined;
  const newProgress = (total: number | null) => {
    progress?.done();
    progress = reporter.progress(label, { total: total ?? undefined, unit: 'bytes' });
  };

  // A partial download from an earlier run for the same URL: re-hash it (streamed) and resume after it.
  const state: State = { validators: undefined, bytes: 0, hash: createHash('sha256'), fromEarlierRun: false };
  const kept = await readValidators(meta, urlForLogs);
  const partSize = (await stat(part).catch(() => undefined))?.size;
  if (
    kept !== undefined &&
    partSize !== undefined &&
    (kept.length === null || partSize <= kept.length) &&
    ifRangeValue(kept) !== undefined
  ) {
    newProgress(kept.length);
    try {
      for await (const chunk of createReadStream(part, { highWaterMark: 1024 * 1024, signal })) {
        state.hash.update(chunk as Buffer);
        state.bytes += (chunk as Buffer).length;
        progress?.tick((chunk as Buffer).length);
        await sink?.write(chunk as Buffer);
      }
    } catch (e) {
      if (signal?.aborted) throw interrupted(state);
      if (e instanceof OrchestratorError) throw e; // the sink rejected the bytes
      throw new OrchestratorError('IO_ERROR', `Reading the partial download ${part} failed: ${String(e)}.`, {
        cause: e,
        suggestion: `Delete ${part} and rerun.`,
        data: { path: part },
      });
    }
    state.validators = kept;
    state.fromEarlierRun = state.bytes > 0;
  } else {
    await discardPartial(part, meta, dest);
  }

  reporter.event({
    level: 'info',
    code: 'download.started',
    message: `Downloading ${urlForLogs} to ${dest}${state.bytes > 0 ? ` (${state.bytes} bytes already on disk)` : ''}.`,
    data: { url: urlForLogs, dest, bytesOnDisk: state.bytes },
  });

  const restart = async (reason: string) => {
    reporter.event({
      level: 'warn',
      code: 'download.restarted',
      message: `Restarting the download of ${name} from zero: ${reason}.`,
      data: { url: urlForLogs, reason, discardedBytes: state.bytes },
    });
    state.validators = undefined;
    state.bytes = 0;
    state.hash = createHash('sha256');
    state.fromEarlierRun = false;
    await sink?.reset();
    // Bytes first, then the sidecar: a crash in between never pairs old bytes with new validators.
    await discardPartial(part, meta, dest);
    progress?.done();
    progress = undefined;
  };

  let attempts = 0;
  let failures = 0;
  let resumedFromBytes = 0;

  /** One request; resolves when the file is complete or must be fetched again from zero. */
  const attempt = async (): Promise<Outcome> => {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let stalled = false;
    const stallTimer = setTimeout(() => {
      stalled = true;
      controller.abort(new Error('stalled'));
    }, stallTimeoutMs);
    const networkError = (e: unknown) =>
      stalled
        ? new AttemptError(`no data received for ${stallTimeoutMs} ms`, true)
        : new AttemptError(`connection failed: ${describeNetworkError(e)}`, true);
    try {
      if (
        state.bytes > 0 &&
        (state.validators === undefined || ifRangeValue(state.validators) === undefined)
      ) {
        await restart('the server gave no validator (ETag or Last-Modified) to resume against');
      }
      const headers = new Headers(opts.headers);
      headers.set('accept-encoding', 'identity');
      const ranged = state.bytes > 0 && state.validators !== undefined;
      if (ranged && state.validators) {
        headers.set('range', `bytes=${state.bytes}-`);
        headers.set('if-range', ifRangeValue(state.validators) ?? '');
      }
      let res: Response;
      try {
        res = await fetch(opts.url, { headers, signal: controller.signal, redirect: 'follow' });
      } catch (e) {
        throw networkError(e);
      }
      stallTimer.refresh();
      const cancel = () => res.body?.cancel().catch(() => undefined);

      if (res.status === 206 && ranged && state.validators) {
        const cr = parseContentRange(res.headers.get('content-range'));
        const etag = res.headers.get('etag');
        const known = state.validators;
        const changed =
          cr === undefined
            ? 'the server sent a partial response without a readable Content-Range'
            : cr.start !== state.bytes
              ? `the server resumed at byte ${cr.start} instead of ${state.bytes}`
              : known.length !== null && cr.total !== null && cr.total !== known.length
                ? `the remote size changed from ${known.length} to ${cr.total} bytes`
                : etag !== null && known.etag !== null && etag !== known.etag
                  ? 'the remote ETag changed'
                  : undefined;
        if (changed !== undefined || cr === undefined) {
          await cancel();
          await restart(changed ?? 'unreadable Content-Range');
          return 'restart';
        }
        if (state.fromEarlierRun) resumedFromBytes = state.bytes;
        state.fromEarlierRun = false;
        if (progress === undefined) newProgress(known.length);
        reporter.event({
          level: 'info',
          code: 'download.resumed',
          message: `Resuming ${name} from byte ${state.bytes}.`,
          data: { url: urlForLogs, fromBytes: state.bytes, attempt: attempts },
        });
        await receive(res, cr.end + 1);
      } else if (res.status === 200) {
        if (ranged) {
          const sameVersion =
            state.validators?.etag != null && res.headers.get('etag') === state.validators.etag;
          await restart(
            sameVersion
              ? 'the server ignored the range request and sent the whole file'
              : 'the remote file changed (the server sent the whole file instead of the rest)',
          );
        }
        resumedFromBytes = 0;
        state.fromEarlierRun = false;
        const length = parseLength(res.headers.get('content-length'));
        state.validators = {
          url: urlForLogs,
          etag: res.headers.get('etag'),
          lastModified: res.headers.get('last-modified'),
          length,
        };
        // Validators before any body byte: whatever lands in .part can be matched to its remote version.
        try {
          await writeFileAtomic(meta, `${JSON.stringify(state.validators, null, 2)}\n`);
        } catch (e) {
          await cancel();
          throw e;
        }
        newProgress(length);
        await receive(res, length);
      } else if (res.status === 416 && ranged && state.validators) {
        await cancel();
        const unsatisfied = /^bytes\s+\*\/(\d+)$/.exec(res.headers.get('content-range')?.trim() ?? '');
        const total = unsatisfied ? Number(unsatisfied[1]) : undefined;
        if (total === state.bytes && (state.validators.length ?? state.bytes) === state.bytes)
          return 'complete';
        await restart('the server cannot resume at the size on disk');
        return 'restart';
      } else {
        await cancel();
        const s = res.status;
        throw new AttemptError(
          `HTTP ${s}${res.statusText ? ` ${res.statusText}` : ''}`,
          s >= 500 || s === 429 || s === 408,
          s,
          parseRetryAfter(res.headers.get('retry-after')),
        );
      }
      const expected = state.validators?.length ?? null;
      if (expected !== null && state.bytes < expected) {
        throw new AttemptError(`the connection closed after ${state.bytes} of ${expected} bytes`, true);
      }
      if (expected !== null && state.bytes > expected) {
        await restart(`the server sent ${state.bytes} bytes, more than the ${expected} it announced`);
        return 'restart';
      }
      return 'complete';
    } catch (e) {
      if (e instanceof AttemptError || e instanceof OrchestratorError || signal?.aborted) throw e;
      throw networkError(e);
    } finally {
      clearTimeout(stallTimer);
      signal?.removeEventListener('abort', onAbort);
    }

    /** Streams the body into .part at the current size, hashing what is written. */
    async function receive(res: Response, endExclusive: number | null): Promise<void> {
      let fh: FileHandle;
      try {
        fh = await open(part, state.bytes === 0 ? 'w' : 'r+');
      } catch (e) {
        await res.body?.cancel().catch(() => undefined);
        throw outputWriteError(e, part);
      }
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      let syncing: Promise<void> | undefined;
      let unsynced = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        // Written as they came (one writev, no concatenated copy): fewer buffers for the GC to chase.
        const pieces = pending.splice(0);
        const total = pendingBytes;
        pendingBytes = 0;
        let written = 0;
        try {
          // Synchronously: copying half a megabyte into the page cache takes well under a millisecond,
          // while an asynchronous write queues behind the gzip work on libuv's few threads (measured:
          // a second per gigabyte spent waiting, 5% of the ingest).
          while (written < total) {
            const rest = written === 0 ? pieces : remainingPieces(pieces, written);
            written += writevSync(fh.fd, rest, state.bytes + written);
          }
        } catch (e) {
          throw outputWriteError(e, part);
        } finally {
          // Whatever reached the file is a correct prefix: account for it even when the write failed.
          if (written > 0) {
            for (const piece of remainingPieces(pieces, 0, written)) state.hash.update(piece);
            state.bytes += written;
            progress?.tick(written);
          }
        }
        // Start writing back to disk now and then, in the background: the fsync of the complete file
        // then has little left to do (it used to leave both cores idle for a third of a second per GB).
        unsynced += written;
        if (unsynced >= SYNC_EVERY && syncing === undefined) {
          unsynced = 0;
          syncing = fh.datasync().finally(() => {
            syncing = undefined;
          });
          syncing.catch(() => undefined); // only a head start: the final fsync reports any failure
        }
        // Only once the whole block is on disk: a failed write ends the download anyway.
        for (const piece of pieces) await sink?.write(piece);
      };
      let failedOnDisk = false;
      try {
        if (res.body) {
          for await (const chunk of res.body) {
            stallTimer.refresh();
            const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
            pending.push(buf);
            pendingBytes += buf.length;
            if (endExclusive !== null && state.bytes + pendingBytes > endExclusive) break; // more than announced
            if (pendingBytes >= WRITE_BLOCK) {
              failedOnDisk = true;
              await flush();
              failedOnDisk = false;
              stallTimer.refresh();
            }
          }
        }
        failedOnDisk = true;
        await flush();
        failedOnDisk = false;
      } catch (e) {
        // A network failure: keep the bytes already received, they are a correct prefix.
        if (!failedOnDisk) await flush();
        throw e;
      } finally {
        await syncing?.catch(() => undefined);
        await fh.close().catch(() => undefined);
      }
    }
  };

  if (state.validators?.length === state.bytes && state.bytes > 0) {
    // An earlier run received everything but stopped before the rename.
    resumedFromBytes = state.bytes;
  } else {
    for (;;) {
      if (signal?.aborted) throw interrupted(state);
      attempts += 1;
      const before = state.bytes;
      try {
        const outcome = await attempt();
        if (outcome === 'complete') break;
      } catch (e) {
        if (signal?.aborted) throw interrupted(state);
        if (!(e instanceof AttemptError)) throw e;
        if (state.bytes > before) failures = 0;
        failures += 1;
        if (!e.retryable || failures >= maxAttempts) {
          throw downloadFailed(e, attempts, state.bytes);
        }
        const delayMs = e.retryAfterMs ?? backoffDelayMs(failures, backoff, random);
        reporter.event({
          level: 'warn',
          code: 'download.retry',
          message: `Download of ${name} failed (${e.message}); retry ${failures} of ${maxAttempts - 1} in ${delayMs} ms from byte ${state.bytes}.`,
          data: {
            url: urlForLogs,
            attempt: attempts + 1,
            delayMs,
            reason: e.message,
            fromBytes: state.bytes,
          },
        });
        try {
          await sleep(delayMs, signal);
        } catch (sleepError) {
          if (signal?.aborted) throw interrupted(state);
          throw sleepError;
        }
      }
    }
  }

  // Complete: verify, make durable, then publish atomically under the final name.
  const validators = state.validators!;
  try {
    const fh = await open(part, 'r+');
    try {
      const size = (await fh.stat()).size;
      if (size !== state.bytes || (validators.length !== null && size !== validators.length)) {
        throw new OrchestratorError(
          'DOWNLOAD_FAILED',
          `Downloaded ${name} has ${size} bytes on disk, expected ${validators.length ?? state.bytes}.`,
          {
            suggestion: `Delete ${part} and rerun.`,
            data: { url: urlForLogs, part, bytes: size, expected: validators.length },
          },
        );
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(part, dest);
    await rm(meta, { force: true });
    await syncDir(dirname(dest));
  } catch (e) {
    throw outputWriteError(e, dest);
  }
  progress?.done();
  const result: DownloadResult = {
    path: dest,
    bytes: state.bytes,
    sha256: state.hash.digest('hex'),
    etag: validators.etag ?? undefined,
    lastModified: validators.lastModified ?? undefined,
    resumedFromBytes,
    attempts,
  };
  reporter.event({
    level: 'info',
    code: 'download.done',
    message: `Downloaded ${name}: ${result.bytes} bytes in ${attempts} request(s).`,
    data: { url: urlForLogs, ...result },
  });
  return result;

  function downloadFailed(e: AttemptError, attemptsMade: number, bytes: number): OrchestratorError {
    const transient = e.retryable;
    const gone = e.status === 404 || e.status === 410;
    return new OrchestratorError(
      'DOWNLOAD_FAILED',
      `Downloading ${urlForLogs} failed after ${attemptsMade} attempt${attemptsMade === 1 ? '' : 's'}: ${e.message}.`,
      {
        cause: e,
        suggestion: transient
          ? `Rerun the same command: the partial download (${bytes} bytes in ${part}) is kept and will resume.`
          : gone
            ? 'CMS renames files at every publication: refresh the catalog and rerun (any partial download is kept).'
            : 'Check the URL and access to it, then rerun (any partial download is kept).',
        data: {
          url: urlForLogs,
          ...(e.status === undefined ? {} : { status: e.status }),
          attempts: attemptsMade,
          bytesOnDisk: bytes,
          part,
          lastError: e.message,
        },
      },
    );
  }
}

async function readValidators(meta: string, url: string): Promise<PartValidators | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(meta, 'utf8'));
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const v = raw as Record<string, unknown>;
  const strOrNull = (x: unknown): x is string | null => x === null || typeof x === 'string';
  if (v['url'] !== url || !strOrNull(v['etag']) || !strOrNull(v['lastModified'])) return undefined;
  const length = v['length'];
  if (length !== null && !(typeof length === 'number' && Number.isSafeInteger(length) && length >= 0)) {
    return undefined;
  }
  return { url, etag: v['etag'], lastModified: v['lastModified'], length };
}

async function discardPartial(part: string, meta: string, dest: string): Promise<void> {
  try {
    await rm(part, { force: true });
    await rm(meta, { force: true });
  } catch (e) {
    throw outputWriteError(e, dest);
  }
}

/** Makes the rename durable; best effort (not every platform can fsync a folder). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => undefined);
  await fh.close().catch(() => undefined);
}
