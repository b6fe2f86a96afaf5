/**
 * Streams a synthetic Open Payments CSV: the era's real header, realistic rows, and the reference's
 * traps injected at a rate, in constant memory (rows are produced, encoded and handed to the writer
 * in ~1 MB chunks). Counts of everything injected are accumulated for the sidecar.
 */
import { datasetSpec } from '../../domain/contract/index.js';
import type { Contract, DatasetId, Era } from '../../domain/contract/types.js';
import { OrchestratorError } from '../../domain/errors.js';
import { type Defect, defectsFor, type Row } from './defects.js';
import { EntityPools } from './entities.js';
import { hash32, Rng } from './rng.js';
import { makeFacts, sampleValue, usDate } from './rows.js';

export interface SampleSpec {
  dataset: DatasetId;
  programYear: number;
  rows: number;
  eraId: string;
  defectRate: number;
  seed: number;
  /** YYYY-MM-DD of the (synthetic) CMS publication. */
  publicationDate: string;
  recipients: number;
  manufacturers: number;
  /** removed_deleted only: how many General rows the referenced ids are spread over. */
  referencedRows?: number;
}

export interface SampleStats {
  rows: number;
  defects: Record<string, number>;
  expected: {
    /** Rows the transform must quarantine, by reason code. */
    quarantined: Record<string, number>;
    /** Rows that must carry each soft flag. */
    flagged: Record<string, number>;
    /** Rows with no defect at all. */
    clean: number;
  };
  features: {
    embeddedNewline: number;
    embeddedQuote: number;
    embeddedComma: number;
    recipientTypes: Record<string, number>;
    natures: Record<string, number>;
  };
  /** Sums of amounts in cents (exact, as strings): what curated and quarantine must each hold. */
  amountCents: { curated: string; quarantined: string };
}

/** The era a program year was published in, unless the user picks one. */
export function defaultEraId(dataset: DatasetId, year: number): string {
  const byYear: Record<DatasetId, (y: number) => string> = {
    general: (y) =>
      y <= 2014 ? 'general_65' : y === 2015 ? 'general_66' : y <= 2020 ? 'general_75' : 'general_91',
    research: (y) =>
      y <= 2014 ? 'research_166' : y === 2015 ? 'research_172' : y <= 2020 ? 'research_176' : 'research_252',
    ownership: (y) => (y <= 2014 ? 'ownership_29' : 'ownership_30'),
    removed_deleted: () => 'removed_deleted_4',
    profiles: (y) => (y <= 2014 ? 'profiles_18' : y <= 2020 ? 'profiles_27' : 'profiles_32'),
  };
  return byYear[dataset](year);
}

export function resolveEra(contract: Contract, dataset: DatasetId, eraId: string): Era {
  const spec = datasetSpec(contract, dataset);
  const era = spec.eras.find((e) => e.id === eraId);
  if (!era) {
    throw new OrchestratorError('UNKNOWN_ERA', `Era ${eraId} is not a layout of the ${dataset} dataset.`, {
      suggestion: `Use one of: ${spec.eras.map((e) => e.id).join(', ')} (or omit --era to use the year's layout).`,
    });
  }
  return era;
}

export function recordIdBase(seed: number, dataset: DatasetId, year: number): number {
  return 200_000_000 + (hash32(`${seed}:${dataset}:${year}`) % 700_000_000);
}

function encodeField(value: string, quote: boolean): string {
  if (value === '') return '';
  return quote || /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function centsOf(amount: string | undefined): bigint | undefined {
  if (!amount || !/^-?\d+(\.\d{1,2})?$/.test(amount)) return undefined;
  const [whole, frac = ''] = amount.replace('-', '').split('.');
  const cents = BigInt(whole!) * 100n + BigInt(frac.padEnd(2, '0'));
  return amount.startsWith('-') ? -cents : cents;
}

const bump = (m: Record<string, number>, k: string, n = 1) => {
  m[k] = (m[k] ?? 0) + n;
};

export async function* generateCsv(
  contract: Contract,
  spec: SampleSpec,
  stats: SampleStats,
): AsyncGenerator<string> {
  const dataset = datasetSpec(contract, spec.dataset);
  const era = resolveEra(contract, spec.dataset, spec.eraId);
  const curatedOf = era.columns.map((c) => c.curated ?? '');
  const typeOf = new Map(dataset.curated.map((c) => [c.name, c.type]));
  // Amounts and empty fields are unquoted in CMS files; text is quoted.
  const quoted = curatedOf.map((c) => typeOf.get(c) !== 'decimal(18,2)');
  const eraColumns = new Set(curatedOf);
  const defects: Defect[] = defectsFor(new Set(dataset.rules.map((r) => r.code)), eraColumns);
  const key = dataset.recordKey.at(-1)!;

  const rng = new Rng(`${spec.seed}:${spec.dataset}:${spec.programYear}:${spec.eraId}`);
  const pools = new EntityPools(spec.seed, spec.recipients, spec.manufacturers, spec.programYear >= 2021);
  const base = recordIdBase(
    spec.seed,
    spec.dataset === 'removed_deleted' ? 'general' : spec.dataset,
    spec.programYear,
  );
  const stride = spec.referencedRows
    ? Math.max(1, Math.floor(spec.referencedRows / Math.max(spec.rows, 1)))
    : 7;
  const [py, pm, pd] = spec.publicationDate.split('-').map(Number) as [number, number, number];
  const publication = usDate(py, pm, pd);

  let curatedCents = 0n;
  let quarantinedCents = 0n;
  let lastCleanKey: string | undefined;
  let chunk = `${era.columns.map((c) => c.source).join(',')}\n`;
  let profileK = 0;

  for (let i = 0; i < spec.rows; i++) {
    const recordId = String(base + (spec.dataset === 'removed_deleted' ? i * stride : i));
    const facts = makeFacts(rng, pools, recordId, spec.programYear, publication);
    if (spec.dataset === 'profiles') {
      // One row per person in the pool, in order, so profiles cover the recipients of payment samples.
      while (pools.recipient(profileK).kind === 'teachingHospital') profileK++;
      facts.recipient = pools.recipient(profileK++);
    }
    const row: Row = new Map();
    for (const c of curatedOf) if (c) row.set(c, sampleValue(c, facts, rng, spec.dataset));

    let defect: Defect | undefined;
    if (defects.length && rng.chance(spec.defectRate)) {
      const ctx = {
        rng,
        programYear: spec.programYear,
        lastCleanRecordId: lastCleanKey,
        recipientKind: facts.recipient.kind,
      };
      const applicable = defects.filter((d) => !d.applies || d.applies(row, ctx));
      defect = applicable.length ? rng.pick(applicable) : undefined;
      defect?.apply?.(row, ctx);
    }

    let fields = curatedOf.map((c, j) => encodeField(c ? (row.get(c) ?? '') : '', quoted[j]!));
    if (defect?.fields)
      fields = defect.fields(fields, {
        rng,
        programYear: spec.programYear,
        lastCleanRecordId: lastCleanKey,
        recipientKind: facts.recipient.kind,
      });
    chunk += `${fields.join(',')}\n`;

    // Bookkeeping for the sidecar.
    stats.rows++;
    const cents = centsOf(
      row.get('total_amount_of_payment_usdollars') ?? row.get('total_amount_invested_usdollars'),
    );
    if (defect) {
      bump(stats.defects, defect.id);
      bump(defect.severity === 'hard' ? stats.expected.quarantined : stats.expected.flagged, defect.rule);
    } else {
      stats.expected.clean++;
      lastCleanKey = row.get(key);
    }
    if (cents !== undefined) {
      if (defect?.severity === 'hard') quarantinedCents += cents;
      else curatedCents += cents;
    }
    const context = row.get('contextual_information') ?? row.get('context_of_research') ?? '';
    if (context.includes('\n')) stats.features.embeddedNewline++;
    if (context.includes('"')) stats.features.embeddedQuote++;
    if (context.includes(',')) stats.features.embeddedComma++;
    if (row.has('covered_recipient_type')) bump(stats.features.recipientTypes, facts.recipient.type);
    const nature = row.get('nature_of_payment_or_transfer_of_value');
    if (nature) bump(stats.features.natures, nature);

    if (chunk.length >= 1 << 18) {
      yield chunk;
      chunk = '';
    }
  }
  stats.amountCents = { curated: curatedCents.toString(), quarantined: quarantinedCents.toString() };
  if (chunk) yield chunk;
}

export function emptyStats(): SampleStats {
  return {
    rows: 0,
    defects: {},
    expected: { quarantined: {}, flagged: {}, clean: 0 },
    features: { embeddedNewline: 0, embeddedQuote: 0, embeddedComma: 0, recipientTypes: {}, natures: {} },
    amountCents: { curated: '0', quarantined: '0' },
  };
}
