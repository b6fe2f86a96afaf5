/**
 * One streaming pass over a landed CSV: hash the original bytes, check the encoding (repairing stray
 * Windows-1252 bytes for staging), find record boundaries, detect the era from the header, count
 * records and wrong field counts, read Program_Year / Payment_Publication_Date, and write the staging
 * chunks (gzip parts of ~chunkBytes uncompressed, each starting with the header, split only between
 * records). Constant memory: bounded by the read size and the longest record.
 */
import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { detectEra } from '../../domain/contract/index.js';
import type { Contract, DatasetId } from '../../domain/contract/types.js';
import { type EncodingReport, Utf8Repair } from '../../domain/encoding.js';
import { OrchestratorError } from '../../domain/errors.js';
import { RecordScanner } from '../../domain/record-scanner.js';
import type { DownloadSink } from '../../ports/fetching.js';
import type { Reporter } from '../../ports/reporter.js';

export const DEFAULT_CHUNK_BYTES = 128 * 1024 * 1024;
const MAX_EXAMPLES = 20;
const MAX_DISTINCT_VALUES = 50;

export interface ChunkInfo {
  part: number;
  file: string;
  records: number;
  /** Uncompressed bytes, header included. */
  bytes: number;
  /** The part file as written (hashed on the way to disk, so landing it needs no second read). */
  gzip: { bytes: number; sha256: string };
}

export interface FileAudit {
  file: string;
  dataset: DatasetId;
  era: string;
  sha256: string;
  bytes: number;
  /** Data records (CSV-aware: a quoted newline does not start a record); the header is not counted. */
  records: number;
  header: string[];
  encoding: EncodingReport;
  wrongFieldCount: { records: number; examples: number[] };
  /** Counts of the Program_Year / Payment_Publication_Date values (at most 50 distinct each). */
  programYears: Record<string, number>;
  publicationDates: Record<string, number>;
  chunks: ChunkInfo[];
}

export interface AuditInput extends AuditTarget {
  path: string;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
}

/**
 * Counts values, at most MAX_DISTINCT_VALUES distinct ones (the rest as `(other)`). A hot path: one
 * call per record, and a column like Program_Year repeats one value for millions of records, so a
 * run of the same value is counted in a local before it touches the map.
 */
class ValueCounts {
  private readonly counts = new Map<string, number>();
  private last: string | undefined;
  private run = 0;

  add(value: string): void {
    if (value === this.last) {
      this.run++;
      return;
    }
    this.flush();
    this.last = value;
    this.run = 1;
  }

  toObject(): Record<string, number> {
    this.flush();
    return Object.fromEntries(this.counts);
  }

  private flush(): void {
    if (this.last === undefined) return;
    const m = this.counts;
    const key = m.has(this.last) || m.size < MAX_DISTINCT_VALUES ? this.last : '(other)';
    m.set(key, (m.get(key) ?? 0) + this.run);
    this.last = undefined;
    this.run = 0;
  }
}

const gzipMember = promisify(gzip);
/**
 * Members compressed at once, one per core up to libuv's 4 threadpool threads (more only queue, and
 * measured slower on 2 cores: the caches thrash); each holds a 2 MB block of the pool below.
 */
const MEMBERS_IN_FLIGHT = Math.min(Math.max(availableParallelism(), 2), 4);

/**
 * Writes gzip parts of the data bytes, cutting a part only at a record end once it holds chunkBytes.
 * Whole read chunks go to gzip as they are (no per-record copies); the scanner says where records end.
 *
 * Each piece (≤ 1 MB) is compressed as its own gzip member, on the libuv threadpool, several at once;
 * a part is the members concatenated in order — a valid multi-member gzip file, which Spark, DuckDB,
 * Python and gunzip read as one stream. One deflate stream per part would be compressed strictly in
 * sequence, waiting for the main thread (busy scanning) between pieces: half the speed.
 */
class ChunkWriter {
  readonly chunks: ChunkInfo[] = [];
  private file: FileHandle | undefined;
  private inFlight: Promise<Buffer>[] = [];
  private current: ChunkInfo | undefined;
  private partHash = createHash('sha256');
  /** Offsets in the chunk being written where the current part must end, with its record count then. */
  private cuts: { end: number; records: number }[] = [];
  private partBytes = 0;
  private partRecords = 0;
  private from = 0;

  constructor(
    private readonly outDir: string,
    private readonly chunkBytes: number,
    private readonly header: Buffer,
  ) {
    this.partBytes = header.length;
  }

  /** Call at the start of each chunk, before its records are reported. */
  begin(dataStart: number): void {
    this.cuts = [];
    this.from = dataStart;
  }

  /** A record ended at `end` in the current chunk: cut here when the part is full. Synchronous: a hot path. */
  recordEnded(end: number): void {
    this.partRecords++;
    const bytes = this.partBytes + end - this.from;
    if (bytes >= this.chunkBytes) {
      this.cuts.push({ end, records: this.partRecords });
      this.partBytes = this.header.length;
      this.partRecords = 0;
      this.from = end;
    }
  }

  /** Writes the chunk's data bytes (from dataStart) into the parts, rotating at the cuts found. */
  async write(chunk: Buffer, dataStart: number): Promise<void> {
    let pos = dataStart;
    for (const cut of this.cuts) {
      if (!this.current) await this.rotate();
      await this.push(chunk.subarray(pos, cut.end));
      this.current!.records = cut.records;
      await this.finishPart();
      pos = cut.end;
    }
    if (pos < chunk.length) {
      if (!this.current) await this.rotate();
      await this.push(chunk.subarray(pos));
    }
    this.partBytes += chunk.length - this.from;
    this.from = 0;
  }

  /** Resolves once every member handed to gzip so far is compressed: their input may be reused. */
  compressed(): Promise<unknown> {
    return Promise.allSettled(this.inFlight);
  }

  async close(): Promise<void> {
    if (!this.current && this.chunks.length === 0) await this.rotate(); // a header-only file still gets one part
    if (this.current) this.current.records = this.partRecords;
    await this.finishPart();
  }

  private async push(data: Buffer): Promise<void> {
    if (data.length === 0) return;
    this.current!.bytes += data.length;
    // Level 1: staging is transient and read once by Spark; speed matters more than size here.
    // One output buffer per member (chunkSize) as a rule: each extra one is a round trip through the main
    // thread. CSV deflates to well under a quarter; a buffer the input's size would be mostly unused
    // memory, and allocating ~1 GB of it per GB ingested made the garbage collector a fifth of the work.
    this.inFlight.push(
      gzipMember(data, { level: 1, memLevel: 9, chunkSize: (data.length >> 2) + (64 << 10) }),
    );
    while (this.inFlight.length > MEMBERS_IN_FLIGHT) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const member = await this.inFlight.shift()!;
    this.partHash.update(member);
    this.current!.gzip.bytes += member.length;
    await this.file!.write(member);
  }

  private async rotate(): Promise<void> {
    const part = this.chunks.length;
    const file = join(this.outDir, `part-${String(part).padStart(5, '0')}.csv.gz`);
    this.current = { part, file, records: 0, bytes: 0, gzip: { bytes: 0, sha256: '' } };
    this.partHash = createHash('sha256');
    this.chunks.push(this.current);
    this.file = await open(file, 'w');
    await this.push(this.header);
  }

  private async finishPart(): Promise<void> {
    if (!this.file) return;
    try {
      while (this.inFlight.length) await this.writeOldest();
      this.current!.gzip.sha256 = this.partHash.digest('hex');
    } finally {
      await this.file.close();
      this.inFlight = [];
      this.file = undefined;
      this.current = undefined;
    }
  }
}

function stripBom(b: Buffer): Buffer {
  return b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
}

export interface AuditTarget {
  /** The file's own name (as published), for messages and the audit. */
  fileName: string;
  /** When known (from --dataset or the file name), the header must be a layout of this dataset. */
  dataset?: DatasetId | undefined;
  chunkBytes: number;
  /** Folder that receives part-00000.csv.gz, part-00001.csv.gz, … */
  outDir: string;
}

/** Bytes scanned and compressed at a time: small pushes (a download's 64 KB pieces) are gathered first. */
const PROCESS_BYTES = 2 << 20;
/** Blocks the bytes are gathered in, reused in turn once gzip is done with them (see FileAuditor). */
const POOL_BLOCKS = MEMBERS_IN_FLIGHT + 2;

/**
 * The audit as a sink: push the file's bytes in order (from disk, or from a download while it
 * arrives, so the two overlap), then finish(). A bad file fails on the push that reveals it (binary
 * bytes, unknown header), so a download of the wrong file stops early.
 */
export class FileAuditor {
  /** Undefined when the caller hashes the bytes itself (a download does) and hands the digest to finish(). */
  private readonly hash: Hash | undefined;
  private readonly repair = new Utf8Repair();
  private readonly scanner: RecordScanner;
  private bytes = 0;
  private records = 0;
  private era: ReturnType<typeof detectEra> | undefined;
  private writer: ChunkWriter | undefined;
  private headerFields = 0;
  private readonly wrong = { records: 0, examples: [] as number[] };
  private readonly programYears = new ValueCounts();
  private readonly publicationDates = new ValueCounts();
  /**
   * Pushed bytes are copied into these blocks, reused in turn: a gigabyte through freshly allocated
   * buffers keeps the garbage collector busy. A block is refilled only once gzip has finished with
   * the members made from it (`free`).
   */
  private readonly pool: Buffer[] = [];
  private readonly free: Promise<unknown>[] = [];
  private current = 0;
  private filled = 0;
  private ready: Promise<unknown> | undefined;

  constructor(
    contract: Contract,
    private readonly target: AuditTarget,
    options: { hash?: boolean } = {},
  ) {
    this.hash = options.hash === false ? undefined : createHash('sha256');
    this.scanner = new RecordScanner({
      capture: ['program_year', 'payment_publication_date'],
      onHeader: (header, bytes, dataStart) => {
        this.era = detectEra(contract, header, target.dataset);
        this.headerFields = header.length;
        this.writer = new ChunkWriter(target.outDir, target.chunkBytes, stripBom(bytes));
        this.writer.begin(dataStart);
      },
    });
  }

  async push(chunk: Buffer): Promise<void> {
    if (this.bytes === 0 && chunk.subarray(0, 65536).includes(0)) {
      throw new OrchestratorError(
        'NOT_CSV',
        `${this.target.fileName} is not a CSV file: it holds NUL bytes (binary data).`,
        { suggestion: 'Check that the source is an Open Payments CSV or a CMS zip archive.' },
      );
    }
    this.ready ??= mkdir(this.target.outDir, { recursive: true });
    await this.ready;
    this.hash?.update(chunk);
    this.bytes += chunk.length;
    for (let from = 0; from < chunk.length; ) {
      if (this.filled === 0) await this.free[this.current];
      const block = this.block();
      const n = chunk.copy(block, this.filled, from);
      this.filled += n;
      from += n;
      if (this.filled === block.length) await this.process();
    }
  }

  private block(): Buffer {
    // In the scanner's WebAssembly memory, so a block is scanned where it lies.
    if (this.pool.length === 0) this.pool.push(...this.scanner.kernelBuffers(POOL_BLOCKS, PROCESS_BYTES));
    return this.pool[this.current]!;
  }

  /**
   * Checks what only the whole file can tell, and returns the audit. Always closes the parts.
   * `sha256` is the digest of the pushed bytes when this auditor was made without its own hash.
   */
  async finish(sha256?: string): Promise<FileAudit> {
    const { fileName } = this.target;
    try {
      await this.process();
      await this.consume(this.repair.end());
      // A last record without a newline ends where an empty chunk after the last one would begin.
      this.writer?.begin(0);
      this.scanner.end(this.onRecord);
      await this.writer?.write(Buffer.alloc(0), 0);
    } finally {
      await this.writer?.close().catch(() => undefined);
    }
    if (this.bytes === 0) {
      throw new OrchestratorError('EMPTY_FILE', `${fileName} is empty (0 bytes).`, {
        suggestion: 'The download or export produced nothing: fetch the file again.',
      });
    }
    if (this.scanner.unterminatedQuote) {
      throw new OrchestratorError(
        'TRUNCATED_FILE',
        `${fileName} ends inside a quoted field: the file was cut off.`,
        {
          suggestion: 'Download the file again; if it came from an archive, the archive is incomplete.',
          data: { records: this.records },
        },
      );
    }
    const { era, writer, records } = this;
    if (!era || !writer) {
      throw new OrchestratorError('NOT_CSV', `${fileName} has no header record.`, {
        suggestion: 'Check that the source is an Open Payments CSV.',
      });
    }
    const chunked = writer.chunks.reduce((s, c) => s + c.records, 0);
    if (chunked !== records) {
      throw new OrchestratorError(
        'CHUNK_MISMATCH',
        `Staging chunks of ${fileName} hold ${chunked} records but the audit counted ${records}.`,
        { suggestion: 'This is a bug: report it with the file. Nothing was landed.' },
      );
    }
    return {
      file: fileName,
      dataset: era.dataset,
      era: era.id,
      sha256: this.digest(sha256),
      bytes: this.bytes,
      records,
      header: this.scanner.header!,
      encoding: this.repair.report(),
      wrongFieldCount: this.wrong,
      programYears: this.programYears.toObject(),
      publicationDates: this.publicationDates.toObject(),
      chunks: writer.chunks,
    };
  }

  private digest(known: string | undefined): string {
    if (this.hash) return this.hash.digest('hex');
    if (known === undefined) throw new Error('FileAuditor: no sha256 given for bytes it did not hash');
    return known;
  }

  /** Stops without an audit (the bytes were wrong, e.g. a download that must start over): removes the parts. */
  async abandon(): Promise<void> {
    await this.writer?.close().catch(() => undefined);
    await rm(this.target.outDir, { recursive: true, force: true });
  }

  private readonly onRecord = (end: number, fields: number) => {
    this.records++;
    if (fields !== this.headerFields) {
      this.wrong.records++;
      if (this.wrong.examples.length < MAX_EXAMPLES) this.wrong.examples.push(this.records);
    }
    const [py, pub] = this.scanner.captured;
    if (py !== undefined) this.programYears.add(py.trim());
    if (pub !== undefined) this.publicationDates.add(pub.trim());
    this.writer!.recordEnded(end);
  };

  private async process(): Promise<void> {
    if (this.filled === 0) return;
    const block = this.block().subarray(0, this.filled);
    const index = this.current;
    this.filled = 0;
    this.current = (index + 1) % POOL_BLOCKS;
    await this.consume(this.repair.push(block));
    this.free[index] = this.writer?.compressed() ?? Promise.resolve();
  }

  private async consume(repaired: Buffer): Promise<void> {
    this.writer?.begin(0);
    const dataStart = this.scanner.scan(repaired, this.onRecord);
    if (this.writer) await this.writer.write(repaired, dataStart);
  }
}

/** Audits a file on disk (a user's file, or one extracted from an archive). */
export async function auditAndChunk(contract: Contract, input: AuditInput): Promise<FileAudit> {
  const auditor = new FileAuditor(contract, input);
  const progress = input.reporter.progress(`audit ${input.fileName}`, { unit: 'bytes' });
  try {
    // One read buffer for the whole file: the auditor copies what it is given.
    const file = await open(input.path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(PROCESS_BYTES);
      for (;;) {
        if (input.signal?.aborted)
          throw new OrchestratorError('INTERRUPTED', 'Interrupted while auditing; nothing was landed.');
        const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        await auditor.push(buffer.subarray(0, bytesRead));
        progress.tick(bytesRead);
      }
    } finally {
      await file.close();
    }
  } catch (e) {
    await auditor.abandon();
    throw e;
  }
  const audit = await auditor.finish();
  progress.done();
  return audit;
}

/** The declared year must be the file's: the most common Program_Year value decides. */
export function checkProgramYear(audit: FileAudit, declared: number): void {
  const entries = Object.entries(audit.programYears).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return; // profiles have no program year; empty files have no rows
  const [top, count] = entries[0]!;
  if (top !== String(declared)) {
    throw new OrchestratorError(
      'YEAR_MISMATCH',
      `${audit.file} holds program year ${top} (${count} of ${audit.records} records), not ${declared}.`,
      {
        suggestion: `Pass --year ${top}, or check that this is the file you meant.`,
        data: { declared, programYears: audit.programYears },
      },
    );
  }
}

/**
 * The audit of a download while it arrives, as the downloader's sink: the bytes are scanned and handed
 * to gzip (on the libuv threadpool) as they reach the disk, so the file is read once, not twice, and
 * compression overlaps the transfer. The downloader hashes the bytes already; a restart from zero
 * (the remote file changed) starts a new audit.
 */
export class DownloadAuditor implements DownloadSink {
  /** Bytes written since the last (re)start: the ingest checks the downloader really fed them all. */
  bytes = 0;
  private auditor: FileAuditor;

  constructor(
    private readonly contract: Contract,
    private readonly target: AuditTarget,
  ) {
    this.auditor = new FileAuditor(contract, target, { hash: false });
  }

  async write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    await this.auditor.push(chunk);
  }

  async reset(): Promise<void> {
    await this.auditor.abandon();
    this.auditor = new FileAuditor(this.contract, this.target, { hash: false });
    this.bytes = 0;
  }

  finish(sha256: string): Promise<FileAudit> {
    return this.auditor.finish(sha256);
  }

  abandon(): Promise<void> {
    return this.auditor.abandon();
  }
}
