import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../adapters/local/fs-object-store.js';
import type { OrchestratorError } from '../domain/errors.js';
import { RecordingReporter } from '../ports/reporter.js';
import { upload } from './upload.js';

const store = () => new FsObjectStore(mkdtempSync(join(tmpdir(), 'op-upload-')));
const RAW = 'raw/open_payments/general/program_year=2023/publication=2024-06-30/OP.csv';
const CHUNK = 'staging/open_payments/general/program_year=2023/publication=2024-06-30/part-00000.csv.gz';
const RECORD = 'metadata/ingest/open_payments/general/program_year=2023/publication=2024-06-30.json';

async function landed() {
  const from = store();
  await from.put(RAW, 'a,b\n1,2\n');
  await from.put(CHUNK, 'gz-bytes');
  await from.put(RECORD, '{}');
  await from.put('metadata/runs/run_id=r1/manifest.json', JSON.stringify({ params: { year: 2023 } }));
  await from.put('metadata/runs/run_id=r1/audits.json', '[]');
  await from.put('metadata/runs/run_id=r2/manifest.json', JSON.stringify({ params: { year: 2022 } }));
  await from.put('raw/open_payments/general/program_year=2022/publication=2023-06-30/OP.csv', 'other year');
  return from;
}

describe('upload', () => {
  it('sends the year’s objects once, then skips what is already there with the same bytes', async () => {
    const from = await landed();
    const to = store();
    const first = await upload(
      { year: 2023, dataset: 'general' },
      { from, to, reporter: new RecordingReporter() },
    );
    expect(first.status).toBe('uploaded');
    expect(first.uploaded.sort()).toEqual(
      [
        RECORD,
        'metadata/runs/run_id=r1/audits.json',
        'metadata/runs/run_id=r1/manifest.json',
        RAW,
        CHUNK,
      ].sort(),
    );
    expect(readFileSync(to.uri(RAW), 'utf8')).toBe('a,b\n1,2\n');
    expect(
      await to.head('raw/open_payments/general/program_year=2022/publication=2023-06-30/OP.csv'),
    ).toBeUndefined();

    const again = await upload(
      { year: 2023, dataset: 'general' },
      { from, to, reporter: new RecordingReporter() },
    );
    expect(again).toMatchObject({ status: 'up-to-date', uploaded: [] });
    expect(again.skipped).toHaveLength(5);

    // A changed staging chunk on the target is sent again.
    writeFileSync(to.uri(CHUNK), 'stale');
    const repair = await upload(
      { year: 2023, dataset: 'all' },
      { from, to, reporter: new RecordingReporter() },
    );
    expect(repair.uploaded).toEqual([CHUNK]);
    expect(readFileSync(to.uri(CHUNK), 'utf8')).toBe('gz-bytes');
  });

  it('never overwrites a different raw object on the target', async () => {
    const from = await landed();
    const to = store();
    await to.put(RAW, 'something else');
    const e = await upload(
      { year: 2023, dataset: 'general' },
      { from, to, reporter: new RecordingReporter() },
    ).catch((x: unknown) => x);
    expect((e as OrchestratorError).code).toBe('RAW_IMMUTABLE');
    expect(readFileSync(to.uri(RAW), 'utf8')).toBe('something else');
  });

  it('reports that there is nothing to move when the landing is the lake', async () => {
    const from = await landed();
    const r = await upload(
      { year: 2023, dataset: 'general' },
      { from, to: from, reporter: new RecordingReporter() },
    );
    expect(r).toMatchObject({ status: 'nothing-to-move', uploaded: [], skipped: [] });
  });
});
