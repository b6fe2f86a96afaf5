import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrchestratorError } from '../../domain/errors.js';
import type { ObjectInfo } from '../../ports/object-store.js';
import { FsObjectStore, ObjectExistsError } from './fs-object-store.js';

const RAW_KEY = 'raw/open_payments/general/program_year=2023/publication=2024-06-28/general.csv';

let root: string;
let store: FsObjectStore;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'fs-object-store-'));
  store = new FsObjectStore(root);
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the promise to reject');
}

async function orchestratorRejection(promise: Promise<unknown>, code: string): Promise<OrchestratorError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(OrchestratorError);
  expect((error as OrchestratorError).code).toBe(code);
  return error as OrchestratorError;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of iterable) out.push(info);
  return out;
}

/** Every file under the lake folder (relative, '/'-separated), including temp files. */
async function filesOnDisk(dir = root): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

async function tempLeftovers(): Promise<string[]> {
  return (await filesOnDisk()).filter((f) => path.posix.basename(f).startsWith('.tmp-'));
}

/** Deterministic pseudo-random bytes, produced in 64 KiB chunks. */
function* chunks(totalBytes: number, seed: number): Generator<Buffer> {
  let state = seed >>> 0;
  for (let produced = 0; produced < totalBytes; ) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, totalBytes - produced));
    for (let i = 0; i < chunk.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      chunk[i] = state >>> 24;
    }
    produced += chunk.length;
    yield chunk;
  }
}

function failingStream(goodBytes: string): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from(goodBytes);
      throw new Error('network dropped');
    })(),
  );
}

describe('FsObjectStore basics', () => {
  it('exposes the root as location and absolute paths as URIs', () => {
    expect(store.location).toBe(root);
    expect(store.uri('curated/open_payments/general/x.parquet')).toBe(
      path.join(root, 'curated', 'open_payments', 'general', 'x.parquet'),
    );
    expect(store.uri('curated/open_payments/general/')).toBe(
      `${path.join(root, 'curated', 'open_payments', 'general')}/`,
    );
    expect(path.isAbsolute(new FsObjectStore('relative/lake').location)).toBe(true);
  });

  it('writes a string, reports its hash and size, and reads the same bytes back', async () => {
    const text = 'Covered_Recipient_Type,Total_Amount\nPhysician,12.50\nÉcole,1\n';
    const result = await store.put('staging/a/b.csv', text);
    expect(result).toEqual({
      key: 'staging/a/b.csv',
      status: 'created',
      size: Buffer.byteLength(text),
      sha256: sha256(text),
    });
    expect(await fs.readFile(path.join(root, 'staging', 'a', 'b.csv'), 'utf8')).toBe(text);
    expect(await store.getText('staging/a/b.csv')).toBe(text);
    expect((await readAll(await store.get('staging/a/b.csv'))).toString('utf8')).toBe(text);
    expect(await filesOnDisk()).toEqual(['staging/a/b.csv']);
  });

  it('writes Uint8Array and empty bodies', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const result = await store.put('artifacts/abc/bin', bytes);
    expect(result.sha256).toBe(sha256(bytes));
    expect(result.size).toBe(5);
    expect(new Uint8Array(await fs.readFile(path.join(root, 'artifacts/abc/bin')))).toEqual(bytes);

    const empty = await store.put('artifacts/abc/empty', '');
    expect(empty).toMatchObject({ status: 'created', size: 0, sha256: sha256('') });
    expect((await fs.stat(path.join(root, 'artifacts/abc/empty'))).size).toBe(0);
  });

  it('replaces an ordinary key atomically and leaves no temp files', async () => {
    await store.put('metadata/runs/run_id=1/state.json', '{"v":1}');
    const second = await store.put('metadata/runs/run_id=1/state.json', '{"v":2}');
    expect(second).toMatchObject({ status: 'replaced', sha256: sha256('{"v":2}'), size: 7 });
    expect(await store.getText('metadata/runs/run_id=1/state.json')).toBe('{"v":2}');
    expect(await filesOnDisk()).toEqual(['metadata/runs/run_id=1/state.json']);
  });

  it('streams a multi-megabyte Readable body with the right size and hash', async () => {
    const total = 6 * 1024 * 1024 + 123;
    const expected = createHash('sha256');
    for (const chunk of chunks(total, 42)) expected.update(chunk);
    const expectedSha = expected.digest('hex');

    const result = await store.put('staging/big.bin', Readable.from(chunks(total, 42)));
    expect(result).toEqual({ key: 'staging/big.bin', status: 'created', size: total, sha256: expectedSha });
    const onDisk = await fs.readFile(path.join(root, 'staging/big.bin'));
    expect(onDisk.length).toBe(total);
    expect(sha256(onDisk)).toBe(expectedSha);
    const streamedBack = await readAll(await store.get('staging/big.bin'));
    expect(sha256(streamedBack)).toBe(expectedSha);
    expect(await tempLeftovers()).toEqual([]);
  });

  it('accepts a Readable of strings', async () => {
    const result = await store.put('staging/s.txt', Readable.from(['héllo ', 'wörld'], { objectMode: true }));
    expect(result.sha256).toBe(sha256('héllo wörld'));
    expect(await store.getText('staging/s.txt')).toBe('héllo wörld');
  });

  it('heads existing objects and reports missing ones as undefined', async () => {
    await store.put('staging/h.txt', 'hello');
    const info = await store.head('staging/h.txt');
    expect(info?.key).toBe('staging/h.txt');
    expect(info?.size).toBe(5);
    expect(info?.modified).toBeInstanceOf(Date);
    expect(Math.abs((info?.modified.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(await store.head('staging/missing.txt')).toBeUndefined();
    expect(await store.head('staging')).toBeUndefined(); // a folder is not an object
    expect(await store.head('staging/h.txt/below')).toBeUndefined();
  });
});

describe('reading missing objects', () => {
  it('fails fast with OBJECT_NOT_FOUND', async () => {
    const error = await orchestratorRejection(store.get('curated/nothing.parquet'), 'OBJECT_NOT_FOUND');
    expect(error.message).toContain('curated/nothing.parquet');
    await orchestratorRejection(store.getText('curated/nothing.parquet'), 'OBJECT_NOT_FOUND');
    await store.put('curated/dir/file', 'x');
    await orchestratorRejection(store.get('curated/dir'), 'OBJECT_NOT_FOUND');
    await orchestratorRejection(store.getText('curated/dir'), 'OBJECT_NOT_FOUND');
    await orchestratorRejection(store.get('curated/dir/file/below'), 'OBJECT_NOT_FOUND');
  });
});

describe('write-once raw zone', () => {
  it('creates once, reports identical bytes as unchanged, refuses different bytes through put', async () => {
    const original = 'a,b\n1,2\n';
    expect(await store.put(RAW_KEY, original)).toMatchObject({ status: 'created', sha256: sha256(original) });
    const file = path.join(root, RAW_KEY);
    const before = await fs.stat(file);

    expect(await store.put(RAW_KEY, original)).toEqual({
      key: RAW_KEY,
      status: 'unchanged',
      size: Buffer.byteLength(original),
      sha256: sha256(original),
    });
    expect((await fs.stat(file)).ino).toBe(before.ino);

    const changed = 'a,b\n1,3\n';
    const error = await orchestratorRejection(store.put(RAW_KEY, changed), 'RAW_IMMUTABLE');
    expect(error.message).toContain(RAW_KEY);
    expect(error.message).toContain(sha256(original));
    expect(error.message).toContain(sha256(changed));
    expect(error.suggestion).toContain('publication=');
    expect(await fs.readFile(file, 'utf8')).toBe(original);
    expect((await fs.stat(file)).ino).toBe(before.ino);
    expect(await filesOnDisk()).toEqual([RAW_KEY]);
  });

  it('refuses different bytes through putIfAbsent and from a stream, leaving the stored file intact', async () => {
    await store.putIfAbsent(RAW_KEY, 'first');
    await orchestratorRejection(store.putIfAbsent(RAW_KEY, 'second'), 'RAW_IMMUTABLE');
    await orchestratorRejection(store.put(RAW_KEY, Readable.from(chunks(300_000, 7))), 'RAW_IMMUTABLE');
    expect(
      await store.putIfAbsent(RAW_KEY, Readable.from([Buffer.from('fir'), Buffer.from('st')])),
    ).toMatchObject({ status: 'unchanged', sha256: sha256('first'), size: 5 });
    expect(await fs.readFile(path.join(root, RAW_KEY), 'utf8')).toBe('first');
    expect(await tempLeftovers()).toEqual([]);
  });

  it('refuses to delete raw objects', async () => {
    await store.put(RAW_KEY, 'keep me');
    await orchestratorRejection(store.delete(RAW_KEY), 'RAW_IMMUTABLE');
    expect(await fs.readFile(path.join(root, RAW_KEY), 'utf8')).toBe('keep me');
  });

  it('lets exactly one of two concurrent writers of different bytes win', async () => {
    for (let i = 0; i < 10; i++) {
      const key = `raw/open_payments/general/program_year=2023/publication=2024-06-28/f${i}.csv`;
      const results = await Promise.allSettled([store.putIfAbsent(key, `A${i}`), store.put(key, `BB${i}`)]);
      const created = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r) => r.status === 'rejected');
      expect(created).toHaveLength(1);
      expect(failed).toHaveLength(1);
      expect(created[0]?.status === 'fulfilled' && created[0].value.status).toBe('created');
      const reason = failed[0]?.status === 'rejected' ? failed[0].reason : undefined;
      expect(reason).toBeInstanceOf(OrchestratorError);
      expect((reason as OrchestratorError).code).toBe('RAW_IMMUTABLE');
      const winner = results[0]?.status === 'fulfilled' ? `A${i}` : `BB${i}`;
      expect(await fs.readFile(path.join(root, key), 'utf8')).toBe(winner);
    }
    expect(await tempLeftovers()).toEqual([]);
  });
});

describe('putIfAbsent on ordinary keys', () => {
  const LOCK = 'metadata/locks/general-2023.lock';

  it('creates, reports identical bytes as unchanged, and throws ObjectExistsError for different bytes', async () => {
    expect(await store.putIfAbsent(LOCK, 'run-1')).toMatchObject({
      status: 'created',
      sha256: sha256('run-1'),
    });
    expect(await store.putIfAbsent(LOCK, 'run-1')).toMatchObject({ status: 'unchanged' });
    const error = await rejection(store.putIfAbsent(LOCK, 'run-2'));
    expect(error).toBeInstanceOf(ObjectExistsError);
    expect((error as ObjectExistsError).key).toBe(LOCK);
    expect((error as ObjectExistsError).existingSha256).toBe(sha256('run-1'));
    expect((error as ObjectExistsError).attemptedSha256).toBe(sha256('run-2'));
    expect(await store.getText(LOCK)).toBe('run-1');

    await store.delete(LOCK);
    expect(await store.putIfAbsent(LOCK, 'run-2')).toMatchObject({ status: 'created' });
    expect(await store.getText(LOCK)).toBe('run-2');
    expect(await filesOnDisk()).toEqual([LOCK]);
  });

  it('lets exactly one of two concurrent lock takers win', async () => {
    for (let i = 0; i < 10; i++) {
      const key = `metadata/locks/l${i}.lock`;
      const results = await Promise.allSettled([
        store.putIfAbsent(key, `one-${i}`),
        store.putIfAbsent(key, `two-${i}`),
      ]);
      const fulfilled = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(fulfilled.map((r) => r.status)).toEqual(['created']);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toBeInstanceOf(ObjectExistsError);
      expect(await store.getText(key)).toBe(results[0]?.status === 'fulfilled' ? `one-${i}` : `two-${i}`);
    }
    expect(await tempLeftovers()).toEqual([]);
  });

  it('reports concurrent identical writes as one created and one unchanged', async () => {
    const results = await Promise.all([
      store.putIfAbsent('metadata/x', 'same'),
      store.putIfAbsent('metadata/x', 'same'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['created', 'unchanged']);
  });
});

describe('failures', () => {
  it('removes the temp file when the body stream fails, keeping the previous object', async () => {
    await store.put('staging/keep.csv', 'old');
    const error = await rejection(store.put('staging/keep.csv', failingStream('new partial')));
    expect((error as Error).message).toBe('network dropped');
    expect(await store.getText('staging/keep.csv')).toBe('old');

    await rejection(store.put(RAW_KEY, failingStream('partial raw')));
    await rejection(store.putIfAbsent('metadata/locks/x.lock', failingStream('partial lock')));
    expect(await store.head(RAW_KEY)).toBeUndefined();
    expect(await filesOnDisk()).toEqual(['staging/keep.csv']);
  });

  it('reports OUTPUT_NOT_WRITABLE when a file sits where a folder is needed', async () => {
    await store.put('staging/x', 'a file');
    const error = await orchestratorRejection(store.put('staging/x/y.csv', 'data'), 'OUTPUT_NOT_WRITABLE');
    expect(error.message).toContain(path.join(root, 'staging', 'x'));
    expect(error.suggestion).toContain('--lake');
    await orchestratorRejection(store.putIfAbsent('staging/x/y/z.csv', 'data'), 'OUTPUT_NOT_WRITABLE');
    await orchestratorRejection(
      store.put('staging/x/y/z.csv', Readable.from(chunks(10, 1))),
      'OUTPUT_NOT_WRITABLE',
    );
    expect(await filesOnDisk()).toEqual(['staging/x']);
  });

  it('reports OUTPUT_NOT_WRITABLE when the lake root is a file', async () => {
    const fileRoot = path.join(root, 'not-a-folder');
    await fs.writeFile(fileRoot, 'x');
    const fileStore = new FsObjectStore(fileRoot);
    await orchestratorRejection(fileStore.put('staging/a.csv', 'data'), 'OUTPUT_NOT_WRITABLE');
    await orchestratorRejection(fileStore.put(RAW_KEY, 'data'), 'OUTPUT_NOT_WRITABLE');
    expect(await fs.readFile(fileRoot, 'utf8')).toBe('x');
  });

  it('reports OUTPUT_NOT_WRITABLE when a folder sits where the object should go', async () => {
    await store.put('curated/t/part-0.parquet', 'p');
    await orchestratorRejection(store.put('curated/t', 'x'), 'OUTPUT_NOT_WRITABLE');
    await orchestratorRejection(store.putIfAbsent('curated/t', 'x'), 'OUTPUT_NOT_WRITABLE');
    expect(await filesOnDisk()).toEqual(['curated/t/part-0.parquet']);
  });

  it('rejects unsafe keys with INVALID_LAKE_KEY and touches nothing', async () => {
    for (const key of ['../x', '/abs', 'a//b', 'a/./b', '', 'folder/', 'staging/.tmp-123']) {
      await orchestratorRejection(store.put(key, 'x'), 'INVALID_LAKE_KEY');
      await orchestratorRejection(store.putIfAbsent(key, 'x'), 'INVALID_LAKE_KEY');
      await orchestratorRejection(store.get(key), 'INVALID_LAKE_KEY');
      await orchestratorRejection(store.getText(key), 'INVALID_LAKE_KEY');
      await orchestratorRejection(store.head(key), 'INVALID_LAKE_KEY');
      await orchestratorRejection(store.delete(key), 'INVALID_LAKE_KEY');
    }
    for (const key of ['../x', '/abs', 'a//b']) {
      expect(() => store.uri(key)).toThrow(OrchestratorError);
      await orchestratorRejection(collect(store.list(key)), 'INVALID_LAKE_KEY');
    }
    expect(await fs.readdir(root)).toEqual([]);
    await expect(fs.access(path.join(root, '..', 'x'))).rejects.toThrow();
  });

  it('destroys a Readable body it refuses', async () => {
    const body = Readable.from(chunks(1000, 3));
    await orchestratorRejection(store.put('../escape', body), 'INVALID_LAKE_KEY');
    expect(body.destroyed).toBe(true);
  });
});

describe('list', () => {
  const keys = [
    'curated/open_payments/general/program_year=2023/part-00001.parquet',
    'curated/open_payments/general/program_year=2023/part-00000.parquet',
    'curated/open_payments/general/program_year=2022/part-00000.parquet',
    'curated/open_payments/general-extra.txt',
    'curated/open_payments/general/z.txt',
    'metadata/runs/run_id=b/state.json',
    'metadata/runs/run_id=a/state.json',
    'a-b',
    'a/b',
    'a/c/d',
  ];

  beforeEach(async () => {
    for (const [i, key] of keys.entries()) await store.put(key, 'x'.repeat(i + 1));
    // A temp file left by a killed writer is never listed.
    await fs.writeFile(path.join(root, 'curated/open_payments/general/program_year=2023/.tmp-dead'), 'junk');
  });

  const byteOrder = (list: string[]) =>
    [...list].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

  it('lists everything in key order, with sizes', async () => {
    const all = await collect(store.list(''));
    expect(all.map((o) => o.key)).toEqual(byteOrder(keys));
    expect(all.map((o) => o.key).slice(0, 3)).toEqual(['a-b', 'a/b', 'a/c/d']);
    for (const info of all) {
      expect(info.size).toBe(keys.indexOf(info.key) + 1);
      expect(info.modified).toBeInstanceOf(Date);
    }
  });

  it('lists a folder prefix', async () => {
    const listed = await collect(store.list('curated/open_payments/general/'));
    expect(listed.map((o) => o.key)).toEqual([
      'curated/open_payments/general/program_year=2022/part-00000.parquet',
      'curated/open_payments/general/program_year=2023/part-00000.parquet',
      'curated/open_payments/general/program_year=2023/part-00001.parquet',
      'curated/open_payments/general/z.txt',
    ]);
  });

  it('lists a partial-name prefix across files and folders', async () => {
    expect((await collect(store.list('curated/open_payments/gen'))).map((o) => o.key)).toEqual(
      byteOrder(keys.filter((k) => k.startsWith('curated/open_payments/gen'))),
    );
    expect(
      (await collect(store.list('curated/open_payments/general/program_year=2023/part-0000'))).length,
    ).toBe(2);
    expect((await collect(store.list('metadata/runs/run_id=a'))).map((o) => o.key)).toEqual([
      'metadata/runs/run_id=a/state.json',
    ]);
    expect((await collect(store.list('a'))).map((o) => o.key)).toEqual(['a-b', 'a/b', 'a/c/d']);
  });

  it('lists nothing for a missing prefix or a missing lake', async () => {
    expect(await collect(store.list('staging/'))).toEqual([]);
    expect(await collect(store.list('a-b/'))).toEqual([]);
    expect(await collect(new FsObjectStore(path.join(root, 'nope')).list(''))).toEqual([]);
  });

  it('walks lazily: stopping early is fine', async () => {
    const first: string[] = [];
    for await (const info of store.list('')) {
      first.push(info.key);
      if (first.length === 2) break;
    }
    expect(first).toEqual(['a-b', 'a/b']);
  });
});

describe('delete', () => {
  it('removes an object and ignores missing keys', async () => {
    await store.put('staging/d.csv', 'x');
    await store.delete('staging/d.csv');
    expect(await store.head('staging/d.csv')).toBeUndefined();
    await expect(store.delete('staging/d.csv')).resolves.toBeUndefined();
    await expect(store.delete('staging/never/was.csv')).resolves.toBeUndefined();
    expect(await filesOnDisk()).toEqual([]);
  });
});

describe('moveFileIn', () => {
  const setup = async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'op-move-'));
    const store = new FsObjectStore(path.join(root, 'lake'));
    const local = (name: string, text: string) => {
      const p = path.join(root, name);
      writeFileSync(p, text);
      return p;
    };
    return { store, local };
  };
  const sha = (t: string) => createHash('sha256').update(t).digest('hex');

  it('moves a file into raw without copying it, and the source name is gone', async () => {
    const { store, local } = await setup();
    const src = local('a.csv', 'a,b\n1,2\n');
    const ino = statSync(src).ino;
    const r = await store.moveFileIn('raw/x/a.csv', src);
    expect(r).toMatchObject({ status: 'created', size: 8, sha256: sha('a,b\n1,2\n') });
    expect(existsSync(src)).toBe(false);
    expect(statSync(store.uri('raw/x/a.csv')).ino).toBe(ino);
  });

  it('keeps raw write-once: same bytes are unchanged, different bytes are refused and kept out', async () => {
    const { store, local } = await setup();
    await store.moveFileIn('raw/x/a.csv', local('a.csv', 'one'));
    const same = await store.moveFileIn('raw/x/a.csv', local('b.csv', 'one'));
    expect(same.status).toBe('unchanged');
    const other = local('c.csv', 'two');
    await expect(store.moveFileIn('raw/x/a.csv', other)).rejects.toMatchObject({ code: 'RAW_IMMUTABLE' });
    expect(readFileSync(store.uri('raw/x/a.csv'), 'utf8')).toBe('one');
    expect(existsSync(other)).toBe(true); // the refused file is left where it was
  });

  it('replaces an ordinary object and trusts a known digest', async () => {
    const { store, local } = await setup();
    await store.moveFileIn('staging/p.gz', local('p1', 'old'));
    const r = await store.moveFileIn('staging/p.gz', local('p2', 'new'), { size: 3, sha256: 'given' });
    expect(r).toMatchObject({ status: 'replaced', sha256: 'given' });
    expect(readFileSync(store.uri('staging/p.gz'), 'utf8')).toBe('new');
  });
});

describe('FsObjectStore.replacePrefix (publishing a partition)', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'op-replace-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const keys = async (store: FsObjectStore, prefix: string) => {
    const out: string[] = [];
    for await (const o of store.list(prefix)) out.push(o.key);
    return out;
  };

  it('makes the target hold exactly the staged objects and empties the staging folder', async () => {
    const store = new FsObjectStore(root);
    await store.put('curated/t/program_year=2023/old-1.parquet', 'old');
    await store.put('curated/t/program_year=2023/old-2.parquet', 'old');
    await store.put('curated/t/program_year=2022/keep.parquet', 'other year');
    await store.put('staging/curated/run_id=r1/t/program_year=2023/new.parquet', 'new');
    await store.replacePrefix(
      'staging/curated/run_id=r1/t/program_year=2023/',
      'curated/t/program_year=2023/',
    );
    expect(await keys(store, 'curated/t/')).toEqual([
      'curated/t/program_year=2022/keep.parquet',
      'curated/t/program_year=2023/new.parquet',
    ]);
    expect(await keys(store, 'staging/curated/run_id=r1/')).toEqual([]);
    expect((await fs.readdir(path.join(root, 'curated/t'))).sort()).toEqual([
      'program_year=2022',
      'program_year=2023',
    ]);
  });

  it('publishes into a folder that does not exist yet, and refuses raw/ and a missing source', async () => {
    const store = new FsObjectStore(root);
    await store.put('staging/x/p/a.parquet', 'a');
    await store.replacePrefix('staging/x/p/', 'curated/new/p/');
    expect(await store.getText('curated/new/p/a.parquet')).toBe('a');
    await expect(store.replacePrefix('staging/x/p/', 'raw/open_payments/x/')).rejects.toMatchObject({
      code: 'RAW_IMMUTABLE',
    });
    await expect(store.replacePrefix('staging/none/', 'curated/new/p/')).rejects.toBeInstanceOf(
      OrchestratorError,
    );
    expect(await store.getText('curated/new/p/a.parquet')).toBe('a'); // the failed publish changed nothing
  });
});
