/**
 * The resumable downloader against the fake CMS: clean downloads, every injected fault recovered by
 * resuming from the bytes on disk, fatal and exhausted failures, files that change under us, Ctrl-C,
 * and a real process SIGKILLed three times mid-download.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256File, writeRandomFile } from '../../../../tests/fake-cms/fixtures.js';
import { type FakeCms, type PublishedFile, startFakeCms } from '../../../../tests/fake-cms/server.js';
import { OrchestratorError } from '../../domain/errors.js';
import { cmsFileName } from '../../domain/publication.js';
import type { Downloader } from '../../ports/fetching.js';
import { RecordingReporter, type ReportEvent } from '../../ports/reporter.js';
import { backoffDelayMs, type DownloadOptions, download, parseRetryAfter, partPaths } from './download.js';

const MiB = 1024 * 1024;
const servers: FakeCms[] = [];

/** A disk that fills up: writes after the first `okWrites` fail with ENOSPC (-1: never). */
const disk = vi.hoisted(() => ({ okWrites: -1, writes: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writevSync: typeof real.writevSync = (...args) => {
    if (disk.okWrites >= 0 && ++disk.writes > disk.okWrites) {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    return real.writevSync(...args);
  };
  return { ...real, writevSync, default: { ...real, writevSync } };
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Setup {
  dir: string;
  src: string;
  sha: string;
  cms: FakeCms;
  url: string;
  /** URL path of the file on the fake server. */
  path: string;
  dest: string;
  part: string;
  meta: string;
  sleeps: number[];
  reporter: RecordingReporter;
  /** Fast retries: recorded, not slept. */
  opts: (extra?: Partial<DownloadOptions>) => DownloadOptions;
  gets: () => FakeCms['requests'];
}

async function setup(bytes = MiB, throttleBytesPerSecond?: number): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'op-download-'));
  const src = join(dir, 'source.csv');
  await writeRandomFile(src, bytes);
  const file: PublishedFile = {
    dataset: 'general',
    programYear: 2023,
    publicationDate: '2024-06-30',
    fileName: cmsFileName('general', 2023, '2024-06-30'),
    path: src,
  };
  const cms = await startFakeCms({ files: [file], throttleBytesPerSecond });
  servers.push(cms);
  mkdirSync(join(dir, 'downloads'));
  const dest = join(dir, 'downloads', file.fileName);
  const sleeps: number[] = [];
  const reporter = new RecordingReporter();
  const url = cms.downloadUrl(file);
  const path = cms.downloadPath(file);
  return {
    dir,
    src,
    sha: await sha256File(src),
    cms,
    url,
    path,
    dest,
    ...partPaths(dest),
    sleeps,
    reporter,
    opts: (extra = {}) => ({
      url,
      dest,
      reporter,
      backoff: { baseMs: 1, maxMs: 4 },
      stallTimeoutMs: 2000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...extra,
    }),
    gets: () => cms.requests.filter((r) => r.path === path && r.method === 'GET'),
  };
}

const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
const events = (r: RecordingReporter, code: string) => r.events.filter((e) => e.code === code);

/**
 * Bytes on disk when a retry was scheduled. fetch drops body chunks still queued when the connection
 * fails, so this can be a little under what the server sent; the retry must ask for exactly this.
 */
function onDiskAtRetry(retry: ReportEvent | undefined): number {
  const n = Number(retry?.data?.['fromBytes']);
  expect(n).toBeGreaterThan(0);
  expect(n).toBeLessThanOrEqual(300_000);
  return n;
}

async function failure(p: Promise<unknown>): Promise<OrchestratorError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(OrchestratorError);
  return e as OrchestratorError;
}

/**
 * Leaves what a stopped earlier run would: the file's first `bytes` bytes in the .part file, and the
 * server's ETag (and Last-Modified, if asked) with the recorded `length` in its sidecar.
 */
async function leavePartial(s: Setup, bytes: number, recorded: { length: number; lastModified?: boolean }) {
  const head = await fetch(s.url, { method: 'HEAD' });
  writeFileSync(s.part, readFileSync(s.src).subarray(0, bytes));
  const lastModified = recorded.lastModified ? head.headers.get('last-modified') : null;
  const etag = head.headers.get('etag');
  writeFileSync(s.meta, JSON.stringify({ url: s.url, etag, lastModified, length: recorded.length }));
}

/** The first response is cut at 300 KB, and the file is republished (MiB + 777 new bytes) before the next. */
async function republishMidDownload(s: Setup): Promise<string> {
  const next = join(s.dir, 'republished.csv');
  await writeRandomFile(next, MiB + 777);
  s.cms.setFault(s.path, { kind: 'truncate', afterBytes: 300_000 });
  s.cms.setFault(s.path, { kind: 'changeAfter', afterRequests: 1, path: next });
  return next;
}

describe('download', () => {
  it('fits the Downloader port', () => {
    const port: Downloader = download;
    expect(typeof port).toBe('function');
  });

  it('downloads a file: sha256 of the bytes, atomic rename, no partial files left, progress and events', async () => {
    const s = await setup(MiB + 123);
    const r = await download(s.opts());
    expect(r).toMatchObject({
      path: s.dest,
      bytes: MiB + 123,
      sha256: s.sha,
      resumedFromBytes: 0,
      attempts: 1,
    });
    expect(r.etag).toMatch(/^"/);
    expect(Date.parse(r.lastModified ?? '')).not.toBeNaN();
    expect(await sha256File(s.dest)).toBe(s.sha);
    expect(existsSync(s.part) || existsSync(s.meta)).toBe(false);
    expect(s.gets()).toEqual([expect.objectContaining({ range: undefined, status: 200 })]);
    expect(s.reporter.codes()).toEqual(['download.started', 'download.done']);
    expect(s.reporter.progressTicks.get(`download ${r.path.split('/').pop()}`)).toBe(MiB + 123);
  });

  it('downloads an empty file', async () => {
    const s = await setup(0);
    const r = await download(s.opts());
    expect(r.bytes).toBe(0);
    expect(readFileSync(s.dest).length).toBe(0);
  });

  it.each([
    ['reset', { kind: 'reset', afterBytes: 300_000 }],
    ['truncate', { kind: 'truncate', afterBytes: 300_000 }],
    ['stall', { kind: 'stall', afterBytes: 300_000 }],
  ] as const)('recovers from a %s by resuming with Range from the bytes on disk', async (_, fault) => {
    const s = await setup();
    s.cms.setFault(s.path, fault);
    const r = await download(s.opts({ stallTimeoutMs: 300 }));
    expect(r.sha256).toBe(s.sha);
    expect(r.attempts).toBe(2);
    const [first, second] = s.gets();
    expect(first).toMatchObject({ range: undefined, fault: fault.kind, bytesSent: 300_000 });
    const [retry] = events(s.reporter, 'download.retry');
    const onDisk = onDiskAtRetry(retry);
    expect(retry?.data).toMatchObject({ attempt: 2 });
    expect(second).toMatchObject({
      range: `bytes=${onDisk}-`,
      ifRange: r.etag,
      status: 206,
      bytesSent: MiB - onDisk,
    });
    expect(s.cms.bytesServed(s.path)).toBe(MiB + (300_000 - onDisk));
    expect(String(retry?.data?.['reason'])).toMatch(
      fault.kind === 'stall' ? /no data received for 300 ms/ : /./,
    );
    expect(events(s.reporter, 'download.resumed')[0]?.data).toMatchObject({ fromBytes: onDisk });
    expect(s.sleeps).toHaveLength(1);
  });

  it.each([500, 502, 503, 408, 429])('retries HTTP %i, honouring Retry-After', async (status) => {
    const s = await setup();
    s.cms.setFault(s.path, { kind: 'status', status, retryAfter: 2, times: 2 });
    const r = await download(s.opts());
    expect(r.sha256).toBe(s.sha);
    expect(r.attempts).toBe(3);
    expect(s.gets().map((g) => g.status)).toEqual([status, status, 200]);
    expect(s.sleeps).toEqual([2000, 2000]);
  });

  it('stops with IO_ERROR when the disk fills up, keeping a correct prefix that a rerun resumes', async () => {
    const s = await setup(4 * MiB);
    Object.assign(disk, { okWrites: 2, writes: 0 });
    try {
      const failed = await download(s.opts()).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(OrchestratorError);
      expect(failed).toMatchObject({
        code: 'IO_ERROR',
        suggestion: expect.stringContaining('Free disk space'),
      });
      expect(String((failed as Error).message)).toContain('ENOSPC');
    } finally {
      disk.okWrites = -1;
    }
    expect(existsSync(s.dest)).toBe(false);
    // What reached the disk is exactly the file's first bytes: the two blocks written (~512 KB each).
    const kept = readFileSync(s.part);
    expect(kept.length).toBeGreaterThanOrEqual(MiB);
    expect(kept.length).toBeLessThan(2 * MiB);
    expect(kept.equals(readFileSync(s.src).subarray(0, kept.length))).toBe(true);
    const r = await download(s.opts());
    expect(r).toMatchObject({ sha256: s.sha, resumedFromBytes: kept.length });
    await expect(sha256File(s.dest)).resolves.toBe(s.sha);
  });

  it('backs off exponentially with full jitter when there is no Retry-After', async () => {
    const s = await setup(1000);
    s.cms.setFault(s.path, { kind: 'status', status: 503, times: 3 });
    await download(s.opts({ backoff: { baseMs: 100, maxMs: 250 }, random: () => 0.5 }));
    expect(s.sleeps).toEqual([50, 100, 125]);
    expect(events(s.reporter, 'download.retry').map((e) => e.data?.['delayMs'])).toEqual([50, 100, 125]);
  });

  it('fails at once on a 404 with DOWNLOAD_FAILED (exit 8), naming the URL without its query string', async () => {
    const s = await setup(1000);
    const url = `${s.cms.url}/openpayments/PGYR2023_P06302024_06162024/gone.csv?X-Amz-Signature=s3cr3t&token=t0k3n`;
    const e = await failure(download(s.opts({ url })));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.exitCode).toBe(8);
    expect(e.message).toContain(`${s.cms.url}/openpayments/PGYR2023_P06302024_06162024/gone.csv`);
    expect(e.message).toContain('HTTP 404');
    expect(e.message).toContain('1 attempt');
    expect(`${e.message} ${e.suggestion} ${JSON.stringify(e.data)}`).not.toMatch(/s3cr3t|t0k3n/);
    expect(e.suggestion).toMatch(/catalog/);
    expect(s.cms.requests).toHaveLength(1);
    expect(s.sleeps).toEqual([]);
    expect(existsSync(s.dest)).toBe(false);
  });

  it('fails at once on a 403', async () => {
    const s = await setup(1000);
    s.cms.setFault(s.path, { kind: 'status', status: 403, times: 5 });
    const e = await failure(download(s.opts()));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.data).toMatchObject({ status: 403, attempts: 1 });
    expect(s.gets()).toHaveLength(1);
  });

  it('gives up on a persistent 503 after maxAttempts, keeping the partial download, which a rerun resumes', async () => {
    const s = await setup();
    s.cms.setFault(s.path, { kind: 'truncate', afterBytes: 100_000 });
    s.cms.setFault(s.path, { kind: 'status', status: 503, times: Number.POSITIVE_INFINITY });
    const e = await failure(download(s.opts({ maxAttempts: 3 })));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toContain(s.url);
    expect(e.message).toMatch(/after 3 attempts: HTTP 503/);
    expect(e.suggestion).toMatch(/[Rr]erun.*kept.*resume/);
    const onDisk = size(s.part);
    expect(onDisk).toBeGreaterThan(0);
    expect(onDisk).toBeLessThanOrEqual(100_000);
    expect(e.data).toMatchObject({ status: 503, attempts: 3, bytesOnDisk: onDisk });
    expect(s.gets()).toHaveLength(3);
    expect(existsSync(s.dest)).toBe(false);
    expect(JSON.parse(readFileSync(s.meta, 'utf8'))).toEqual({
      url: s.url,
      etag: expect.stringMatching(/^"/),
      lastModified: expect.any(String),
      length: MiB,
    });

    s.cms.clearFaults();
    const reporter = new RecordingReporter();
    const r = await download(s.opts({ reporter }));
    expect(r).toMatchObject({ sha256: s.sha, resumedFromBytes: onDisk, attempts: 1 });
    expect(s.gets().at(-1)).toMatchObject({ range: `bytes=${onDisk}-`, status: 206 });
    expect(reporter.codes()).toEqual(['download.started', 'download.resumed', 'download.done']);
  });

  it('gives up on a persistent 503 from the first request with no partial file and no dest', async () => {
    const s = await setup(1000);
    s.cms.setFault(s.path, { kind: 'status', status: 503, times: Number.POSITIVE_INFINITY });
    const e = await failure(download(s.opts({ maxAttempts: 4 })));
    expect(e.data).toMatchObject({ attempts: 4 });
    expect(s.gets()).toHaveLength(4);
    expect(s.sleeps).toHaveLength(3);
    expect(existsSync(s.dest)).toBe(false);
  });

  it('keeps going while each attempt makes progress (maxAttempts counts failures in a row)', async () => {
    const s = await setup();
    for (let i = 1; i <= 6; i++) s.cms.setFault(s.path, { kind: 'reset', afterBytes: 100_000 });
    const r = await download(s.opts({ maxAttempts: 2 }));
    expect(r.sha256).toBe(s.sha);
    expect(r.attempts).toBe(7);
    const starts = s.gets().map((g) => Number(/^bytes=(\d+)-$/.exec(g.range ?? 'bytes=0-')?.[1]));
    expect(starts).toHaveLength(7);
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThan(0);
      expect(starts[i]! - starts[i - 1]!).toBeLessThanOrEqual(100_000);
    }
  });

  it('restarts from zero when the file changes between attempts, ending with the new file', async () => {
    const s = await setup();
    const next = await republishMidDownload(s);
    const r = await download(s.opts());
    expect(r.sha256).toBe(await sha256File(next));
    expect(r.bytes).toBe(MiB + 777);
    expect(await sha256File(s.dest)).toBe(r.sha256);
    const [, second] = s.gets();
    const onDisk = onDiskAtRetry(events(s.reporter, 'download.retry')[0]);
    expect(second).toMatchObject({ range: `bytes=${onDisk}-`, status: 200, bytesSent: MiB + 777 });
    const [restarted] = events(s.reporter, 'download.restarted');
    expect(restarted?.data).toMatchObject({ discardedBytes: onDisk });
    expect(restarted?.message).toMatch(/changed/);
    expect(s.reporter.progressTicks.get(`download ${s.dest.split('/').pop()}`)).toBe(MiB + 777);
  });

  it('restarts when the size recorded with the partial download differs from the Content-Range total', async () => {
    const s = await setup();
    await leavePartial(s, 1000, { length: MiB + 1 });
    const r = await download(s.opts());
    expect(r).toMatchObject({ sha256: s.sha, resumedFromBytes: 0, attempts: 2 });
    expect(s.gets().map((g) => [g.range, g.status])).toEqual([
      ['bytes=1000-', 206],
      [undefined, 200],
    ]);
    expect(events(s.reporter, 'download.restarted')[0]?.message).toMatch(/size changed/);
  });

  it('resumes a partial download left by an earlier run, re-hashing the bytes on disk', async () => {
    const s = await setup();
    await leavePartial(s, 654_321, { length: MiB, lastModified: true });
    const r = await download(s.opts());
    expect(r).toMatchObject({ sha256: s.sha, resumedFromBytes: 654_321, attempts: 1, bytes: MiB });
    expect(s.gets()).toEqual([
      expect.objectContaining({ range: 'bytes=654321-', ifRange: r.etag, status: 206 }),
    ]);
    expect(s.cms.bytesServed(s.path)).toBe(MiB - 654_321);
  });

  describe('sink (the ingest audits a CSV while it downloads)', () => {
    /** Records what a download hands its sink: the bytes since the last reset, and the resets. */
    function recordingSink() {
      const sink = {
        parts: [] as Buffer[],
        resets: 0,
        write: async (chunk: Buffer) => {
          sink.parts.push(Buffer.from(chunk));
        },
        reset: async () => {
          sink.parts = [];
          sink.resets++;
        },
        bytes: () => Buffer.concat(sink.parts),
      };
      return sink;
    }

    it('gets every byte in order, including those kept from an earlier run', async () => {
      const s = await setup();
      await leavePartial(s, 654_321, { length: MiB });
      s.cms.setFault(s.path, { kind: 'truncate', afterBytes: 100_000 });
      const sink = recordingSink();
      const r = await download(s.opts({ sink }));
      expect(r).toMatchObject({ sha256: s.sha, resumedFromBytes: 654_321 });
      expect(sink.resets).toBe(0);
      expect(sink.bytes().equals(readFileSync(s.src))).toBe(true);
    });

    it('is reset when the download starts over from zero, then gets the new file', async () => {
      const s = await setup();
      const next = await republishMidDownload(s);
      const sink = recordingSink();
      await download(s.opts({ sink }));
      expect(sink.resets).toBe(1);
      expect(sink.bytes().equals(readFileSync(next))).toBe(true);
    });

    it('stops the download with the error of a sink that rejects the bytes, keeping the partial file', async () => {
      const s = await setup(4 * MiB);
      const refused = new OrchestratorError('NOT_CSV', 'not a CSV');
      const sink = {
        write: async () => {
          throw refused;
        },
        reset: async () => undefined,
      };
      await expect(download(s.opts({ sink }))).rejects.toBe(refused);
      expect(s.gets()).toHaveLength(1); // not retried
      expect(existsSync(s.dest)).toBe(false);
    });
  });

  it('resumes with If-Range: Last-Modified when the server gave no strong ETag', async () => {
    const s = await setup();
    const head = await fetch(s.url, { method: 'HEAD' });
    const lastModified = head.headers.get('last-modified');
    writeFileSync(s.part, readFileSync(s.src).subarray(0, 5000));
    writeFileSync(s.meta, JSON.stringify({ url: s.url, etag: `W/"weak"`, lastModified, length: MiB }));
    const r = await download(s.opts());
    expect(r.sha256).toBe(s.sha);
    expect(s.gets()[0]).toMatchObject({ range: 'bytes=5000-', ifRange: lastModified, status: 206 });
  });

  it('starts over when the partial download belongs to another URL, another version or is unreadable', async () => {
    const s = await setup();
    writeFileSync(s.part, 'garbage');
    writeFileSync(
      s.meta,
      JSON.stringify({ url: `${s.url}.old`, etag: '"x"', lastModified: null, length: MiB }),
    );
    expect((await download(s.opts())).sha256).toBe(s.sha);

    writeFileSync(s.part, 'garbage');
    writeFileSync(s.meta, '{not json');
    expect((await download(s.opts())).sha256).toBe(s.sha);

    // Same URL, but the remote file is not the one the partial bytes came from: If-Range fails, 200, restart.
    writeFileSync(s.part, 'garbage');
    writeFileSync(s.meta, JSON.stringify({ url: s.url, etag: '"old"', lastModified: null, length: MiB }));
    const reporter = new RecordingReporter();
    expect((await download(s.opts({ reporter }))).sha256).toBe(s.sha);
    expect(reporter.codes()).toEqual(['download.started', 'download.restarted', 'download.done']);
    expect(s.gets().map((g) => g.range)).toEqual([undefined, undefined, 'bytes=7-']);
  });

  it('finishes without a request when an earlier run got every byte but stopped before the rename', async () => {
    const s = await setup(50_000);
    writeFileSync(s.part, readFileSync(s.src));
    writeFileSync(s.meta, JSON.stringify({ url: s.url, etag: '"e"', lastModified: null, length: 50_000 }));
    const r = await download(s.opts());
    expect(r).toMatchObject({ sha256: s.sha, attempts: 0, resumedFromBytes: 50_000, etag: '"e"' });
    expect(s.gets()).toEqual([]);
    expect(existsSync(s.part) || existsSync(s.meta)).toBe(false);
  });

  it('stops promptly on abort with INTERRUPTED, keeping the partial download and its validators', async () => {
    const s = await setup(MiB, 512 * 1024);
    const controller = new AbortController();
    const running = download(s.opts({ signal: controller.signal }));
    while (size(s.part) < 200_000) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    controller.abort();
    const e = await failure(running);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(e.code).toBe('INTERRUPTED');
    expect(e.exitCode).toBe(130);
    expect(existsSync(s.dest)).toBe(false);
    const kept = size(s.part);
    expect(kept).toBeGreaterThanOrEqual(200_000);
    expect(e.data).toMatchObject({ bytes: kept });
    expect(JSON.parse(readFileSync(s.meta, 'utf8'))).toMatchObject({ url: s.url, length: MiB });

    s.cms.setThrottle(undefined);
    const r = await download(s.opts());
    expect(r).toMatchObject({ sha256: s.sha, resumedFromBytes: kept });
  });

  it('rejects an aborted signal before any request', async () => {
    const s = await setup(1000);
    const controller = new AbortController();
    controller.abort();
    const e = await failure(download(s.opts({ signal: controller.signal })));
    expect(e.code).toBe('INTERRUPTED');
    expect(s.cms.requests).toHaveLength(0);
  });

  it('refuses a URL that is not http(s)', async () => {
    const s = await setup(10);
    const e = await failure(download(s.opts({ url: 'ftp://example.org/x.csv' })));
    expect(e.code).toBe('DOWNLOAD_FAILED');
  });
});

describe('backoff and Retry-After', () => {
  it('full jitter under an exponential ceiling, capped', () => {
    const b = { baseMs: 500, maxMs: 30_000 };
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, b, () => 0.999999))).toEqual([499, 999, 1999, 3999]);
    expect(backoffDelayMs(20, b, () => 0.999999)).toBe(29_999);
    expect(backoffDelayMs(3, b, () => 0)).toBe(0);
  });

  it('reads seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('99999', now)).toBe(300_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('a real process killed mid-download', () => {
  const root = resolve(import.meta.dirname, '../../../..');
  const compiled = join(root, 'orchestrator/dist/adapters/http/download.js');
  const child = join(import.meta.dirname, 'download-child.mjs');

  beforeAll(() => {
    // The child runs the compiled downloader: build it when the source is newer (tsc -b is incremental).
    const source = statSync(join(import.meta.dirname, 'download.ts')).mtimeMs;
    const built = () => (existsSync(compiled) ? statSync(compiled).mtimeMs : 0);
    if (built() < source) {
      try {
        execFileSync(
          process.execPath,
          [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'orchestrator'],
          {
            cwd: root,
            stdio: 'pipe',
          },
        );
      } catch (e) {
        if (built() < source) throw new Error(`Building the orchestrator failed: ${String(e)}`);
      }
    }
  }, 180_000);

  const run = (url: string, dest: string) => {
    const p: ChildProcess = spawn(process.execPath, [child, url, dest], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout?.on('data', (d) => {
      out += d;
    });
    p.stderr?.on('data', (d) => {
      out += d;
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      p.on('exit', (code, signal) => r({ code, signal })),
    );
    return { p, exit, output: () => out };
  };

  it('resumes after SIGKILL at three offsets without fetching the bytes on disk again', async () => {
    const SIZE = 20 * MiB;
    const s = await setup(SIZE, 10 * MiB);
    const kept: number[] = [];
    for (const offset of [3 * MiB, 9 * MiB, 15 * MiB]) {
      const c = run(s.url, s.dest);
      let exited = false;
      void c.exit.then(() => {
        exited = true;
      });
      const deadline = Date.now() + 20_000;
      while (size(s.part) < offset) {
        if (exited || Date.now() > deadline) throw new Error(`the child stopped early:\n${c.output()}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      c.p.kill('SIGKILL');
      expect((await c.exit).signal).toBe('SIGKILL');
      expect(existsSync(s.dest)).toBe(false);
      expect(existsSync(s.meta)).toBe(true);
      kept.push(size(s.part));
    }
    const last = run(s.url, s.dest);
    const { code } = await last.exit;
    expect(code, last.output()).toBe(0);
    const lines = last
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: string; data?: Record<string, unknown>; result?: unknown });
    const result = lines.at(-1)?.result as { sha256: string; bytes: number; resumedFromBytes: number };
    expect(result).toMatchObject({ sha256: s.sha, bytes: SIZE, resumedFromBytes: kept[2] });
    expect(await sha256File(s.dest)).toBe(s.sha);
    expect(lines.find((l) => l.event === 'download.resumed')?.data).toMatchObject({ fromBytes: kept[2] });
    expect(existsSync(s.part) || existsSync(s.meta)).toBe(false);

    const gets = s.gets();
    expect(gets.map((g) => g.range)).toEqual([undefined, ...kept.map((k) => `bytes=${k}-`)]);
    expect(new Set(gets.slice(1).map((g) => g.ifRange))).toEqual(new Set([expect.stringMatching(/^"/)]));
    expect(gets.slice(1).map((g) => g.status)).toEqual([206, 206, 206]);
    // Served beyond what reached the disk before each kill: only what was in flight.
    const served = gets.map((g) => g.bytesSent);
    const wasted = kept.map((k, i) => (i === 0 ? served[0]! - k : kept[i - 1]! + served[i]! - k));
    for (const w of wasted) expect(w).toBeLessThan(MiB);
    expect(s.cms.bytesServed(s.path)).toBeGreaterThanOrEqual(SIZE);
    expect(s.cms.bytesServed(s.path)).toBeLessThan(SIZE + 3 * MiB);
  }, 60_000);
});
