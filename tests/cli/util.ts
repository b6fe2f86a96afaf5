/** Shared helpers of the CLI tests: reading back what the CLI wrote, the way a user's tools would. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import type { SampleEntry } from '../../orchestrator/src/app/sample/write.js';
import { CONTRACT } from '../../orchestrator/src/domain/contract/index.js';
import { parseCsv } from '../../orchestrator/src/domain/csv.js';
import { type CliRun, runCli } from '../helpers.js';

/** What `sample` writes next to its output: one entry per CSV (the generator's own type). */
export type SidecarEntry = SampleEntry;

export interface Sidecar {
  generator: string;
  contractVersion: string;
  programYear: number;
  publicationDate: string;
  seed: number;
  defectRate: number;
  out: string;
  format: 'csv' | 'zip';
  bytes: number;
  sha256: string;
  rows: number;
  entries: SidecarEntry[];
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function readCsv(path: string): string[][] {
  return parseCsv(readFileSync(path, 'utf8'));
}

export function readSidecar(out: string): Sidecar {
  return JSON.parse(readFileSync(`${out}.sidecar.json`, 'utf8')) as Sidecar;
}

export function eraColumns(eraId: string): string[] {
  for (const d of CONTRACT.datasets) {
    const era = d.eras.find((e) => e.id === eraId);
    if (era) return era.columns.map((c) => c.source);
  }
  throw new Error(`no era ${eraId} in the contract`);
}

export const sum = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

/** Files in a folder, sorted (dot files included: a leftover temp file must show up). */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** Runs `orchestrator sample` with logs silenced unless the caller passes its own flags. */
export function sample(args: string[], cwd: string, env?: NodeJS.ProcessEnv): CliRun {
  return runCli(['--log-level', 'silent', 'sample', ...args], { cwd, ...(env ? { env } : {}) });
}

function has(cmd: string): boolean {
  return spawnSync(cmd, ['-v'], { stdio: 'ignore' }).error === undefined;
}

/** Names of the entries of a zip, read by an independent tool (unzip, else Python's zipfile). */
export function zipNames(zip: string): string[] {
  if (has('unzip')) {
    return execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  }
  const script = 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))';
  return execFileSync('python3', ['-c', script, zip], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .sort();
}

/** Extracts a zip with Python's zipfile (which also checks every entry's CRC). */
export function extractZip(zip: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('python3', ['-m', 'zipfile', '-e', zip, dir]);
}

/** Integrity test of every entry (CRC), by an independent tool. */
export function testZip(zip: string): void {
  execFileSync('python3', [
    '-c',
    'import sys, zipfile; bad = zipfile.ZipFile(sys.argv[1]).testzip(); sys.exit(1 if bad else 0)',
    zip,
  ]);
}

/** Column accessor by header name for records of a parsed CSV. */
export function columns(header: string[]) {
  return (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`no column ${name} in header`);
    return i;
  };
}
