/**
 * Lake layout: zone → key functions. Keys are '/'-separated and relative to the lake root (a folder
 * locally, a bucket/prefix on S3), so the same key names an object on either target.
 */

import type { DatasetId } from './contract/types.js';
import { OrchestratorError } from './errors.js';

export const ZONES = ['raw', 'staging', 'rejected', 'curated', 'metadata', 'artifacts'] as const;
export type Zone = (typeof ZONES)[number];

const SOURCE = 'open_payments';
export const FIRST_PROGRAM_YEAR = 2013;

/** The newest program year that can exist on a date: CMS publishes PY N by June 30 of N+1. */
export function latestProgramYear(today: Date): number {
  return today.getUTCFullYear();
}

function invalid(what: string, value: unknown, rule: string): never {
  throw new OrchestratorError('INVALID_LAKE_KEY', `Invalid ${what} ${JSON.stringify(value)}: ${rule}.`);
}

function segment(what: string, value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._=-]*$/.test(value) || value.includes('..')) {
    invalid(what, value, 'use letters, digits, dot, dash, underscore or =; no slashes or ".."');
  }
  return value;
}

function year(programYear: number): string {
  if (!Number.isInteger(programYear) || programYear < FIRST_PROGRAM_YEAR || programYear > 2100) {
    invalid('program year', programYear, `a whole year from ${FIRST_PROGRAM_YEAR}`);
  }
  return `program_year=${programYear}`;
}

function publication(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    invalid('publication date', date, 'use YYYY-MM-DD');
  }
  return `publication=${date}`;
}

export interface FileLocation {
  dataset: DatasetId;
  programYear: number;
  publication: string;
}

export const lake = {
  /** Original bytes as published, write-once. */
  rawFile: (loc: FileLocation, fileName: string) =>
    [
      'raw',
      SOURCE,
      loc.dataset,
      year(loc.programYear),
      publication(loc.publication),
      segment('file name', fileName),
    ].join('/'),
  rawPublicationPrefix: (loc: FileLocation) =>
    ['raw', SOURCE, loc.dataset, year(loc.programYear), publication(loc.publication)].join('/') + '/',
  stagingChunk: (loc: FileLocation, part: number) =>
    [
      'staging',
      SOURCE,
      loc.dataset,
      year(loc.programYear),
      publication(loc.publication),
      `part-${String(part).padStart(5, '0')}.csv.gz`,
    ].join('/'),
  stagingPrefix: (loc: FileLocation) =>
    ['staging', SOURCE, loc.dataset, year(loc.programYear), publication(loc.publication)].join('/') + '/',
  rejectedPrefix: (dataset: DatasetId, programYear: number, runId: string) =>
    ['staging', 'rejected', SOURCE, dataset, year(programYear), `run_id=${segment('run id', runId)}`].join(
      '/',
    ) + '/',

  /** A curated table's folder: a contract dataset, or a table derived by a SQL job (yearly_summary). */
  curatedTablePrefix: (table: string) => ['curated', SOURCE, segment('table', table)].join('/') + '/',
  /** One program year of a curated dataset or derived table. */
  curatedPartitionPrefix: (table: string, programYear: number) =>
    ['curated', SOURCE, segment('table', table), year(programYear)].join('/') + '/',
  /** Where a run's Spark job writes before the orchestrator checks and publishes the partition. */
  stagedCuratedRoot: (runId: string) =>
    ['staging', 'curated', `run_id=${segment('run id', runId)}`].join('/') + '/',
  /** The record of the last successful transform of a partition (its fingerprint makes reruns no-ops). */
  transformRecord: (table: string, programYear: number) =>
    ['metadata', 'transform', SOURCE, segment('table', table), `${year(programYear)}.json`].join('/'),
  /**
   * The latest submission of a partition's job (run, attempt, state): a remote job run that outlived
   * the process that started it is found again from here.
   */
  submissionRecord: (table: string, programYear: number) =>
    ['metadata', 'submissions', SOURCE, segment('table', table), `${year(programYear)}.json`].join('/'),
  /** The latest validation of a dataset's program year (each run's own copy is under metadata/runs/). */
  validationRecord: (table: string, programYear: number) =>
    ['metadata', 'validation', SOURCE, segment('table', table), `${year(programYear)}.json`].join('/'),
  ingestRecordPrefix: (dataset: DatasetId, programYear: number) =>
    ['metadata', 'ingest', SOURCE, dataset, year(programYear)].join('/') + '/',
  /** The record of the last successful ingest of a publication (its fingerprint makes reruns no-ops). */
  ingestRecord: (loc: FileLocation) =>
    [
      'metadata',
      'ingest',
      SOURCE,
      loc.dataset,
      year(loc.programYear),
      `${publication(loc.publication)}.json`,
    ].join('/'),
  /** Which files a source archive held, so a rerun can tell it is done before downloading it again. */
  archiveRecord: (identityHash: string) =>
    ['metadata', 'ingest', SOURCE, '_archives', `${segment('identity hash', identityHash)}.json`].join('/'),
  runFile: (runId: string, file: string) =>
    ['metadata', 'runs', `run_id=${segment('run id', runId)}`, segment('file name', file)].join('/'),
  /**
   * A run that started and has not yet written its `_runs` row: the end of a command removes it, so
   * what is left names runs that died without a word (see cli/journal.ts).
   */
  openRunsPrefix: 'metadata/open-runs/',
  openRun: (runId: string) => ['metadata', 'open-runs', `run_id=${segment('run id', runId)}.json`].join('/'),
  /** The lease of the one writer of a table's program year, or of a whole table (see app/locks.ts). */
  lock: (table: string, programYear?: number) =>
    [
      'metadata',
      'locks',
      `${segment('table', table)}${programYear === undefined ? '' : `-${year(programYear).slice('program_year='.length)}`}.lock`,
    ].join('/'),
  contract: (version: string) =>
    ['metadata', 'contract', `contract-v${segment('version', version)}.json`].join('/'),
  artifact: (contentHash: string, fileName: string) =>
    ['artifacts', segment('content hash', contentHash), segment('file name', fileName)].join('/'),
} as const;

/** Raw is never mutated: the object store enforces write-once for keys under this prefix. */
export function isWriteOnceKey(key: string): boolean {
  return key.startsWith('raw/');
}

/** Every key must stay inside the lake: relative, no empty or dot segments. */
export function assertSafeKey(key: string): string {
  const parts = key.split('/');
  if (
    key.startsWith('/') ||
    parts.some((p, i) => (p === '' && i !== parts.length - 1) || p === '.' || p === '..')
  ) {
    invalid('object key', key, 'keys are relative paths without empty, "." or ".." segments');
  }
  return key;
}
