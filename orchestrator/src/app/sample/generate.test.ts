import { describe, expect, it } from 'vitest';
import {
  CONTRACT,
  datasetSpec,
  detectEra,
  GENERAL_NATURES,
  PLACEHOLDER_VALUES,
} from '../../domain/contract/index.js';
import type { DatasetId } from '../../domain/contract/types.js';
import { parseCsv } from '../../domain/csv.js';
import { defaultEraId, emptyStats, generateCsv, type SampleSpec, type SampleStats } from './generate.js';

async function generate(
  over: Partial<SampleSpec> & { dataset: DatasetId; programYear: number },
): Promise<{ text: string; stats: SampleStats }> {
  const spec: SampleSpec = {
    rows: 3000,
    eraId: defaultEraId(over.dataset, over.programYear),
    defectRate: 0.1,
    seed: 11,
    publicationDate: `${over.programYear + 1}-06-30`,
    recipients: 500,
    manufacturers: 50,
    ...over,
  };
  const stats = emptyStats();
  let text = '';
  for await (const chunk of generateCsv(CONTRACT, spec, stats)) text += chunk;
  return { text, stats };
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

/**
 * An independent reading of the generated rows with the contract's rule semantics, written for the
 * test: if the sidecar's expected counts disagree with what is really in the file, this catches it.
 */
function audit(dataset: DatasetId, text: string, programYear: number) {
  const [header, ...records] = parseCsv(text);
  const era = detectEra(CONTRACT, header!, dataset);
  const curated = era.columns.map((c) => c.curated!);
  const idx = (name: string) => curated.indexOf(name);
  const key = datasetSpec(CONTRACT, dataset).recordKey.at(-1)!;
  const hard: Record<string, number> = {};
  const soft: Record<string, number> = {};
  const seen = new Set<string>();
  let clean = 0;
  const get = (r: string[], n: string) => (idx(n) >= 0 ? r[idx(n)] : undefined);
  const natures = new Set<string>(GENERAL_NATURES);
  for (const r of records) {
    const id = get(r, key) ?? '';
    const amount = get(r, 'total_amount_of_payment_usdollars');
    const date = get(r, 'date_of_payment');
    const m = date === undefined ? null : /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(date);
    const hardCode =
      r.length !== header!.length
        ? 'WRONG_FIELD_COUNT'
        : id === ''
          ? key === 'record_id'
            ? 'MISSING_RECORD_ID'
            : 'MISSING_PROFILE_ID'
          : get(r, 'program_year') !== undefined && get(r, 'program_year') !== String(programYear)
            ? 'PROGRAM_YEAR_MISMATCH'
            : amount !== undefined && !/^-?\d+\.\d{2}$/.test(amount)
              ? 'INVALID_AMOUNT'
              : amount?.startsWith('-')
                ? 'NEGATIVE_AMOUNT'
                : date !== undefined && (!m || Number(m[1]) > 12 || Number(m[2]) > 31)
                  ? 'INVALID_PAYMENT_DATE'
                  : m && Number(m[3]) < 2000
                    ? 'IMPLAUSIBLE_PAYMENT_DATE'
                    : seen.has(id)
                      ? key === 'record_id'
                        ? 'DUPLICATE_RECORD_ID'
                        : 'DUPLICATE_PROFILE_ID'
                      : undefined;
    if (id) seen.add(id);
    if (hardCode) {
      bump(hard, hardCode);
      continue;
    }
    const flags: string[] = [];
    if (r.some((v) => PLACEHOLDER_VALUES.includes(v))) flags.push('JUNK_PLACEHOLDER');
    if (r.some((v) => v.startsWith("'") || v.startsWith('\t'))) flags.push('LEADING_ARTIFACT');
    const state = get(r, 'recipient_state');
    if (state && !/^[A-Z]{2}$/.test(state)) flags.push('INVALID_STATE_CODE');
    if (m && Number(m[3]) !== programYear) flags.push('PAYMENT_DATE_OUTSIDE_PROGRAM_YEAR');
    const npi = get(r, 'covered_recipient_npi') ?? get(r, 'physician_npi');
    if (npi && !/^\d{10}$/.test(npi)) flags.push('INVALID_NPI');
    const type = get(r, 'covered_recipient_type');
    if (npi === '' && type !== undefined && type !== 'Covered Recipient Teaching Hospital')
      flags.push('MISSING_NPI');
    const nature = get(r, 'nature_of_payment_or_transfer_of_value');
    if (dataset === 'general' && nature !== undefined && !natures.has(nature))
      flags.push('UNKNOWN_NATURE_OF_PAYMENT');
    const charity = get(r, 'charity_indicator');
    if (charity && !['Yes', 'No'].includes(charity)) flags.push('UNPARSEABLE_VALUE');
    expect(flags.length, `one defect per row: ${flags}`).toBeLessThanOrEqual(1);
    if (flags[0]) bump(soft, flags[0]);
    else clean++;
  }
  return { era: era.id, records: records.length, hard, soft, clean };
}

describe('sample generator', () => {
  it.each([
    ['general', 2023, undefined],
    ['general', 2018, undefined],
    ['general', 2014, undefined],
    ['general', 2015, undefined],
    ['general', 2013, 'general_63'],
    ['general', 2014, 'general_63r'],
    ['research', 2022, undefined],
    ['research', 2017, undefined],
    ['ownership', 2021, undefined],
    ['ownership', 2014, undefined],
    ['profiles', 2023, undefined],
    ['profiles', 2019, undefined],
    ['removed_deleted', 2023, undefined],
  ] as const)(
    '%s %i (%s): the sidecar counts match what is really in the file',
    async (dataset, programYear, era) => {
      const { text, stats } = await generate({ dataset, programYear, ...(era ? { eraId: era } : {}) });
      const seen = audit(dataset, text, programYear);
      expect(seen.era).toBe(era ?? defaultEraId(dataset, programYear));
      expect(seen.records).toBe(3000);
      expect(stats.rows).toBe(3000);
      expect(seen.hard).toEqual(stats.expected.quarantined);
      expect(seen.soft).toEqual(stats.expected.flagged);
      expect(seen.clean).toBe(stats.expected.clean);
      const defects = Object.values(stats.defects).reduce((a, b) => a + b, 0);
      expect(defects + stats.expected.clean).toBe(3000);
      if (dataset !== 'removed_deleted') expect(defects).toBeGreaterThan(150); // ~10% of 3000
    },
  );

  it('injects every defect the era supports', async () => {
    const { stats } = await generate({ dataset: 'general', programYear: 2023, rows: 20000, defectRate: 0.2 });
    expect(Object.keys(stats.defects).sort()).toEqual(
      [
        'duplicate_record_id',
        'invalid_npi',
        'invalid_state_code',
        'junk_payment_date',
        'junk_placeholder',
        'leading_artifact',
        'missing_npi',
        'missing_record_id',
        'negative_amount',
        'non_numeric_amount',
        'payment_date_outside_program_year',
        'program_year_mismatch',
        'unknown_nature_of_payment',
        'unparseable_indicator',
        'unparseable_payment_date',
        'wrong_field_count',
      ].sort(),
    );
  });

  it('is deterministic per seed and differs across seeds', async () => {
    const a = await generate({ dataset: 'general', programYear: 2022, rows: 500 });
    const b = await generate({ dataset: 'general', programYear: 2022, rows: 500 });
    const c = await generate({ dataset: 'general', programYear: 2022, rows: 500, seed: 12 });
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
  });

  it('looks like the real data: Food and Beverage ~90%, 10-digit NPIs, 12-digit company ids, sparse product slots', async () => {
    const { text, stats } = await generate({
      dataset: 'general',
      programYear: 2023,
      rows: 20000,
      defectRate: 0,
    });
    const [header, ...rows] = parseCsv(text);
    const col = (name: string) => header!.indexOf(name);
    const food =
      rows.filter((r) => r[col('Nature_of_Payment_or_Transfer_of_Value')] === 'Food and Beverage').length /
      rows.length;
    expect(food).toBeGreaterThan(0.85);
    expect(food).toBeLessThan(0.95);
    expect(
      rows.every((r) =>
        /^\d{12}$/.test(r[col('Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_ID')]!),
      ),
    ).toBe(true);
    const npis = rows.map((r) => r[col('Covered_Recipient_NPI')]!).filter(Boolean);
    expect(npis.every((n) => /^\d{10}$/.test(n))).toBe(true);
    expect(rows.every((r) => /^\d{2}\/\d{2}\/2023$/.test(r[col('Date_of_Payment')]!))).toBe(true);
    const slot5 = rows.filter(
      (r) => r[col('Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_5')] !== '',
    ).length;
    expect(slot5).toBe(0);
    expect(Object.keys(stats.features.recipientTypes).sort()).toEqual([
      'Covered Recipient Non-Physician Practitioner',
      'Covered Recipient Physician',
      'Covered Recipient Teaching Hospital',
    ]);
    expect(stats.features.embeddedNewline).toBeGreaterThan(0);
    expect(rows.some((r) => r[col('Contextual_Information')]!.includes('\n'))).toBe(true);
    // Amounts are unquoted, text is quoted, as CMS publishes them.
    expect(text.split('\n')[1]).toMatch(/,\d+\.\d{2},"\d{2}\/\d{2}\/2023",/);
  });

  it('has no non-physician practitioners before program year 2021', async () => {
    const { stats } = await generate({ dataset: 'general', programYear: 2019, rows: 5000, defectRate: 0 });
    expect(stats.features.recipientTypes['Covered Recipient Non-Physician Practitioner']).toBeUndefined();
  });

  it('accounts every cent: curated plus quarantined equals the sum of parseable amounts', async () => {
    const { text, stats } = await generate({
      dataset: 'general',
      programYear: 2023,
      rows: 4000,
      defectRate: 0.2,
    });
    const [header, ...rows] = parseCsv(text);
    const col = header!.indexOf('Total_Amount_of_Payment_USDollars');
    let total = 0n;
    for (const r of rows) {
      const v = r[col];
      if (v && /^-?\d+\.\d{2}$/.test(v)) total += BigInt(v.replace('.', ''));
    }
    expect(BigInt(stats.amountCents.curated) + BigInt(stats.amountCents.quarantined)).toBe(total);
    expect(BigInt(stats.amountCents.quarantined)).not.toBe(0n);
  });

  it('references General record ids from the removed/deleted file', async () => {
    const general = await generate({ dataset: 'general', programYear: 2023, rows: 1000, defectRate: 0 });
    const removed = await generate({
      dataset: 'removed_deleted',
      programYear: 2023,
      rows: 20,
      defectRate: 0,
      referencedRows: 1000,
    });
    const ids = new Set(
      parseCsv(general.text)
        .slice(1)
        .map((r) => r[general.text.split(',').indexOf('Record_ID')]),
    );
    const removedRows = parseCsv(removed.text).slice(1);
    expect(removedRows).toHaveLength(20);
    expect(removedRows.every((r) => ids.has(r[3]))).toBe(true);
    expect(new Set(removedRows.map((r) => r[0]))).toEqual(new Set(['DELETED', 'REMOVED']));
  });
});
