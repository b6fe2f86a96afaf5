/** `orchestrator sample --out x.zip`: a CMS-style year archive, opened with independent tools. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { tempDir } from '../helpers.js';
import {
  columns,
  eraColumns,
  extractZip,
  listDir,
  readCsv,
  readSidecar,
  type Sidecar,
  sample,
  sha256,
  testZip,
  zipNames,
} from './util.js';

const ROWS = 1000;
const YEAR = 2023;

describe('sample: a year archive (.zip) of 1,000 General rows with defects', () => {
  let cwd: string;
  let zip: string;
  let names: string[];
  let side: Sidecar;
  let dir: string;
  const nameOf = (prefix: string) => names.find((n) => n.startsWith(prefix))!;

  beforeAll(() => {
    cwd = tempDir();
    zip = join(cwd, 'year.zip');
    const r = sample(
      [
        '--dataset',
        'general',
        '--year',
        String(YEAR),
        '--rows',
        String(ROWS),
        '--defects',
        '0.05',
        '--seed',
        '11',
        '--out',
        'year.zip',
      ],
      cwd,
    );
    expect(r.code, r.stderr).toBe(0);
    names = zipNames(zip);
    side = readSidecar(zip);
    dir = join(cwd, 'extracted');
    extractZip(zip, dir);
  });

  it('writes the zip and its sidecar only', () => {
    expect(listDir(cwd)).toEqual(['extracted', 'year.zip', 'year.zip.sidecar.json']);
    expect(readFileSync(zip).subarray(0, 4).toString('hex')).toBe('504b0304'); // PK\x03\x04
    testZip(zip);
  });

  it('holds the four CMS detail/removal files of the year and a README', () => {
    const stamp = '[A-Z0-9_]+';
    expect(names).toHaveLength(5);
    expect(names.some((n) => new RegExp(`^OP_DTL_GNRL_PGYR${YEAR}_${stamp}\\.csv$`).test(n))).toBe(true);
    expect(names.some((n) => new RegExp(`^OP_DTL_RSRCH_PGYR${YEAR}_${stamp}\\.csv$`).test(n))).toBe(true);
    expect(names.some((n) => new RegExp(`^OP_DTL_OWNRSHP_PGYR${YEAR}_${stamp}\\.csv$`).test(n))).toBe(true);
    expect(names.some((n) => new RegExp(`^OP_REMOVED_DELETED_PGYR${YEAR}_${stamp}\\.csv$`).test(n))).toBe(
      true,
    );
    expect(names.some((n) => /^README.*\.txt$/.test(n))).toBe(true);
    expect(listDir(dir)).toEqual(names);
  });

  it('the README says the data is synthetic and names the seed', () => {
    const readme = readFileSync(join(dir, names.find((n) => n.startsWith('README'))!), 'utf8');
    expect(readme).toContain('SYNTHETIC');
    expect(readme).toContain('seed 11');
  });

  it('the sidecar has 4 entries, one per CSV of the archive, and describes the zip bytes', () => {
    expect(side.format).toBe('zip');
    expect(side.entries).toHaveLength(4);
    expect(side.entries.map((e) => e.dataset)).toEqual([
      'general',
      'research',
      'ownership',
      'removed_deleted',
    ]);
    expect(side.entries.map((e) => e.file).sort()).toEqual(names.filter((n) => n.endsWith('.csv')).sort());
    expect(side.entries[0]!.rows).toBe(ROWS);
    expect(side.rows).toBe(side.entries.reduce((s, e) => s + e.rows, 0));
    expect(side.sha256).toBe(sha256(zip));
    expect(side.bytes).toBe(statSync(zip).size);
  });

  it('each extracted CSV has its era header and sidecar rows + 1 records', () => {
    for (const e of side.entries) {
      const records = readCsv(join(dir, e.file));
      expect(records[0], e.file).toEqual(eraColumns(e.era));
      expect(records, e.file).toHaveLength(e.rows + 1);
    }
    expect(side.entries.map((e) => e.era)).toEqual([
      'general_91',
      'research_252',
      'ownership_30',
      'removed_deleted_4',
    ]);
  });

  it('the general entry, extracted, gives rows + 1 records and its WRONG_FIELD_COUNT', () => {
    const general = side.entries[0]!;
    const records = readCsv(join(dir, nameOf('OP_DTL_GNRL_')));
    expect(records).toHaveLength(ROWS + 1);
    expect(records.slice(1).filter((r) => r.length !== 91)).toHaveLength(
      general.expected.quarantined['WRONG_FIELD_COUNT'] ?? 0,
    );
  });

  it('every removed/deleted Record_ID exists in the general file, unless that general row lost its id to a defect', () => {
    const general = readCsv(join(dir, nameOf('OP_DTL_GNRL_')));
    const gid = columns(general[0]!)('Record_ID');
    const ids = general.slice(1).map((r) => r[gid]!);
    // Ids are consecutive from a base: recover it from the most common (id - position).
    const offsets = new Map<number, number>();
    for (const [i, id] of ids.entries())
      if (id) offsets.set(Number(id) - i, (offsets.get(Number(id) - i) ?? 0) + 1);
    const base = [...offsets.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const known = new Set(ids);

    const removed = readCsv(join(dir, nameOf('OP_REMOVED_DELETED_')));
    const rid = columns(removed[0]!)('Record_ID');
    const removedIds = removed.slice(1).map((r) => r[rid]!);
    expect(removedIds.length).toBe(side.entries[3]!.rows);
    const missing = removedIds.filter((id) => !known.has(id));
    for (const id of missing) {
      const position = Number(id) - base;
      expect(position).toBeGreaterThanOrEqual(0);
      expect(position).toBeLessThan(ROWS);
      const replaced = ids[position]!;
      // The row was generated with this id, then a defect blanked it or copied an earlier one.
      expect(
        replaced === '' || ids.indexOf(replaced) < position,
        `general row ${position} has ${replaced}`,
      ).toBe(true);
    }
    expect(missing.length).toBeLessThanOrEqual(
      (side.entries[0]!.expected.quarantined['MISSING_RECORD_ID'] ?? 0) +
        (side.entries[0]!.expected.quarantined['DUPLICATE_RECORD_ID'] ?? 0),
    );
    const change = columns(removed[0]!)('Change_Type');
    for (const r of removed.slice(1)) expect(['REMOVED', 'DELETED']).toContain(r[change]);
  });

  it('the same seed gives a byte-identical archive', () => {
    const other = tempDir();
    const r = sample(
      [
        '--dataset',
        'general',
        '--year',
        String(YEAR),
        '--rows',
        String(ROWS),
        '--defects',
        '0.05',
        '--seed',
        '11',
        '--out',
        'again.zip',
      ],
      other,
    );
    expect(r.code).toBe(0);
    expect(sha256(join(other, 'again.zip'))).toBe(sha256(zip));
  });
});

describe('sample: archives of other datasets', () => {
  // A year archive is built around the General file; other datasets are refused before writing.
  it.each(['research', 'ownership', 'removed_deleted', 'profiles'])(
    '--dataset %s --out x.zip either writes an archive or refuses with a coded error, leaving no temp file',
    (dataset) => {
      const cwd = tempDir();
      const r = sample(['--dataset', dataset, '--year', '2023', '--rows', '50', '--out', 'x.zip'], cwd);
      expect(r.stderr).not.toContain("Unhandled 'error' event");
      expect(r.code).toBe(EXIT_CODES.usage.code);
      expect(r.stderr).toContain('error [INVALID_OPTION]');
      expect(r.stderr).toContain('--dataset general');
      expect(listDir(cwd)).toEqual([]);
    },
  );
});
