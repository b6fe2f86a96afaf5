/**
 * Picks the file of the year's current publication from the catalog: the dataset's CSV, or the
 * whole-year archive (for removed/deleted and `all`). URLs are never templated: CMS renames files at
 * every publication, so everything comes from the catalog, including the publication stamp.
 */
import type { DatasetId } from '../../domain/contract/types.js';
import { OrchestratorError } from '../../domain/errors.js';
import { parseCmsName } from '../../domain/publication.js';
import type { CatalogDataset, CatalogDistribution } from '../../ports/cms-catalog.js';

export interface DiscoveredFile {
  kind: 'csv' | 'zip';
  url: string;
  fileName: string;
  datasetId: string;
  distributionId: string | undefined;
  datasetTitle: string;
  modified: string | undefined;
  /** YYYY-MM-DD from the publication stamp in the file or folder name. */
  publicationDate: string | undefined;
}

const TITLE_WORD: Partial<Record<DatasetId, string>> = {
  general: 'General',
  research: 'Research',
  ownership: 'Ownership',
};

function fileNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
}

function publicationOf(url: string): string | undefined {
  const segments = new URL(url).pathname.split('/').filter(Boolean);
  for (const s of segments.reverse()) {
    const date = parseCmsName(s.startsWith('PGYR') || s.startsWith('OP') ? s : `_${s}`).publicationDate;
    if (date) return date;
  }
  return undefined;
}

const isCsv = (d: CatalogDistribution) =>
  /csv/i.test(d.format ?? d.mediaType ?? '') || /\.csv$/i.test(d.downloadURL);
const isZip = (d: CatalogDistribution) =>
  /zip/i.test(d.format ?? d.mediaType ?? '') || /\.zip$/i.test(d.downloadURL);

function found(kind: 'csv' | 'zip', ds: CatalogDataset, dist: CatalogDistribution): DiscoveredFile {
  return {
    kind,
    url: dist.downloadURL,
    fileName: fileNameOf(dist.downloadURL),
    datasetId: ds.identifier,
    distributionId: dist.identifier,
    datasetTitle: ds.title,
    modified: ds.modified,
    publicationDate: publicationOf(dist.downloadURL),
  };
}

export function selectPublication(
  catalog: CatalogDataset[],
  dataset: DatasetId | 'all',
  year: number,
): DiscoveredFile {
  const word = dataset === 'all' ? undefined : TITLE_WORD[dataset];
  if (word) {
    const title = new RegExp(`^${year} ${word} Payment Data$`, 'i');
    for (const ds of catalog.filter((d) => title.test(d.title.trim()))) {
      const csv = ds.distribution.find(isCsv);
      if (csv) return found('csv', ds, csv);
    }
  } else if (dataset === 'profiles') {
    for (const ds of catalog.filter((d) =>
      /(covered recipient|physician) profile supplement/i.test(d.title),
    )) {
      const csv = ds.distribution.find(isCsv);
      if (csv) return found('csv', ds, csv);
    }
  } else {
    // removed_deleted and `all` come from the whole-year archive.
    const archive = new RegExp(`PGYR(${year}|${String(year).slice(2)})_P\\d`, 'i');
    for (const ds of catalog) {
      const zip = ds.distribution.find((d) => isZip(d) && archive.test(fileNameOf(d.downloadURL)));
      if (zip) return found('zip', ds, zip);
    }
  }
  const titles = catalog
    .filter((d) => d.title.includes(String(year)) || (d.keyword ?? []).includes(String(year)))
    .map((d) => d.title);
  throw new OrchestratorError(
    'PUBLICATION_NOT_FOUND',
    `The CMS catalog lists no ${dataset} file for program year ${year}.`,
    {
      suggestion: titles.length
        ? `Datasets listed for ${year}: ${titles.join('; ')}. Years before 2019 are archived: download the archive and pass it with --source PATH.`
        : `The catalog lists nothing for ${year}; years before 2019 are archived: download the archive and pass it with --source PATH.`,
      data: { dataset, year, titles },
    },
  );
}
