import { describe, expect, it } from 'vitest';
import { OrchestratorError } from '../errors.js';
import { normaliseHeaderName } from './detect.js';
import {
  CONTRACT,
  CURATED_TYPES,
  DATASET_IDS,
  datasetSpec,
  detectEra,
  findEra,
  PUBLISHED_HEADERS,
} from './index.js';

const allEras = CONTRACT.datasets.flatMap((d) => d.eras);

describe('dataset contract', () => {
  it('declares the five datasets', () => {
    expect(CONTRACT.datasets.map((d) => d.id)).toEqual([...DATASET_IDS]);
  });

  it('has the General layouts of every era with their published column counts', () => {
    const general = datasetSpec(CONTRACT, 'general');
    expect(Object.fromEntries(general.eras.map((e) => [e.id, e.columns.length]))).toEqual({
      general_63: 63,
      general_63r: 63,
      general_65: 65,
      general_66: 66,
      general_75: 75,
      general_91: 91,
    });
  });

  it('puts null-rate ceilings on nullable key columns that every era of the dataset publishes', () => {
    const rated = CONTRACT.datasets.flatMap((d) =>
      d.curated.filter((c) => c.maxNullRate !== undefined).map((c) => ({ d, c })),
    );
    expect(rated.map(({ d, c }) => `${d.id}.${c.name} ${c.maxNullRate}`)).toContain(
      'general.recipient_state 0.02',
    );
    for (const { d, c } of rated) {
      // A non-nullable column already has a ceiling of 0 (curated.nulls); a column an era lacks would be
      // all null in that era's years, failing the check on data that is as published.
      expect(c.nullable, `${d.id}.${c.name}`).toBe(true);
      for (const era of d.eras)
        expect(
          era.columns.some((s) => s.curated === c.name),
          `${era.id} has ${c.name}`,
        ).toBe(true);
    }
  });

  it('maps every source column of every era to a curated column, or drops it with a reason', () => {
    for (const era of allEras) {
      const curated = new Set(datasetSpec(CONTRACT, era.dataset).curated.map((c) => c.name));
      for (const c of era.columns) {
        if (c.curated === undefined) {
          expect(c.dropReason, `${era.id}.${c.source}`).toMatch(/\w{10,}/);
        } else {
          expect(curated.has(c.curated), `${era.id}.${c.source} → ${c.curated}`).toBe(true);
        }
      }
    }
  });

  it('never maps two source columns of one era onto the same curated column', () => {
    for (const era of allEras) {
      const targets = era.columns.flatMap((c) => (c.curated ? [c.curated] : []));
      expect(new Set(targets).size, era.id).toBe(targets.length);
    }
  });

  it('has no duplicate column names within a header', () => {
    for (const era of allEras) {
      const names = era.columns.map((c) => normaliseHeaderName(c.source));
      expect(new Set(names).size, era.id).toBe(names.length);
    }
  });

  it('renames the pre-2021 recipient columns onto the current names', () => {
    const to = (eraId: string, source: string) =>
      findEra(CONTRACT, eraId)!.columns.find((c) => c.source === source)?.curated;
    expect(to('general_75', 'Physician_Profile_ID')).toBe('covered_recipient_profile_id');
    expect(to('general_66', 'Physician_NPI')).toBe('covered_recipient_npi');
    expect(to('general_75', 'Physician_Primary_Type')).toBe('covered_recipient_primary_type_1');
    expect(to('general_75', 'Physician_Specialty')).toBe('covered_recipient_specialty_1');
    expect(to('general_65', 'Product_Indicator')).toBe('related_product_indicator');
    expect(to('general_63', 'General_Transaction_ID')).toBe('record_id');
    expect(to('general_63', 'Delay_in_Publication_of_General_Payment_Indicator')).toBe(
      'delay_in_publication_indicator',
    );
    expect(to('research_176', 'Principal_Investigator_3_Specialty')).toBe(
      'principal_investigator_3_specialty_1',
    );
    expect(to('profiles_27', 'Physician_Profile_First_Name')).toBe('covered_recipient_profile_first_name');
    // Ownership kept the Physician_* names in every layout.
    expect(to('ownership_30', 'Physician_NPI')).toBe('physician_npi');
    // Physician_Ownership_Indicator keeps its name in the 91-column layout.
    expect(to('general_91', 'Physician_Ownership_Indicator')).toBe('physician_ownership_indicator');
  });

  it('keeps the 2013–15 drug/NDC/device slots as their own columns, not forced into product groups', () => {
    const era = findEra(CONTRACT, 'general_65')!;
    const slot = era.columns.find((c) => c.source === 'NDC_of_Associated_Covered_Drug_or_Biological1');
    expect(slot?.curated).toBe('ndc_of_associated_covered_drug_or_biological1');
    expect(era.columns.some((c) => c.curated === 'associated_drug_or_biological_ndc_1')).toBe(false);
  });

  it('declares an explicit type for every curated column, with the key types the reference demands', () => {
    const general = new Map(datasetSpec(CONTRACT, 'general').curated.map((c) => [c.name, c]));
    for (const d of CONTRACT.datasets) for (const c of d.curated) expect(CURATED_TYPES).toContain(c.type);
    expect(general.get('total_amount_of_payment_usdollars')?.type).toBe('decimal(18,2)');
    expect(general.get('date_of_payment')?.type).toBe('date');
    expect(general.get('program_year')).toMatchObject({ type: 'int', nullable: false });
    expect(general.get('covered_recipient_npi')?.type).toBe('string');
    expect(general.get('record_id')).toMatchObject({ type: 'string', nullable: false });
    expect(general.get('recipient_zip_code')?.type).toBe('string');
    expect(general.get('physician_ownership_indicator')?.type).toBe('boolean');
  });

  it('partitions every dataset by program_year (profiles: the year of the snapshot) and adds the lineage columns', () => {
    for (const d of CONTRACT.datasets) expect(d.partitionKeys).toEqual(['program_year']);
    const profiles = CONTRACT.datasets.find((d) => d.id === 'profiles')!;
    expect(profiles.eras.some((e) => e.columns.some((c) => c.curated === 'program_year'))).toBe(false);
    expect(profiles.curated.find((c) => c.name === 'program_year')).toMatchObject({
      type: 'int',
      nullable: false,
    });
    expect(CONTRACT.lineage.map((c) => c.name)).toEqual([
      '_source_file',
      '_publication_date',
      '_ingest_run_id',
      '_era',
      '_row_number',
      '_dq_flags',
    ]);
  });

  it('points every rule at a curated column of its dataset', () => {
    for (const d of CONTRACT.datasets) {
      const names = new Set(d.curated.map((c) => c.name));
      for (const r of d.rules) {
        if ('column' in r.check)
          expect(names.has(r.check.column), `${d.id} ${r.code} → ${r.check.column}`).toBe(true);
      }
    }
  });

  it('quarantines hard failures and flags soft ones, with the reference traps covered', () => {
    const general = datasetSpec(CONTRACT, 'general');
    const bySeverity = (s: string) => general.rules.filter((r) => r.severity === s).map((r) => r.code);
    expect(bySeverity('hard')).toEqual(
      expect.arrayContaining([
        'WRONG_FIELD_COUNT',
        'MISSING_RECORD_ID',
        'INVALID_AMOUNT',
        'NEGATIVE_AMOUNT',
        'INVALID_PAYMENT_DATE',
        'DUPLICATE_RECORD_ID',
        'PROGRAM_YEAR_MISMATCH',
      ]),
    );
    expect(bySeverity('soft')).toEqual(
      expect.arrayContaining([
        'PAYMENT_DATE_OUTSIDE_PROGRAM_YEAR',
        'JUNK_PLACEHOLDER',
        'LEADING_ARTIFACT',
        'INVALID_STATE_CODE',
        'MISSING_NPI',
        'INVALID_NPI',
      ]),
    );
    // A payment dated outside its program year is flagged, never dropped.
    expect(general.rules.find((r) => r.code === 'PAYMENT_DATE_OUTSIDE_PROGRAM_YEAR')?.severity).toBe('soft');
  });

  it('marks columns it could not confirm as unverified', () => {
    const col = (eraId: string, source: string) =>
      findEra(CONTRACT, eraId)!.columns.find((c) => c.source === source)!;
    expect(col('general_66', 'Physician_NPI').verified).toBe(false);
    expect(col('general_66', 'Record_ID').verified).toBe(true);
    expect(findEra(CONTRACT, 'removed_deleted_4')!.columns.every((c) => !c.verified)).toBe(true);
    expect(col('general_91', 'Record_ID').verified).toBe(true);
  });

  it('records where each published header came from', () => {
    for (const h of PUBLISHED_HEADERS) expect(h.provenance.length, h.eraId).toBeGreaterThan(20);
  });
});

describe('era detection', () => {
  const header = (eraId: string) => findEra(CONTRACT, eraId)!.columns.map((c) => c.source);

  it.each(allEras.map((e) => e.id))('recognises %s from its own header', (eraId) => {
    expect(detectEra(CONTRACT, header(eraId)).id).toBe(eraId);
  });

  it('tells the two 63-column layouts apart by name, not count', () => {
    expect(detectEra(CONTRACT, header('general_63')).id).toBe('general_63');
    expect(detectEra(CONTRACT, header('general_63r')).id).toBe('general_63r');
  });

  it('ignores case, whitespace, a BOM and column order', () => {
    const h = header('general_75')
      .map((c) => ` ${c.toUpperCase()} `)
      .reverse();
    h[0] = `\uFEFF${h[0]}`;
    expect(detectEra(CONTRACT, h).id).toBe('general_75');
  });

  it('fails on an unknown header naming the closest era and the column diff', () => {
    const h = header('general_91').filter((c) => c !== 'Covered_Recipient_NPI');
    h.push('Covered_Recipient_Favourite_Color');
    let err: unknown;
    try {
      detectEra(CONTRACT, h);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OrchestratorError);
    const e = err as OrchestratorError;
    expect(e.code).toBe('UNKNOWN_HEADER');
    expect(e.message).toContain('closest era is general_91');
    expect(e.message).toContain('missing: Covered_Recipient_NPI');
    expect(e.message).toContain('unexpected: Covered_Recipient_Favourite_Color');
    expect(e.exitCode).toBe(4);
  });

  it('restricts detection to a dataset when asked', () => {
    expect(() => detectEra(CONTRACT, header('ownership_30'), 'general')).toThrow(/closest general era/);
  });

  it('rejects a header that repeats a column', () => {
    const h = [...header('removed_deleted_4'), 'Record_ID'];
    expect(() => detectEra(CONTRACT, h)).toThrow(/duplicated: Record_ID/);
  });
});
