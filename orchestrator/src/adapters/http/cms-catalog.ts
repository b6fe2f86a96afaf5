/** The DKAN catalog over HTTP: one GET of the metastore items with reference ids, retried briefly. */
import { OrchestratorError } from '../../domain/errors.js';
import type { CatalogDataset, CatalogDistribution, CmsCatalog } from '../../ports/cms-catalog.js';

interface RawDistribution {
  identifier?: string;
  data?: Omit<CatalogDistribution, 'identifier'>;
  downloadURL?: string;
  title?: string;
  mediaType?: string;
  format?: string;
}

function flatten(d: RawDistribution): CatalogDistribution | undefined {
  const data = d.data ?? d;
  if (!data.downloadURL) return undefined;
  return {
    identifier: d.identifier,
    title: data.title,
    downloadURL: data.downloadURL,
    mediaType: data.mediaType,
    format: data.format,
  };
}

/** With ?show-reference-ids, DKAN wraps keywords and themes as {identifier, data}. */
function referenced(value: unknown): string {
  return typeof value === 'object' && value !== null && 'data' in value
    ? String((value as { data: unknown }).data)
    : String(value);
}

export class HttpCmsCatalog implements CmsCatalog {
  constructor(
    readonly baseUrl: string,
    private readonly opts: { attempts?: number; sleep?: (ms: number) => Promise<void> } = {},
  ) {}

  async datasets(signal?: AbortSignal): Promise<CatalogDataset[]> {
    const url = new URL('/api/1/metastore/schemas/dataset/items?show-reference-ids', this.baseUrl).toString();
    const attempts = this.opts.attempts ?? 3;
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(url, { signal: signal ?? null, headers: { accept: 'application/json' } });
        if (res.ok) {
          const body = (await res.json()) as unknown;
          if (!Array.isArray(body))
            throw new Error('the catalog answered with something other than a list of datasets');
          return body.map((raw: Record<string, unknown>) => ({
            identifier: String(raw['identifier'] ?? ''),
            title: String(raw['title'] ?? ''),
            keyword: Array.isArray(raw['keyword'])
              ? (raw['keyword'] as unknown[]).map(referenced)
              : undefined,
            modified: raw['modified'] === undefined ? undefined : String(raw['modified']),
            distribution: ((raw['distribution'] as RawDistribution[] | undefined) ?? []).flatMap(
              (d) => flatten(d) ?? [],
            ),
          }));
        }
        last = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break;
      } catch (e) {
        if (signal?.aborted)
          throw new OrchestratorError('INTERRUPTED', 'Interrupted while reading the CMS catalog.');
        last = (e as Error).message;
      }
      if (attempt < attempts) await sleep(500 * 2 ** (attempt - 1));
    }
    throw new OrchestratorError(
      'CATALOG_UNAVAILABLE',
      `The CMS catalog at ${this.baseUrl} did not answer (${last}).`,
      {
        suggestion: 'Retry later, check cms.catalogBaseUrl, or pass a downloaded file with --source PATH.',
      },
    );
  }
}
