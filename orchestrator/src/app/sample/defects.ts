/**
 * Each data-quality trap of the Open Payments reference, injectable at a rate. A defect names the
 * contract rule it must trigger, so the sidecar can say exactly how many rows the transform has to
 * quarantine (per reason) and flag (per code). At most one defect per row keeps those counts exact.
 */
import type { Rng } from './rng.js';
import { usDate } from './rows.js';

export type Row = Map<string, string>;

export interface DefectContext {
  rng: Rng;
  programYear: number;
  /** Record id of the last row written without any defect (a duplicate copies it). */
  lastCleanRecordId: string | undefined;
  recipientKind: string;
}

export interface Defect {
  id: string;
  severity: 'hard' | 'soft';
  /** Contract rule code the defect must trigger. */
  rule: string;
  /** Curated columns the era must have for the defect to apply. */
  needs: string[];
  applies?: (row: Row, ctx: DefectContext) => boolean;
  /** Mutates the row's values; `fields` defects instead change the serialised field list. */
  apply?: (row: Row, ctx: DefectContext) => void;
  fields?: (fields: string[], ctx: DefectContext) => string[];
}

const isPerson = (_row: Row, ctx: DefectContext) => ctx.recipientKind !== 'teachingHospital';

/** Columns that differ by dataset; the first one the era has is used. */
export const CITY = ['recipient_city', 'covered_recipient_profile_city'];
export const STATE = ['recipient_state', 'covered_recipient_profile_state'];
export const NPI = ['covered_recipient_npi', 'physician_npi'];

export function firstPresent(row: Row, names: string[]): string | undefined {
  return names.find((n) => row.has(n));
}

export const DEFECTS: readonly Defect[] = [
  {
    id: 'wrong_field_count',
    severity: 'hard',
    rule: 'WRONG_FIELD_COUNT',
    needs: [],
    fields: (f, ctx) => (ctx.rng.chance(0.5) ? [...f, 'EXTRA'] : f.slice(0, -1)),
  },
  {
    id: 'missing_record_id',
    severity: 'hard',
    rule: 'MISSING_RECORD_ID',
    needs: ['record_id'],
    apply: (r) => void r.set('record_id', ''),
  },
  {
    id: 'program_year_mismatch',
    severity: 'hard',
    rule: 'PROGRAM_YEAR_MISMATCH',
    needs: ['program_year'],
    apply: (r, ctx) => void r.set('program_year', String(ctx.programYear - 1)),
  },
  {
    id: 'non_numeric_amount',
    severity: 'hard',
    rule: 'INVALID_AMOUNT',
    needs: ['total_amount_of_payment_usdollars'],
    apply: (r, ctx) =>
      void r.set('total_amount_of_payment_usdollars', ctx.rng.pick(['#REF!', '12,50', 'USD 40'])),
  },
  {
    id: 'negative_amount',
    severity: 'hard',
    rule: 'NEGATIVE_AMOUNT',
    needs: ['total_amount_of_payment_usdollars'],
    apply: (r) =>
      void r.set('total_amount_of_payment_usdollars', `-${r.get('total_amount_of_payment_usdollars')}`),
  },
  {
    id: 'unparseable_payment_date',
    severity: 'hard',
    rule: 'INVALID_PAYMENT_DATE',
    needs: ['date_of_payment'],
    apply: (r, ctx) => void r.set('date_of_payment', ctx.rng.pick(['13/45/2023', '2023-04-13', 'April 4'])),
  },
  {
    id: 'junk_payment_date',
    severity: 'hard',
    rule: 'IMPLAUSIBLE_PAYMENT_DATE',
    needs: ['date_of_payment'],
    apply: (r) => void r.set('date_of_payment', '11/30/0002'),
  },
  {
    id: 'duplicate_record_id',
    severity: 'hard',
    rule: 'DUPLICATE_RECORD_ID',
    needs: ['record_id'],
    applies: (_r, ctx) => ctx.lastCleanRecordId !== undefined,
    apply: (r, ctx) => void r.set('record_id', ctx.lastCleanRecordId!),
  },
  {
    id: 'duplicate_profile_id',
    severity: 'hard',
    rule: 'DUPLICATE_PROFILE_ID',
    needs: ['covered_recipient_profile_id', 'covered_recipient_profile_city'],
    applies: (_r, ctx) => ctx.lastCleanRecordId !== undefined,
    apply: (r, ctx) => void r.set('covered_recipient_profile_id', ctx.lastCleanRecordId!),
  },
  {
    id: 'missing_profile_id',
    severity: 'hard',
    rule: 'MISSING_PROFILE_ID',
    needs: ['covered_recipient_profile_id', 'covered_recipient_profile_city'],
    apply: (r) => void r.set('covered_recipient_profile_id', ''),
  },
  {
    id: 'junk_placeholder',
    severity: 'soft',
    rule: 'JUNK_PLACEHOLDER',
    needs: [],
    applies: (r) => firstPresent(r, CITY) !== undefined,
    apply: (r, ctx) => void r.set(firstPresent(r, CITY)!, ctx.rng.pick(['#N/A', '-- SELECT --', '#REF!'])),
  },
  {
    id: 'leading_artifact',
    severity: 'soft',
    rule: 'LEADING_ARTIFACT',
    needs: [],
    applies: (r) => firstPresent(r, CITY) !== undefined,
    apply: (r, ctx) => {
      const col = firstPresent(r, CITY)!;
      r.set(col, `${ctx.rng.pick(["'", '\t'])}${r.get(col)}`);
    },
  },
  {
    id: 'invalid_state_code',
    severity: 'soft',
    rule: 'INVALID_STATE_CODE',
    needs: ['recipient_state'],
    apply: (r) => void r.set('recipient_state', '0R'),
  },
  {
    id: 'payment_date_outside_program_year',
    severity: 'soft',
    rule: 'PAYMENT_DATE_OUTSIDE_PROGRAM_YEAR',
    needs: ['date_of_payment'],
    apply: (r, ctx) => void r.set('date_of_payment', usDate(ctx.programYear - 1, 12, ctx.rng.int(1, 31))),
  },
  {
    id: 'missing_npi',
    severity: 'soft',
    rule: 'MISSING_NPI',
    needs: ['covered_recipient_type'],
    applies: (r, ctx) => isPerson(r, ctx) && r.has('covered_recipient_npi'),
    apply: (r) => void r.set('covered_recipient_npi', ''),
  },
  {
    id: 'invalid_npi',
    severity: 'soft',
    rule: 'INVALID_NPI',
    needs: [],
    applies: (r, ctx) => isPerson(r, ctx) && firstPresent(r, NPI) !== undefined,
    apply: (r, ctx) => void r.set(firstPresent(r, NPI)!, ctx.rng.digits(9)),
  },
  {
    id: 'unknown_nature_of_payment',
    severity: 'soft',
    rule: 'UNKNOWN_NATURE_OF_PAYMENT',
    needs: ['nature_of_payment_or_transfer_of_value'],
    apply: (r) => void r.set('nature_of_payment_or_transfer_of_value', 'Promotional Item'),
  },
  {
    id: 'unparseable_indicator',
    severity: 'soft',
    rule: 'UNPARSEABLE_VALUE',
    needs: ['charity_indicator'],
    apply: (r) => void r.set('charity_indicator', 'Maybe'),
  },
];

/** Defects whose rule exists for the dataset and whose columns the era has. */
export function defectsFor(ruleCodes: ReadonlySet<string>, eraColumns: ReadonlySet<string>): Defect[] {
  return DEFECTS.filter((d) => ruleCodes.has(d.rule) && d.needs.every((n) => eraColumns.has(n)));
}
