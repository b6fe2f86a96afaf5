/**
 * The five datasets: eras built from the published headers, curated schemas derived from the eras
 * (current layout order first, legacy-only columns after) with explicit types, and DQ rules.
 */
import { PUBLISHED_HEADERS, type PublishedHeader } from './headers.js';
import { curatedNameFor, DROPPED_COLUMNS } from './mapping.js';
import {
  duplicateKey,
  FIELD_COUNT,
  paymentRules,
  programYearRules,
  required,
  textCleanupRules,
} from './rules.js';
import type {
  CuratedColumn,
  CuratedType,
  DatasetId,
  DatasetSpec,
  DqRule,
  Era,
  SourceColumn,
} from './types.js';
import { GENERAL_NATURES } from './vocabulary.js';

function eraFrom(h: PublishedHeader): Era {
  const dataset = h.dataset as DatasetId;
  const orderUnverified = h.unverified.includes('*');
  const dropped = DROPPED_COLUMNS[dataset] ?? {};
  const columns: SourceColumn[] = h.columns.map((source) => {
    const verified = !orderUnverified && !h.unverified.includes(source);
    const dropReason = dropped[source];
    return dropReason
      ? { source, dropReason, verified }
      : { source, curated: curatedNameFor(dataset, source), verified };
  });
  const notes = [`Provenance: ${h.provenance}`];
  if (orderUnverified) notes.push('Column order rests on a single public source (detection ignores order).');
  return { id: h.eraId, dataset, title: h.title, programYears: h.programYears, columns, notes };
}

function erasOf(dataset: DatasetId): Era[] {
  return PUBLISHED_HEADERS.filter((h) => h.dataset === dataset).map(eraFrom);
}

interface ColumnOverride {
  type?: CuratedType;
  nullable?: boolean;
  maxNullRate?: number;
  description?: string;
}

/**
 * Curated columns = every mapped source column of every era, current era order first. Types default
 * to string (ids, NPIs, ZIPs and NDCs stay text for their leading zeros); overrides declare the rest.
 */
function curatedFrom(eras: Era[], overrides: Record<string, ColumnOverride>): CuratedColumn[] {
  const newestFirst = [...eras].sort(
    (a, b) =>
      (b.programYears.to ?? 9999) - (a.programYears.to ?? 9999) || b.columns.length - a.columns.length,
  );
  const sources = new Map<string, Set<string>>();
  for (const era of newestFirst) {
    for (const c of era.columns) {
      if (!c.curated) continue;
      if (!sources.has(c.curated)) sources.set(c.curated, new Set());
      sources.get(c.curated)!.add(c.source);
    }
  }
  return [...sources.entries()].map(([name, from]) => {
    const o = overrides[name] ?? {};
    const origin = `Source column ${[...from].join(' / ')}.`;
    return {
      name,
      type: o.type ?? 'string',
      nullable: o.nullable ?? true,
      ...(o.maxNullRate !== undefined ? { maxNullRate: o.maxNullRate } : {}),
      description: o.description ? `${o.description} ${origin}` : origin,
    };
  });
}

const YES_NO = (what: string): ColumnOverride => ({
  type: 'boolean',
  description: `${what} (Yes/No in the source).`,
});

const PAYMENT_OVERRIDES: Record<string, ColumnOverride> = {
  record_id: {
    nullable: false,
    description: 'CMS record id, unique within a publication of a year; kept as text.',
  },
  program_year: {
    type: 'int',
    nullable: false,
    description: 'Program year: the partition key. Partition by this, never by the payment date.',
  },
  payment_publication_date: {
    type: 'date',
    description: 'Publication date printed in the file (MM/DD/YYYY).',
  },
  total_amount_of_payment_usdollars: {
    type: 'decimal(18,2)',
    nullable: false,
    description: 'Payment amount in US dollars (>= 0).',
  },
  date_of_payment: {
    type: 'date',
    nullable: false,
    description: 'Date of payment (MM/DD/YYYY); may fall outside the program year (flagged).',
  },
  number_of_payments_included_in_total_amount: {
    type: 'int',
    description: 'Number of payments the amount covers.',
  },
  applicable_manufacturer_or_applicable_gpo_making_payment_id: {
    nullable: false,
    description: 'Id of the paying manufacturer or GPO (12 digits).',
  },
  covered_recipient_npi: {
    description: 'National Provider Identifier (10 digits, text); absent before the PY2015 archive.',
  },
  // Null-rate ceilings for key columns every layout publishes: CMS fills them on (nearly) every record,
  // so a partition where they go null points at a mis-mapped layout or a truncated source.
  covered_recipient_type: {
    maxNullRate: 0.001,
    description: 'Physician, Non-Physician Practitioner (2021+) or Teaching Hospital.',
  },
  nature_of_payment_or_transfer_of_value: {
    maxNullRate: 0.001,
    description: 'Nature of payment, e.g. Food and Beverage.',
  },
  applicable_manufacturer_or_applicable_gpo_making_payment_name: {
    maxNullRate: 0.001,
    description: 'Name of the paying manufacturer or GPO, as it was at the time of payment.',
  },
  recipient_state: {
    // Recipients abroad have a province instead of a state: a few per cent at most.
    maxNullRate: 0.02,
    description: 'Two-letter US state of the recipient (empty for addresses abroad).',
  },
  related_product_indicator: {
    description:
      'Yes/No from 2016; the 2013–15 Product_Indicator values (Covered, Non-Covered, Combination, None) are kept as published.',
  },
  contextual_information: {
    description: 'Free text from the payer; may contain commas, quotes and newlines.',
  },
  physician_ownership_indicator: YES_NO('Recipient or family holds an ownership interest in the payer'),
  charity_indicator: YES_NO('Payment made to a charity on the recipient’s behalf'),
  third_party_equals_covered_recipient_indicator: YES_NO('The third party is the covered recipient'),
  delay_in_publication_indicator: YES_NO('Publication was delayed for research or product development'),
  dispute_status_for_publication: YES_NO('The recipient disputed the record'),
  preclinical_research_indicator: YES_NO('The research is preclinical'),
};

const OWNERSHIP_OVERRIDES: Record<string, ColumnOverride> = {
  ...PAYMENT_OVERRIDES,
  total_amount_invested_usdollars: {
    type: 'decimal(18,2)',
    nullable: false,
    description: 'Amount invested in US dollars (>= 0).',
  },
  value_of_interest: { type: 'decimal(18,2)', description: 'Value of the ownership interest in US dollars.' },
  physician_npi: {
    description: 'National Provider Identifier (10 digits, text); absent in the 29-column layout.',
  },
  interest_held_by_physician_or_an_immediate_family_member: {
    description: 'Physician or Immediate Family Member.',
  },
};

function dataset(
  id: DatasetId,
  title: string,
  filePrefixes: string[],
  recordKey: string[],
  overrides: Record<string, ColumnOverride>,
  rules: DqRule[],
): DatasetSpec {
  const eras = erasOf(id);
  const curated = curatedFrom(eras, overrides);
  // The profile supplement has no program year of its own: each year's publication carries a snapshot,
  // kept under the program year it came with (the transform fills the column from the job's year).
  if (!curated.some((c) => c.name === 'program_year')) {
    curated.push({
      name: 'program_year',
      type: 'int',
      nullable: false,
      description:
        'Program year of the publication this snapshot came with (set by the pipeline; not in the source).',
    });
  }
  return {
    id,
    title,
    filePrefixes,
    recordKey,
    partitionKeys: ['program_year'],
    curated,
    eras,
    rules,
  };
}

/** General and Research payments name their rule columns alike. */
const RECIPIENT_PAYMENT_COLUMNS = {
  amount: 'total_amount_of_payment_usdollars',
  date: 'date_of_payment',
  npi: 'covered_recipient_npi',
  recipientType: 'covered_recipient_type',
  stateColumns: ['recipient_state'],
};

export const DATASETS: DatasetSpec[] = [
  dataset(
    'general',
    'General Payments',
    ['OP_DTL_GNRL', 'OPPR_ALL_DTL_GNRL'],
    ['record_id'],
    PAYMENT_OVERRIDES,
    paymentRules({
      ...RECIPIENT_PAYMENT_COLUMNS,
      nature: { column: 'nature_of_payment_or_transfer_of_value', values: [...GENERAL_NATURES] },
    }),
  ),
  dataset(
    'research',
    'Research Payments',
    ['OP_DTL_RSRCH', 'OPPR_ALL_DTL_RSRCH'],
    ['record_id'],
    PAYMENT_OVERRIDES,
    paymentRules(RECIPIENT_PAYMENT_COLUMNS),
  ),
  dataset(
    'ownership',
    'Ownership and Investment Interests',
    ['OP_DTL_OWNRSHP', 'OPPR_ALL_DTL_OWNRSHP'],
    ['record_id'],
    OWNERSHIP_OVERRIDES,
    paymentRules({
      amount: 'total_amount_invested_usdollars',
      npi: 'physician_npi',
      stateColumns: ['recipient_state'],
    }),
  ),
  dataset(
    'removed_deleted',
    'Removed or Deleted Records',
    ['OP_REMOVED_DELETED'],
    ['program_year', 'payment_type', 'record_id'],
    {
      change_type: { nullable: false, description: 'DELETED or REMOVED.' },
      program_year: { type: 'int', nullable: false, description: 'Program year of the removed record.' },
      payment_type: {
        nullable: false,
        description: 'Which detail file the record was in (General, Research, Ownership).',
      },
      record_id: { nullable: false, description: 'Record_ID of the removed record in its detail file.' },
    },
    [
      FIELD_COUNT,
      required('record_id', 'MISSING_RECORD_ID', 'Record_ID'),
      ...programYearRules(),
      {
        code: 'UNKNOWN_CHANGE_TYPE',
        severity: 'hard',
        description: 'Change_Type is not DELETED or REMOVED.',
        check: { kind: 'accepted_values', column: 'change_type', values: ['DELETED', 'REMOVED'] },
      },
      ...textCleanupRules(),
    ],
  ),
  dataset(
    'profiles',
    'Covered Recipient Profile Supplement',
    ['OP_CVRD_RCPNT_PRFL_SPLMTL', 'OP_PH_PRFL_SPLMTL'],
    ['covered_recipient_profile_id'],
    {
      covered_recipient_profile_id: {
        nullable: false,
        description: 'Open Payments profile id (Physician_Profile_ID before 2021).',
      },
      covered_recipient_npi: {
        description: 'National Provider Identifier (10 digits, text); 2021+ layout only.',
      },
    },
    [
      FIELD_COUNT,
      required('covered_recipient_profile_id', 'MISSING_PROFILE_ID', 'The profile id'),
      duplicateKey('covered_recipient_profile_id', 'DUPLICATE_PROFILE_ID'),
      ...textCleanupRules(),
      {
        code: 'INVALID_NPI',
        severity: 'soft',
        description: 'An NPI is present but is not 10 digits.',
        check: { kind: 'pattern', column: 'covered_recipient_npi', regex: '^[0-9]{10}$' },
      },
    ],
  ),
];
