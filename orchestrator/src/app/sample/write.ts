/**
 * `orchestrator sample`: writes a generated CSV, or a CMS-style year archive (detail files, the
 * removed/deleted file and a README), plus a sidecar JSON counting every injected defect. Output is
 * written to a temp file and renamed into place, so a failed run leaves nothing half-written.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { outputWriteError, tempPathFor, writeFileAtomic } from '../../adapters/local/files.js';
import { CONTRACT_VERSION } from '../../domain/contract/index.js';
import type { Contract, DatasetId } from '../../domain/contract/types.js';
import { OrchestratorError } from '../../domain/errors.js';
import { cmsArchiveName, cmsFileName } from '../../domain/publication.js';
import type { Reporter } from '../../ports/reporter.js';
import { defaultEraId, emptyStats, generateCsv, type SampleSpec, type SampleStats } from './generate.js';

export interface SampleRequest extends Omit<SampleSpec, 'referencedRows'> {
  out: string;
  force: boolean;
}

export interface SampleEntry extends SampleStats {
  file: string;
  dataset: DatasetId;
  era: string;
}

export interface SampleResult {
  out: string;
  sidecar: string;
  format: 'csv' | 'zip';
  bytes: number;
  sha256: string;
  rows: number;
  entries: SampleEntry[];
}

/** Rows of each file in a year archive, relative to the General rows requested. */
const ARCHIVE_SHARE: Record<Exclude<DatasetId, 'profiles' | 'general'>, number> = {
  research: 1 / 40,
  ownership: 1 / 2000,
  removed_deleted: 1 / 100,
};

/** Counts bytes and hashes what passes through, so the sidecar can describe the file exactly. */
function digest() {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, result: () => ({ bytes, sha256: hash.digest('hex') }) };
}

async function refuseOverwrite(path: string, force: boolean): Promise<void> {
  if (force) return;
  const existing = await stat(path).catch(() => undefined);
  if (existing) {
    throw new OrchestratorError('OUTPUT_EXISTS', `${path} already exists; refusing to overwrite it.`, {
      suggestion: 'Pass --force to replace it, or choose another --out.',
    });
  }
}

export async function writeSample(
  contract: Contract,
  req: SampleRequest,
  reporter: Reporter,
  /** Ctrl-C: stops the write, removes the temp file, leaves no output. */
  signal?: AbortSignal,
): Promise<SampleResult> {
  const format = req.out.toLowerCase().endsWith('.zip') ? 'zip' : 'csv';
  if (format === 'zip' && req.dataset !== 'general') {
    throw new OrchestratorError(
      'INVALID_OPTION',
      `A .zip year archive is built around the General file; --dataset ${req.dataset} makes a .csv.`,
      {
        suggestion:
          'Use --dataset general --out <name>.zip for a year archive (its Research, Ownership and Removed/Deleted files come along), or --out <name>.csv.',
      },
    );
  }
  const sidecar = `${req.out}.sidecar.json`;
  await refuseOverwrite(req.out, req.force);
  try {
    await mkdir(dirname(req.out), { recursive: true });
  } catch (e) {
    throw outputWriteError(e, req.out);
  }
  const tmp = tempPathFor(req.out);
  const totalRows =
    format === 'csv'
      ? req.rows
      : req.rows + archivePlan(req).reduce((s, p) => s + (p.dataset === 'general' ? 0 : p.rows), 0);
  const progress = reporter.progress(`sample ${basename(req.out)}`, { total: totalRows, unit: 'rows' });
  const entries: SampleEntry[] = [];

  const counted = (spec: SampleSpec): { stream: Readable; entry: SampleEntry } => {
    const stats = emptyStats();
    const entry: SampleEntry = {
      ...stats,
      file: cmsFileName(spec.dataset, spec.programYear, spec.publicationDate),
      dataset: spec.dataset,
      era: spec.eraId,
    };
    let seen = 0;
    const source = Readable.from(
      (async function* () {
        for await (const chunk of generateCsv(contract, spec, stats)) {
          progress.tick(stats.rows - seen);
          seen = stats.rows;
          yield chunk;
        }
        Object.assign(entry, stats);
      })(),
      // One chunk in flight: buffering generated text is what would make memory grow.
      { objectMode: true, highWaterMark: 1 },
    );
    entries.push(entry);
    return { stream: source, entry };
  };

  const d = digest();
  try {
    if (format === 'csv') {
      await pipeline(counted(req).stream, d.stream, createWriteStream(tmp), { signal });
      entries[0]!.file = basename(req.out);
    } else {
      const zip = new yazl.ZipFile();
      const done = pipeline(zip.outputStream, d.stream, createWriteStream(tmp), { signal });
      const mtime = new Date(`${req.publicationDate}T00:00:00Z`);
      for (const spec of archivePlan(req)) {
        const { stream, entry } = counted(spec);
        // A generator failure must fail the whole write (and its temp-file cleanup), not crash the process.
        stream.on('error', (e) => (zip.outputStream as Readable).destroy(e));
        // yazl reads entries one after another, so only one generator is ever active.
        zip.addReadStream(stream, entry.file, { mtime, compress: true });
      }
      zip.addBuffer(Buffer.from(archiveReadme(req)), `README_PGYR${req.programYear}.txt`, { mtime });
      zip.end();
      await done;
    }
    await rename(tmp, req.out);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined); // keep the original error
    throw e instanceof OrchestratorError ? e : outputWriteError(e, req.out);
  }
  progress.done();

  const { bytes, sha256 } = d.result();
  const result: SampleResult = {
    out: req.out,
    sidecar,
    format,
    bytes,
    sha256,
    rows: entries.reduce((s, e) => s + e.rows, 0),
    entries,
  };
  const meta = {
    generator: 'orchestrator sample',
    contractVersion: CONTRACT_VERSION,
    programYear: req.programYear,
    publicationDate: req.publicationDate,
    seed: req.seed,
    defectRate: req.defectRate,
    ...result,
    out: basename(req.out),
    sidecar: undefined,
  };
  await writeFileAtomic(sidecar, `${JSON.stringify(meta, null, 2)}\n`);
  return result;
}

/** Files of a CMS-style year archive: General at the requested size, the others in proportion. */
export function archivePlan(req: Omit<SampleSpec, 'referencedRows'>): SampleSpec[] {
  const general: SampleSpec = { ...req, dataset: 'general' };
  const others = (Object.keys(ARCHIVE_SHARE) as (keyof typeof ARCHIVE_SHARE)[]).map(
    (dataset): SampleSpec => ({
      ...req,
      dataset,
      eraId: defaultEraId(dataset, req.programYear),
      // At least one row of each file, unless the archive is empty.
      rows: req.rows === 0 ? 0 : Math.max(1, Math.round(req.rows * ARCHIVE_SHARE[dataset])),
      ...(dataset === 'removed_deleted' ? { referencedRows: req.rows, defectRate: 0 } : {}),
    }),
  );
  return [general, ...others];
}

function archiveReadme(req: SampleRequest): string {
  return [
    `Open Payments program year ${req.programYear} — SYNTHETIC sample made by \`orchestrator sample\` (seed ${req.seed}).`,
    `Archive ${cmsArchiveName(req.programYear, req.publicationDate)} layout; publication ${req.publicationDate}.`,
    'Not CMS data: names, ids and amounts are generated. See the .sidecar.json next to the archive for defect counts.',
    '',
  ].join('\n');
}
