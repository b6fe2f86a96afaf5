/**
 * The Spark job code as one content-addressed artifact: the `openpayments_jobs` package (Python and
 * SQL files) zipped deterministically (sorted entries, fixed timestamps), so the same code always has
 * the same hash — the hash names the artifact folder, enters the run fingerprint, and lets a runner
 * skip staging code that is already there.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import yazl from 'yazl';

export interface JobPackage {
  /** sha256 of the package contents (paths and bytes), hex; the first 16 characters name the artifact. */
  hash: string;
  zip: Buffer;
  /** Entry-point scripts by job file name (`transform.py`), shipped next to the zip. */
  entryPoints: Record<string, Buffer>;
}

const PACKAGE = 'openpayments_jobs';
const INCLUDED = /\.(py|sql)$/;
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== '__pycache__') out.push(...(await filesUnder(p)));
    else if (e.isFile() && INCLUDED.test(e.name)) out.push(p);
  }
  return out;
}

export async function buildJobPackage(projectRoot: string): Promise<JobPackage> {
  const base = join(projectRoot, 'spark-jobs');
  const files = (await filesUnder(join(base, PACKAGE))).sort();
  const hash = createHash('sha256');
  const zip = new yazl.ZipFile();
  const entryPoints: Record<string, Buffer> = {};
  for (const file of files) {
    const name = relative(base, file).split('\\').join('/');
    const bytes = await readFile(file);
    hash.update(`${name}\0${bytes.length}\0`).update(bytes);
    zip.addBuffer(bytes, name, { mtime: FIXED_MTIME, mode: 0o644 });
    if (name.startsWith(`${PACKAGE}/jobs/`) && name.endsWith('.py') && !name.endsWith('__init__.py'))
      entryPoints[name.slice(`${PACKAGE}/jobs/`.length)] = bytes;
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return { hash: hash.digest('hex'), zip: Buffer.concat(chunks), entryPoints };
}
