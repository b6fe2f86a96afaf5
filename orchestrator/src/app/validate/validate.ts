/**
 * `orchestrator validate --year Y [--dataset …]`: checks what the lake holds for a program year against
 * what ingest and the transform recorded, and reads the data itself through the catalog. Each check
 * passes, fails, or is skipped with the reason (e.g. no removed/deleted file for the year). Results go
 * to metadata/validation/… and the run's folder; any failure is an error that lists the failed checks.
 *
 * Checks per dataset (those with a published transform for the year):
 *   raw.sha256             the raw object's sha256 = the ingest audit's
 *   staging.records        staging chunks exist and their records add up to the audited count
 *   curated.reconciled     rows in = curated + rejected + removed, and = the audited count
 *   rejected.rows          the quarantine files of the publishing run hold the rows it rejected
 *   curated.catalog_rows   the catalog returns the rows the job published
 *   curated.nulls          no nulls in the contract's non-nullable columns
 *   curated.null_rates     key nullable columns stay under the contract's maxNullRate
 *   curated.amount         the curated amount total equals the job's own total, to the cent
 *   curated.removed        no curated record is one the publication removed or deleted
 *   curated.date_in_year   rows dated outside the program year are exactly those flagged for it
 */
import { CONTRACT_VERSION } from '../../domain/contract/index.js';
import type { Contract, CuratedColumn, DatasetId } from '../../domain/contract/types.js';
import { OrchestratorError } from '../../domain/errors.js';
import { lake } from '../../domain/lake.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { Reporter } from '../../ports/reporter.js';
import type { TableCatalog } from '../../ports/table-catalog.js';
import { latestIngestRecord, readRecord } from '../lake-records.js';
import { REMOVABLE, TRANSFORM_ORDER } from '../submit/jobs.js';
import type { JobMetrics } from '../submit/submit.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface ValidationCheck {
  dataset: DatasetId;
  check: string;
  status: CheckStatus;
  detail: string;
  observed?: unknown;
  expected?: unknown;
}

export interface ValidationResult {
  runId: string;
  programYear: number;
  ok: boolean;
  checks: ValidationCheck[];
  resultKeys: string[];
}

export interface ValidateDeps {
  contract: Contract;
  store: ObjectStore;
  catalog: TableCatalog;
  reporter: Reporter;
  runId: string;
  now: () => Date;
}

interface TransformRecord {
  runId: string;
  partitionKey: string;
  metrics: JobMetrics;
}

/** The amount column per payment dataset, and the date column the year check reads. */
const AMOUNT: Partial<Record<DatasetId, string>> = {
  general: 'total_amount_of_payment_usdollars',
  research: 'total_amount_of_payment_usdollars',
  ownership: 'total_amount_invested_usdollars',
};
const DATE: Partial<Record<DatasetId, string>> = { general: 'date_of_payment', research: 'date_of_payment' };

export class Validate {
  constructor(private readonly deps: ValidateDeps) {}

  async run(req: { year: number; datasets?: DatasetId[] | undefined }): Promise<ValidationResult> {
    const { store } = this.deps;
    const checks: ValidationCheck[] = [];
    const validated: DatasetId[] = [];
    for (const dataset of TRANSFORM_ORDER) {
      if (req.datasets && !req.datasets.includes(dataset)) continue;
      const transform = await this.json<TransformRecord>(lake.transformRecord(dataset, req.year));
      if (!transform) {
        if (req.datasets) throw this.nothing(req.year, dataset);
        continue;
      }
      validated.push(dataset);
      checks.push(...(await this.checkDataset(dataset, req.year, transform)));
    }
    if (validated.length === 0) throw this.nothing(req.year);

    const ok = checks.every((c) => c.status !== 'fail');
    const at = this.deps.now().toISOString();
    const resultKeys: string[] = [];
    for (const dataset of validated) {
      const record = {
        kind: 'validation',
        runId: this.deps.runId,
        dataset,
        programYear: req.year,
        contractVersion: CONTRACT_VERSION,
        validatedAt: at,
        ok: checks.every((c) => c.dataset !== dataset || c.status !== 'fail'),
        checks: checks.filter((c) => c.dataset === dataset),
      };
      const key = lake.validationRecord(dataset, req.year);
      await store.put(key, `${JSON.stringify(record, null, 2)}\n`);
      resultKeys.push(key);
    }
    const runKey = lake.runFile(this.deps.runId, 'validation.json');
    await store.put(
      runKey,
      `${JSON.stringify({ kind: 'validation', runId: this.deps.runId, programYear: req.year, ok, validatedAt: at, checks }, null, 2)}\n`,
    );
    resultKeys.push(runKey);
    const result = { runId: this.deps.runId, programYear: req.year, ok, checks, resultKeys };
    if (!ok) {
      const failed = checks.filter((c) => c.status === 'fail');
      throw new OrchestratorError(
        'VALIDATION_FAILED',
        `${failed.length} check(s) failed for ${req.year}:\n${failed.map((c) => `  ${c.dataset} ${c.check}: ${c.detail}`).join('\n')}`,
        {
          suggestion: `Details: ${runKey}. Rerun the step the failed check points to (ingest, or submit transform --force).`,
          data: { ...result },
        },
      );
    }
    return result;
  }

  private nothing(year: number, dataset?: DatasetId): OrchestratorError {
    return new OrchestratorError(
      'NOTHING_TO_VALIDATE',
      `No published transform for program year ${year}${dataset ? ` (${dataset})` : ''} in ${this.deps.store.location}.`,
      { suggestion: `Run: orchestrator pipeline --year ${year} (or submit transform --year ${year}).` },
    );
  }

  private async checkDataset(
    dataset: DatasetId,
    year: number,
    transform: TransformRecord,
  ): Promise<ValidationCheck[]> {
    const { store, catalog } = this.deps;
    const m = transform.metrics;
    const out: ValidationCheck[] = [];
    const add = (
      check: string,
      pass: boolean | 'skip',
      detail: string,
      observed?: unknown,
      expected?: unknown,
    ) =>
      out.push({
        dataset,
        check,
        status: pass === 'skip' ? 'skip' : pass ? 'pass' : 'fail',
        detail,
        ...(observed !== undefined ? { observed } : {}),
        ...(expected !== undefined ? { expected } : {}),
      });

    // Raw and staging, against the ingest the transform read.
    const ingest = await latestIngestRecord(store, dataset, year);
    if (!ingest) {
      add('raw.sha256', false, 'no ingest record for the year');
    } else {
      const sha = await store.sha256(ingest.rawKey);
      add(
        'raw.sha256',
        sha === ingest.sha256,
        sha === undefined ? `${ingest.rawKey} is missing` : `${ingest.rawKey}`,
        sha,
        ingest.sha256,
      );
      let staged = 0;
      const missing: string[] = [];
      for (const c of ingest.chunks) {
        if (await store.head(c.key)) staged += c.records;
        else missing.push(c.key);
      }
      add(
        'staging.records',
        missing.length === 0 && staged === ingest.records,
        missing.length
          ? `${missing.length} chunk(s) missing, e.g. ${missing[0]}`
          : `${ingest.chunks.length} chunk(s)`,
        staged,
        ingest.records,
      );
    }

    // Curated: the job's own accounting, then the data through the catalog.
    const accounted = m.rowsOut + (m.rowsRejected ?? 0) + (m.removed ?? 0);
    add(
      'curated.reconciled',
      m.rowsIn === undefined || (accounted === m.rowsIn && (!ingest || m.rowsIn === ingest.records)),
      `rows in ${m.rowsIn} = curated ${m.rowsOut} + rejected ${m.rowsRejected ?? 0} + removed ${m.removed ?? 0}${ingest ? `; audited ${ingest.records}` : ''}`,
      accounted,
      m.rowsIn,
    );
    // The quarantine holds the rows the job said it rejected (every row accounted for in the lake).
    const rejectedPrefix = lake.rejectedPrefix(dataset, year, transform.runId);
    const rejectedRows = await catalog.countParquetRows(rejectedPrefix);
    add(
      'rejected.rows',
      rejectedRows === (m.rowsRejected ?? 0),
      `${rejectedRows} quarantined row(s) under ${rejectedPrefix}`,
      rejectedRows,
      m.rowsRejected ?? 0,
    );
    const rows = await catalog.countRows(dataset, year);
    add('curated.catalog_rows', rows === m.rowsOut, `${catalog.location} returns ${rows}`, rows, m.rowsOut);

    const spec = this.deps.contract.datasets.find((d) => d.id === dataset);
    const columns = (spec?.curated ?? []).filter((c) => !(spec?.partitionKeys ?? []).includes(c.name));
    const required = columns.filter((c) => !c.nullable).map((c) => c.name);
    const rated = columns.filter((c) => c.nullable && c.maxNullRate !== undefined);
    // One call for both checks: on aws it reads every Parquet footer of the partition.
    const nulls = await catalog.nullCounts(dataset, year, [...required, ...rated.map((c) => c.name)]);
    const unknown = required.filter((c) => !(c in nulls));
    const withNulls = required.flatMap((c) => ((nulls[c] ?? 0) > 0 ? [[c, nulls[c]] as const] : []));
    add(
      'curated.nulls',
      unknown.length === required.length && required.length > 0 ? 'skip' : withNulls.length === 0,
      withNulls.length
        ? `nulls in non-nullable columns: ${withNulls.map(([c, n]) => `${c} ${n}`).join(', ')}`
        : `${required.length - unknown.length} non-nullable column(s) without nulls${unknown.length ? `; no statistics for ${unknown.join(', ')}` : ''}`,
      Object.fromEntries(withNulls),
    );
    if (rated.length > 0) add(...nullRates(rated, nulls, rows));

    // The data itself, read through the catalog (DuckDB SQL locally, the Parquet columns on aws).
    const amount = AMOUNT[dataset];
    if (amount && m.amounts?.['curated'] !== undefined) {
      const total = await catalog.sumDecimal(dataset, year, amount);
      add(
        'curated.amount',
        cents(total) === cents(m.amounts['curated']),
        `sum of ${amount}`,
        total,
        m.amounts['curated'],
      );
    }

    if (REMOVABLE.has(dataset)) {
      const removed = await this.json<TransformRecord>(lake.transformRecord('removed_deleted', year));
      if (!removed) add('curated.removed', 'skip', 'no removed/deleted file published for the year');
      else {
        const n = await catalog.countSharedKeys(dataset, 'removed_deleted', year, 'record_id');
        add('curated.removed', n === 0, `${n} curated row(s) listed as removed/deleted`, n, 0);
      }
    }

    const date = DATE[dataset];
    const flagged = m.flagged?.['PAYMENT_DATE_OUTSIDE_PROGRAM_YEAR'];
    if (date && flagged === undefined)
      add('curated.date_in_year', 'skip', 'the job recorded no count of rows flagged for their date');
    else if (date) {
      const n = await catalog.countOutsideYear(dataset, year, date);
      add(
        'curated.date_in_year',
        n === flagged,
        `rows dated outside ${year} (flagged, not dropped)`,
        n,
        flagged,
      );
    }
    for (const c of out) {
      this.deps.reporter.event({
        level: c.status === 'fail' ? 'error' : c.status === 'skip' ? 'info' : 'debug',
        code: `validate.${c.status}`,
        message: `${c.dataset} ${year} ${c.check}: ${c.status} — ${c.detail}`,
        data: { ...c },
      });
    }
    return out;
  }

  private json<T>(key: string): Promise<T | undefined> {
    return readRecord<T>(this.deps.store, key);
  }
}

/**
 * The null-rate check's verdict: each rated column's share of nulls against its ceiling. Columns the
 * catalog has no statistics for are named; with none known at all the check is skipped.
 */
function nullRates(
  rated: CuratedColumn[],
  nulls: Record<string, number>,
  rows: number,
): [
  check: string,
  pass: boolean | 'skip',
  detail: string,
  observed: Record<string, number>,
  expected: Record<string, number>,
] {
  const known = rated.filter((c) => c.name in nulls);
  const rate = (c: CuratedColumn) => (rows === 0 ? 0 : (nulls[c.name] ?? 0) / rows);
  const over = known.filter((c) => rate(c) > (c.maxNullRate ?? 1));
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 && x > 0 ? 3 : 1)}%`;
  const show = (cs: CuratedColumn[]) =>
    cs.map((c) => `${c.name} ${pct(rate(c))} (max ${pct(c.maxNullRate ?? 1)})`).join(', ');
  const missing = rated.filter((c) => !(c.name in nulls)).map((c) => c.name);
  return [
    'curated.null_rates',
    known.length === 0 ? 'skip' : over.length === 0,
    (over.length
      ? `over their ceiling: ${show(over)}`
      : `${known.length} key column(s) within ceiling: ${show(known)}`) +
      (missing.length ? `; no statistics for ${missing.join(', ')}` : ''),
    Object.fromEntries(known.map((c) => [c.name, Number(rate(c).toFixed(6))])),
    Object.fromEntries(known.map((c) => [c.name, c.maxNullRate ?? 1])),
  ];
}

/** "12.30" and "12.3" are the same amount: compare in cents. */
function cents(text: string): bigint {
  const [whole = '0', frac = ''] = text.trim().split('.');
  const negative = whole.startsWith('-');
  const value = BigInt(whole.replace('-', '') || '0') * 100n + BigInt((frac + '00').slice(0, 2));
  return negative ? -value : value;
}
