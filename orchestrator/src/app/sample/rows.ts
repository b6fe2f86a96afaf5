/**
 * Realistic values for one row, keyed by curated column name. A row is first described as facts
 * (who was paid, by whom, how much, when) and then spelled out in whatever columns the era has, so
 * the same facts render correctly in every layout.
 */
import type { DatasetId } from '../../domain/contract/types.js';
import {
  CHANGE_TYPES,
  FORMS_OF_PAYMENT,
  GENERAL_NATURES,
  REMOVED_PAYMENT_TYPES,
} from '../../domain/contract/vocabulary.js';
import type { EntityPools, Manufacturer, Recipient } from './entities.js';
import type { Rng } from './rng.js';

const PRODUCTS = [
  ['Drug', 'Adrenocorticosteroid', 'Prednisolone 25', '0178-0582-08'],
  ['Drug', 'Cardiology', 'Xarelto', '50458-0579-30'],
  ['Biological', 'Oncology', 'Keytruda', '0006-3026-02'],
  ['Device', 'Orthopedics', 'Knee System', ''],
  ['Drug', 'Endocrinology', 'Ozempic', '0169-4132-12'],
  ['Medical Supply', 'Wound Care', 'Dressing Kit', ''],
] as const;

const CONTEXT_TEXT = [
  'Lunch for the office staff, "in-service" on dosing',
  'Speaker program, 2 sessions,\nfollow-up dinner',
  'Reimbursement for travel: airfare, hotel, "ground" transport',
  'Consulting on advisory board\r\nQ3 review',
];

const STUDY_NAMES = [
  'A Phase 3, Randomized Study of Drug X',
  'Observational Registry, "Real World" Outcomes',
  'Device Safety Study',
];

/** Nature of payment by weight; speaker categories follow the era's vocabulary. */
function natureWeights(programYear: number): readonly (readonly [string, number])[] {
  const speaker =
    programYear >= 2021
      ? [[GENERAL_NATURES[15], 1.2] as const]
      : [[GENERAL_NATURES[13], 0.6] as const, [GENERAL_NATURES[14], 0.6] as const];
  return [
    ['Food and Beverage', 90],
    ['Travel and Lodging', 3],
    ['Consulting Fee', 1.2],
    ['Education', 1.5],
    [GENERAL_NATURES[12], 1.5],
    ...speaker,
    ['Gift', 0.3],
    ['Honoraria', 0.3],
    ['Royalty or License', 0.2],
    ['Grant', 0.2],
    ['Entertainment', 0.1],
    ['Charitable Contribution', 0.05],
    ...(programYear >= 2021
      ? [['Debt forgiveness', 0.02] as const, ['Long term medical supply or device loan', 0.02] as const]
      : []),
  ];
}

/** Cents → text; exact for any amount up to $400M (whole cents, no float rounding). */
const dollars = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/** Amounts span $0.01 to $400M (royalties); older years also published 0.00 amounts. */
function amountFor(rng: Rng, nature: string, programYear: number): string {
  if (programYear <= 2015 && rng.chance(0.01)) return '0.00';
  if (nature === 'Food and Beverage') return dollars(rng.int(1, 15000));
  if (nature === 'Royalty or License') return dollars(rng.int(100_000, 40_000_000_000));
  if (nature === 'Travel and Lodging') return dollars(rng.int(5000, 300000));
  return dollars(rng.int(1000, 2_500_000));
}

export function usDate(year: number, month: number, day: number): string {
  return `${String(month).padStart(2, '0')}/${String(day).padStart(2, '0')}/${String(year).padStart(4, '0')}`;
}

export interface RowFacts {
  recordId: string;
  programYear: number;
  publicationDate: string;
  recipient: Recipient;
  pi: Recipient;
  manufacturer: Manufacturer;
  manufacturerName: string;
  nature: string;
  form: string;
  amount: string;
  date: string;
  context: string;
  productCount: number;
}

export function makeFacts(
  rng: Rng,
  pools: EntityPools,
  recordId: string,
  programYear: number,
  publicationDate: string,
): RowFacts {
  const recipient = pools.recipient(rng.int(0, pools.recipientCount - 1));
  const manufacturer = pools.manufacturer(rng.int(0, pools.manufacturerCount - 1));
  const nature = rng.weighted(natureWeights(programYear));
  return {
    recordId,
    programYear,
    publicationDate,
    recipient,
    pi: pools.recipient(rng.int(0, pools.recipientCount - 1)),
    manufacturer,
    manufacturerName: rng.pick(manufacturer.names),
    nature,
    form:
      nature === 'Food and Beverage' || nature === 'Travel and Lodging'
        ? 'In-kind items and services'
        : rng.weighted([
            [FORMS_OF_PAYMENT[1], 90],
            [FORMS_OF_PAYMENT[0], 10],
          ]),
    amount: amountFor(rng, nature, programYear),
    date: usDate(programYear, rng.int(1, 12), rng.int(1, 28)),
    context: rng.chance(0.04) ? rng.pick(CONTEXT_TEXT) : '',
    productCount: rng.weighted([
      [1, 70],
      [0, 20],
      [2, 8],
      [3, 2],
    ]),
  };
}

/** Value of a curated column for a row, as the CMS text would show it ('' = empty field). */
export function sampleValue(name: string, f: RowFacts, rng: Rng, dataset: DatasetId): string {
  const r = f.recipient;
  switch (name) {
    case 'change_type':
      return dataset === 'removed_deleted'
        ? rng.pick(['DELETED', 'REMOVED'])
        : rng.weighted([
            [CHANGE_TYPES[0], 80],
            [CHANGE_TYPES[2], 10],
            [CHANGE_TYPES[3], 10],
          ]);
    case 'covered_recipient_type':
      return r.type;
    case 'teaching_hospital_ccn':
      return r.hospitalCcn;
    case 'teaching_hospital_id':
      return r.hospitalId;
    case 'teaching_hospital_name':
      return r.hospitalName;
    case 'covered_recipient_profile_id':
    case 'physician_profile_id':
      return r.profileId;
    case 'covered_recipient_npi':
    case 'physician_npi':
      return r.npi;
    case 'covered_recipient_first_name':
    case 'physician_first_name':
    case 'covered_recipient_profile_first_name':
      return r.first;
    case 'covered_recipient_middle_name':
    case 'physician_middle_name':
    case 'covered_recipient_profile_middle_name':
      return r.middle;
    case 'covered_recipient_last_name':
    case 'physician_last_name':
    case 'covered_recipient_profile_last_name':
      return r.last;
    case 'covered_recipient_name_suffix':
    case 'physician_name_suffix':
    case 'covered_recipient_profile_suffix':
      return r.suffix;
    case 'recipient_primary_business_street_address_line1':
    case 'covered_recipient_profile_address_line_1':
      return r.street;
    case 'recipient_city':
    case 'covered_recipient_profile_city':
      return r.city;
    case 'recipient_state':
    case 'covered_recipient_profile_state':
      return r.state;
    case 'recipient_zip_code':
    case 'covered_recipient_profile_zipcode':
      return r.zip;
    case 'recipient_country':
    case 'covered_recipient_profile_country_name':
      return 'United States';
    case 'covered_recipient_primary_type_1':
    case 'physician_primary_type':
      return r.primaryType;
    case 'covered_recipient_specialty_1':
    case 'physician_specialty':
    case 'covered_recipient_profile_primary_specialty':
      return r.specialty;
    case 'covered_recipient_license_state_code1':
    case 'covered_recipient_profile_license_state_code_1':
      return r.licenseState;
    case 'covered_recipient_profile_type':
      return r.kind === 'practitioner'
        ? 'Covered Recipient Non-Physician Practitioner'
        : 'Covered Recipient Physician';
    case 'covered_recipient_profile_ops_taxonomy_1':
      return r.specialty ? `20${rng.digits(2)}00000X` : '';
    case 'submitting_applicable_manufacturer_or_applicable_gpo_name':
    case 'applicable_manufacturer_or_applicable_gpo_making_payment_name':
      return f.manufacturerName;
    case 'applicable_manufacturer_or_applicable_gpo_making_payment_id':
      return f.manufacturer.id;
    case 'applicable_manufacturer_or_applicable_gpo_making_payment_state':
      return f.manufacturer.state;
    case 'applicable_manufacturer_or_applicable_gpo_making_payment_country':
      return 'United States';
    case 'total_amount_of_payment_usdollars':
      return f.amount;
    case 'total_amount_invested_usdollars':
      return (rng.int(100000, 50_000_000) / 100).toFixed(2);
    case 'value_of_interest':
      return (rng.int(100000, 90_000_000) / 100).toFixed(2);
    case 'terms_of_interest':
      return rng.pick(['Common stock', 'Stock options, vesting over 4 years', 'LLC membership units']);
    case 'interest_held_by_physician_or_an_immediate_family_member':
      return rng.weighted([
        ['Physician Covered Recipient', 85],
        ['Immediate family member', 15],
      ]);
    case 'date_of_payment':
      return f.date;
    case 'number_of_payments_included_in_total_amount':
      return f.nature === 'Food and Beverage'
        ? '1'
        : String(
            rng.weighted([
              [1, 85],
              [2, 10],
              [rng.int(3, 12), 5],
            ]),
          );
    case 'form_of_payment_or_transfer_of_value':
      return f.form;
    case 'nature_of_payment_or_transfer_of_value':
      return f.nature;
    case 'city_of_travel':
    case 'state_of_travel':
    case 'country_of_travel':
      if (f.nature !== 'Travel and Lodging') return '';
      return name === 'city_of_travel' ? 'ORLANDO' : name === 'state_of_travel' ? 'FL' : 'United States';
    case 'physician_ownership_indicator':
    case 'charity_indicator':
    case 'dispute_status_for_publication':
      return 'No';
    case 'delay_in_publication_indicator':
      return dataset === 'research' && rng.chance(0.05) ? 'Yes' : 'No';
    case 'third_party_payment_recipient_indicator':
      return rng.weighted([
        ['No Third Party Payment', 97],
        ['Entity', 3],
      ]);
    case 'contextual_information':
    case 'context_of_research':
      return f.context;
    case 'record_id':
      return f.recordId;
    case 'related_product_indicator':
      return f.programYear >= 2016
        ? f.productCount > 0
          ? 'Yes'
          : 'No'
        : f.productCount > 0
          ? 'Covered'
          : 'None';
    case 'program_year':
      return String(f.programYear);
    case 'payment_publication_date':
      return f.publicationDate;
    case 'payment_type':
      return REMOVED_PAYMENT_TYPES[0];
    case 'name_of_study':
      return rng.pick(STUDY_NAMES);
    case 'expenditure_category1':
      return rng.pick(['Research Staff', 'Patient Care', 'Overhead']);
    case 'preclinical_research_indicator':
      return rng.chance(0.1) ? 'Yes' : 'No';
    case 'clinicaltrials_gov_identifier':
      return rng.chance(0.6) ? `NCT${rng.digits(8)}` : '';
    case 'principal_investigator_1_covered_recipient_type':
      return f.pi.type === 'Covered Recipient Teaching Hospital' ? '' : f.pi.type;
    case 'principal_investigator_1_profile_id':
      return f.pi.profileId;
    case 'principal_investigator_1_npi':
      return f.pi.npi;
    case 'principal_investigator_1_first_name':
      return f.pi.first;
    case 'principal_investigator_1_last_name':
      return f.pi.last;
    case 'principal_investigator_1_state':
      return f.pi.state;
    default:
      return productValue(name, f);
  }
}

/** Product slots: the first few are filled per the row's product count; the rest stay empty (sparse). */
function productValue(name: string, f: RowFacts): string {
  const m =
    /^(covered_or_noncovered_indicator|indicate_drug_or_biological_or_device_or_medical_supply|product_category_or_therapeutic_area|name_of_drug_or_biological_or_device_or_medical_supply|associated_drug_or_biological_ndc|associated_device_or_medical_supply_pdi|name_of_associated_covered_drug_or_biological|ndc_of_associated_covered_drug_or_biological|name_of_associated_covered_device_or_medical_supply)_?(\d)$/.exec(
      name,
    );
  if (!m) return '';
  const slot = Number(m[2]);
  if (slot > f.productCount) return '';
  const p = PRODUCTS[(Number(f.recordId.slice(-3)) + slot) % PRODUCTS.length]!;
  const isDevice = p[0] === 'Device' || p[0] === 'Medical Supply';
  switch (m[1]) {
    case 'covered_or_noncovered_indicator':
      return 'Covered';
    case 'indicate_drug_or_biological_or_device_or_medical_supply':
      return p[0];
    case 'product_category_or_therapeutic_area':
      return p[1];
    case 'name_of_drug_or_biological_or_device_or_medical_supply':
      return p[2];
    case 'associated_drug_or_biological_ndc':
      return p[3];
    case 'associated_device_or_medical_supply_pdi':
      return isDevice && f.programYear >= 2021 ? `0${f.recordId.slice(-9)}` : '';
    case 'name_of_associated_covered_drug_or_biological':
      return isDevice ? '' : p[2];
    case 'ndc_of_associated_covered_drug_or_biological':
      return isDevice ? '' : p[3];
    case 'name_of_associated_covered_device_or_medical_supply':
      return isDevice ? p[2] : '';
    default:
      return '';
  }
}
