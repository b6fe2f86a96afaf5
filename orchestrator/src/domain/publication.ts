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
