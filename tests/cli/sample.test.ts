/**
 * `orchestrator sample` to a CSV: the file is read back with the project's quote-aware parser and
 * every count of the sidecar is checked against what is actually in the file.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT, RECIPIENT_TYPES } from '../../orchestrator/src/domain/contract/index.js';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { runCli, tempDir } from '../helpers.js';
import {
  columns,
  eraColumns,
  listDir,
  readCsv,
  readSidecar,
  type Sidecar,
  type SidecarEntry,
  sample,
  sha256,
  sum,
} from './util.js';

const ROWS = 2000;
const GENERAL_91 = eraColumns('general_91');
const PERSON_TYPES: string[] = [RECIPIENT_TYPES.physician, RECIPIENT_TYPES.practitioner];

/** A valid MM/DD/YYYY calendar date. */
function validUsDate(s: string): { y: number; m: number; d: number } | undefined {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[3]), Number(m[1]), Number(m[2])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? { y, m: mo, d } : undefined;
}

function cents(amount: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount);
  if (!m) return undefined;
  const v = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -v : v;
}

describe('sample: 2,000 General rows of 2023 with 5% defects (seed 7)', () => {
  let cwd: string;
  let out: string;
  let records: string[][];
  let body: string[][];
  let side: Sidecar;
  let entry: SidecarEntry;
  let col: (name: string) => number;
  let stdout: string;
  let stderr: string;
  const q = (code: string) => entry.expected.quarantined[code] ?? 0;
  const f = (code: string) => entry.expected.flagged[code] ?? 0;

  beforeAll(() => {
    cwd = tempDir();
    out = join(cwd, 'general.csv');
    const r = runCli(
      [
        'sample',
        '--dataset',
        'general',
        '--year',
        '2023',
        '--rows',
        String(ROWS),
        '--defects',
        '0.05',
        '--seed',
        '7',
        '--out',
        'general.csv',
      ],
      { cwd },
    );
    expect(r.code, r.stderr).toBe(0);
    ({ stdout, stderr } = r);
    records = readCsv(out);
    body = records.slice(1);
    side = readSidecar(out);
    entry = side.entries[0]!;
    col = columns(records[0]!);
  });

  it('writes exactly the CSV and its sidecar (no temp file left), and says so on stdout', () => {
    expect(listDir(cwd)).toEqual(['general.csv', 'general.csv.sidecar.json']);
    expect(stdout).toContain(`Wrote 2,000 rows`);
    expect(stdout).toContain(`to ${out}`);
    expect(stdout).toContain('general.csv: 2000 rows, era general_91');
    expect(stdout).toContain(`Defect counts: ${out}.sidecar.json`);
  });

  it('logs to stderr as JSON lines (stderr is not a TTY), never on stdout', () => {
    const logs = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; code: string; rows?: number; msg: string });
    expect(logs.map((l) => l.code)).toContain('sample.written');
    expect(logs.find((l) => l.code === 'sample.written')).toMatchObject({
      level: 'info',
      rows: ROWS,
      msg: `sample written to ${out}`,
    });
    expect(stdout).not.toContain('"level"');
  });

  it('the header is the general_91 source header of the contract', () => {
    expect(records[0]).toEqual(GENERAL_91);
    expect(GENERAL_91).toHaveLength(91);
  });

  it('parseCsv gives exactly rows + 1 records', () => {
    expect(records).toHaveLength(ROWS + 1);
  });

  it('the sidecar describes the file: rows, bytes, sha256, era and the request', () => {
    expect(side).toMatchObject({
      generator: 'orchestrator sample',
      contractVersion: CONTRACT.contractVersion,
      programYear: 2023,
      publicationDate: '2024-06-30',
      seed: 7,
      defectRate: 0.05,
      out: 'general.csv',
      format: 'csv',
      rows: ROWS,
    });
    expect(side.entries).toHaveLength(1);
    expect(entry).toMatchObject({ rows: ROWS, file: 'general.csv', dataset: 'general', era: 'general_91' });
    expect(side.bytes).toBe(statSync(out).size);
    expect(side.sha256).toBe(sha256(out));
  });

  it('every row is counted exactly once: quarantined + flagged + clean = rows', () => {
    expect(sum(entry.expected.quarantined) + sum(entry.expected.flagged) + entry.expected.clean).toBe(ROWS);
    expect(sum(entry.defects)).toBe(ROWS - entry.expected.clean);
    // 5% of 2,000 rows: far from 0 and from all of them.
    expect(ROWS - entry.expected.clean).toBeGreaterThan(40);
    expect(ROWS - entry.expected.clean).toBeLessThan(180);
  });

  it('records with a field count other than 91 = WRONG_FIELD_COUNT', () => {
    const wrong = body.filter((r) => r.length !== 91);
    expect(q('WRONG_FIELD_COUNT')).toBeGreaterThan(0);
    expect(wrong).toHaveLength(q('WRONG_FIELD_COUNT'));
    for (const r of wrong) expect([90, 92]).toContain(r.length);
  });

  it('negative amounts = NEGATIVE_AMOUNT; non-numeric amounts = INVALID_AMOUNT', () => {
    const amounts = body.map((r) => r[col('Total_Amount_of_Payment_USDollars')]!);
    expect(amounts.filter((a) => a.startsWith('-'))).toHaveLength(q('NEGATIVE_AMOUNT'));
    expect(amounts.filter((a) => !/^-?\d+\.\d{2}$/.test(a))).toHaveLength(q('INVALID_AMOUNT'));
  });

  it('the cents of every parseable amount add up to the sidecar curated + quarantined sums', () => {
    let total = 0n;
    for (const r of body) total += cents(r[col('Total_Amount_of_Payment_USDollars')]!) ?? 0n;
    expect(total).toBe(BigInt(entry.amountCents.curated) + BigInt(entry.amountCents.quarantined));
  });

  it("Recipient_State '0R' (among 91-field records) = INVALID_STATE_CODE", () => {
    const states = body.filter((r) => r.length === 91).map((r) => r[col('Recipient_State')]);
    expect(states.filter((s) => s === '0R')).toHaveLength(f('INVALID_STATE_CODE'));
    expect(states.filter((s) => s !== '0R' && !/^[A-Z]{2}$/.test(s ?? ''))).toEqual([]);
  });

  it('Record_ID: empty ones = MISSING_RECORD_ID, repeats = DUPLICATE_RECORD_ID', () => {
    const ids = body.map((r) => r[col('Record_ID')]!);
    const present = ids.filter((id) => id !== '');
    expect(ids.length - present.length).toBe(q('MISSING_RECORD_ID'));
    expect(present.length - new Set(present).size).toBe(q('DUPLICATE_RECORD_ID'));
    for (const id of present) expect(id).toMatch(/^\d+$/);
  });

  it('Program_Year other than 2023 = PROGRAM_YEAR_MISMATCH', () => {
    expect(body.filter((r) => r[col('Program_Year')] !== '2023')).toHaveLength(q('PROGRAM_YEAR_MISMATCH'));
  });

  it('dates are MM/DD/YYYY in the program year except the injected date defects, each counted', () => {
    const dates = body.map((r) => r[col('Date_of_Payment')]!);
    const unparseable = dates.filter((d) => !validUsDate(d));
    const implausible = dates.filter((d) => validUsDate(d) && validUsDate(d)!.y < 1900);
    const outside = dates.filter(
      (d) => validUsDate(d) && validUsDate(d)!.y >= 1900 && validUsDate(d)!.y !== 2023,
    );
    expect(unparseable).toHaveLength(q('INVALID_PAYMENT_DATE'));
    expect(implausible).toHaveLength(q('IMPLAUSIBLE_PAYMENT_DATE'));
    expect(outside).toHaveLength(f('PAYMENT_DATE_OUTSIDE_PROGRAM_YEAR'));
    for (const d of outside) expect(d).toMatch(/^12\/\d{2}\/2022$/);
    const clean = dates.length - unparseable.length - implausible.length - outside.length;
    expect(clean).toBeGreaterThanOrEqual(entry.expected.clean);
  });

  it('Payment_Publication_Date is the publication date in MM/DD/YYYY', () => {
    const full = body.filter((r) => r.length === 91);
    expect(new Set(full.map((r) => r[col('Payment_Publication_Date')]))).toEqual(new Set(['06/30/2024']));
  });

  it('NPIs are 10 digits where present, except the INVALID_NPI rows; missing ones are MISSING_NPI', () => {
    const npi = col('Covered_Recipient_NPI');
    const type = col('Covered_Recipient_Type');
    const present = body.map((r) => r[npi]!).filter((n) => n !== '');
    const bad = present.filter((n) => !/^\d{10}$/.test(n));
    expect(bad).toHaveLength(f('INVALID_NPI'));
    for (const n of bad) expect(n).toMatch(/^\d{9}$/);
    const personsWithout = body.filter((r) => PERSON_TYPES.includes(r[type]!) && r[npi] === '');
    expect(personsWithout).toHaveLength(f('MISSING_NPI'));
    for (const r of body.filter((r) => r[type] === RECIPIENT_TYPES.teachingHospital)) expect(r[npi]).toBe('');
  });

  it('Contextual_Information keeps embedded newlines, quotes and commas through a round trip', () => {
    const ctx = body.map((r) => r[col('Contextual_Information')]!);
    const withNewline = ctx.filter((c) => c.includes('\n'));
    expect(withNewline.length).toBeGreaterThan(0);
    expect(withNewline).toHaveLength(entry.features.embeddedNewline);
    expect(ctx.filter((c) => c.includes('"'))).toHaveLength(entry.features.embeddedQuote);
    expect(ctx.filter((c) => c.includes(','))).toHaveLength(entry.features.embeddedComma);
    // The newline sits inside the field, between text (the record was not split around it).
    for (const c of withNewline)
      expect(
        c.split(/\r?\n/).every((part) => part.length > 0),
        JSON.stringify(c),
      ).toBe(true);
    // The raw file holds the newline inside a quoted field: more physical lines than records.
    expect(readFileSync(out, 'utf8').split('\n').length - 1).toBeGreaterThan(records.length);
  });

  it('spreadsheet junk in Recipient_City = JUNK_PLACEHOLDER / LEADING_ARTIFACT; odd values are flagged', () => {
    const city = body.map((r) => r[col('Recipient_City')]!);
    expect(city.filter((c) => ['#N/A', '-- SELECT --', '#REF!'].includes(c))).toHaveLength(
      f('JUNK_PLACEHOLDER'),
    );
    expect(city.filter((c) => c.startsWith("'") || c.startsWith('\t'))).toHaveLength(f('LEADING_ARTIFACT'));
    expect(body.filter((r) => r[col('Charity_Indicator')] === 'Maybe')).toHaveLength(f('UNPARSEABLE_VALUE'));
    const natures = body.map((r) => r[col('Nature_of_Payment_or_Transfer_of_Value')]!);
    expect(natures.filter((n) => n === 'Promotional Item')).toHaveLength(f('UNKNOWN_NATURE_OF_PAYMENT'));
  });

  it('natures match the sidecar, and Food and Beverage is 80–95% of rows', () => {
    const natures = body.map((r) => r[col('Nature_of_Payment_or_Transfer_of_Value')]!);
    const counts: Record<string, number> = {};
    for (const n of natures) counts[n] = (counts[n] ?? 0) + 1;
    expect(counts).toEqual(entry.features.natures);
    const share = (counts['Food and Beverage'] ?? 0) / ROWS;
    expect(share).toBeGreaterThanOrEqual(0.8);
    expect(share).toBeLessThanOrEqual(0.95);
  });

  it('all three recipient types appear in 2023, matching the sidecar', () => {
    const counts: Record<string, number> = {};
    for (const r of body)
      counts[r[col('Covered_Recipient_Type')]!] = (counts[r[col('Covered_Recipient_Type')]!] ?? 0) + 1;
    expect(Object.keys(counts).sort()).toEqual(Object.values(RECIPIENT_TYPES).sort());
    expect(counts).toEqual(entry.features.recipientTypes);
  });
});

describe('sample: recipients before 2021', () => {
  it.each([
    ['the 2019 layout', []],
    ['the 2021+ layout (--era general_91)', ['--era', 'general_91']],
  ])('2019 in %s has no Non-Physician Practitioner', (_what, extra) => {
    const cwd = tempDir();
    const r = sample(
      ['--dataset', 'general', '--year', '2019', '--rows', '1000', '--seed', '3', '--out', 'g.csv', ...extra],
      cwd,
    );
    expect(r.code, r.stderr).toBe(0);
    const records = readCsv(join(cwd, 'g.csv'));
    const type = columns(records[0]!)('Covered_Recipient_Type');
    const types = new Set(records.slice(1).map((x) => x[type]));
    expect(types.has(RECIPIENT_TYPES.practitioner)).toBe(false);
    expect(types).toEqual(new Set([RECIPIENT_TYPES.physician, RECIPIENT_TYPES.teachingHospital]));
    expect(
      readSidecar(join(cwd, 'g.csv')).entries[0]!.features.recipientTypes[RECIPIENT_TYPES.practitioner],
    ).toBeUndefined();
  });
});

describe('sample: determinism', () => {
  const args = (seed: string, out: string) => [
    '--dataset',
    'general',
    '--year',
    '2022',
    '--rows',
    '300',
    '--defects',
    '0.1',
    '--seed',
    seed,
    '--out',
    out,
  ];

  it('the same seed twice gives identical bytes, and the sidecar sha256 is the sha256 of the file', () => {
    const cwd = tempDir();
    expect(sample(args('42', 'a.csv'), cwd).code).toBe(0);
    expect(sample(args('42', 'b.csv'), cwd).code).toBe(0);
    const a = readFileSync(join(cwd, 'a.csv'));
    expect(a.equals(readFileSync(join(cwd, 'b.csv')))).toBe(true);
    expect(readSidecar(join(cwd, 'a.csv')).sha256).toBe(sha256(join(cwd, 'a.csv')));
    expect(readSidecar(join(cwd, 'b.csv')).sha256).toBe(sha256(join(cwd, 'a.csv')));
    const { out: _a, ...sideA } = readSidecar(join(cwd, 'a.csv'));
    const { out: _b, ...sideB } = readSidecar(join(cwd, 'b.csv'));
    expect(sideA).toEqual({ ...sideB, entries: sideB.entries.map((e) => ({ ...e, file: 'a.csv' })) });
  });

  it('a different seed gives different bytes', () => {
    const cwd = tempDir();
    expect(sample(args('42', 'a.csv'), cwd).code).toBe(0);
    expect(sample(args('43', 'b.csv'), cwd).code).toBe(0);
    expect(readFileSync(join(cwd, 'a.csv')).equals(readFileSync(join(cwd, 'b.csv')))).toBe(false);
    expect(readSidecar(join(cwd, 'a.csv')).sha256).not.toBe(readSidecar(join(cwd, 'b.csv')).sha256);
  });
});

describe('sample: every era of the contract', () => {
  const eras = CONTRACT.datasets.flatMap((d) =>
    d.eras.map((e) => ({ dataset: d.id, era: e.id, year: Math.max(e.programYears.from, 2013) })),
  );

  it('covers the eras named in the brief', () => {
    const ids = eras.map((e) => e.era);
    for (const id of [
      'general_63',
      'general_65',
      'general_75',
      'research_176',
      'ownership_29',
      'profiles_32',
      'removed_deleted_4',
    ]) {
      expect(ids).toContain(id);
    }
  });

  it.each(eras)(
    '--dataset $dataset --era $era: header equals the era columns; counts hold',
    ({ dataset, era, year }) => {
      const cwd = tempDir();
      const r = sample(
        [
          '--dataset',
          dataset,
          '--era',
          era,
          '--year',
          String(year),
          '--rows',
          '60',
          '--defects',
          '0.2',
          '--seed',
          '5',
          '--out',
          'x.csv',
        ],
        cwd,
      );
      expect(r.code, r.stderr).toBe(0);
      const records = readCsv(join(cwd, 'x.csv'));
      const header = eraColumns(era);
      expect(records[0]).toEqual(header);
      expect(records).toHaveLength(61);
      const e = readSidecar(join(cwd, 'x.csv')).entries[0]!;
      expect(e).toMatchObject({ dataset, era, rows: 60 });
      expect(records.slice(1).filter((x) => x.length !== header.length)).toHaveLength(
        e.expected.quarantined['WRONG_FIELD_COUNT'] ?? 0,
      );
      expect(sum(e.expected.quarantined) + sum(e.expected.flagged) + e.expected.clean).toBe(60);
    },
  );
});

describe('sample: the default era follows the program year', () => {
  it.each([
    ['general', '2013', 'general_65'],
    ['general', '2015', 'general_66'],
    ['general', '2019', 'general_75'],
    ['general', '2021', 'general_91'],
    ['research', '2023', 'research_252'],
    ['ownership', '2014', 'ownership_29'],
    ['profiles', '2018', 'profiles_27'],
    ['removed_deleted', '2023', 'removed_deleted_4'],
  ])('%s %s → %s', (dataset, year, era) => {
    const cwd = tempDir();
    expect(sample(['--dataset', dataset, '--year', year, '--rows', '5', '--out', 'x.csv'], cwd).code).toBe(0);
    expect(readCsv(join(cwd, 'x.csv'))[0]).toEqual(eraColumns(era));
    expect(readSidecar(join(cwd, 'x.csv')).entries[0]!.era).toBe(era);
  });
});

describe('sample: output modes', () => {
  it('--rows 0 writes the header only', () => {
    const cwd = tempDir();
    expect(
      sample(['--dataset', 'general', '--year', '2023', '--rows', '0', '--out', 'h.csv'], cwd).code,
    ).toBe(0);
    expect(readFileSync(join(cwd, 'h.csv'), 'utf8')).toBe(`${GENERAL_91.join(',')}\n`);
    expect(readSidecar(join(cwd, 'h.csv')).entries[0]).toMatchObject({ rows: 0, expected: { clean: 0 } });
  });

  it('--defects 0 yields only clean rows', () => {
    const cwd = tempDir();
    expect(
      sample(['--dataset', 'general', '--year', '2023', '--rows', '200', '--out', 'c.csv'], cwd).code,
    ).toBe(0);
    const e = readSidecar(join(cwd, 'c.csv')).entries[0]!;
    expect(e.expected).toEqual({ quarantined: {}, flagged: {}, clean: 200 });
    expect(readCsv(join(cwd, 'c.csv')).every((r) => r.length === 91)).toBe(true);
  });

  it('--json prints the result (out, sidecar, sha256) as one JSON document on stdout', () => {
    const cwd = tempDir();
    const r = runCli(
      [
        '--json',
        '--log-level',
        'silent',
        'sample',
        '--dataset',
        'ownership',
        '--year',
        '2020',
        '--rows',
        '20',
        '--out',
        'sub/o.csv',
      ],
      { cwd },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as {
      out: string;
      sidecar: string;
      format: string;
      sha256: string;
      rows: number;
      bytes: number;
    };
    expect(out).toMatchObject({
      out: join(cwd, 'sub/o.csv'),
      sidecar: join(cwd, 'sub/o.csv.sidecar.json'),
      format: 'csv',
      rows: 20,
    });
    expect(out.sha256).toBe(sha256(join(cwd, 'sub/o.csv')));
    expect(out.bytes).toBe(statSync(join(cwd, 'sub/o.csv')).size);
  });

  it('--publication sets the printed publication date', () => {
    const cwd = tempDir();
    expect(
      sample(
        [
          '--dataset',
          'general',
          '--year',
          '2023',
          '--rows',
          '5',
          '--publication',
          '2025-01-17',
          '--out',
          'p.csv',
        ],
        cwd,
      ).code,
    ).toBe(0);
    const records = readCsv(join(cwd, 'p.csv'));
    const i = columns(records[0]!)('Payment_Publication_Date');
    expect(new Set(records.slice(1).map((r) => r[i]))).toEqual(new Set(['01/17/2025']));
    expect(readSidecar(join(cwd, 'p.csv')).publicationDate).toBe('2025-01-17');
  });

  it('a missing output folder is created', () => {
    const cwd = tempDir();
    const r = sample(['--dataset', 'profiles', '--year', '2023', '--rows', '5', '--out', 'a/b/c/p.csv'], cwd);
    expect(r.code).toBe(EXIT_CODES.ok.code);
    expect(listDir(join(cwd, 'a/b/c'))).toEqual(['p.csv', 'p.csv.sidecar.json']);
  });
});
