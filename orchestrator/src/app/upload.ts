/**
 * `orchestrator upload`: moves what ingest landed locally (raw, staging, ingest records, run folders of
 * the year) into the target lake. Skip-safe: an object already there with the same size and sha256 is
 * skipped, so a rerun after a failure only sends what is missing. Raw objects keep their write-once
 * rule on the target too (a different object under the same raw key is refused, never overwritten).
 */
import type { DatasetId } from '../domain/contract/types.js';
import { DATASET_IDS } from '../domain/contract/types.js';
import { OrchestratorError } from '../domain/errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { Reporter } from '../ports/reporter.js';

export interface UploadRequest {
  year: number;
  dataset: DatasetId | 'all';
}

export interface UploadResult {
  status: 'nothing-to-move' | 'uploaded' | 'up-to-date';
  from: string;
  to: string;
  uploaded: string[];
  skipped: string[];
  bytes: number;
}

function prefixesFor(req: UploadRequest): string[] {
  const datasets = req.dataset === 'all' ? DATASET_IDS : [req.dataset];
  return datasets.flatMap((d) => [
    `raw/open_payments/${d}/program_year=${req.year}/`,
    `staging/open_payments/${d}/program_year=${req.year}/`,
    `metadata/ingest/open_payments/${d}/program_year=${req.year}/`,
  ]);
}

/** Run folders whose manifest is about this year (ingest runs name their year in params). */
async function runFoldersOf(from: ObjectStore, year: number): Promise<string[]> {
  const out: string[] = [];
  for await (const o of from.list('metadata/runs/')) {
    if (!o.key.endsWith('/manifest.json')) continue;
    const manifest = JSON.parse(await from.getText(o.key)) as { params?: { year?: number } };
    if (manifest.params?.year === year) out.push(o.key.slice(0, o.key.lastIndexOf('/') + 1));
  }
  return out;
}

export async function upload(
  req: UploadRequest,
  deps: { from: ObjectStore; to: ObjectStore; reporter: Reporter; signal?: AbortSignal | undefined },
): Promise<UploadResult> {
  const { from, to, reporter } = deps;
  const base = {
    from: from.location,
    to: to.location,
    uploaded: [] as string[],
    skipped: [] as string[],
    bytes: 0,
  };
  if (from.location === to.location) {
    reporter.event({
      level: 'info',
      code: 'upload.nothing',
      message: 'nothing to move: on the local target the landing is the lake',
    });
    return { status: 'nothing-to-move', ...base };
  }
  const keys: { key: string; size: number }[] = [];
  for (const prefix of [...prefixesFor(req), ...(await runFoldersOf(from, req.year))]) {
    for await (const o of from.list(prefix)) keys.push({ key: o.key, size: o.size });
  }
  const total = keys.reduce((s, k) => s + k.size, 0);
  const progress = reporter.progress(`upload to ${to.location}`, { total, unit: 'bytes' });
  for (const { key, size } of keys) {
    if (deps.signal?.aborted)
      throw new OrchestratorError('INTERRUPTED', 'Upload interrupted; rerun to send what is missing.');
    const there = await to.head(key);
    if (there && there.size === size && (await to.sha256(key)) === (await from.sha256(key))) {
      base.skipped.push(key);
      progress.tick(size);
      continue;
    }
    await to.put(key, await from.get(key));
    base.uploaded.push(key);
    base.bytes += size;
    progress.tick(size);
  }
  progress.done();
  reporter.event({
    level: 'info',
    code: 'upload.done',
    message: `${base.uploaded.length} object(s) sent, ${base.skipped.length} already there`,
    data: { uploaded: base.uploaded.length, skipped: base.skipped.length, bytes: base.bytes },
  });
  return { status: base.uploaded.length ? 'uploaded' : 'up-to-date', ...base };
}
