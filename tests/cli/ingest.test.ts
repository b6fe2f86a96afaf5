import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { cmsArchiveName, cmsFileName } from '../../orchestrator/src/domain/publication.js';
import { type FakeCms, GENERAL_DATASET_IDS, type PublishedFile, startFakeCms } from '../fake-cms/server.js';
import { CLI, generateSample, runCli, runCliAsync, tempDir } from '../helpers.js';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function listFiles(root: string, prefix = ''): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(join(root, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
    )
    .sort();
}

/** A generated General CSV of the year, named as CMS names it. */
function generalCsv(dir: string, rows: number, year = 2023, publication = '2024-06-30'): string {
  const out = join(dir, cmsFileName('general', year, publication));
  return generateSample(out, { rows, year, args: ['--defects', '0.01'] });
}

let server: FakeCms | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function publish(files: PublishedFile[], throttle?: number): Promise<FakeCms> {
  server = await startFakeCms({ files, ...(throttle ? { throttleBytesPerSecond: throttle } : {}) });
  return server;
}

/** A generated General 2023 file published on a fresh fake CMS, and a lake folder to ingest into. */
async function publishGeneral(rows: number, throttle?: number) {
  const dir = tempDir();
  const src = generalCsv(dir, rows);
  const file: PublishedFile = {
    dataset: 'general',
    programYear: 2023,
    publicationDate: '2024-06-30',
    fileName: cmsFileName('general', 2023, '2024-06-30'),
    path: src,
  };
  const s = await publish([file], throttle);
  return { dir, src, file, s, lake: join(dir, 'lake') };
}

const env = (s: FakeCms, extra: Record<string, string> = {}) => ({
  ORCHESTRATOR_CMS__CATALOG_BASE_URL: s.url,
  ...extra,
});

describe('ingest from the CMS catalog', () => {
  it('discovers the publication, lands raw and staging, records ids; a rerun does nothing and says so', async () => {
    const dir = tempDir();
    const src = generalCsv(dir, 3000);
    const file: PublishedFile = {
      dataset: 'general',
      programYear: 2023,
      publicationDate: '2024-06-30',
      fileName: 'OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv',
      path: src,
    };
    const s = await publish([file]);
    const lake = join(dir, 'lake');
    const first = await runCliAsync(
      ['--lake', lake, '--json', 'ingest', '--dataset', 'general', '--year', '2023'],
      { env: env(s) },
    );
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result.files[0]).toMatchObject({
      dataset: 'general',
      publication: '2024-06-30',
      records: 3000,
      status: 'landed',
    });
    const rawPath = join(lake, result.files[0].rawKey);
    expect(sha256(rawPath)).toBe(sha256(src));
    const manifest = JSON.parse(readFileSync(join(lake, result.manifestKey), 'utf8'));
    expect(manifest.inputs[0]).toMatchObject({
      datasetId: GENERAL_DATASET_IDS[2023],
      url: s.downloadUrl(file),
      sha256: sha256(src),
    });
    expect(manifest.inputs[0].distributionId).toBeTruthy();

    const served = s.bytesServed(s.downloadPath(file));
    const second = await runCliAsync(['--lake', lake, 'ingest', '--dataset', 'general', '--year', '2023'], {
      env: env(s),
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Nothing to do');
    expect(s.bytesServed(s.downloadPath(file))).toBe(served); // not downloaded again
  });

  it('retries server errors and fails cleanly after the last attempt, with nothing in the raw zone', async () => {
    const { dir, file, s, lake } = await publishGeneral(500);
    s.setFault(s.downloadPath(file), { kind: 'status', status: 503, times: 2 });
    const ok = await runCliAsync(['--lake', lake, 'ingest', '--dataset', 'general', '--year', '2023'], {
      env: env(s),
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('download.retry');

    const lake2 = join(dir, 'lake2');
    s.setFault(s.downloadPath(file), { kind: 'status', status: 500, times: 10 });
    const failed = await runCliAsync(['--lake', lake2, 'ingest', '--dataset', 'general', '--year', '2023'], {
      env: env(s, { ORCHESTRATOR_INGEST__MAX_ATTEMPTS: '2' }),
    });
    expect(failed.code).toBe(EXIT_CODES.remote.code);
    expect(failed.stderr).toContain('error [DOWNLOAD_FAILED]');
    expect(listFiles(join(lake2, 'raw'))).toEqual([]);
    expect(listFiles(join(lake2, 'staging'))).toEqual([]);
  });

  it('resumes after the process is killed mid-download: same sha256, bytes on disk not fetched again', async () => {
    const dir = tempDir();
    const src = generalCsv(dir, 40000); // ~23 MB
    const size = statSync(src).size;
    const file: PublishedFile = {
      dataset: 'general',
      programYear: 2023,
      publicationDate: '2024-06-30',
      fileName: cmsFileName('general', 2023, '2024-06-30'),
      path: src,
    };
    const s = await publish([file], 8 * 1024 * 1024);
    const lake = join(dir, 'lake');
    const part = join(lake, '.landing', 'downloads', `${file.fileName}.part`);
    const args = [
      CLI,
      '--lake',
      lake,
      '--log-level',
      'warn',
      'ingest',
      '--dataset',
      'general',
      '--year',
      '2023',
    ];
    const spawnIngest = () =>
      spawn(process.execPath, args, { env: { ...process.env, ...env(s) }, stdio: 'ignore' });
    const exited = (c: ChildProcess) => new Promise<number | null>((r) => c.on('exit', (code) => r(code)));

    for (const fraction of [0.2, 0.45, 0.75]) {
      const child = spawnIngest();
      const done = exited(child);
      for (let i = 0; i < 400 && !(existsSync(part) && statSync(part).size >= size * fraction); i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(statSync(part).size).toBeGreaterThanOrEqual(size * fraction);
      child.kill('SIGKILL');
      await done;
      expect(statSync(part).size).toBeLessThan(size);
    }
    s.setThrottle(undefined);
    const last = await runCliAsync(
      ['--lake', lake, '--json', 'ingest', '--dataset', 'general', '--year', '2023'],
      { env: env(s) },
    );
    expect(last.code, last.stderr).toBe(0);
    const result = JSON.parse(last.stdout);
    expect(sha256(join(lake, result.files[0].rawKey))).toBe(sha256(src));
    // Every range request started where the partial file ended: little more than the file was sent.
    const served = s.bytesServed(s.downloadPath(file));
    expect(served).toBeGreaterThanOrEqual(size);
    expect(served).toBeLessThan(size + 4 * 1024 * 1024);
    expect(
      s.requests.filter((r) => r.path === s.downloadPath(file) && r.range).length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('takes removed/deleted from the whole-year archive', async () => {
    const dir = tempDir();
    const zip = join(dir, cmsArchiveName(2023, '2024-06-30'));
    generateSample(zip, { rows: 1000 });
    const s = await publish([
      {
        dataset: 'archive',
        programYear: 2023,
        publicationDate: '2024-06-30',
        fileName: cmsArchiveName(2023, '2024-06-30'),
        path: zip,
      },
    ]);
    const lake = join(dir, 'lake');
    const r = await runCliAsync(
      ['--lake', lake, '--json', 'ingest', '--dataset', 'removed_deleted', '--year', '2023'],
      { env: env(s) },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(
      JSON.parse(r.stdout).files.map((f: { dataset: string; records: number }) => [f.dataset, f.records]),
    ).toEqual([['removed_deleted', 10]]);
    // The second time the archive is not even downloaded: its entries are already ingested.
    const zipPath = s.downloadPath({
      dataset: 'archive',
      programYear: 2023,
      publicationDate: '2024-06-30',
      fileName: cmsArchiveName(2023, '2024-06-30'),
      path: zip,
    });
    const served = s.bytesServed(zipPath);
    const again = await runCliAsync(
      ['--lake', lake, 'ingest', '--dataset', 'removed_deleted', '--year', '2023'],
      { env: env(s) },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Nothing to do');
    expect(s.bytesServed(zipPath)).toBe(served);
  });
});

/** Python's zipfile writes any entry name, which is what a hostile archive needs. */
function pythonZip(path: string, entries: Record<string, string>): void {
  const script = `import sys, json, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\nfor n, t in json.loads(sys.argv[2]).items(): z.writestr(n, t)\nz.close()`;
  execFileSync('python3', ['-c', script, path, JSON.stringify(entries)]);
}

describe('ingest from a URL', () => {
  it('downloads a file the user points at and lands it; the same bytes again are not landed twice', async () => {
    const { src, file, s, lake } = await publishGeneral(300);
    const args = [
      '--lake',
      lake,
      '--json',
      'ingest',
      '--dataset',
      'general',
      '--year',
      '2023',
      '--source',
      s.downloadUrl(file),
    ];
    const first = await runCliAsync(args);
    expect(first.code, first.stderr).toBe(0);
    const landed = JSON.parse(first.stdout).files[0];
    expect(landed).toMatchObject({ status: 'landed', publication: '2024-06-30', records: 300 });
    expect(sha256(join(lake, landed.rawKey))).toBe(sha256(src));
    const second = await runCliAsync(args);
    expect(JSON.parse(second.stdout).files[0]).toMatchObject({ status: 'unchanged' });
  });
});

describe('ingest refuses bad sources with coded errors and nothing in the raw zone', () => {
  const csvFile = (content: string | Buffer) => (d: string) => {
    const p = join(d, 'OP_DTL_GNRL_PGYR2023_P06302024.csv');
    writeFileSync(p, content);
    return p;
  };
  const zipFile = (entries: Record<string, string>, keepBytes?: (n: number) => number) => (d: string) => {
    const p = join(d, 'PGYR2023_P06302024.zip');
    pythonZip(p, entries);
    if (keepBytes) writeFileSync(p, readFileSync(p).subarray(0, keepBytes(statSync(p).size)));
    return p;
  };
  const cases: [string, (dir: string) => string, string][] = [
    ['a zip-slip archive', zipFile({ '../../OP_DTL_GNRL_PGYR2023_P06302024.csv': 'x' }), 'UNSAFE_ARCHIVE'],
    [
      'a truncated zip',
      zipFile({ 'OP_DTL_GNRL_PGYR2023_P06302024.csv': 'a,b\n'.repeat(5000) }, (n) => Math.floor(n / 2)),
      'ARCHIVE_CORRUPT',
    ],
    ['an empty file', csvFile(''), 'EMPTY_FILE'],
    ['a binary file', csvFile(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00])), 'NOT_CSV'],
    ['a wrong header', csvFile('Record_ID,Program_Year,Favourite_Color\n1,2023,blue\n'), 'UNKNOWN_HEADER'],
    ['a year mismatch', (d) => generalCsv(d, 100, 2022, '2023-06-30'), 'YEAR_MISMATCH'],
  ];

  it.each(cases)('%s', (_what, make, code) => {
    const dir = tempDir();
    const src = make(dir);
    const lake = join(dir, 'lake');
    const r = runCli(['--lake', lake, 'ingest', '--dataset', 'general', '--year', '2023', '--source', src]);
    expect(r.code, r.stderr).toBe(EXIT_CODES.input.code);
    expect(r.stderr).toContain(`error [${code}]`);
    expect(listFiles(join(lake, 'raw'))).toEqual([]);
    expect(listFiles(join(lake, 'staging'))).toEqual([]);
  });

  it('lands a non-UTF-8 file with the original bytes in raw and repaired UTF-8 in staging, as documented', () => {
    const dir = tempDir();
    const src = generalCsv(dir, 200);
    const text = readFileSync(src, 'utf8')
      .replace('HOWARD', 'JOS\u00c9')
      .replace(/"JAMES"/, '"JOS\u00c9"');
    const latin1 = join(dir, 'OP_DTL_GNRL_PGYR2023_P06302024_06162024.csv');
    writeFileSync(latin1, Buffer.from(text, 'latin1'));
    const lake = join(dir, 'lake');
    const r = runCli([
      '--lake',
      lake,
      '--json',
      'ingest',
      '--dataset',
      'general',
      '--year',
      '2023',
      '--source',
      latin1,
      '--force',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(sha256(join(lake, result.files[0].rawKey))).toBe(sha256(latin1));
    const audits = JSON.parse(
      readFileSync(join(lake, `metadata/runs/run_id=${result.runId}/audits.json`), 'utf8'),
    );
    expect(audits[0].encoding.detected).toBe('utf-8 with windows-1252 fallback');
    expect(audits[0].encoding.invalidBytes).toBeGreaterThan(0);
  });
});
