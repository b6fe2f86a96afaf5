/**
 * Era detection from a header row. The era comes from the header, never from the year (CMS
 * retrofitted old years). Matching ignores case, surrounding whitespace, a UTF-8 BOM and column order
 * (Spark reads by name); anything else is an unknown header, reported with the closest era and the
 * exact column differences so the user can tell a new CMS layout from a damaged file.
 */
import { OrchestratorError } from '../errors.js';
import type { Contract, DatasetId, Era } from './types.js';

export function normaliseHeaderName(name: string): string {
  return name
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase();
}

export interface HeaderDiff {
  eraId: string;
  dataset: DatasetId;
  similarity: number;
  missing: string[];
  unexpected: string[];
}

function diffAgainst(era: Era, header: readonly string[]): HeaderDiff {
  const got = new Set(header.map(normaliseHeaderName));
  const want = new Map(era.columns.map((c) => [normaliseHeaderName(c.source), c.source]));
  const missing = [...want.entries()].filter(([k]) => !got.has(k)).map(([, v]) => v);
  const unexpected = header.filter((h) => !want.has(normaliseHeaderName(h))).map((h) => h.trim());
  const union = new Set([...got, ...want.keys()]).size;
  const shared = union - missing.length - unexpected.length;
  return {
    eraId: era.id,
    dataset: era.dataset,
    similarity: union === 0 ? 0 : shared / union,
    missing,
    unexpected,
  };
}

/** Ranks every era (optionally of one dataset) by similarity to the header, best first. */
export function rankEras(contract: Contract, header: readonly string[], dataset?: DatasetId): HeaderDiff[] {
  return contract.datasets
    .filter((d) => dataset === undefined || d.id === dataset)
    .flatMap((d) => d.eras.map((e) => diffAgainst(e, header)))
    .sort((a, b) => b.similarity - a.similarity);
}

export function findEra(contract: Contract, eraId: string): Era | undefined {
  for (const d of contract.datasets) for (const e of d.eras) if (e.id === eraId) return e;
  return undefined;
}

/** Returns the era whose header matches exactly (as a set), or throws UNKNOWN_HEADER with the diff. */
export function detectEra(contract: Contract, header: readonly string[], dataset?: DatasetId): Era {
  const seen = new Set<string>();
  const duplicates = header.filter((h) => {
    const k = normaliseHeaderName(h);
    if (seen.has(k)) return true;
    seen.add(k);
    return false;
  });
  const ranked = rankEras(contract, header, dataset);
  const best = ranked[0];
  if (best && duplicates.length === 0 && best.missing.length === 0 && best.unexpected.length === 0) {
    return findEra(contract, best.eraId)!;
  }
  const scope = dataset ? `${dataset} ` : '';
  const shown = (xs: string[]) =>
    xs.length > 8 ? `${xs.slice(0, 8).join(', ')} … (+${xs.length - 8})` : xs.join(', ');
  const parts = best
    ? [
        `closest ${scope}era is ${best.eraId} (${Math.round(best.similarity * 100)}% of columns shared)`,
        best.missing.length ? `missing: ${shown(best.missing)}` : '',
        best.unexpected.length ? `unexpected: ${shown(best.unexpected)}` : '',
        duplicates.length ? `duplicated: ${shown(duplicates)}` : '',
      ].filter(Boolean)
    : [];
  throw new OrchestratorError(
    'UNKNOWN_HEADER',
    `Header of ${header.length} columns matches no known ${scope}layout; ${parts.join('; ')}.`,
    {
      suggestion:
        'Check that the file is an Open Payments CSV of the expected dataset. If CMS published a new layout, add an era to the dataset contract (orchestrator/src/domain/contract).',
      data: { columns: header.length, closest: best ?? null, duplicated: duplicates },
    },
  );
}
