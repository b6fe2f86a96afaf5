/**
 * CMS publication stamps and file names. Names change at every publication, so the pipeline never
 * templates a download URL; these functions exist to name synthetic files the way CMS does and to
 * read the stamp back from a real name.
 */
import type { DatasetId } from './contract/types.js';

export const FILE_CODES: Record<DatasetId, string> = {
  general: 'OP_DTL_GNRL',
  research: 'OP_DTL_RSRCH',
  ownership: 'OP_DTL_OWNRSHP',
  removed_deleted: 'OP_REMOVED_DELETED',
  profiles: 'OP_CVRD_RCPNT_PRFL_SPLMTL',
};

const mmddyyyy = (iso: string) => {
  const [y, m, d] = iso.split('-');
  return `${m}${d}${y}`;
};

/** `P06302025` before 2024; `P06302025_06162025` (publication, then data cut-off) from 2024 on. */
export function publicationStamp(publicationDate: string): string {
  const year = Number(publicationDate.slice(0, 4));
  if (year < 2024) return `P${mmddyyyy(publicationDate)}`;
  const cutoff = new Date(Date.parse(`${publicationDate}T00:00:00Z`) - 14 * 86_400_000)
    .toISOString()
    .slice(0, 10);
  return `P${mmddyyyy(publicationDate)}_${mmddyyyy(cutoff)}`;
}

export function cmsFileName(dataset: DatasetId, programYear: number, publicationDate: string): string {
  const stamp = publicationStamp(publicationDate);
  return dataset === 'profiles'
    ? `${FILE_CODES[dataset]}_${stamp}.csv`
    : `${FILE_CODES[dataset]}_PGYR${programYear}_${stamp}.csv`;
}

export function cmsArchiveName(programYear: number, publicationDate: string): string {
  return `PGYR${programYear}_${publicationStamp(publicationDate)}.zip`;
}

/** The initial publication of a program year is due by June 30 of the next year. */
export function defaultPublicationDate(programYear: number): string {
  return `${programYear + 1}-06-30`;
}

export interface ParsedCmsName {
  dataset?: DatasetId;
  programYear?: number;
  /** YYYY-MM-DD of the publication stamp. */
  publicationDate?: string;
}

const CODE_TO_DATASET: readonly (readonly [RegExp, DatasetId])[] = [
  [/^(OP|OPPR_ALL)_DTL_GNRL/i, 'general'],
  [/^(OP|OPPR_ALL)_DTL_RSRCH/i, 'research'],
  [/^(OP|OPPR_ALL)_DTL_OWNRSHP/i, 'ownership'],
  [/^OP_REMOVED_DELETED/i, 'removed_deleted'],
  [/^OP_(CVRD_RCPNT|PH)_PRFL_SPLMTL/i, 'profiles'],
];

function isoFromMmddyyyy(mm: string, dd: string, yyyy: string): string | undefined {
  const iso = `${yyyy}-${mm}-${dd}`;
  const t = Date.parse(`${iso}T00:00:00Z`);
  return Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== iso ? undefined : iso;
}

/**
 * Reads what a CMS file or archive name says: dataset (from the file code), program year (PGYR2023
 * or PGYR18) and publication date (P06282024, P06282024_06122024, or the short P012221 = 01/22/21).
 */
export function parseCmsName(fileName: string): ParsedCmsName {
  const name = fileName.replace(/^.*[\\/]/, '');
  const out: ParsedCmsName = {};
  const dataset = CODE_TO_DATASET.find(([re]) => re.test(name))?.[1];
  if (dataset) out.dataset = dataset;
  const year = /PGYR(\d{4}|\d{2})(?!\d)/i.exec(name)?.[1];
  if (year) out.programYear = year.length === 2 ? 2000 + Number(year) : Number(year);
  const long = /_P(\d{2})(\d{2})(\d{4})(?!\d)/i.exec(name);
  const short = /_P(\d{2})(\d{2})(\d{2})(?!\d)/i.exec(name);
  const date = long
    ? isoFromMmddyyyy(long[1]!, long[2]!, long[3]!)
    : short
      ? isoFromMmddyyyy(short[1]!, short[2]!, `20${short[3]}`)
      : undefined;
  if (date) out.publicationDate = date;
  return out;
}
