/**
 * `orchestrator ingest`: source → local landing → audit + staging chunks → checks → raw zone (write-once)
 * → staging zone → ingest record, run manifest and audits. Nothing reaches the raw zone until the file
 * passed every check, and a publication already ingested with the same fingerprint is skipped.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CONTRACT_VERSION } from '../../domain/contract/index.js';
import type { Contract, DatasetId } from '../../domain/contract/types.js';
import { OrchestratorError } from '../../domain/errors.js';
import { type FileLocation, lake } from '../../domain/lake.js';
import { parseCmsName } from '../../domain/publication.js';
import type { CmsCatalog } from '../../ports/cms-catalog.js';
import type { ArchiveReader, Downloader } from '../../ports/fetching.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { Reporter } from '../../ports/reporter.js';
import {
  type AuditTarget,
  auditAndChunk,
  checkProgramYear,
  DownloadAuditor,
  type FileAudit,
} from './audit-and-chunk.js';
import { type DiscoveredFile, selectPublication } from './discover.js';

export type IngestSource = { kind: 'cms' } | { kind: 'url'; url: string } | { kind: 'path'; path: string };

export interface IngestRequest {
  dataset: DatasetId | 'all';
  year: number;
  source: IngestSource;
  /** YYYY-MM-DD; overrides what the file name or the file's Payment_Publication_Date say. */
  publication?: string | undefined;
  force: boolean;
  chunkBytes: number;
}

export interface IngestDeps {
  contract: Contract;
  store: ObjectStore;
  catalog: CmsCatalog;
  download: Downloader;
  archives: ArchiveReader;
  reporter: Reporter;
  /** Local folder for downloads, extracted entries and chunks before they are landed. */
  landingDir: string;
  runId: string;
  now: () => Date;
  signal?: AbortSignal | undefined;
  downloadOptions?: { maxAttempts?: number; stallTimeoutMs?: number };
}

export interface LandedFile {
  dataset: DatasetId;
  programYear: number;
  publication: string;
  status: 'landed' | 'unchanged';
  rawKey: string;
  rawStatus?: 'created' | 'unchanged' | 'replaced' | undefined;
  stagingKeys: string[];
  records: number;
  fingerprint: string;
  audit?: FileAudit | undefined;
  /** Run that landed it (this run, or the earlier one when unchanged). */
  landedBy: string;
}

export interface IngestResult {
  runId: string;
  status: 'succeeded' | 'unchanged';
  files: LandedFile[];
  manifestKey: string;
}

/** What the transform needs to know about a landed file: stored per publication, read by `submit`. */
export interface IngestRecord {
  fingerprint: string;
  runId: string;
  dataset: DatasetId;
  programYear: number;
  publication: string;
  rawKey: string;
  sha256: string;
  records: number;
  era: string;
  /** The file's header as published (the job detects the era from it). */
  header: string[];
  stagingKeys: string[];
  /** Per staging chunk: its key, record count and uncompressed bytes. */
  chunks: { key: string; records: number; bytes: number }[];
  source: Record<string, unknown>;
}

interface ArchiveRecord {
  identity: Record<string, unknown>;
  entries: { entry: string; dataset: DatasetId; publication: string }[];
}

interface Input {
  kind: 'csv' | 'zip';
  /** Local path once fetched. */
  path: string;
  /** True when the file is ours (a download): it is moved into raw instead of copied. */
  owned: boolean;
  fileName: string;
  /** What identifies the source before reading it (cms: ids + URL; path: sha256). */
  identity: Record<string, unknown>;
  publicationDate?: string | undefined;
  /** A downloaded CSV audited while it arrived: the audit to wait for, and what the download saw. */
  downloaded?: { auditor: DownloadAuditor; bytes: number; sha256: string } | undefined;
}

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A CMS year archive or a single CSV, by name. */
const kindOf = (fileName: string): 'csv' | 'zip' => (/\.zip$/i.test(fileName) ? 'zip' : 'csv');

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `04/13/2024` → `2024-04-13` (the file's own Payment_Publication_Date). */
function isoFromUs(value: string): string | undefined {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value.trim());
  return m ? `${m[3]}-${m[1]}-${m[2]}` : undefined;
}

function mostCommon(counts: Record<string, number>): string | undefined {
  return Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0];
}

export class Ingest {
  private readonly manifest = {
    inputs: [] as Record<string, unknown>[],
    outputs: [] as Record<string, unknown>[],
    timings: {} as Record<string, number>,
  };

  constructor(private readonly deps: IngestDeps) {}

  async run(req: IngestRequest): Promise<IngestResult> {
    const started = this.deps.now();
    const workDir = join(this.deps.landingDir, 'work', this.deps.runId);
    const files: LandedFile[] = [];
    let failure: unknown;
    let inputs: Input[] = [];
    try {
      inputs = await this.timed('fetch', () => this.fetchInputs(req, workDir));
      for (const input of inputs) files.push(...(await this.processInput(req, input, workDir)));
    } catch (e) {
      failure = e;
    } finally {
      // An audit begun during a download but never finished (the run failed) must not leave parts behind.
      for (const input of inputs) await input.downloaded?.auditor.abandon().catch(() => undefined);
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    }
    const status = failure
      ? 'failed'
      : files.every((f) => f.status === 'unchanged')
        ? 'unchanged'
        : 'succeeded';
    const manifestKey = await this.writeManifest(req, started, status, files, failure);
    if (failure) throw failure;
    return { runId: this.deps.runId, status: status as IngestResult['status'], files, manifestKey };
  }

  private async timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.manifest.timings[name] = Math.round((this.manifest.timings[name] ?? 0) + performance.now() - t0);
    }
  }

  /** Resolves the source to local files (downloading when needed). */
  private async fetchInputs(req: IngestRequest, workDir: string): Promise<Input[]> {
    const { reporter } = this.deps;
    const downloads = join(this.deps.landingDir, 'downloads');
    if (req.source.kind === 'path') {
      const path = resolve(req.source.path);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) {
        throw new OrchestratorError('OBJECT_NOT_FOUND', `No file at ${path}.`, {
          suggestion: 'Pass an existing CSV or CMS zip with --source.',
        });
      }
      const fileName = basename(path);
      const sha256 = await sha256File(path);
      this.manifest.inputs.push({ path, bytes: info.size, sha256 });
      return [
        {
          kind: kindOf(fileName),
          path,
          owned: false,
          fileName,
          identity: { sha256 },
        },
      ];
    }
    let url: string;
    let discovered: DiscoveredFile | undefined;
    if (req.source.kind === 'cms') {
      reporter.event({
        level: 'info',
        code: 'ingest.discover',
        message: `asking the CMS catalog for ${req.dataset} ${req.year}`,
        data: { catalog: this.deps.catalog.baseUrl },
      });
      discovered = selectPublication(
        await this.deps.catalog.datasets(this.deps.signal),
        req.dataset,
        req.year,
      );
      url = discovered.url;
      reporter.event({
        level: 'info',
        code: 'ingest.discovered',
        message: `${discovered.datasetTitle}: ${discovered.fileName}`,
        data: {
          datasetId: discovered.datasetId,
          distributionId: discovered.distributionId,
          url,
          publication: discovered.publicationDate,
        },
      });
      // Skip the download when every file of this publication is already ingested from the same distribution.
      const identity = this.cmsIdentity(discovered);
      if (!req.force && (await this.alreadyIngested(req, discovered, identity))) {
        this.manifest.inputs.push({ ...identity, skipped: 'already ingested' });
        return [];
      }
    } else {
      url = req.source.url;
    }
    const fileName = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'download');
    const dest = join(downloads, fileName);
    await mkdir(downloads, { recursive: true });
    // A CSV is audited and chunked while it downloads (an archive is extracted first, so it cannot be).
    const auditor =
      kindOf(fileName) === 'csv'
        ? new DownloadAuditor(this.deps.contract, this.auditTarget(req, fileName, workDir))
        : undefined;
    let got: Awaited<ReturnType<Downloader>>;
    try {
      got = await this.timed('download', () =>
        this.deps.download({
          url,
          dest,
          reporter,
          signal: this.deps.signal,
          ...this.deps.downloadOptions,
          sink: auditor,
        }),
      );
    } catch (e) {
      await auditor?.abandon().catch(() => undefined);
      throw e;
    }
    // A CMS file is identified by its distribution (a new file gets a new id); a plain URL by its bytes.
    const identity = discovered
      ? this.cmsIdentity(discovered)
      : { url: url.split('?')[0], sha256: got.sha256 };
    this.manifest.inputs.push({
      ...identity,
      bytes: got.bytes,
      sha256: got.sha256,
      etag: got.etag,
      resumedFromBytes: got.resumedFromBytes,
      attempts: got.attempts,
    });
    return [
      {
        kind: kindOf(fileName),
        path: got.path,
        owned: true,
        fileName,
        identity,
        publicationDate: discovered?.publicationDate,
        downloaded: auditor && { auditor, bytes: got.bytes, sha256: got.sha256 },
      },
    ];
  }

  /** True when every file this CMS distribution gives for the request is already ingested from it. */
  private async alreadyIngested(
    req: IngestRequest,
    d: DiscoveredFile,
    identity: Record<string, unknown>,
  ): Promise<boolean> {
    if (d.kind === 'csv') {
      const dataset = req.dataset === 'all' ? undefined : req.dataset;
      return (
        !!dataset &&
        !!d.publicationDate &&
        !!(await this.unchanged(req, dataset, d.publicationDate, identity))
      );
    }
    const key = lake.archiveRecord(sha256Hex(JSON.stringify(identity)));
    if (!(await this.deps.store.head(key))) return false;
    const archive = JSON.parse(await this.deps.store.getText(key)) as ArchiveRecord;
    const wanted = archive.entries.filter((e) => req.dataset === 'all' || e.dataset === req.dataset);
    if (wanted.length === 0) return false;
    for (const e of wanted) {
      if (!(await this.unchanged(req, e.dataset, e.publication, { ...identity, entry: e.entry })))
        return false;
    }
    return true;
  }

  private cmsIdentity(d: DiscoveredFile): Record<string, unknown> {
    return { datasetId: d.datasetId, distributionId: d.distributionId, url: d.url, modified: d.modified };
  }

  private async processInput(req: IngestRequest, input: Input, workDir: string): Promise<LandedFile[]> {
    if (input.kind === 'csv') return [await this.processCsv(req, input, input.path, input.fileName, workDir)];
    const entries = await this.deps.archives.list(input.path);
    const wanted = entries.filter((e) => {
      if (e.isDirectory || !/\.csv$/i.test(e.name)) return false;
      const ds = parseCmsName(e.name).dataset;
      return ds !== undefined && (req.dataset === 'all' || ds === req.dataset);
    });
    if (wanted.length === 0) {
      throw new OrchestratorError(
        'ARCHIVE_ENTRY_MISSING',
        `${input.fileName} holds no ${req.dataset === 'all' ? 'Open Payments' : req.dataset} CSV.`,
        {
          suggestion: `Entries: ${entries.map((e) => e.name).join(', ') || 'none'}.`,
        },
      );
    }
    const out: LandedFile[] = [];
    for (const entry of wanted) {
      const entryInput: Input = { ...input, owned: true, identity: { ...input.identity, entry: entry.name } };
      const early = await this.unchangedByName(req, entryInput, basename(entry.name));
      if (early) {
        out.push(early); // not even extracted
        continue;
      }
      const dest = join(workDir, 'extract', basename(entry.name));
      await mkdir(join(workDir, 'extract'), { recursive: true });
      await this.timed('extract', () =>
        this.deps.archives.extract(input.path, entry.name, dest, this.deps.signal),
      );
      out.push(await this.processCsv(req, entryInput, dest, basename(entry.name), workDir));
      await rm(dest, { force: true });
    }
    const record: ArchiveRecord = {
      identity: input.identity,
      entries: wanted.map((e, i) => ({
        entry: e.name,
        dataset: out[i]!.dataset,
        publication: out[i]!.publication,
      })),
    };
    await this.deps.store.put(
      lake.archiveRecord(sha256Hex(JSON.stringify(input.identity))),
      `${JSON.stringify(record, null, 2)}\n`,
    );
    return out;
  }

  private fingerprint(req: IngestRequest, dataset: DatasetId, identity: Record<string, unknown>): string {
    return sha256Hex(
      JSON.stringify({
        identity,
        dataset,
        year: req.year,
        contract: CONTRACT_VERSION,
        chunkBytes: req.chunkBytes,
      }),
    );
  }

  /** The earlier run's record, when it holds this fingerprint and all its objects still exist. */
  private async unchanged(
    req: IngestRequest,
    dataset: DatasetId,
    publication: string,
    identity: Record<string, unknown>,
  ): Promise<IngestRecord | undefined> {
    const loc: FileLocation = { dataset, programYear: req.year, publication };
    const key = lake.ingestRecord(loc);
    if (!(await this.deps.store.head(key))) return undefined;
    const record = JSON.parse(await this.deps.store.getText(key)) as IngestRecord;
    if (record.fingerprint !== this.fingerprint(req, dataset, identity)) return undefined;
    for (const k of [record.rawKey, ...record.stagingKeys])
      if (!(await this.deps.store.head(k))) return undefined;
    return record;
  }

  /** Reports an already-ingested file and returns it as unchanged. */
  private unchangedFile(
    previous: IngestRecord,
    dataset: DatasetId,
    programYear: number,
    publication: string,
    fileName: string,
    fingerprint: string,
  ): LandedFile {
    this.deps.reporter.event({
      level: 'info',
      code: 'ingest.unchanged',
      message: `${fileName}: already ingested by run ${previous.runId}; nothing to do (--force redoes it)`,
      data: { rawKey: previous.rawKey, records: previous.records },
    });
    return {
      dataset,
      programYear,
      publication,
      status: 'unchanged',
      rawKey: previous.rawKey,
      stagingKeys: previous.stagingKeys,
      records: previous.records,
      fingerprint,
      landedBy: previous.runId,
    };
  }

  /**
   * When the name (or --publication) already says which publication of which dataset a file is, an
   * earlier ingest with the same fingerprint is found before reading the file at all.
   */
  private async unchangedByName(
    req: IngestRequest,
    input: Input,
    fileName: string,
  ): Promise<LandedFile | undefined> {
    if (req.force) return undefined;
    const named = parseCmsName(fileName);
    const dataset = req.dataset === 'all' ? named.dataset : req.dataset;
    const publication = req.publication ?? input.publicationDate ?? named.publicationDate;
    if (!dataset || !publication) return undefined;
    const previous = await this.unchanged(req, dataset, publication, input.identity);
    return (
      previous &&
      this.unchangedFile(
        previous,
        dataset,
        req.year,
        publication,
        fileName,
        this.fingerprint(req, dataset, input.identity),
      )
    );
  }

  private async processCsv(
    req: IngestRequest,
    input: Input,
    path: string,
    fileName: string,
    workDir: string,
  ): Promise<LandedFile> {
    const early = await this.unchangedByName(req, input, fileName);
    if (early) return early;
    const { store, reporter, contract } = this.deps;
    const owned = input.owned;
    const named = parseCmsName(fileName);
    const target = this.auditTarget(req, fileName, workDir);
    const audit = await this.timed('audit', async () => {
      const early = input.downloaded;
      // A downloader may ignore the sink (tests' fakes do): then the file is audited from disk.
      if (early && early.auditor.bytes === early.bytes) return early.auditor.finish(early.sha256);
      await early?.auditor.abandon();
      return auditAndChunk(contract, { ...target, path, reporter, signal: this.deps.signal });
    });
    const dataset = audit.dataset;
    if (dataset !== 'profiles') checkProgramYear(audit, req.year);
    const publication = this.publicationOf(req, input, named.publicationDate, audit, fileName);
    const loc: FileLocation = { dataset, programYear: req.year, publication };
    const fingerprint = this.fingerprint(req, dataset, input.identity);

    const previous = req.force ? undefined : await this.unchanged(req, dataset, publication, input.identity);
    if (previous) return this.unchangedFile(previous, dataset, req.year, publication, fileName, fingerprint);

    const rawKey = lake.rawFile(loc, fileName);
    // A file we fetched is moved into raw (no copy); the user's own file is copied and left alone.
    const raw = await this.timed('land', () =>
      owned
        ? store.moveFileIn(rawKey, path, { size: audit.bytes, sha256: audit.sha256 })
        : store.put(rawKey, createReadStream(path)),
    );
    const stagingKeys = await this.timed('land', () => this.replaceStaging(loc, audit));
    // The audit names chunks by their lake keys, not by the temp files they were built in.
    audit.chunks = audit.chunks.map((c, i) => ({ ...c, file: stagingKeys[i]! }));
    const record: IngestRecord = {
      fingerprint,
      runId: this.deps.runId,
      dataset,
      programYear: req.year,
      publication,
      rawKey,
      sha256: audit.sha256,
      records: audit.records,
      era: audit.era,
      header: audit.header,
      stagingKeys,
      chunks: audit.chunks.map((c) => ({ key: c.file, records: c.records, bytes: c.bytes })),
      source: input.identity,
    };
    await store.put(lake.ingestRecord(loc), `${JSON.stringify(record, null, 2)}\n`);
    this.manifest.outputs.push({
      rawKey,
      rawStatus: raw.status,
      sha256: audit.sha256,
      bytes: audit.bytes,
      records: audit.records,
      stagingKeys,
    });
    reporter.event({
      level: 'info',
      code: 'ingest.landed',
      message: `${fileName}: ${audit.records} records (${audit.era}) → ${rawKey} (${raw.status}), ${stagingKeys.length} staging chunk(s)`,
      data: {
        records: audit.records,
        rawStatus: raw.status,
        chunks: stagingKeys.length,
        encoding: audit.encoding.detected,
        wrongFieldCount: audit.wrongFieldCount.records,
      },
    });
    return {
      dataset,
      programYear: req.year,
      publication,
      status: 'landed',
      rawKey,
      rawStatus: raw.status,
      stagingKeys,
      records: audit.records,
      fingerprint,
      audit,
      landedBy: this.deps.runId,
    };
  }

  /** Where and how a CSV is audited: the dataset it must be, when its name or --dataset says. */
  private auditTarget(req: IngestRequest, fileName: string, workDir: string): AuditTarget {
    return {
      fileName,
      dataset: req.dataset === 'all' ? parseCmsName(fileName).dataset : req.dataset,
      chunkBytes: req.chunkBytes,
      outDir: join(workDir, 'chunks', fileName),
    };
  }

  private publicationOf(
    req: IngestRequest,
    input: Input,
    fromName: string | undefined,
    audit: FileAudit,
    fileName: string,
  ): string {
    const fromFile = isoFromUs(mostCommon(audit.publicationDates) ?? '');
    const date = req.publication ?? input.publicationDate ?? fromName ?? fromFile;
    if (!date) {
      throw new OrchestratorError(
        'INVALID_OPTION',
        `Cannot tell which CMS publication ${fileName} belongs to (no stamp in its name, no Payment_Publication_Date).`,
        {
          suggestion: 'Pass --publication YYYY-MM-DD.',
        },
      );
    }
    return date;
  }

  /** Puts the new chunks and removes chunks of an earlier ingest of this publication that no longer exist. */
  private async replaceStaging(loc: FileLocation, audit: FileAudit): Promise<string[]> {
    const { store } = this.deps;
    const keys: string[] = [];
    for (const c of audit.chunks) {
      const key = lake.stagingChunk(loc, c.part);
      await store.moveFileIn(key, c.file, { size: c.gzip.bytes, sha256: c.gzip.sha256 });
      keys.push(key);
    }
    for await (const o of store.list(lake.stagingPrefix(loc)))
      if (!keys.includes(o.key)) await store.delete(o.key);
    return keys;
  }

  private async writeManifest(
    req: IngestRequest,
    started: Date,
    status: string,
    files: LandedFile[],
    failure: unknown,
  ): Promise<string> {
    const { store, runId } = this.deps;
    const finished = this.deps.now();
    const audits = files.flatMap((f) => (f.audit ? [f.audit] : []));
    const manifest = {
      runId,
      command: 'ingest',
      params: {
        dataset: req.dataset,
        year: req.year,
        source: req.source,
        publication: req.publication,
        force: req.force,
        chunkBytes: req.chunkBytes,
      },
      contractVersion: CONTRACT_VERSION,
      status,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      inputs: this.manifest.inputs,
      outputs: this.manifest.outputs,
      files: files.map(({ audit: _audit, ...f }) => f),
      timingsMs: this.manifest.timings,
      ...(failure
        ? { error: failure instanceof OrchestratorError ? failure.toJSON() : { message: String(failure) } }
        : {}),
    };
    const key = lake.runFile(runId, 'manifest.json');
    await store.put(lake.runFile(runId, 'audits.json'), `${JSON.stringify(audits, null, 2)}\n`);
    await store.put(key, `${JSON.stringify(manifest, null, 2)}\n`);
    return key;
  }
}
