/**
 * Source column → curated column. Curated names are the current CMS names in lower case; older names
 * are renamed onto them here, in one ordered table per dataset, so a rename is declared exactly once
 * and applies to every era that uses the old name.
 */
import type { DatasetId } from './types.js';

type Rename = readonly [pattern: RegExp, replacement: string];

/** General and Research payments share the recipient renames of the 2021 layout change. */
const PAYMENT_RENAMES: readonly Rename[] = [
  [/^General_Transaction_ID$/i, 'Record_ID'],
  [/^Delay_in_Publication_of_General_Payment_Indicator$/i, 'Delay_in_Publication_Indicator'],
  [/^Product_Indicator$/i, 'Related_Product_Indicator'],
  [/^Physician_Profile_ID$/i, 'Covered_Recipient_Profile_ID'],
  [/^Physician_NPI$/i, 'Covered_Recipient_NPI'],
  [/^Physician_(First_Name|Middle_Name|Last_Name|Name_Suffix)$/i, 'Covered_Recipient_$1'],
  [/^Physician_License_State_code(\d)$/i, 'Covered_Recipient_License_State_code$1'],
  [/^Physician_Primary_Type$/i, 'Covered_Recipient_Primary_Type_1'],
  [/^Physician_Specialty$/i, 'Covered_Recipient_Specialty_1'],
  [/^(Principal_Investigator_\d)_Primary_Type$/i, '$1_Primary_Type_1'],
  [/^(Principal_Investigator_\d)_Specialty$/i, '$1_Specialty_1'],
];

const RENAMES: Record<DatasetId, readonly Rename[]> = {
  general: PAYMENT_RENAMES,
  research: PAYMENT_RENAMES,
  // Ownership files kept the Physician_* names in every layout (CMS never renamed them).
  ownership: [],
  removed_deleted: [],
  profiles: [[/^Physician_Profile_(.+)$/i, 'Covered_Recipient_Profile_$1']],
};

export function curatedNameFor(dataset: DatasetId, source: string): string {
  const name = source.replace(/^\uFEFF/, '').trim();
  for (const [pattern, replacement] of RENAMES[dataset]) {
    if (pattern.test(name)) return name.replace(pattern, replacement).toLowerCase();
  }
  return name.toLowerCase();
}

/** Source columns deliberately not carried into curated, with the reason. None today: kept for the day CMS adds noise. */
export const DROPPED_COLUMNS: Partial<Record<DatasetId, Record<string, string>>> = {};
