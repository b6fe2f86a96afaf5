import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../adapters/local/fs-object-store.js';
import { CONTRACT } from '../../domain/contract/index.js';
import { parseCsv } from '../../domain/csv.js';
import type { OrchestratorError } from '../../domain/errors.js';
import type { ArchiveReader, Downloader } from '../../ports/fetching.js';
import { RecordingReporter } from '../../ports/reporter.js';
import { defaultEraId } from '../sample/generate.js';
import { writeSample } from '../sample/write.js';
import { Ingest, type IngestRequest } from './ingest.js';

const dir = () => mkdtempSync(join(tmpdir(), 'op-ingest-'));
const noDownload: Downloader = () => {
  throw new Error('no download expected');
};
const noCatalog = {
  baseUrl: 'http://unused',
  datasets: () => Promise.reject(new Error('no catalog expected')),
};

async function sample(out: string, rows: number, programYear = 2023) {
  await writeSample(
    CONTRACT,
    {
      dataset: 'general',
      programYear,
      rows,
      eraId: defaultEraId('general', programYear),
      defectRate: 0.02,
      seed: 9,
      publicationDate: `${programYear + 1}-06-30`,
      recipients: 300,
      manufacturers: 40,
      out,
      force: true,
    },
    new RecordingReporter(),
  );
  return out;
}

/** The zip reader is tested on its own; here a tiny stand-in that lists and copies pre-extracted files. */
function folderArchives(files: Record<string, string>): ArchiveReader {
  return {
    list: async () => Object.keys(files).map((name) => ({ name, uncompressedSize: 0, isDirectory: false })),
    extract: async (_zip, name, dest) => {
      copyFileSync(files[name]!, dest);
      const bytes = readFileSync(dest);
      return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    },
  };
}

function setup(archives: ArchiveReader = folderArchives({})) {
  const lakeRoot = dir();
  const store = new FsObjectStore(lakeRoot);
  let n = 0;
  const ingest = () =>
    new Ingest({
      contract: CONTRACT,
      store,
      catalog: noCatalog,
      download: noDownload,
      archives,
      reporter: new RecordingReporter(),
      landingDir: join(lakeRoot, '.landing'),
      runId: `20261126T1500${String(n++).padStart(2, '0')}Z-aaaaaa`,
      now: () => new Date(),
    });
  return { lakeRoot, store, ingest };
}

const req = (path: string, over: Partial<IngestRequest> = {}): IngestRequest => ({
  dataset: 'general',
  year: 2023,
  source: { kind: 'path', path },
  force: false,
  chunkBytes: 256 * 1024,
  ...over,
});

async function keys(store: FsObjectStore, prefix: string) {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

describe('ingest from a local file', () => {
  it('lands raw bytes write-once, staging chunks that hold every record, and a manifest', async () => {
    const src = await sample(join(dir(), 'OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv'), 4000);
    const { store, ingest } = setup();
    const result = await ingest().run(req(src));
    expect(result.status).toBe('succeeded');
    const [file] = result.files;
    expect(file).toMatchObject({
      dataset: 'general',
      publication: '2024-06-30',
      status: 'landed',
      records: 4000,
      rawStatus: 'created',
    });
    expect(file!.rawKey).toBe(
      'raw/open_payments/general/program_year=2023/publication=2024-06-30/OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv',
    );
    expect(readFileSync(store.uri(file!.rawKey)).equals(readFileSync(src))).toBe(true);

    const staged = await keys(
      store,
      'staging/open_payments/general/program_year=2023/publication=2024-06-30/',
    );
    expect(staged).toEqual(file!.stagingKeys);
    expect(staged.length).toBeGreaterThan(3);
    const rows = staged.flatMap((k) =>
      parseCsv(gunzipSync(readFileSync(store.uri(k))).toString('utf8')).slice(1),
    );
    expect(rows).toEqual(parseCsv(readFileSync(src, 'utf8')).slice(1));

    const manifest = JSON.parse(await store.getText(result.manifestKey));
    expect(manifest).toMatchObject({
      runId: result.runId,
      command: 'ingest',
      status: 'succeeded',
      contractVersion: CONTRACT.contractVersion,
    });
    expect(manifest.inputs[0].sha256).toBe(createHash('sha256').update(readFileSync(src)).digest('hex'));
    const audits = JSON.parse(await store.getText(`metadata/runs/run_id=${result.runId}/audits.json`));
    expect(audits[0]).toMatchObject({ records: 4000, era: 'general_91', encoding: { detected: 'utf-8' } });
    expect(audits[0].chunks.map((c: { file: string }) => c.file)).toEqual(staged);
  });

  it('does no work the second time, and says so; --force lands again without touching raw', async () => {
    const src = await sample(join(dir(), 'OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv'), 500);
    const { store, ingest } = setup();
    const first = await ingest().run(req(src));
    const rawBefore = (await store.head(first.files[0]!.rawKey))!.modified.getTime();
    const second = await ingest().run(req(src));
    expect(second.status).toBe('unchanged');
    expect(second.files[0]).toMatchObject({ status: 'unchanged', landedBy: first.runId });
    expect((await store.head(first.files[0]!.rawKey))!.modified.getTime()).toBe(rawBefore);
    expect(JSON.parse(await store.getText(second.manifestKey)).status).toBe('unchanged');
    // Not even read again: the name says which publication it is, and the fingerprint matches.
    expect(JSON.parse(await store.getText(`metadata/runs/run_id=${second.runId}/audits.json`))).toEqual([]);
    const forced = await ingest().run(req(src, { force: true, chunkBytes: 1 << 30 }));
    expect(forced.files[0]).toMatchObject({ status: 'landed', rawStatus: 'unchanged' });
    // Bigger chunks: the old parts were removed, one part holds everything.
    expect(await keys(store, 'staging/open_payments/general/')).toHaveLength(1);
  });

  it('refuses a year mismatch and an unknown header with nothing in the raw zone', async () => {
    const src = await sample(join(dir(), 'OP_DTL_GNRL_PGYR2022_P06302023.csv'), 200, 2022);
    const { store, ingest } = setup();
    const e = await ingest()
      .run(req(src))
      .catch((x: unknown) => x);
    expect((e as OrchestratorError).code).toBe('YEAR_MISMATCH');
    const other = join(dir(), 'other.csv');
    writeFileSync(other, 'Name,Favourite_Color\nA,blue\n');
    const e2 = await ingest()
      .run(req(other))
      .catch((x: unknown) => x);
    expect((e2 as OrchestratorError).code).toBe('UNKNOWN_HEADER');
    expect(await keys(store, 'raw/')).toEqual([]);
    expect(await keys(store, 'staging/')).toEqual([]);
    // Each failed run still leaves its manifest, for the story of the run.
    const manifests = (await keys(store, 'metadata/runs/')).filter((k) => k.endsWith('manifest.json'));
    expect(manifests).toHaveLength(2);
    expect(JSON.parse(await store.getText(manifests[0]!))).toMatchObject({
      status: 'failed',
      error: { code: 'YEAR_MISMATCH' },
    });
  });

  it('takes the publication from the file when its name has no stamp', async () => {
    const src = await sample(join(dir(), 'my-export.csv'), 100);
    const { ingest } = setup();
    const result = await ingest().run(req(src));
    expect(result.files[0]!.publication).toBe('2024-06-30'); // Payment_Publication_Date 06/30/2024
    expect(result.files[0]!.rawKey).toMatch(/publication=2024-06-30\/my-export\.csv$/);
  });

  it('lands every Open Payments file of a year archive with --dataset all', async () => {
    const d = dir();
    const zip = await sample(join(d, 'PGYR2023_P06302024_06162024.zip'), 2000);
    // Extract with the system's unzip-equivalent to feed the stand-in reader.
    const { execFileSync } = await import('node:child_process');
    execFileSync('python3', ['-m', 'zipfile', '-e', zip, join(d, 'x')]);
    const names = JSON.parse(readFileSync(`${zip}.sidecar.json`, 'utf8')).entries.map(
      (e: { file: string }) => e.file,
    ) as string[];
    const files = Object.fromEntries([...names, 'README_PGYR2023.txt'].map((n) => [n, join(d, 'x', n)]));
    const { store, ingest } = setup(folderArchives(files));
    const result = await ingest().run(req(zip, { dataset: 'all' }));
    expect(result.files.map((f) => [f.dataset, f.publication, f.records])).toEqual([
      ['general', '2024-06-30', 2000],
      ['research', '2024-06-30', 50],
      ['ownership', '2024-06-30', 1],
      ['removed_deleted', '2024-06-30', 20],
    ]);
    expect((await keys(store, 'raw/')).length).toBe(4);
  });
});
