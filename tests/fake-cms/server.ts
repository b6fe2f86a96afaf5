/**
 * A fake CMS Open Payments publisher on 127.0.0.1: the DKAN catalog API (metastore items, search) and
 * the download host, serving real files from disk with HTTP validators and byte ranges. Faults can be
 * injected per path (errors, resets, stalls, truncated bodies, a file that changes between requests)
 * and every request is logged, so ingestion code can be tested against the failures it must survive.
 *
 * Bodies are streamed from disk in small chunks (never buffered whole), optionally throttled.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { publicationStamp } from '../../orchestrator/src/domain/publication.js';

export type FakeDataset = 'general' | 'research' | 'ownership' | 'profiles' | 'archive';

/** One file as CMS publishes it; the catalog shows the latest publication of each dataset. */
export interface PublishedFile {
  dataset: FakeDataset;
  programYear: number;
  /** YYYY-MM-DD */
  publicationDate: string;
  /** As CMS names it, e.g. `cmsFileName('general', 2023, '2024-06-30')` or `cmsArchiveName(...)`. */
  fileName: string;
  /** Local file served as the body. */
  path: string;
  datasetId?: string;
  distributionId?: string;
}

/** Faults apply to requests whose URL path equals the path given to `setFault`, `times` times (default 1). */
export type Fault =
  /** Answer with this status (e.g. 500, 503, 429) and an optional Retry-After (seconds or HTTP date). */
  | { kind: 'status'; status: number; retryAfter?: number | string; times?: number }
  /** Send the headers and `afterBytes` body bytes, then reset the connection (TCP RST). GET only. */
  | { kind: 'reset'; afterBytes: number; times?: number }
  /** Send the headers and `afterBytes` body bytes, then send nothing more and keep the connection open. GET only. */
  | { kind: 'stall'; afterBytes: number; times?: number }
  /** Promise the full Content-Length, send `afterBytes` body bytes, then close the connection cleanly (FIN). GET only. */
  | { kind: 'truncate'; afterBytes: number; times?: number }
  /**
   * The file at this URL changes: the first `afterRequests` requests to the path (counted from `setFault`)
   * are served the original, every later one is served the file at `path` (its own ETag, Last-Modified, size).
   */
  | { kind: 'changeAfter'; afterRequests: number; path: string };

export type FaultKind = Fault['kind'];

export interface RequestLog {
  method: string;
  /** URL path, without the query string. */
  path: string;
  /** Query string including `?`, or ''. */
  query: string;
  range: string | undefined;
  ifRange: string | undefined;
  /** 0 until the status line is sent. */
  status: number;
  /** Body bytes handed to the socket (updated while the body streams). */
  bytesSent: number;
  /** The fault applied to this request, if any. */
  fault: FaultKind | undefined;
}

export interface FakeCmsOptions {
  files?: PublishedFile[];
  /** Bytes per second for every body (downloads and JSON); undefined = as fast as possible. */
  throttleBytesPerSecond?: number;
}

export interface FakeCms {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** Every request, in arrival order (entries are updated as responses progress). */
  readonly requests: RequestLog[];
  close(): Promise<void>;
  /** Queue a fault for a URL path (or a full URL of this server). Faults of one path apply in order. */
  setFault(path: string, fault: Fault): void;
  /** Drop the queued faults of one path, or of every path. */
  clearFaults(path?: string): void;
  setThrottle(bytesPerSecond: number | undefined): void;
  /** Replace the published files (a new publication); files no longer listed answer 404. */
  setFiles(files: PublishedFile[]): void;
  /** The download URL of a published file (as the catalog shows it). */
  downloadUrl(file: PublishedFile): string;
  /** The URL path of a published file, for `setFault` and log filtering. */
  downloadPath(file: PublishedFile): string;
  /** Total body bytes sent, for one path or for all requests. */
  bytesServed(path?: string): number;
}

/** Real General Payments dataset ids (stable across refreshes). */
export const GENERAL_DATASET_IDS: Readonly<Record<number, string>> = {
  2021: '0380bbeb-aea1-58b6-b708-829f92a48202',
  2022: 'df01c2f8-dc1f-4e79-96cb-8208beaf143c',
  2023: 'fb3a65aa-c901-4a38-a813-b04b00dfa2a9',
  2024: 'e6b17c6a-2534-4207-a4a1-6746a14911ff',
};

const DATASET_META: Record<
  FakeDataset,
  { title: (year: number) => string; theme: string; description: string }
> = {
  general: {
    title: (y) => `${y} General Payment Data`,
    theme: 'General Payments',
    description: 'Payments or transfers of value not made in connection with a research agreement.',
  },
  research: {
    title: (y) => `${y} Research Payment Data`,
    theme: 'Research Payments',
    description: 'Payments or transfers of value made in connection with a research agreement or protocol.',
  },
  ownership: {
    title: (y) => `${y} Ownership Payment Data`,
    theme: 'Ownership Payments',
    description: 'Ownership and investment interests held by physicians or their immediate family members.',
  },
  profiles: {
    title: () => 'Covered Recipient Profile Supplement',
    theme: 'Covered Recipient Profile Supplement',
    description: 'Demographic information about covered recipients in the Open Payments data.',
  },
  archive: {
    title: (y) => `${y} Program Year Open Payments Data Archive`,
    theme: 'Open Payments Data Archive',
    description: 'All files of the program year in one zip: general, research, ownership, removed/deleted.',
  },
};

/** A deterministic, well-formed (version 5 style) uuid for a name. */
export function fakeUuid(name: string): string {
  const h = createHash('sha1').update(`fake-cms:${name}`).digest('hex');
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The dataset id the catalog shows unless a file sets `datasetId`. */
export function defaultDatasetId(dataset: FakeDataset, programYear: number): string {
  if (dataset === 'general') {
    const real = GENERAL_DATASET_IDS[programYear];
    if (real !== undefined) return real;
  }
  return dataset === 'profiles'
    ? fakeUuid('dataset:profiles')
    : fakeUuid(`dataset:${dataset}:${programYear}`);
}

/** `PGYR2023_P06302024_06162024`: the folder CMS publishes a program year's files in. */
export function publicationFolder(programYear: number, publicationDate: string): string {
  return `PGYR${programYear}_${publicationStamp(publicationDate)}`;
}

export function downloadPathOf(file: PublishedFile): string {
  return `/openpayments/${publicationFolder(file.programYear, file.publicationDate)}/${file.fileName}`;
}

interface Distribution {
  identifier: string;
  data: Record<string, unknown>;
}

interface CatalogDataset {
  identifier: string;
  title: string;
  keyword: string[];
  theme: string[];
  plain: Record<string, unknown>;
  distributions: Distribution[];
}

function mediaTypeOf(fileName: string): { mediaType: string; format: string } {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.zip')) return { mediaType: 'application/zip', format: 'zip' };
  if (lower.endsWith('.csv')) return { mediaType: 'text/csv', format: 'csv' };
  return { mediaType: 'application/octet-stream', format: 'bin' };
}

function buildCatalog(files: readonly PublishedFile[], baseUrl: string): CatalogDataset[] {
  const groups = new Map<string, PublishedFile[]>();
  for (const f of files) {
    const key = f.dataset === 'profiles' ? 'profiles' : `${f.dataset}:${f.programYear}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const out: CatalogDataset[] = [];
  for (const group of groups.values()) {
    const dates = group.map((f) => f.publicationDate).sort();
    const earliest = dates[0]!;
    const latest = dates[dates.length - 1]!;
    const current = group.filter((f) => f.publicationDate === latest);
    const first = current[0]!;
    const meta = DATASET_META[first.dataset];
    const year = Math.max(...current.map((f) => f.programYear));
    const identifier = first.datasetId ?? defaultDatasetId(first.dataset, first.programYear);
    const title = meta.title(year);
    const keyword = first.dataset === 'profiles' ? ['all years'] : [String(year)];
    const theme = [meta.theme];
    const distributions = current.map((f): Distribution => {
      const { mediaType, format } = mediaTypeOf(f.fileName);
      const id = f.distributionId ?? fakeUuid(`distribution:${identifier}:${f.fileName}`);
      return {
        identifier: id,
        data: {
          '@type': 'dcat:Distribution',
          title: `${title}: ${f.fileName}`,
          mediaType,
          format,
          downloadURL: `${baseUrl}${downloadPathOf(f)}`,
          ...(format === 'csv'
            ? {
                describedBy: `${baseUrl}/api/1/metastore/schemas/data-dictionary/items/${fakeUuid(`dictionary:${first.dataset}`)}`,
                describedByType: 'application/vnd.tableschema+json',
              }
            : {}),
        },
      };
    });
    const plain: Record<string, unknown> = {
      '@type': 'dcat:Dataset',
      accessLevel: 'public',
      contactPoint: {
        '@type': 'vcard:Contact',
        fn: 'Open Payments',
        hasEmail: 'mailto:openpayments@cms.hhs.gov',
      },
      description: meta.description,
      identifier,
      issued: earliest,
      modified: latest,
      publisher: { '@type': 'org:Organization', name: 'Centers for Medicare & Medicaid Services' },
      ...(first.dataset === 'profiles' ? {} : { temporal: `${year}-01-01/${year}-12-31` }),
      title,
    };
    out.push({ identifier, title, keyword, theme, plain, distributions });
  }
  return out.sort((a, b) => a.title.localeCompare(b.title));
}

/** The dataset as `/items` shows it; `refs` is `?show-reference-ids` (references become `{identifier, data}`). */
function renderDataset(d: CatalogDataset, refs: boolean): Record<string, unknown> {
  const ref = (kind: string, value: string) => ({ identifier: fakeUuid(`${kind}:${value}`), data: value });
  return {
    ...d.plain,
    keyword: refs ? d.keyword.map((k) => ref('keyword', k)) : d.keyword,
    theme: refs ? d.theme.map((t) => ref('theme', t)) : d.theme,
    distribution: refs ? d.distributions : d.distributions.map((x) => x.data),
  };
}

function words(s: string): string[] {
  return s
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

interface ByteRange {
  start: number;
  end: number;
}

/** `bytes=N-`, `bytes=N-M`, `bytes=-S`; undefined for anything else (served as the whole file). */
function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) return 'unsatisfiable';
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return undefined;
  return { start, end };
}

interface Validators {
  etag: string;
  lastModified: string;
  size: number;
}

async function validatorsOf(path: string): Promise<Validators> {
  const s = await stat(path);
  const tag = createHash('sha1').update(`${path}:${s.ino}:${s.size}:${s.mtimeMs}`).digest('hex').slice(0, 24);
  return { etag: `"${tag}"`, lastModified: s.mtime.toUTCString(), size: s.size };
}

/** If-Range holds a strong ETag (weak never matches) or an HTTP date equal to Last-Modified. */
function ifRangeMatches(ifRange: string, v: Validators): boolean {
  const value = ifRange.trim();
  if (value.startsWith('W/')) return false;
  if (value.startsWith('"')) return value === v.etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Date.parse(v.lastModified);
}

interface FaultSlot {
  fault: Exclude<Fault, { kind: 'changeAfter' }>;
  remaining: number;
}

interface Change {
  afterRequests: number;
  path: string;
  seen: number;
}

export async function startFakeCms(options: FakeCmsOptions = {}): Promise<FakeCms> {
  let files: PublishedFile[] = [...(options.files ?? [])];
  let byPath = new Map<string, PublishedFile>();
  let throttle = options.throttleBytesPerSecond;
  const faults = new Map<string, FaultSlot[]>();
  const changes = new Map<string, Change>();
  const requests: RequestLog[] = [];
  let url = '';

  const index = () => {
    byPath = new Map(files.map((f) => [downloadPathOf(f), f]));
  };
  index();

  const normalisePath = (p: string) => (/^https?:\/\//.test(p) ? new URL(p).pathname : p);

  const takeFault = (path: string, method: string): FaultSlot['fault'] | undefined => {
    const slots = faults.get(path);
    if (!slots) return undefined;
    const slot = slots.find((s) => s.remaining > 0 && (s.fault.kind === 'status' || method === 'GET'));
    if (!slot) return undefined;
    slot.remaining -= 1;
    return slot.fault;
  };

  /** Streams `source` as the body, throttled, applying a body fault at its byte limit. */
  const sendBody = async (
    res: ServerResponse,
    source: AsyncIterable<Buffer> | Iterable<Buffer>,
    entry: RequestLog,
    fault: FaultSlot['fault'] | undefined,
  ): Promise<void> => {
    let closed = res.destroyed;
    res.once('close', () => {
      closed = true;
    });
    const limit = fault && fault.kind !== 'status' ? fault.afterBytes : Number.POSITIVE_INFINITY;
    let nextAt = Date.now();
    res.flushHeaders();
    outer: for await (const data of source) {
      let chunk = data;
      while (chunk.length > 0) {
        if (closed) return;
        const room = limit - entry.bytesSent;
        if (room <= 0) break outer;
        const rate = throttle;
        const pieceSize =
          rate === undefined ? chunk.length : Math.max(1024, Math.min(65_536, Math.floor(rate / 50)));
        const piece = chunk.subarray(0, Math.min(chunk.length, room, pieceSize));
        chunk = chunk.subarray(piece.length);
        const ok = res.write(piece);
        entry.bytesSent += piece.length;
        if (!ok) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          });
        }
        if (rate !== undefined) {
          nextAt = Math.max(nextAt, Date.now()) + (piece.length / rate) * 1000;
          const wait = nextAt - Date.now();
          if (wait >= 1) await sleep(wait);
        }
      }
    }
    if (closed) return;
    if (limit === Number.POSITIVE_INFINITY || !fault || fault.kind === 'status') {
      res.end();
      return;
    }
    // Let the bytes sent so far leave the process before misbehaving.
    const socket = res.socket;
    while (socket && socket.writableLength > 0 && !closed) await sleep(2);
    if (closed || !socket) return;
    if (fault.kind === 'truncate') {
      socket.end();
    } else if (fault.kind === 'reset') {
      await sleep(30); // the client reads what was sent before the RST discards it
      if (!socket.destroyed) socket.resetAndDestroy();
    } else {
      await new Promise<void>((resolve) => (closed ? resolve() : res.once('close', () => resolve())));
    }
  };

  const sendJson = async (
    res: ServerResponse,
    entry: RequestLog,
    status: number,
    value: unknown,
    fault: FaultSlot['fault'] | undefined,
    head: boolean,
  ): Promise<void> => {
    const body = Buffer.from(JSON.stringify(value));
    entry.status = status;
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    if (head) {
      res.end();
      return;
    }
    await sendBody(res, [body], entry, fault);
  };

  const serveFile = async (
    req: IncomingMessage,
    res: ServerResponse,
    entry: RequestLog,
    file: PublishedFile,
    fault: FaultSlot['fault'] | undefined,
  ): Promise<void> => {
    let source = file.path;
    const change = changes.get(entry.path);
    if (change) {
      change.seen += 1;
      if (change.seen > change.afterRequests) source = change.path;
    }
    const v = await validatorsOf(source);
    const headers: Record<string, string | number> = {
      'Content-Type': mediaTypeOf(file.fileName).mediaType,
      ETag: v.etag,
      'Last-Modified': v.lastModified,
      'Accept-Ranges': 'bytes',
    };
    const rangeHeader = entry.range;
    const ifRange = entry.ifRange;
    let range: ByteRange | 'unsatisfiable' | undefined;
    if (rangeHeader !== undefined && (ifRange === undefined || ifRangeMatches(ifRange, v))) {
      range = parseRange(rangeHeader, v.size);
    }
    if (range === 'unsatisfiable') {
      entry.status = 416;
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${v.size}`, 'Content-Length': 0 });
      res.end();
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? v.size - 1;
    const length = v.size === 0 ? 0 : end - start + 1;
    entry.status = range ? 206 : 200;
    res.writeHead(entry.status, {
      ...headers,
      'Content-Length': length,
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${v.size}` } : {}),
    });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    const stream = createReadStream(source, { start, end, highWaterMark: 1 << 20 });
    try {
      await sendBody(res, stream, entry, fault);
    } finally {
      stream.destroy();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parsed = new URL(req.url ?? '/', url);
    const header = (name: string) => {
      const h = req.headers[name];
      return Array.isArray(h) ? h.join(', ') : h;
    };
    const entry: RequestLog = {
      method: req.method ?? 'GET',
      path: parsed.pathname,
      query: parsed.search,
      range: header('range'),
      ifRange: header('if-range'),
      status: 0,
      bytesSent: 0,
      fault: undefined,
    };
    requests.push(entry);
    const head = entry.method === 'HEAD';
    if (entry.method !== 'GET' && !head) {
      entry.status = 405;
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const fault = takeFault(entry.path, entry.method);
    entry.fault = fault?.kind;
    if (fault?.kind === 'status') {
      entry.status = fault.status;
      res.writeHead(fault.status, {
        'Content-Type': 'text/plain',
        ...(fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) }),
      });
      res.end(`Injected fault: HTTP ${fault.status}`);
      return;
    }
    const base = url;
    const path = entry.path;
    const q = parsed.searchParams;
    if (path === '/api/1/metastore/schemas/dataset/items') {
      const refs = q.has('show-reference-ids');
      const list = buildCatalog(files, base).map((d) => renderDataset(d, refs));
      await sendJson(res, entry, 200, list, fault, head);
      return;
    }
    const item = /^\/api\/1\/metastore\/schemas\/dataset\/items\/([^/]+)$/.exec(path);
    if (item) {
      const d = buildCatalog(files, base).find((x) => x.identifier === decodeURIComponent(item[1] ?? ''));
      if (!d) {
        await sendJson(res, entry, 404, { message: `No data found for dataset ${item[1]}.` }, fault, head);
        return;
      }
      await sendJson(res, entry, 200, renderDataset(d, q.has('show-reference-ids')), fault, head);
      return;
    }
    if (path === '/api/1/search' || path === '/api/1/search/') {
      const wanted = words(q.get('fulltext') ?? '');
      const pageSize = Math.max(1, Number(q.get('page-size') ?? '10') || 10);
      const page = Math.max(1, Number(q.get('page') ?? '1') || 1);
      const matches = buildCatalog(files, base).filter((d) => {
        const have = new Set(words(d.title));
        return wanted.every((w) => have.has(w));
      });
      const results: Record<string, unknown> = {};
      for (const d of matches.slice((page - 1) * pageSize, page * pageSize)) {
        results[`dkan_dataset/${d.identifier}`] = renderDataset(d, false);
      }
      // DKAN sends the total as a string.
      await sendJson(res, entry, 200, { total: String(matches.length), results, facets: [] }, fault, head);
      return;
    }
    const file = byPath.get(path);
    if (file) {
      await serveFile(req, res, entry, file, fault);
      return;
    }
    await sendJson(res, entry, 404, { message: `Not found: ${path}` }, fault, head);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`Fake CMS error: ${e instanceof Error ? e.message : String(e)}`);
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;

  return {
    url,
    requests,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    setFault: (p, fault) => {
      const path = normalisePath(p);
      if (fault.kind === 'changeAfter') {
        changes.set(path, { afterRequests: fault.afterRequests, path: fault.path, seen: 0 });
        return;
      }
      faults.set(path, [...(faults.get(path) ?? []), { fault, remaining: fault.times ?? 1 }]);
    },
    clearFaults: (p) => {
      if (p === undefined) {
        faults.clear();
        changes.clear();
      } else {
        faults.delete(normalisePath(p));
        changes.delete(normalisePath(p));
      }
    },
    setThrottle: (bps) => {
      throttle = bps;
    },
    setFiles: (next) => {
      files = [...next];
      index();
    },
    downloadUrl: (file) => `${url}${downloadPathOf(file)}`,
    downloadPath: (file) => downloadPathOf(file),
    bytesServed: (p) => {
      const path = p === undefined ? undefined : normalisePath(p);
      return requests
        .filter((r) => path === undefined || r.path === path)
        .reduce((s, r) => s + r.bytesSent, 0);
    },
  };
}
