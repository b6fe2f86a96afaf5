/** The CMS Open Payments catalog (DKAN metastore), reduced to what discovery reads. */
export interface CatalogDistribution {
  /** Distribution id (changes when CMS replaces the file). */
  identifier?: string | undefined;
  title?: string | undefined;
  downloadURL: string;
  mediaType?: string | undefined;
  format?: string | undefined;
}

export interface CatalogDataset {
  /** Dataset id (stable across refreshes). */
  identifier: string;
  title: string;
  keyword?: string[] | undefined;
  modified?: string | undefined;
  distribution: CatalogDistribution[];
}

export interface CmsCatalog {
  readonly baseUrl: string;
  datasets(signal?: AbortSignal): Promise<CatalogDataset[]>;
}
