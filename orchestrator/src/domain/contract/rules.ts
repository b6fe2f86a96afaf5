/**
 * Data-quality rules as data. Hard rules quarantine a row (the first failing one is its reason);
 * soft rules flag it in `_dq_flags` and keep it. The Spark transform evaluates these generically and
 * the sample generator injects a defect for each, so rule codes are the shared vocabulary of both.
 */
import type { DqRule } from './types.js';

/** Placeholder junk seen in published files; cleaned to null (and flagged) before typing. */
export const PLACEHOLDER_VALUES = ['#REF!', '#N/A', '#NAME?', '#VALUE!', '-- SELECT --', 'N/A'];
/** Spreadsheet artefacts at the start of text values: stripped and flagged. */
export const LEADING_ARTIFACTS = ["'", '\t'];

export const FIELD_COUNT: DqRule = {
  code: 'WRONG_FIELD_COUNT',
  severity: 'hard',
  description: 'The record has more or fewer fields than its header (a broken quote or a stray delimiter).',
  check: { kind: 'field_count' },
};

export function required(column: string, code: string, what: string): DqRule {
  return { code, severity: 'hard', description: `${what} is empty.`, check: { kind: 'required', column } };
}

export function duplicateKey(column: string, code: string): DqRule {
  return {
    code,
    severity: 'hard',
    description: `${column} repeats within one publication: the first by source position is kept, the rest quarantined.`,
    check: { kind: 'unique_in_publication', column },
  };
}

export function programYearRules(): DqRule[] {
  return [
    {
      code: 'INVALID_PROGRAM_YEAR',
      severity: 'hard',
      description: 'Program_Year is empty or not a whole number.',
      check: { kind: 'castable', column: 'program_year' },
    },
    {
      code: 'PROGRAM_YEAR_MISMATCH',
      severity: 'hard',
      description: 'Program_Year differs from the year the file was published for.',
      check: { kind: 'equals_job_year', column: 'program_year' },
    },
  ];
}

export function textCleanupRules(): DqRule[] {
  return [
    {
      code: 'JUNK_PLACEHOLDER',
      severity: 'soft',
      description: `A text value was a spreadsheet placeholder (${PLACEHOLDER_VALUES.join(', ')}) and was set to null.`,
      check: { kind: 'placeholder', values: PLACEHOLDER_VALUES },
    },
    {
      code: 'LEADING_ARTIFACT',
      severity: 'soft',
      description:
        'A text value started with an apostrophe or a tab (spreadsheet artefact) that was stripped.',
      check: { kind: 'leading_artifact', prefixes: LEADING_ARTIFACTS },
    },
    {
      code: 'UNPARSEABLE_VALUE',
      severity: 'soft',
      description: 'A nullable typed column (number, date, Yes/No) could not be parsed and was set to null.',
      check: { kind: 'castable_nullable_columns' },
    },
  ];
}

export interface PaymentRuleColumns {
  amount: string;
  date?: string;
  npi?: string;
  recipientType?: string;
  nature?: { column: string; values: string[] };
  stateColumns: string[];
}

const NPI_HOLDERS = ['Covered Recipient Physician', 'Covered Recipient Non-Physician Practitioner'];

/** Rules shared by the three payment datasets (general, research, ownership). */
export function paymentRules(c: PaymentRuleColumns): DqRule[] {
  const hard: DqRule[] = [
    FIELD_COUNT,
    required('record_id', 'MISSING_RECORD_ID', 'Record_ID'),
    ...programYearRules(),
    {
      code: 'INVALID_AMOUNT',
      severity: 'hard',
      description: `${c.amount} is empty or not a number (e.g. #REF!).`,
      check: { kind: 'castable', column: c.amount },
    },
    {
      code: 'NEGATIVE_AMOUNT',
      severity: 'hard',
      description: `${c.amount} is negative.`,
      check: { kind: 'min', column: c.amount, min: 0 },
    },
  ];
  if (c.date) {
    hard.push(
      {
        code: 'INVALID_PAYMENT_DATE',
        severity: 'hard',
        description: `${c.date} is empty or not a MM/DD/YYYY date.`,
        check: { kind: 'castable', column: c.date },
      },
      {
        code: 'IMPLAUSIBLE_PAYMENT_DATE',
        severity: 'hard',
        description: `${c.date} is before 2000-01-01 or more than a year after the program year (e.g. 0002-11-30).`,
        check: { kind: 'date_between', column: c.date, min: '2000-01-01', maxYearsAfterProgramYear: 1 },
      },
    );
  }
  hard.push(duplicateKey('record_id', 'DUPLICATE_RECORD_ID'));

  const soft: DqRule[] = [...textCleanupRules()];
  if (c.date) {
    soft.push({
      code: 'PAYMENT_DATE_OUTSIDE_PROGRAM_YEAR',
      severity: 'soft',
      description: 'The payment is dated outside its program year; it stays in the program-year partition.',
      check: { kind: 'within_program_year', column: c.date },
    });
  }
  if (c.npi) {
    soft.push(
      {
        code: 'INVALID_NPI',
        severity: 'soft',
        description: 'An NPI is present but is not 10 digits.',
        check: { kind: 'pattern', column: c.npi, regex: '^[0-9]{10}$' },
      },
      ...(c.recipientType
        ? [
            {
              code: 'MISSING_NPI',
              severity: 'soft' as const,
              description: 'A physician or practitioner record has no NPI.',
              check: {
                kind: 'present_when' as const,
                column: c.npi,
                when: { [c.recipientType]: NPI_HOLDERS },
              },
            },
          ]
        : []),
    );
  }
  for (const column of c.stateColumns) {
    soft.push({
      code: 'INVALID_STATE_CODE',
      severity: 'soft',
      description: `${column} is present but not two letters (e.g. 0R).`,
      check: { kind: 'pattern', column, regex: '^[A-Z]{2}$' },
    });
  }
  if (c.nature) {
    soft.push({
      code: 'UNKNOWN_NATURE_OF_PAYMENT',
      severity: 'soft',
      description: 'The nature of payment is not one CMS publishes.',
      check: { kind: 'accepted_values', column: c.nature.column, values: c.nature.values },
    });
  }
  return [...hard, ...soft];
}
