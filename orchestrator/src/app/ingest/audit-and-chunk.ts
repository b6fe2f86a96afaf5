/**
 * One streaming pass over a landed CSV: hash the original bytes, check the encoding (repairing stray
 * Windows-1252 bytes for staging), find record boundaries, detect the era from the header, count
 * records and wrong field counts, read Program_Year / Payment_Publication_Date, and write the staging
 * chunks (gzip parts of ~chunkBytes uncompressed, each starting with the header, split only between
 * records). Constant memory: bounded by the read size and the longest record.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { detectEra } from '../../domain/contract/index.js';
import type { Contract, DatasetId } from '../../domain/contract/types.js';
import { type EncodingReport, Utf8Repair } from '../../domain/encoding.js';
import { OrchestratorError } from '../../domain/errors.js';
import { RecordScanner } from '../../domain/record-scanner.js';
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

export interface AuditInput {
  path: string;
  /** The file's own name (as published), for messages and the audit. */
  fileName: string;
  /** When known (from --dataset or the file name), the header must be a layout of this dataset. */
  dataset?: DatasetId | undefined;
  chunkBytes: number;
  /** Folder that receives part-00000.csv.gz, part-00001.csv.gz, … */
  outDir: string;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
}

/** Counts values, at most MAX_DISTINCT_VALUES distinct ones (the rest as `(other)`): a hot path. */
const bump = (m: Map<string, number>, k: string) => {
  const key = m.has(k) || m.size < MAX_DISTINCT_VALUES ? k : '(other)';
  m.set(key, (m.get(key) ?? 0) + 1);
};

/** Writes gzip parts, rotating at a record boundary once a part holds chunkBytes. */
class ChunkWriter {
  readonly chunks: ChunkInfo[] = [];
  private gzip: Gzip | undefined;
  private file: WriteStream | undefined;
  private current: ChunkInfo | undefined;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  constructor(
    private readonly outDir: string,
    private readonly chunkBytes: number,
    private readonly header: Buffer,
  ) {}

  /** Buffers a record; returns a promise only when a part must rotate or the buffer must flush. */
  add(record: Buffer): Promise<void> | undefined {
    if (!this.current || this.current.bytes >= this.chunkBytes)
      return this.rotate().then(() => this.append(record));
    return this.append(record);
  }

  private append(record: Buffer): Promise<void> | undefined {
    this.buffered.push(record);
    this.bufferedBytes += record.length;
    this.current!.bytes += record.length;
    this.current!.records++;
    return this.bufferedBytes >= 1 << 20 ? this.flush() : undefined;
  }

  async close(): Promise<void> {
    if (!this.current) await this.rotate(); // a header-only file still gets one part
    await this.finishPart();
  }

  private async flush(): Promise<void> {
    if (!this.gzip || this.bufferedBytes === 0) return;
    const data = Buffer.concat(this.buffered);
    this.buffered = [];
    this.bufferedBytes = 0;
    // Let up to 4 MB queue: compression runs on the libuv threadpool while the next records are scanned
    // (more buys little speed and costs memory: peak RSS must stay under 200 MB).
    this.gzip.write(data);
    if (this.gzip.writableLength > 4 << 20) await once(this.gzip, 'drain');
  }

  private async rotate(): Promise<void> {
    await this.finishPart();
    const part = this.chunks.length;
    const file = join(this.outDir, `part-${String(part).padStart(5, '0')}.csv.gz`);
    this.current = { part, file, records: 0, bytes: this.header.length };
    this.chunks.push(this.current);
    // Level 1: staging is transient and read once by Spark; speed matters more than size here.
    // 1 MB output buffers: each one costs a main-thread callback, and the scanner keeps that thread busy.
    this.gzip = createGzip({ level: 1, chunkSize: 1 << 20 });
    this.file = createWriteStream(file);
    this.gzip.pipe(this.file);
    this.buffered.push(this.header);
    this.bufferedBytes += this.header.length;
  }

  private async finishPart(): Promise<void> {
    if (!this.gzip || !this.file) return;
    await this.flush();
    const closed = once(this.file, 'close');
    this.gzip.end();
    await closed;
    this.gzip = undefined;
    this.file = undefined;
  }
}

function stripBom(b: Buffer): Buffer {
  return b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
}

export async function auditAndChunk(contract: Contract, input: AuditInput): Promise<FileAudit> {
  await mkdir(input.outDir, { recursive: true });
  const hash = createHash('sha256');
  const repair = new Utf8Repair();
  const scanner = new RecordScanner({ capture: ['program_year', 'payment_publication_date'] });
  const progress = input.reporter.progress(`audit ${input.fileName}`, { unit: 'bytes' });
  let bytes = 0;
  let records = 0;
  let era: ReturnType<typeof detectEra> | undefined;
  let writer: ChunkWriter | undefined;
  const wrong = { records: 0, examples: [] as number[] };
  const programYears = new Map<string, number>();
  const publicationDates = new Map<string, number>();

  const consume = async (repaired: Buffer, last: boolean) => {
    const scanned = [...scanner.push(repaired), ...(last ? scanner.end() : [])];
    if (!era && scanner.header) {
      era = detectEra(contract, scanner.header, input.dataset);
      writer = new ChunkWriter(input.outDir, input.chunkBytes, stripBom(scanner.headerBytes!));
    }
    for (const r of scanned) {
      records++;
      if (r.fields !== scanner.header!.length) {
        wrong.records++;
        if (wrong.examples.length < MAX_EXAMPLES) wrong.examples.push(records);
      }
      const py = r.captured.get('program_year');
      if (py !== undefined) bump(programYears, py.trim());
      const pub = r.captured.get('payment_publication_date');
      if (pub !== undefined) bump(publicationDates, pub.trim());
      const pending = writer!.add(r.bytes);
      if (pending) await pending;
    }
  };

  const stream = createReadStream(input.path, { highWaterMark: 1 << 20, signal: input.signal });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (bytes === 0 && chunk.subarray(0, 65536).includes(0)) {
        throw new OrchestratorError(
          'NOT_CSV',
          `${input.fileName} is not a CSV file: it holds NUL bytes (binary data).`,
          {
            suggestion: 'Check that the source is an Open Payments CSV or a CMS zip archive.',
          },
        );
      }
      hash.update(chunk);
      bytes += chunk.length;
      progress.tick(chunk.length);
      await consume(repair.push(chunk), false);
    }
    await consume(repair.end(), true);
  } catch (e) {
    if ((e as Error).name === 'AbortError')
      throw new OrchestratorError('INTERRUPTED', 'Interrupted while auditing; nothing was landed.');
    throw e;
  } finally {
    await writer?.close().catch(() => undefined);
  }
  progress.done();

  if (bytes === 0) {
    throw new OrchestratorError('EMPTY_FILE', `${input.fileName} is empty (0 bytes).`, {
      suggestion: 'The download or export produced nothing: fetch the file again.',
    });
  }
  if (scanner.unterminatedQuote) {
    throw new OrchestratorError(
      'TRUNCATED_FILE',
      `${input.fileName} ends inside a quoted field: the file was cut off.`,
      {
        suggestion: 'Download the file again; if it came from an archive, the archive is incomplete.',
        data: { records },
      },
    );
  }
  if (!era || !writer) {
    throw new OrchestratorError('NOT_CSV', `${input.fileName} has no header record.`, {
      suggestion: 'Check that the source is an Open Payments CSV.',
    });
  }
  const chunked = writer.chunks.reduce((s, c) => s + c.records, 0);
  if (chunked !== records) {
    throw new OrchestratorError(
      'CHUNK_MISMATCH',
      `Staging chunks of ${input.fileName} hold ${chunked} records but the audit counted ${records}.`,
      {
        suggestion: 'This is a bug: report it with the file. Nothing was landed.',
      },
    );
  }
  return {
    file: input.fileName,
    dataset: era.dataset,
    era: era.id,
    sha256: hash.digest('hex'),
    bytes,
    records,
    header: scanner.header!,
    encoding: repair.report(),
    wrongFieldCount: wrong,
    programYears: Object.fromEntries(programYears),
    publicationDates: Object.fromEntries(publicationDates),
    chunks: writer.chunks,
  };
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
