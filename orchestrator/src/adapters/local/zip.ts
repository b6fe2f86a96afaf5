/**
 * Reading CMS year archives (one zip per program year: detail CSVs of several GB, a removed/deleted CSV,
 * a README) without trusting them. Every call reads the central directory and vets every entry before a
 * byte is extracted (names, links, declared sizes, compression ratios, totals, overlaps); the entry is
 * then streamed — never held whole in memory — through a guard that enforces the same caps on the bytes
 * actually inflated and checks the CRC-32 and the size at the end, so a lying header cannot get past.
 *
 * Codes: UNSAFE_ARCHIVE (hostile or over a limit), ARCHIVE_CORRUPT (not a zip, truncated, CRC or size
 * mismatch, unreadable entry), ARCHIVE_ENTRY_MISSING (no such file in the archive).
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import yauzl from 'yauzl';
import { OrchestratorError, toOrchestratorError } from '../../domain/errors.js';
import { errnoCode, outputWriteError, tempPathFor } from './files.js';

export interface ZipLimits {
  /** Most entries (files and folders) an archive may have. */
  maxEntries: number;
  /** Most bytes all entries together may inflate to (declared, and per entry actually inflated). */
  maxTotalUncompressedBytes: number;
  /** Highest uncompressed/compressed ratio of one entry (entries under 1 MiB are exempt). */
  maxCompressionRatio: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * A CMS year archive has a handful of entries, ~10–20 GB of CSV and compresses CSV ~5–20×; these leave
 * ample room for growth while refusing the classic bombs (ratios in the thousands, petabyte totals).
 */
export const DEFAULT_ZIP_LIMITS: ZipLimits = Object.freeze({
  maxEntries: 1000,
  maxTotalUncompressedBytes: 64 * GiB,
  maxCompressionRatio: 200,
});

/** Entries smaller than this are not ratio-checked: a small run of blanks compresses far beyond 200×. */
const RATIO_EXEMPT_BELOW = MiB;

export interface ZipEntryInfo {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  isDirectory: boolean;
}

const UNSAFE_SUGGESTION =
  'Do not use this archive: delete it and download it again from CMS Open Payments. If a fresh copy is refused too, report it.';
const LIMIT_SUGGESTION =
  'If the archive is a genuine CMS publication that outgrew the safety limits, raise the limit; otherwise delete it and download it again.';
const CORRUPT_SUGGESTION =
  'The archive is damaged or incomplete (often an interrupted download): delete it and download it again.';

const MAX_NAMES_IN_MESSAGE = 20;

// ---------------------------------------------------------------------------------------------------
// Public API

/** Reads the central directory and validates every entry (names, links, declared sizes, ratios, totals) before anything is extracted. */
export async function listZip(path: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipEntryInfo[]> {
  const archive = await openArchive(path, limits);
  archive.zip.close();
  return archive.entries.map((e) => e.info);
}

/**
 * Streams one entry into destPath (temp file + atomic rename), verifying CRC and actual size, enforcing
 * the ratio/total caps on the bytes actually inflated (a lying header must not bypass them). Returns
 * bytes and sha256 of the extracted content. `onBytes` receives each increment of extracted bytes.
 * On any failure (including an abort: INTERRUPTED) nothing is left at destPath or at the temp path.
 */
export async function extractZipEntry(
  path: string,
  entryName: string,
  destPath: string,
  opts: { limits?: ZipLimits; signal?: AbortSignal; onBytes?: (n: number) => void } = {},
): Promise<{ bytes: number; sha256: string }> {
  const { signal, onBytes } = opts;
  if (signal?.aborted) throw interrupted(path, entryName);
  const hash = createHash('sha256');
  const guard = await openGuardedEntry(path, entryName, opts.limits ?? DEFAULT_ZIP_LIMITS, hash, onBytes);
  const tmp = tempPathFor(destPath);
  try {
    await mkdir(dirname(destPath), { recursive: true });
    await pipeline(guard, createWriteStream(tmp), signal === undefined ? {} : { signal });
    // Durable before visible: a crash after the rename must not expose a file with holes.
    const handle = await open(tmp, 'r');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    if (signal?.aborted) throw interrupted(path, entryName);
    await rename(tmp, destPath);
  } catch (e) {
    guard.destroy(); // releases the archive's file descriptor if the pipeline never started
    await rm(tmp, { force: true }).catch(() => undefined); // keep the original error
    if (e instanceof OrchestratorError) throw e;
    if (signal?.aborted || (e as Error | undefined)?.name === 'AbortError') {
      throw interrupted(path, entryName);
    }
    throw outputWriteError(e, destPath);
  }
  return { bytes: guard.bytes, sha256: hash.digest('hex') };
}

/**
 * Opens one entry as a stream (same checks, enforced while reading: the stream errors with a coded
 * error). The caller must consume or destroy it: the archive's file stays open until then.
 */
export async function openZipEntry(
  path: string,
  entryName: string,
  opts: { limits?: ZipLimits } = {},
): Promise<NodeJS.ReadableStream> {
  return openGuardedEntry(path, entryName, opts.limits ?? DEFAULT_ZIP_LIMITS);
}

// ---------------------------------------------------------------------------------------------------
// Opening and vetting

interface VettedEntry {
  info: ZipEntryInfo;
  entry: yauzl.Entry;
}

interface OpenArchive {
  zip: yauzl.ZipFile;
  entries: VettedEntry[];
}

/** Opens the archive and vets the whole central directory; on failure the archive is closed. */
async function openArchive(path: string, limits: ZipLimits): Promise<OpenArchive> {
  await checkArchiveFile(path);
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings off: names are decoded and vetted here, so that every name problem is reported as
    // UNSAFE_ARCHIVE (yauzl's own checks would raise bare Errors and silently turn `\` into `/`).
    // validateEntrySizes off: the guard below does that check, with coded errors.
    zip = await yauzl.openPromise(path, {
      autoClose: false,
      lazyEntries: true,
      decodeStrings: false,
      validateEntrySizes: false,
      strictFileNames: true,
    });
  } catch (e) {
    throw readFailure(
      e,
      path,
      undefined,
      'has no readable end-of-archive record (not a zip file, or truncated)',
    );
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw unsafe(
        path,
        undefined,
        `it declares ${zip.entryCount} entries, more than the limit of ${limits.maxEntries}`,
        { entries: zip.entryCount, limit: limits.maxEntries },
        LIMIT_SUGGESTION,
      );
    }
    const entries: VettedEntry[] = [];
    const seen = new Set<string>();
    let total = 0;
    try {
      for await (const entry of zip.eachEntry()) {
        const info = vetEntry(path, entry, limits);
        if (seen.has(info.name)) throw unsafe(path, info.name, 'appears twice in the archive', {});
        seen.add(info.name);
        total += info.uncompressedSize;
        if (total > limits.maxTotalUncompressedBytes) {
          throw unsafe(
            path,
            undefined,
            `its entries declare more than ${limits.maxTotalUncompressedBytes} bytes uncompressed in total (reached ${total} at ${quote(info.name)})`,
            { totalUncompressedBytes: total, limit: limits.maxTotalUncompressedBytes },
            LIMIT_SUGGESTION,
          );
        }
        entries.push({ info, entry });
      }
    } catch (e) {
      throw readFailure(e, path, undefined, 'has an unreadable central directory');
    }
    checkNoOverlap(path, entries);
    // Errors after iteration (closing the file) must not crash the process as an unhandled 'error'.
    zip.on('error', () => undefined);
    return { zip, entries };
  } catch (e) {
    zip.close();
    throw e;
  }
}

/** Clear messages for the common mistakes, before the zip parser sees the file. */
async function checkArchiveFile(path: string): Promise<void> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) {
      throw new OrchestratorError(
        'OBJECT_NOT_FOUND',
        `${path} is not a file, so it cannot be a zip archive.`,
        {
          suggestion: 'Pass the path of the downloaded .zip file.',
          data: { archive: path },
        },
      );
    }
    size = s.size;
  } catch (e) {
    if (e instanceof OrchestratorError) throw e;
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new OrchestratorError('OBJECT_NOT_FOUND', `No archive at ${path}.`, {
        cause: e,
        suggestion: 'Check the path, or download the year archive first.',
        data: { archive: path },
      });
    }
    throw readFailure(e, path, undefined, 'cannot be read');
  }
  if (size === 0) {
    throw corrupt(path, undefined, 'is empty (0 bytes), not a zip archive', { bytes: 0 });
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const FILE_ATTRIBUTE_REPARSE_POINT = 0x400;

/** Decodes and checks one central-directory record; throws UNSAFE_ARCHIVE / ARCHIVE_CORRUPT. */
function vetEntry(path: string, entry: yauzl.Entry, limits: ZipLimits): ZipEntryInfo {
  const raw = entry.fileNameRaw;
  // The name a tool would use (an Info-ZIP Unicode Path extra field wins) and the plain header name:
  // both must be safe, whichever one some other unzip tool would pick.
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, true);
  const headerName = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, [], true);
  for (const n of name === headerName ? [name] : [name, headerName]) {
    const problem = nameProblem(n);
    if (problem !== undefined) throw unsafe(path, n, problem, {});
  }

  const attributes = entry.externalFileAttributes >>> 0;
  const unixType = (attributes >>> 16) & S_IFMT;
  if (unixType === S_IFLNK) {
    throw unsafe(path, name, 'is a symbolic link (links can point outside the extraction folder)', {});
  }
  if (unixType !== 0 && unixType !== S_IFREG && unixType !== S_IFDIR) {
    throw unsafe(path, name, 'is a special file (device, FIFO or socket), not a regular file', {
      mode: (attributes >>> 16).toString(8),
    });
  }
  if (unixType === 0 && (attributes & FILE_ATTRIBUTE_REPARSE_POINT) !== 0) {
    throw unsafe(path, name, 'is a Windows reparse point (a link), not a regular file', {});
  }

  const { compressedSize, uncompressedSize } = entry;
  if (uncompressedSize > limits.maxTotalUncompressedBytes) {
    throw unsafe(
      path,
      name,
      `declares ${uncompressedSize} bytes uncompressed, more than the limit of ${limits.maxTotalUncompressedBytes}`,
      { uncompressedSize, limit: limits.maxTotalUncompressedBytes },
      LIMIT_SUGGESTION,
    );
  }
  if (
    uncompressedSize >= RATIO_EXEMPT_BELOW &&
    uncompressedSize > limits.maxCompressionRatio * compressedSize
  ) {
    throw unsafe(
      path,
      name,
      `declares a compression ratio of ${ratio(uncompressedSize, compressedSize)} (${compressedSize} bytes inflating to ${uncompressedSize}), above the limit of ${limits.maxCompressionRatio}: a zip bomb`,
      { compressedSize, uncompressedSize, limit: limits.maxCompressionRatio },
    );
  }
  if (entry.compressionMethod === 0 && !entry.isEncrypted() && compressedSize !== uncompressedSize) {
    throw corrupt(
      path,
      name,
      `is stored uncompressed but its sizes disagree (${compressedSize} stored, ${uncompressedSize} declared)`,
      { compressedSize, uncompressedSize },
    );
  }
  return {
    name,
    compressedSize,
    uncompressedSize,
    crc32: entry.crc32 >>> 0,
    isDirectory: name.endsWith('/'),
  };
}

/** Why a name is unsafe to extract anywhere, or undefined. */
function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'has an empty name';
  if (name.includes('\0')) return 'has a NUL character in its name';
  if (/^([A-Za-z]:|[\\/])/.test(name))
    return 'has an absolute path (it would be written outside the target folder)';
  if (name.includes('\\'))
    return 'has a backslash in its name (forbidden by the zip format; a Windows path trick)';
  if (name.split('/').includes('..')) {
    return 'has a ".." path segment (zip-slip: it would be written outside the target folder)';
  }
  return undefined;
}

/**
 * Refuses entries whose data overlap (several entries inflating the same bytes: the "overlapping" zip
 * bomb, which beats per-entry ratio checks). Uses a lower bound of each local record's length, so a
 * normal archive can never trip it.
 */
function checkNoOverlap(path: string, entries: VettedEntry[]): void {
  const spans = entries
    .map((e) => ({
      name: e.info.name,
      start: e.entry.relativeOffsetOfLocalHeader,
      end: e.entry.relativeOffsetOfLocalHeader + 30 + e.entry.compressedSize,
    }))
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1]!;
    const cur = spans[i]!;
    if (cur.start < prev.end) {
      throw unsafe(
        path,
        cur.name,
        `overlaps the data of entry ${quote(prev.name)} (an overlapping zip bomb)`,
        {
          overlapsWith: prev.name,
        },
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Streaming one entry

/** Opens the archive, vets it, finds the entry and returns its guarded stream (the archive closes when it ends). */
async function openGuardedEntry(
  path: string,
  entryName: string,
  limits: ZipLimits,
  hash?: Hash,
  onBytes?: (n: number) => void,
): Promise<EntryGuard> {
  const { zip, entries } = await openArchive(path, limits);
  let source: Readable;
  let found: VettedEntry;
  try {
    found = findEntry(path, entries, entryName);
    const { entry, info } = found;
    if (entry.isEncrypted()) {
      throw corrupt(path, info.name, 'is encrypted; this reader cannot decrypt it', {});
    }
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw corrupt(
        path,
        info.name,
        `uses compression method ${entry.compressionMethod}; only stored (0) and deflate (8) are supported`,
        { compressionMethod: entry.compressionMethod },
      );
    }
    try {
      source = await zip.openReadStreamPromise(entry);
    } catch (e) {
      throw readFailure(e, path, info.name, 'has data that cannot be located');
    }
  } finally {
    // Closes the file once the entry's stream has ended or been destroyed (yauzl reference-counts it).
    zip.close();
  }
  const guard = new EntryGuard(path, found.info, limits, hash, onBytes);
  guard.feedFrom(source, (e) => readFailure(e, path, found.info.name, 'has data that cannot be read'));
  return guard;
}

function findEntry(path: string, entries: VettedEntry[], entryName: string): VettedEntry {
  const found = entries.find((e) => e.info.name === entryName);
  const files = entries.filter((e) => !e.info.isDirectory).map((e) => e.info.name);
  const shown = files.slice(0, MAX_NAMES_IN_MESSAGE).map(quote).join(', ');
  const more = files.length > MAX_NAMES_IN_MESSAGE ? `, … ${files.length - MAX_NAMES_IN_MESSAGE} more` : '';
  if (found === undefined || found.info.isDirectory) {
    const what = found === undefined ? 'has no entry' : 'has only a folder named';
    throw new OrchestratorError(
      'ARCHIVE_ENTRY_MISSING',
      `Archive ${path} ${what} ${quote(entryName)} (its files: ${shown || 'none'}${more}).`,
      {
        suggestion:
          'Check the file name against the archive listing: CMS names change between publications (program year, publication date).',
        data: { archive: path, entry: entryName, available: files.slice(0, MAX_NAMES_IN_MESSAGE * 5) },
      },
    );
  }
  return found;
}

/**
 * Passes an entry's inflated bytes through, refusing as soon as they exceed the entry's declared size,
 * the ratio cap or the total cap, and checking size and CRC-32 at the end. Errors are coded.
 */
class EntryGuard extends Transform {
  bytes = 0;
  private crc = 0;
  private startFlow: (() => void) | undefined;

  constructor(
    private readonly archive: string,
    private readonly info: ZipEntryInfo,
    private readonly limits: ZipLimits,
    private readonly hash: Hash | undefined,
    private readonly onBytes: ((n: number) => void) | undefined,
  ) {
    super();
  }

  /**
   * Connects the entry's raw stream on the consumer's first read, so that an error (a bomb, a bad CRC)
   * is only ever raised to someone listening, never as an unhandled 'error' event that kills the process.
   */
  feedFrom(source: Readable, toError: (e: unknown) => OrchestratorError): void {
    let started = false;
    let pending: OrchestratorError | undefined;
    // yauzl starts reading (and inflating a buffer's worth) as soon as the stream exists: an error
    // before the consumer reads is held until it does.
    source.on('error', (e) => {
      const err = toError(e);
      if (started) this.destroy(err);
      else pending ??= err;
    });
    this.on('close', () => {
      if (!source.readableEnded) {
        source.unpipe(this); // yauzl requires unpipe before destroy
        source.destroy(); // releases the archive's file descriptor
      }
    });
    this.startFlow = () => {
      started = true;
      if (pending === undefined) source.pipe(this);
      else this.destroy(pending);
    };
  }

  override _read(size: number): void {
    const start = this.startFlow;
    this.startFlow = undefined;
    start?.();
    if (!this.destroyed) super._read(size);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const { archive, info, limits } = this;
    const bytes = this.bytes + chunk.length;
    this.bytes = bytes;
    if (bytes > limits.maxTotalUncompressedBytes) {
      callback(
        unsafe(
          archive,
          info.name,
          `inflates to more than the limit of ${limits.maxTotalUncompressedBytes} bytes`,
          { inflatedAtLeast: bytes, limit: limits.maxTotalUncompressedBytes },
          LIMIT_SUGGESTION,
        ),
      );
      return;
    }
    if (bytes >= RATIO_EXEMPT_BELOW && bytes > limits.maxCompressionRatio * info.compressedSize) {
      callback(
        unsafe(
          archive,
          info.name,
          `inflates ${info.compressedSize} bytes to more than ${bytes}, a ratio above the limit of ${limits.maxCompressionRatio}: a zip bomb`,
          { compressedSize: info.compressedSize, inflatedAtLeast: bytes, limit: limits.maxCompressionRatio },
        ),
      );
      return;
    }
    if (bytes > info.uncompressedSize) {
      callback(
        unsafe(
          archive,
          info.name,
          `inflates to more than the ${info.uncompressedSize} bytes its header declares (at least ${bytes}): a forged size, as in zip bombs`,
          { declared: info.uncompressedSize, inflatedAtLeast: bytes },
        ),
      );
      return;
    }
    this.crc = crc32(chunk, this.crc);
    this.hash?.update(chunk);
    try {
      this.onBytes?.(chunk.length);
    } catch (e) {
      callback(toOrchestratorError(e)); // a throwing progress callback fails the read, not the process
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const { archive, info } = this;
    if (this.bytes !== info.uncompressedSize) {
      callback(
        corrupt(
          archive,
          info.name,
          `inflates to ${this.bytes} bytes but its header declares ${info.uncompressedSize}`,
          { declared: info.uncompressedSize, actual: this.bytes },
        ),
      );
      return;
    }
    if (this.crc >>> 0 !== info.crc32) {
      callback(
        corrupt(
          archive,
          info.name,
          `fails its CRC-32 check (expected ${hex(info.crc32)}, got ${hex(this.crc)})`,
          { expectedCrc32: hex(info.crc32), actualCrc32: hex(this.crc) },
        ),
      );
      return;
    }
    callback();
  }
}

// ---------------------------------------------------------------------------------------------------
// CRC-32 (zlib.crc32 from Node 20.15; a table fallback for older 20.x)

const nativeCrc32 = typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined;

function crc32(data: Uint8Array, previous: number): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(data, previous);
  crcTable ??= makeCrcTable();
  const table = crcTable;
  let crc = ~previous;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

let crcTable: Int32Array | undefined;

function makeCrcTable(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
}

// ---------------------------------------------------------------------------------------------------
// Errors

function quote(name: string): string {
  return JSON.stringify(name); // escapes control characters: entry names come from the archive
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function ratio(uncompressed: number, compressed: number): string {
  return compressed === 0 ? '∞' : `${Math.round(uncompressed / compressed)}:1`;
}

function subject(archive: string, entry: string | undefined): string {
  return entry === undefined ? `Archive ${archive}` : `Entry ${quote(entry)} of archive ${archive}`;
}

function unsafe(
  archive: string,
  entry: string | undefined,
  problem: string,
  data: Record<string, unknown>,
  suggestion: string = UNSAFE_SUGGESTION,
): OrchestratorError {
  return new OrchestratorError('UNSAFE_ARCHIVE', `${subject(archive, entry)} is refused: it ${problem}.`, {
    suggestion,
    data: { archive, ...(entry === undefined ? {} : { entry }), ...data },
  });
}

function corrupt(
  archive: string,
  entry: string | undefined,
  problem: string,
  data: Record<string, unknown>,
  cause?: unknown,
): OrchestratorError {
  return new OrchestratorError('ARCHIVE_CORRUPT', `${subject(archive, entry)} is corrupt: it ${problem}.`, {
    suggestion: CORRUPT_SUGGESTION,
    ...(cause === undefined ? {} : { cause }),
    data: { archive, ...(entry === undefined ? {} : { entry }), ...data },
  });
}

function interrupted(archive: string, entry: string): OrchestratorError {
  return new OrchestratorError('INTERRUPTED', `Extracting ${quote(entry)} from ${archive} was interrupted.`, {
    suggestion: 'Run the command again; nothing partial was kept.',
    data: { archive, entry },
  });
}

/** A failure reading the archive: I/O errors stay IO_ERROR, anything else the parser or zlib raised is corruption. */
function readFailure(
  e: unknown,
  archive: string,
  entry: string | undefined,
  what: string,
): OrchestratorError {
  if (e instanceof OrchestratorError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = errnoCode(e);
  if (code !== undefined && /^E[A-Z]+$/.test(code)) {
    return new OrchestratorError('IO_ERROR', `Reading ${archive} failed: ${message}.`, {
      cause: e,
      suggestion: 'Check the file is readable (permissions, disk) and retry.',
      data: { archive, ...(entry === undefined ? {} : { entry }), errno: code },
    });
  }
  return corrupt(archive, entry, `${what} (${message})`, {}, e);
}
