/**
 * The fake CMS itself: catalog shapes as DKAN serves them, HTTP range semantics, and every injected
 * fault observable from a plain HTTP client (node:http, so partial bodies can be counted exactly).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmsArchiveName, cmsFileName } from '../../orchestrator/src/domain/publication.js';
import { writeRandomFile } from './fixtures.js';
import { type FakeCms, GENERAL_DATASET_IDS, type PublishedFile, startFakeCms } from './server.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body ended normally (as opposed to a reset, an early close or our own timeout). */
  complete: boolean;
  error: string | undefined;
}

/** GET/HEAD with node:http, keeping whatever body bytes arrive before an error or `timeoutMs`. */
function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let onError: (e: NodeJS.ErrnoException) => void = reject;
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      onError = (e) => finish(false, e.code ?? e.message);
      const finish = (complete: boolean, error?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete,
          error,
        });
        req.destroy();
      };
      const timer = setTimeout(() => finish(false, 'timeout'), opts.timeoutMs ?? 5000);
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(res.complete));
      res.on('aborted', () => finish(false, 'aborted'));
      res.on('error', (e) => finish(false, (e as NodeJS.ErrnoException).code ?? e.message));
      res.on('close', () => finish(res.complete, res.complete ? undefined : 'closed'));
    });
    req.on('error', (e) => onError(e));
    req.end();
  });
}

const json = async (url: string) => {
  const r = await raw(url);
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('application/json');
  return JSON.parse(r.body.toString('utf8')) as unknown;
};

type Dataset = Record<string, unknown> & { title: string; identifier: string; distribution: unknown[] };

describe('fake CMS', () => {
  let dir: string;
  let cms: FakeCms;
  let files: PublishedFile[];
  let general: PublishedFile;
  let body: Buffer;
  const SIZE = 256 * 1024;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fake-cms-'));
    const pub = '2024-06-30';
    const mk = async (name: string, size: number) => {
      const path = join(dir, name);
      await writeRandomFile(path, size);
      return path;
    };
    files = [
      {
        dataset: 'general',
        programYear: 2023,
        publicationDate: pub,
        fileName: cmsFileName('general', 2023, pub),
        path: await mk('general.csv', SIZE),
      },
      {
        dataset: 'research',
        programYear: 2023,
        publicationDate: pub,
        fileName: cmsFileName('research', 2023, pub),
        path: await mk('research.csv', 1000),
      },
      {
        dataset: 'ownership',
        programYear: 2023,
        publicationDate: pub,
        fileName: cmsFileName('ownership', 2023, pub),
        path: await mk('ownership.csv', 1000),
      },
      {
        dataset: 'profiles',
        programYear: 2023,
        publicationDate: pub,
        fileName: cmsFileName('profiles', 2023, pub),
        path: await mk('profiles.csv', 1000),
      },
      {
        dataset: 'archive',
        programYear: 2023,
        publicationDate: pub,
        fileName: cmsArchiveName(2023, pub),
        path: await mk('archive.zip', 2000),
      },
      {
        dataset: 'general',
        programYear: 2022,
        publicationDate: '2024-01-30',
        fileName: cmsFileName('general', 2022, '2024-01-30'),
        path: await mk('general-2022.csv', 500),
      },
    ];
    general = files[0]!;
    body = readFileSync(general.path);
    cms = await startFakeCms({ files });
  });

  afterAll(async () => {
    await cms.close();
  });

  describe('catalog', () => {
    it('lists datasets as DKAN does: titles, keyword, temporal, one distribution per file', async () => {
      const list = (await json(`${cms.url}/api/1/metastore/schemas/dataset/items`)) as Dataset[];
      expect(Array.isArray(list)).toBe(true);
      expect(list.map((d) => d.title).sort()).toEqual([
        '2022 General Payment Data',
        '2023 General Payment Data',
        '2023 Ownership Payment Data',
        '2023 Program Year Open Payments Data Archive',
        '2023 Research Payment Data',
        'Covered Recipient Profile Supplement',
      ]);
      const g = list.find((d) => d.title === '2023 General Payment Data')!;
      expect(g).toMatchObject({
        identifier: GENERAL_DATASET_IDS[2023],
        keyword: ['2023'],
        temporal: '2023-01-01/2023-12-31',
        modified: '2024-06-30',
        theme: ['General Payments'],
      });
      expect(g.distribution).toEqual([
        expect.objectContaining({
          mediaType: 'text/csv',
          format: 'csv',
          downloadURL: `${cms.url}/openpayments/PGYR2023_P06302024_06162024/OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv`,
          describedBy: expect.stringContaining('/api/1/metastore/schemas/data-dictionary/items/'),
        }),
      ]);
      expect(list.find((d) => d.title === '2022 General Payment Data')?.identifier).toBe(
        GENERAL_DATASET_IDS[2022],
      );
      const archive = list.find((d) => d.title.endsWith('Data Archive'))!;
      expect(archive.keyword).toEqual(['2023']);
      expect(archive.distribution).toEqual([
        expect.objectContaining({
          mediaType: 'application/zip',
          format: 'zip',
          downloadURL: `${cms.url}/openpayments/PGYR2023_P06302024_06162024/PGYR2023_P06302024_06162024.zip`,
        }),
      ]);
      const profiles = list.find((d) => d.title === 'Covered Recipient Profile Supplement')!;
      expect(profiles.keyword).toEqual(['all years']);
      expect(profiles['temporal']).toBeUndefined();
      for (const d of list)
        expect(d.identifier).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it('with ?show-reference-ids, distributions (and keyword, theme) become {identifier, data}', async () => {
      const list = (await json(
        `${cms.url}/api/1/metastore/schemas/dataset/items?show-reference-ids`,
      )) as Dataset[];
      const g = list.find((d) => d.title === '2023 General Payment Data')!;
      expect(g.distribution).toEqual([
        {
          identifier: expect.stringMatching(/^[0-9a-f-]{36}$/),
          data: expect.objectContaining({ downloadURL: cms.downloadUrl(general), mediaType: 'text/csv' }),
        },
      ]);
      expect(g['keyword']).toEqual([{ identifier: expect.any(String), data: '2023' }]);
      expect(g['theme']).toEqual([{ identifier: expect.any(String), data: 'General Payments' }]);
      const one = (await json(
        `${cms.url}/api/1/metastore/schemas/dataset/items/${g.identifier}?show-reference-ids`,
      )) as Dataset;
      expect(one).toEqual(g);
      expect((await raw(`${cms.url}/api/1/metastore/schemas/dataset/items/nope`)).status).toBe(404);
    });

    it('searches titles by every fulltext word, paged, results keyed dkan_dataset/<id>', async () => {
      const all = (await json(`${cms.url}/api/1/search/?fulltext=General%20Payment%20Data&page-size=40`)) as {
        total: string;
        results: Record<string, Dataset>;
      };
      expect(all.total).toBe('2');
      expect(Object.keys(all.results).sort()).toEqual(
        [`dkan_dataset/${GENERAL_DATASET_IDS[2022]}`, `dkan_dataset/${GENERAL_DATASET_IDS[2023]}`].sort(),
      );
      const first = Object.values(all.results)[0]!;
      expect(first.distribution[0]).toHaveProperty('downloadURL');
      const page2 = (await json(
        `${cms.url}/api/1/search?fulltext=general+payment+data&page-size=1&page=2`,
      )) as {
        total: string;
        results: Record<string, Dataset>;
      };
      expect(page2.total).toBe('2');
      expect(Object.values(page2.results).map((d) => d.title)).toEqual([
        Object.values(all.results)[1]!.title,
      ]);
      const archive = (await json(`${cms.url}/api/1/search?fulltext=2023%20Archive`)) as { total: string };
      expect(archive.total).toBe('1');
    });

    it('shows only the latest publication of a dataset; files no longer published answer 404', async () => {
      const refresh: PublishedFile = {
        ...general,
        publicationDate: '2025-01-30',
        fileName: cmsFileName('general', 2023, '2025-01-30'),
      };
      cms.setFiles([...files, refresh]);
      try {
        const list = (await json(`${cms.url}/api/1/metastore/schemas/dataset/items`)) as Dataset[];
        const g = list.find((d) => d.title === '2023 General Payment Data')!;
        expect(g['modified']).toBe('2025-01-30');
        expect(g.distribution).toEqual([expect.objectContaining({ downloadURL: cms.downloadUrl(refresh) })]);
        cms.setFiles(files.filter((f) => f !== general));
        expect((await raw(cms.downloadUrl(general))).status).toBe(404);
      } finally {
        cms.setFiles(files);
      }
    });
  });

  describe('downloads', () => {
    it('serves the file with validators, and HEAD with the same headers and no body', async () => {
      const r = await raw(cms.downloadUrl(general));
      expect(r.status).toBe(200);
      expect(r.body.equals(body)).toBe(true);
      expect(r.headers['content-length']).toBe(String(SIZE));
      expect(r.headers['accept-ranges']).toBe('bytes');
      expect(r.headers['etag']).toMatch(/^"[0-9a-f]+"$/);
      expect(Date.parse(String(r.headers['last-modified']))).not.toBeNaN();
      expect(r.headers['content-type']).toBe('text/csv');
      const h = await raw(cms.downloadUrl(general), { method: 'HEAD' });
      expect(h.status).toBe(200);
      expect(h.body.length).toBe(0);
      expect(h.headers['etag']).toBe(r.headers['etag']);
      expect(h.headers['content-length']).toBe(String(SIZE));
    });

    it('answers Range with 206 and If-Range: 206 when it matches, the whole file when it does not', async () => {
      const url = cms.downloadUrl(general);
      const etag = String((await raw(url, { method: 'HEAD' })).headers['etag']);
      const lastModified = String((await raw(url, { method: 'HEAD' })).headers['last-modified']);

      const part = await raw(url, { headers: { Range: 'bytes=1000-' } });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 1000-${SIZE - 1}/${SIZE}`);
      expect(part.headers['content-length']).toBe(String(SIZE - 1000));
      expect(part.body.equals(body.subarray(1000))).toBe(true);

      const bounded = await raw(url, { headers: { Range: 'bytes=10-19' } });
      expect(bounded.status).toBe(206);
      expect(bounded.body.equals(body.subarray(10, 20))).toBe(true);

      const matching = await raw(url, { headers: { Range: 'bytes=5000-', 'If-Range': etag } });
      expect(matching.status).toBe(206);
      expect(matching.body.equals(body.subarray(5000))).toBe(true);

      const byDate = await raw(url, { headers: { Range: 'bytes=5000-', 'If-Range': lastModified } });
      expect(byDate.status).toBe(206);

      const stale = await raw(url, { headers: { Range: 'bytes=5000-', 'If-Range': '"not-the-etag"' } });
      expect(stale.status).toBe(200);
      expect(stale.body.equals(body)).toBe(true);

      const weak = await raw(url, { headers: { Range: 'bytes=5000-', 'If-Range': `W/${etag}` } });
      expect(weak.status).toBe(200);

      const beyond = await raw(url, { headers: { Range: `bytes=${SIZE}-` } });
      expect(beyond.status).toBe(416);
      expect(beyond.headers['content-range']).toBe(`bytes */${SIZE}`);

      const log = cms.requests.filter((r) => r.path === cms.downloadPath(general) && r.ifRange === etag);
      expect(log.at(-1)).toMatchObject({
        method: 'GET',
        range: 'bytes=5000-',
        status: 206,
        bytesSent: SIZE - 5000,
      });
    });

    it('throttles bodies to the configured rate', async () => {
      cms.setThrottle(1024 * 1024); // 256 KiB at 1 MiB/s: about 250 ms
      try {
        const t0 = Date.now();
        const r = await raw(cms.downloadUrl(general));
        expect(r.body.length).toBe(SIZE);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
      } finally {
        cms.setThrottle(undefined);
      }
    });
  });

  describe('faults', () => {
    it('status: answers 503 with Retry-After the given number of times, then serves the file', async () => {
      const url = cms.downloadUrl(general);
      cms.setFault(url, { kind: 'status', status: 503, retryAfter: 7, times: 2 });
      const a = await raw(url);
      const b = await raw(url, { method: 'HEAD' });
      const c = await raw(url);
      expect([a.status, b.status, c.status]).toEqual([503, 503, 200]);
      expect(a.headers['retry-after']).toBe('7');
      expect(c.body.equals(body)).toBe(true);
      cms.setFault('/api/1/metastore/schemas/dataset/items', { kind: 'status', status: 500 });
      expect((await raw(`${cms.url}/api/1/metastore/schemas/dataset/items`)).status).toBe(500);
      expect((await raw(`${cms.url}/api/1/metastore/schemas/dataset/items`)).status).toBe(200);
    });

    it('reset: sends N body bytes, then resets the connection', async () => {
      const url = cms.downloadUrl(general);
      cms.setFault(url, { kind: 'reset', afterBytes: 10_000 });
      const r = await raw(url);
      expect(r.status).toBe(200);
      expect(r.complete).toBe(false);
      expect(r.body.length).toBe(10_000);
      expect(r.body.equals(body.subarray(0, 10_000))).toBe(true);
      expect(cms.requests.at(-1)).toMatchObject({ fault: 'reset', bytesSent: 10_000, status: 200 });
      expect((await raw(url)).body.length).toBe(SIZE); // consumed
    });

    it('stall: sends N body bytes, then nothing, keeping the connection open', async () => {
      const url = cms.downloadUrl(general);
      cms.setFault(url, { kind: 'stall', afterBytes: 20_000 });
      const t0 = Date.now();
      const r = await raw(url, { timeoutMs: 400 });
      expect(r.error).toBe('timeout');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
      expect(r.body.length).toBe(20_000);
      expect(cms.requests.at(-1)).toMatchObject({ fault: 'stall', bytesSent: 20_000 });
    });

    it('truncate: promises the full length, sends N bytes and closes', async () => {
      const url = cms.downloadUrl(general);
      cms.setFault(url, { kind: 'truncate', afterBytes: 30_000 });
      const r = await raw(url, { headers: { Range: 'bytes=100-' } });
      expect(r.status).toBe(206);
      expect(r.headers['content-length']).toBe(String(SIZE - 100));
      expect(r.complete).toBe(false);
      expect(r.body.equals(body.subarray(100, 30_100))).toBe(true);
    });

    it('faults of one path apply in order and leave other paths alone', async () => {
      const url = cms.downloadUrl(general);
      cms.setFault(url, { kind: 'status', status: 500 });
      cms.setFault(url, { kind: 'truncate', afterBytes: 5 });
      expect((await raw(cms.downloadUrl(files[1]!))).status).toBe(200);
      expect((await raw(url)).status).toBe(500);
      expect((await raw(url)).body.length).toBe(5);
      expect((await raw(url)).body.length).toBe(SIZE);
      cms.setFault(url, { kind: 'status', status: 503, times: Number.POSITIVE_INFINITY });
      expect((await raw(url)).status).toBe(503);
      cms.clearFaults(url);
      expect((await raw(url)).status).toBe(200);
    });

    it('changeAfter: the same URL serves another file, with another ETag, from request K on', async () => {
      const url = cms.downloadUrl(general);
      const next = join(dir, 'general-v2.csv');
      writeFileSync(next, 'a different file\n');
      cms.setFault(url, { kind: 'changeAfter', afterRequests: 1, path: next });
      try {
        const before = await raw(url);
        const etag = String(before.headers['etag']);
        const after = await raw(url, { headers: { Range: 'bytes=100-', 'If-Range': etag } });
        expect(before.body.equals(body)).toBe(true);
        expect(after.status).toBe(200);
        expect(after.body.toString()).toBe('a different file\n');
        expect(after.headers['etag']).not.toBe(etag);
        const resumed = await raw(url, {
          headers: { Range: 'bytes=2-', 'If-Range': String(after.headers['etag']) },
        });
        expect(resumed.status).toBe(206);
        expect(resumed.body.toString()).toBe('different file\n');
      } finally {
        cms.clearFaults(url);
      }
    });

    it('counts bytes served per path', async () => {
      const path = cms.downloadPath(files[2]!);
      const before = cms.bytesServed(path);
      await raw(cms.downloadUrl(files[2]!));
      expect(cms.bytesServed(path) - before).toBe(1000);
      expect(cms.bytesServed()).toBeGreaterThanOrEqual(cms.bytesServed(path));
    });
  });
});
