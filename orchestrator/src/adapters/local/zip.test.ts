import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { type ErrorCode, OrchestratorError } from '../../domain/errors.js';
import { DEFAULT_ZIP_LIMITS, extractZipEntry, listZip, openZipEntry, type ZipLimits } from './zip.js';

const MiB = 1024 * 1024;
const dir = () => mkdtempSync(join(tmpdir(), 'op-zip-'));

// ---------------------------------------------------------------------------------------------------
// A tiny zip writer for hostile archives: any name, sizes, CRC, attributes, offsets.

interface RawEntry {
  name: string | Buffer;
  /** The bytes as stored in the archive (already deflated when method is 8). */
  data: Buffer;
  method: 0 | 8 | number;
  crc32: number;
  uncompressedSize: number;
  compressedSize?: number;
  externalAttributes?: number;
  versionMadeBy?: number;
  flags?: number;
  extra?: Buffer;
  /** Central-directory offset of the local header, to point two entries at the same data. */
  localOffset?: number;
}

const UNIX_FILE = (0o100644 << 16) >>> 0;

function stored(name: string | Buffer, content: string | Buffer, extra: Partial<RawEntry> = {}): RawEntry {
  const data = Buffer.from(content);
  return { name, data, method: 0, crc32: crc32(data), uncompressedSize: data.length, ...extra };
}

function deflated(name: string, content: string | Buffer, extra: Partial<RawEntry> = {}): RawEntry {
  const raw = Buffer.from(content);
  return {
    name,
    data: deflateRawSync(raw),
    method: 8,
    crc32: crc32(raw),
    uncompressedSize: raw.length,
    ...extra,
  };
}

function craftZip(entries: RawEntry[], opts: { entryCount?: number } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8');
    const extra = e.extra ?? Buffer.alloc(0);
    const flags = e.flags ?? (Buffer.isBuffer(e.name) ? 0 : 0x800);
    const compressedSize = e.compressedSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(e.crc32 >>> 0, 14);
    local.writeUInt32LE(compressedSize, 18);
    local.writeUInt32LE(e.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.versionMadeBy ?? 0x031e, 4); // made on Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(e.crc32 >>> 0, 16);
    central.writeUInt32LE(compressedSize, 20);
    central.writeUInt32LE(e.uncompressedSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(e.externalAttributes ?? UNIX_FILE, 38);
    central.writeUInt32LE(e.localOffset ?? offset, 42);
    const localRecord = Buffer.concat([local, name, extra, e.data]);
    locals.push(localRecord);
    centrals.push(Buffer.concat([central, name, extra]));
    offset += localRecord.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  const count = opts.entryCount ?? entries.length;
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** Deflates `bytes` zeros streamed in 1 MiB chunks (never the whole input in memory). */
async function deflatedZeros(bytes: number): Promise<{ data: Buffer; crc: number }> {
  const zeros = Buffer.alloc(MiB);
  let crc = 0;
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(
      (function* () {
        for (let left = bytes; left > 0; left -= MiB) {
          const chunk = left >= MiB ? zeros : zeros.subarray(0, left);
          crc = crc32(chunk, crc);
          yield chunk;
        }
      })(),
    ),
    createDeflateRaw({ level: 9 }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const c of source) parts.push(c);
    },
  );
  return { data: Buffer.concat(parts), crc };
}

// ---------------------------------------------------------------------------------------------------
// Helpers

async function failure(p: Promise<unknown>, code: ErrorCode): Promise<OrchestratorError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OrchestratorError);
  const e = err as OrchestratorError;
  expect(e.code, e.message).toBe(code);
  expect(e.suggestion).toBeTruthy();
  return e;
}

/** Nothing at destPath and no temp file next to it. */
function expectNoOutput(destPath: string): void {
  expect(existsSync(destPath)).toBe(false);
  if (existsSync(dirname(destPath))) {
    expect(readdirSync(dirname(destPath)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }
}

function writeZip(d: string, name: string, bytes: Buffer): string {
  const path = join(d, name);
  writeFileSync(path, bytes);
  return path;
}

/** Opens an entry and reads it whole (small test entries only). */
async function readEntry(path: string, entry: string): Promise<Buffer> {
  return readAll(await openZipEntry(path, entry));
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A CSV of `rows` pseudo-random rows with quoted fields holding newlines, commas, quotes and UTF-8. */
function csv(rows: number): Buffer {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const lines = ['Record_ID,Recipient_City,Nature_Of_Payment,Total_Amount,Context'];
  for (let i = 0; i < rows; i++) {
    const note =
      i % 7 === 0
        ? `"multi-line\r\nnote ${rand()}\nwith ""quotes"", commas"`
        : `"Café ${rand().toString(36)}"`;
    lines.push(`${i + 1},CITY${rand() % 997},Food and Beverage,${(rand() % 100000) / 100},${note}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

// ---------------------------------------------------------------------------------------------------
// Valid archives written by yazl (the same writer as `orchestrator sample`)

describe('valid archive (written by yazl)', () => {
  const GENERAL = 'OP_DTL_GNRL_PGYR2023_P01302025_01102025.csv';
  const REMOVED = 'OP_REMOVED_DELETED_PGYR2023_P01302025_01102025.csv';
  const README = 'README_PGYR2023.txt';
  const BLANKS = 'blanks.csv';
  const EMPTY = 'empty.csv';
  const sources = new Map<string, Buffer>();
  let root: string;
  let archive: string;

  beforeAll(async () => {
    root = dir();
    archive = join(root, 'PGYR2023_P01302025_01102025.zip');
    sources.set(GENERAL, csv(25_000)); // > 1 MiB, so the ratio check is live on it
    sources.set(REMOVED, Buffer.from('Record_ID,Change_Type\r\n1,DELETED\r\n"2","REMOVED\nlater"\r\n'));
    sources.set(README, Buffer.from('Open Payments 2023\nSee the methodology document.\n'));
    sources.set(BLANKS, Buffer.alloc(900 * 1024, 0x20)); // ratio ≫ 200, but under the 1 MiB floor
    sources.set(EMPTY, Buffer.alloc(0));
    const zip = new yazl.ZipFile();
    const done = pipeline(zip.outputStream, createWriteStream(archive));
    zip.addEmptyDirectory('docs/');
    // A stream entry: yazl writes a data descriptor (sizes after the data), as streaming zippers do.
    zip.addReadStream(Readable.from([sources.get(GENERAL)!]), GENERAL);
    zip.addBuffer(sources.get(REMOVED)!, REMOVED);
    zip.addBuffer(sources.get(README)!, README, { compress: false });
    zip.addBuffer(sources.get(BLANKS)!, BLANKS);
    zip.addBuffer(sources.get(EMPTY)!, EMPTY);
    zip.end();
    await done;
  });

  it('lists every entry with sizes and CRC-32', async () => {
    const entries = await listZip(archive);
    expect(entries.map((e) => e.name)).toEqual(['docs/', GENERAL, REMOVED, README, BLANKS, EMPTY]);
    expect(entries[0]).toMatchObject({ name: 'docs/', isDirectory: true, uncompressedSize: 0 });
    for (const e of entries.slice(1)) {
      const source = sources.get(e.name)!;
      expect(e).toMatchObject({ isDirectory: false, uncompressedSize: source.length, crc32: crc32(source) });
    }
    expect(entries.find((e) => e.name === README)?.compressedSize).toBe(sources.get(README)!.length);
    expect(entries.find((e) => e.name === GENERAL)!.compressedSize).toBeLessThan(
      sources.get(GENERAL)!.length,
    );
  });

  it('extracts every file byte for byte, with its sha256, and leaves no temp file', async () => {
    const out = join(root, 'out-all');
    for (const [name, source] of sources) {
      let progressed = 0;
      const dest = join(out, name);
      const result = await extractZipEntry(archive, name, dest, { onBytes: (n) => (progressed += n) });
      expect(result).toEqual({ bytes: source.length, sha256: sha256(source) });
      expect(progressed).toBe(source.length);
      expect(readFileSync(dest).equals(source)).toBe(true);
    }
    expect(readdirSync(out).sort()).toEqual([...sources.keys()].sort());
  });

  it('creates missing folders and replaces an existing file whole', async () => {
    const dest = join(root, 'nested', 'deeper', 'removed.csv');
    await extractZipEntry(archive, REMOVED, dest);
    writeFileSync(dest, 'stale content that is longer than nothing');
    await extractZipEntry(archive, README, dest);
    expect(readFileSync(dest).equals(sources.get(README)!)).toBe(true);
    expect(readdirSync(dirname(dest))).toEqual(['removed.csv']);
  });

  it('opens an entry as a stream', async () => {
    const stream = await openZipEntry(archive, GENERAL);
    expect((await readAll(stream)).equals(sources.get(GENERAL)!)).toBe(true);
  });

  it('reports a missing entry or a folder as ARCHIVE_ENTRY_MISSING, listing what is there', async () => {
    const dest = join(root, 'missing', 'x.csv');
    const err = await failure(
      extractZipEntry(archive, 'OP_DTL_RSRCH_PGYR2023.csv', dest),
      'ARCHIVE_ENTRY_MISSING',
    );
    expect(err.message).toContain('OP_DTL_RSRCH_PGYR2023.csv');
    expect(err.message).toContain(GENERAL);
    expect(err.exitCode).toBe(4);
    expectNoOutput(dest);
    await failure(extractZipEntry(archive, 'docs/', dest), 'ARCHIVE_ENTRY_MISSING');
    await failure(openZipEntry(archive, 'docs'), 'ARCHIVE_ENTRY_MISSING');
    expectNoOutput(dest);
  });

  it('refuses more entries than maxEntries, before extracting anything', async () => {
    const limits: ZipLimits = { ...DEFAULT_ZIP_LIMITS, maxEntries: 5 };
    const err = await failure(listZip(archive, limits), 'UNSAFE_ARCHIVE');
    expect(err.message).toContain('6 entries');
    const dest = join(root, 'too-many', 'r.csv');
    await failure(extractZipEntry(archive, REMOVED, dest, { limits }), 'UNSAFE_ARCHIVE');
    expectNoOutput(dest);
    await expect(listZip(archive, { ...limits, maxEntries: 6 })).resolves.toHaveLength(6);
  });

  it('refuses a declared total over maxTotalUncompressedBytes', async () => {
    // Every entry fits on its own; all of them together do not.
    const limits: ZipLimits = {
      ...DEFAULT_ZIP_LIMITS,
      maxTotalUncompressedBytes: sources.get(GENERAL)!.length + 1000,
    };
    const err = await failure(listZip(archive, limits), 'UNSAFE_ARCHIVE');
    expect(err.message).toMatch(/in total/);
    const dest = join(root, 'too-big', 'r.csv');
    await failure(extractZipEntry(archive, REMOVED, dest, { limits }), 'UNSAFE_ARCHIVE');
    expectNoOutput(dest);
  });

  it('stops on an abort signal (INTERRUPTED) and keeps nothing', async () => {
    const dest = join(root, 'aborted', 'g.csv');
    const pre = new AbortController();
    pre.abort();
    await failure(extractZipEntry(archive, GENERAL, dest, { signal: pre.signal }), 'INTERRUPTED');
    expectNoOutput(dest);
    const mid = new AbortController();
    const err = await failure(
      extractZipEntry(archive, GENERAL, dest, { signal: mid.signal, onBytes: () => mid.abort() }),
      'INTERRUPTED',
    );
    expect(err.exitCode).toBe(130);
    expectNoOutput(dest);
  });

  it('reads ZIP64 records (needed for entries over 4 GiB)', async () => {
    const d = dir();
    const path = join(d, 'zip64.zip');
    const zip = new yazl.ZipFile();
    const done = pipeline(zip.outputStream, createWriteStream(path));
    zip.addBuffer(sources.get(REMOVED)!, REMOVED, { forceZip64Format: true });
    zip.end({ forceZip64Format: true, comment: '' });
    await done;
    expect(await listZip(path)).toMatchObject([
      { name: REMOVED, uncompressedSize: sources.get(REMOVED)!.length },
    ]);
    const dest = join(d, 'r.csv');
    expect((await extractZipEntry(path, REMOVED, dest)).sha256).toBe(sha256(sources.get(REMOVED)!));
  });

  it('fails cleanly (INTERNAL, nothing kept) when the progress callback throws', async () => {
    const dest = join(root, 'throwing', 'g.csv');
    const err = await failure(
      extractZipEntry(archive, GENERAL, dest, {
        onBytes: () => {
          throw new Error('progress bar broke');
        },
      }),
      'INTERNAL',
    );
    expect(err.message).toContain('progress bar broke');
    expectNoOutput(dest);
  });

  it('maps a destination that cannot be written to OUTPUT_NOT_WRITABLE', async () => {
    const d = dir();
    writeFileSync(join(d, 'plain'), 'keep');
    const dest = join(d, 'plain', 'g.csv');
    await failure(extractZipEntry(archive, GENERAL, dest), 'OUTPUT_NOT_WRITABLE');
    expect(readdirSync(d)).toEqual(['plain']);
  });

  it('reports a missing archive as OBJECT_NOT_FOUND', async () => {
    await failure(listZip(join(root, 'nope.zip')), 'OBJECT_NOT_FOUND');
    await failure(listZip(root), 'OBJECT_NOT_FOUND');
  });

  it('does not leak file descriptors, whatever the outcome', async () => {
    if (!existsSync('/proc/self/fd')) return;
    const fds = () => readdirSync('/proc/self/fd').length;
    const settle = () => new Promise((r) => setTimeout(r, 50));
    await settle();
    const before = fds();
    const d = dir();
    for (let i = 0; i < 20; i++) {
      await listZip(archive);
      await extractZipEntry(archive, REMOVED, join(d, 'r.csv'));
      await extractZipEntry(archive, 'nope', join(d, 'n.csv')).catch(() => undefined);
      await extractZipEntry(archive, GENERAL, join(d, 'x', 'plain'), {
        limits: { ...DEFAULT_ZIP_LIMITS, maxEntries: 1 },
      }).catch(() => undefined);
      const ac = new AbortController();
      await extractZipEntry(archive, GENERAL, join(d, 'g.csv'), {
        signal: ac.signal,
        onBytes: () => ac.abort(),
      }).catch(() => undefined);
      const s = await openZipEntry(archive, GENERAL);
      (s as Readable).destroy();
    }
    await settle();
    expect(fds()).toBeLessThanOrEqual(before + 2);
  });
});

// ---------------------------------------------------------------------------------------------------
// Hostile archives

describe('hostile archive', () => {
  const GOOD = 'README.txt';
  const goodEntry = () => stored(GOOD, 'hello\n');

  /** The archive must be refused as a whole: listing, and extracting even its harmless entry. */
  async function expectRefused(entries: RawEntry[], code: ErrorCode, opts: { entryCount?: number } = {}) {
    const d = dir();
    const path = writeZip(d, 'hostile.zip', craftZip(entries, opts));
    const err = await failure(listZip(path), code);
    const dest = join(d, 'out', 'file');
    await failure(extractZipEntry(path, GOOD, dest), code);
    await failure(openZipEntry(path, GOOD), code);
    expectNoOutput(dest);
    return err;
  }

  it('the crafted-zip helper makes archives that read back fine', async () => {
    const d = dir();
    const body = csv(50);
    const path = writeZip(d, 'ok.zip', craftZip([goodEntry(), deflated('data/a.csv', body)]));
    expect((await listZip(path)).map((e) => e.name)).toEqual([GOOD, 'data/a.csv']);
    const dest = join(d, 'a.csv');
    expect(await extractZipEntry(path, 'data/a.csv', dest)).toEqual({
      bytes: body.length,
      sha256: sha256(body),
    });
  });

  it.each([
    ['zip-slip', '../../etc/passwd', /"\.\."/],
    ['zip-slip inside a path', 'data/../../../home/x/.bashrc', /"\.\."/],
    ['bare parent', '..', /"\.\."/],
    ['absolute path', '/etc/passwd', /absolute/],
    ['drive letter with backslash', 'C:\\evil', /absolute/],
    ['drive letter with slash', 'C:/Windows/evil.dll', /absolute/],
    ['drive-relative', 'c:evil', /absolute/],
    ['UNC path', '\\\\server\\share\\x', /absolute/],
    ['backslash traversal', 'data\\..\\..\\evil', /backslash/],
    ['backslash', 'data\\file.csv', /backslash/],
    ['NUL', 'file.csv\0.txt', /NUL/],
    ['empty name', '', /empty/],
  ])('refuses %s (%j) as UNSAFE_ARCHIVE, naming the entry', async (_label, name, reason) => {
    const err = await expectRefused([goodEntry(), stored(name, 'x')], 'UNSAFE_ARCHIVE');
    expect(err.message).toContain(JSON.stringify(name));
    expect(err.message).toMatch(reason);
    expect(err.data).toMatchObject({ entry: name });
  });

  it('refuses a CP437 (non-UTF-8) name with a traversal', async () => {
    await expectRefused([goodEntry(), stored(Buffer.from('..\\..\\x', 'latin1'), 'x')], 'UNSAFE_ARCHIVE');
  });

  it('refuses a harmless name whose Info-ZIP Unicode Path field says ../', async () => {
    const raw = Buffer.from('safe.txt');
    const unicode = Buffer.from('../../evil.txt');
    const field = Buffer.alloc(4 + 5 + unicode.length);
    field.writeUInt16LE(0x7075, 0);
    field.writeUInt16LE(5 + unicode.length, 2);
    field.writeUInt8(1, 4);
    field.writeUInt32LE(crc32(raw), 5);
    unicode.copy(field, 9);
    const err = await expectRefused([goodEntry(), stored(raw, 'x', { extra: field })], 'UNSAFE_ARCHIVE');
    expect(err.message).toContain('../../evil.txt');
  });

  it('refuses a symbolic link entry', async () => {
    const link = stored('passwd', '/etc/passwd', { externalAttributes: (0o120777 << 16) >>> 0 });
    const err = await expectRefused([goodEntry(), link], 'UNSAFE_ARCHIVE');
    expect(err.message).toMatch(/"passwd".*symbolic link/);
  });

  it('refuses special files (FIFO, device) and Windows reparse points', async () => {
    await expectRefused(
      [goodEntry(), stored('fifo', '', { externalAttributes: (0o010644 << 16) >>> 0 })],
      'UNSAFE_ARCHIVE',
    );
    await expectRefused(
      [goodEntry(), stored('sda', '', { externalAttributes: (0o060660 << 16) >>> 0 })],
      'UNSAFE_ARCHIVE',
    );
    await expectRefused(
      [goodEntry(), stored('junction', 'x', { versionMadeBy: 0x0a14, externalAttributes: 0x400 })],
      'UNSAFE_ARCHIVE',
    );
  });

  it('accepts DOS-made entries without a Unix mode', async () => {
    const d = dir();
    const path = writeZip(
      d,
      'dos.zip',
      craftZip([stored('a.txt', 'a', { versionMadeBy: 0x0014, externalAttributes: 0x20 })]),
    );
    expect(await listZip(path)).toHaveLength(1);
  });

  it('refuses duplicate names and overlapping entries', async () => {
    await expectRefused([goodEntry(), stored('a.csv', 'one'), stored('a.csv', 'two')], 'UNSAFE_ARCHIVE');
    const body = Buffer.alloc(4096, 0x61);
    const err = await expectRefused(
      [stored('a.csv', body), stored('b.csv', body, { localOffset: 0 }), goodEntry()],
      'UNSAFE_ARCHIVE',
    );
    expect(err.message).toMatch(/overlap/);
  });

  it('refuses an end record declaring more entries than maxEntries, before reading them', async () => {
    const err = await expectRefused([goodEntry()], 'UNSAFE_ARCHIVE', { entryCount: 5000 });
    expect(err.message).toContain('5000 entries');
  });

  describe('zip bombs', () => {
    const BOMB = 32 * MiB;
    let zeros: { data: Buffer; crc: number };
    beforeAll(async () => {
      zeros = await deflatedZeros(BOMB);
    });

    it('refuses an honest bomb by its declared ratio, before inflating anything', async () => {
      const bomb: RawEntry = {
        name: 'bomb.csv',
        data: zeros.data,
        method: 8,
        crc32: zeros.crc,
        uncompressedSize: BOMB,
      };
      const err = await expectRefused([goodEntry(), bomb], 'UNSAFE_ARCHIVE');
      expect(err.message).toMatch(/"bomb\.csv".*compression ratio of \d+:1.*zip bomb/);
      expect(err.data).toMatchObject({ entry: 'bomb.csv', uncompressedSize: BOMB });
    });

    it('refuses a bomb whose header lies about its size, on the bytes actually inflated', async () => {
      const d = dir();
      // Declares 2 MiB (ratio ~60 from its compressed size: passes the declared checks) but inflates to 32 MiB.
      const liar: RawEntry = {
        name: 'liar.csv',
        data: zeros.data,
        method: 8,
        crc32: zeros.crc,
        uncompressedSize: 2 * MiB,
      };
      const path = writeZip(d, 'liar.zip', craftZip([goodEntry(), liar]));
      expect((await listZip(path)).find((e) => e.name === 'liar.csv')?.uncompressedSize).toBe(2 * MiB);
      const dest = join(d, 'out', 'liar.csv');
      let seen = 0;
      const err = await failure(
        extractZipEntry(path, 'liar.csv', dest, { onBytes: (n) => (seen += n) }),
        'UNSAFE_ARCHIVE',
      );
      expect(err.message).toMatch(/more than the 2097152 bytes its header declares/);
      expect(seen).toBeLessThanOrEqual(2 * MiB);
      expectNoOutput(dest);
      await failure(readEntry(path, 'liar.csv'), 'UNSAFE_ARCHIVE');
      // The good entry of an archive that only lies about another entry is still readable.
      expect(await extractZipEntry(path, GOOD, join(d, 'out', GOOD))).toMatchObject({ bytes: 6 });
    });

    it('inflates nothing until the caller reads, so a late reader still gets the error', async () => {
      const d = dir();
      const liar: RawEntry = {
        name: 'late.csv',
        data: zeros.data,
        method: 8,
        crc32: 0,
        uncompressedSize: 4096,
      };
      const stream = await openZipEntry(writeZip(d, 'late.zip', craftZip([liar])), 'late.csv');
      await new Promise((resolve) => setTimeout(resolve, 50)); // an unhandled 'error' would fire here
      await failure(readAll(stream), 'UNSAFE_ARCHIVE');
    });

    it('refuses a tiny declared size inflating far beyond it', async () => {
      const d = dir();
      const liar: RawEntry = {
        name: 'small.csv',
        data: zeros.data,
        method: 8,
        crc32: 0,
        uncompressedSize: 1000,
      };
      const path = writeZip(d, 'small-liar.zip', craftZip([liar]));
      const dest = join(d, 'small.csv');
      await failure(extractZipEntry(path, 'small.csv', dest), 'UNSAFE_ARCHIVE');
      expectNoOutput(dest);
    });

    it('refuses one entry declaring more than the total limit', async () => {
      const huge = stored('huge.csv', 'x', { uncompressedSize: 0xfffffff0, compressedSize: 0x1000000 });
      const err = await failure(
        listZip(writeZip(dir(), 'huge.zip', craftZip([huge])), {
          ...DEFAULT_ZIP_LIMITS,
          maxTotalUncompressedBytes: 1024 * MiB,
        }),
        'UNSAFE_ARCHIVE',
      );
      expect(err.message).toMatch(/"huge\.csv".*limit/);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// Corrupt archives

describe('corrupt archive', () => {
  async function expectCorrupt(bytes: Buffer, entry: string, when: 'list' | 'extract') {
    const d = dir();
    const path = writeZip(d, 'corrupt.zip', bytes);
    if (when === 'list') await failure(listZip(path), 'ARCHIVE_CORRUPT');
    else await listZip(path);
    const dest = join(d, 'out', 'file');
    const err = await failure(extractZipEntry(path, entry, dest), 'ARCHIVE_CORRUPT');
    expectNoOutput(dest);
    if (when === 'extract') await failure(readEntry(path, entry), 'ARCHIVE_CORRUPT');
    return err;
  }

  it('refuses an empty file', async () => {
    const err = await expectCorrupt(Buffer.alloc(0), 'a', 'list');
    expect(err.message).toMatch(/empty/);
  });

  it('refuses a file that is not a zip', async () => {
    const err = await expectCorrupt(Buffer.from('Record_ID,Amount\n1,2\n'.repeat(100)), 'a', 'list');
    expect(err.message).toMatch(/not a zip file, or truncated/);
    await expectCorrupt(Buffer.from('<html>403 Forbidden</html>'), 'a', 'list');
  });

  it('refuses a valid archive cut in half', async () => {
    const body = csv(2000);
    const whole = craftZip([deflated('a.csv', body), stored('b.txt', 'b')]);
    await expectCorrupt(whole.subarray(0, Math.floor(whole.length / 2)), 'a.csv', 'list');
    await expectCorrupt(whole.subarray(0, whole.length - 1), 'a.csv', 'list');
  });

  it('refuses a central directory pointing past the end of the file', async () => {
    const bytes = craftZip([stored('a.csv', 'abc', { compressedSize: 50_000, uncompressedSize: 50_000 })]);
    await expectCorrupt(bytes, 'a.csv', 'extract');
  });

  it('refuses a CRC-32 mismatch (stored CRC, or a flipped data byte)', async () => {
    const body = csv(500);
    const err = await expectCorrupt(
      craftZip([deflated('a.csv', body, { crc32: crc32(body) ^ 1 })]),
      'a.csv',
      'extract',
    );
    expect(err.message).toMatch(/"a\.csv".*CRC-32/);
    const flipped = stored('b.csv', body);
    flipped.data = Buffer.from(flipped.data);
    flipped.data[100] = flipped.data[100]! ^ 0x01;
    await expectCorrupt(craftZip([flipped]), 'b.csv', 'extract');
  });

  it('refuses deflate data that does not inflate', async () => {
    const entry = deflated('a.csv', csv(500));
    entry.data = Buffer.from(entry.data);
    entry.data[0] = 0xff; // reserved block type
    await expectCorrupt(craftZip([entry]), 'a.csv', 'extract');
  });

  it('holds an inflate error that happens before the caller reads, and reports it on reading', async () => {
    const entry = deflated('a.csv', csv(500));
    entry.data = Buffer.from(entry.data);
    entry.data[0] = 0xff;
    const stream = await openZipEntry(writeZip(dir(), 'early.zip', craftZip([entry])), 'a.csv');
    await new Promise((resolve) => setTimeout(resolve, 50)); // an unhandled 'error' would fire here
    await failure(readAll(stream), 'ARCHIVE_CORRUPT');
  });

  it('refuses an entry shorter than its declared size', async () => {
    const body = csv(500);
    const err = await expectCorrupt(
      craftZip([deflated('a.csv', body, { uncompressedSize: body.length + 10 })]),
      'a.csv',
      'extract',
    );
    expect(err.message).toMatch(/inflates to \d+ bytes but its header declares/);
  });

  it('refuses a stored entry whose sizes disagree', async () => {
    await expectCorrupt(craftZip([stored('a.csv', 'abcdef', { uncompressedSize: 5 })]), 'a.csv', 'list');
  });

  it('refuses an unsupported compression method or an encrypted entry', async () => {
    await expectCorrupt(craftZip([{ ...deflated('a.csv', 'abc'), method: 12 }]), 'a.csv', 'extract');
    await expectCorrupt(craftZip([deflated('a.csv', 'abc', { flags: 0x801 })]), 'a.csv', 'extract');
  });
});
