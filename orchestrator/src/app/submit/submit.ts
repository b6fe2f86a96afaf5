/**
 * `orchestrator submit <job> --year Y`: run a Spark job on what ingest landed, check every row is
 * accounted for, then publish and register the partition.
 *
 * Per dataset (transform) or table (SQL job):
 *   fingerprint (inputs, contract version, job code hash, params) → unchanged? say so, submit nothing
 *   → stage code + contract under artifacts/<hash>/, inputs.json under the run
 *   → the runner writes Parquet to staging/curated/run_id=R/ and metrics JSON
 *   → reconcile (rows in = out + rejected + removed; rows in = the ingest audit's count; the staged
 *     Parquet holds rows out) → publish the partition (replace curated/…/program_year=Y/)
 *   → register it in the catalog and count it back through the catalog → record the fingerprint.
 * Nothing reaches curated/ unless every check passed: a failed or interrupted job, or a mismatch,
 * leaves the previous partition as it was.
 */
import { createHash } from 'node:crypto';
import { CONTRACT_VERSION } from '../../domain/contract/index.js';
import type { Contract, DatasetId } from '../../domain/contract/types.js';
import { OrchestratorError } from '../../domain/errors.js';
import { lake } from '../../domain/lake.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { Reporter } from '../../ports/reporter.js';
import type { RemoteRunReport, SparkJobSpec, SparkRunner, SparkRunResult } from '../../ports/spark-runner.js';
import type { TableCatalog } from '../../ports/table-catalog.js';
import type { IngestRecord } from '../ingest/ingest.js';
import { latestIngestKey, readRecord } from '../lake-records.js';
import { type JobDefinition, REMOVABLE, type SqlJob, TRANSFORM_ORDER } from './jobs.js';

export interface JobCode {
  /** sha256 of the job package. */
  hash: string;
  zip: Buffer;
  entryPoints: Record<string, Buffer>;
}

export interface SubmitDeps {
  contract: Contract;
  store: ObjectStore;
  catalog: TableCatalog;
  runner: SparkRunner;
  reporter: Reporter;
  runId: string;
  now: () => Date;
  signal?: AbortSignal | undefined;
  jobCode: () => Promise<JobCode>;
  spark: {
    driverMemory: string;
    driverJavaOptions?: string;
    shufflePartitions: number;
    targetFileMb: number;
  };
  /** Extra environment for the job (test hooks such as OP_TRANSFORM_INJECT_FAILURE). */
  jobEnv?: Record<string, string>;
}

export interface SubmitRequest {
  job: JobDefinition;
  year: number;
  /** Transform: these datasets (default: every dataset ingested for the year). */
  datasets?: DatasetId[] | undefined;
  dryRun: boolean;
  force: boolean;
}

/** What the job writes at --metrics (docs/transform.md). */
export interface JobMetrics {
  job: string;
  rowsIn?: number;
  rowsInByFile?: Record<string, number>;
  rowsOut: number;
  rowsRejected?: number;
  rejectedByReason?: Record<string, number>;
  removed?: number;
  flagged?: Record<string, number>;
  amounts?: Record<string, string>;
  curatedFiles?: number;
}

export interface TableResult {
  table: string;
  programYear: number;
  status: 'published' | 'unchanged' | 'planned';
  fingerprint: string;
  partitionKey: string;
  /** The exact command (dry run: what would run). */
  command: string;
  metrics?: JobMetrics | undefined;
  /** Run that produced the partition now published. */
  producedBy: string;
  durationMs?: number | undefined;
  /** The remote job run (EMR Serverless): id, billed resources, cost, Spark UI link. */
  remote?: RemoteRunReport | undefined;
}

export interface SubmitResult {
  runId: string;
  job: string;
  programYear: number;
  status: 'succeeded' | 'unchanged' | 'dry-run';
  tables: TableResult[];
  manifestKey?: string | undefined;
}

interface TransformRecord {
  fingerprint: string;
  runId: string;
  table: string;
  programYear: number;
  partitionKey: string;
  metrics: JobMetrics;
  publishedAt: string;
  remote?: RemoteRunReport | undefined;
}

/** The latest submission of a partition's job; `running` while a job may be in flight. */
interface SubmissionRecord {
  table: string;
  programYear: number;
  fingerprint: string;
  runId: string;
  attempt: number;
  runner: SparkRunner['kind'];
  state: 'running' | 'published' | 'failed' | 'cancelled' | 'interrupted';
  updatedAt: string;
  remote?: RemoteRunReport | undefined;
}

interface Planned {
  /** The run whose staging and metadata folders the job uses (an earlier one when reattaching). */
  runId: string;
  table: string;
  fingerprint: string;
  spec: SparkJobSpec;
  partitionKey: string;
  stagedPartitionKey: string;
  metricsKey: string;
  /** Rows the job must read (the ingest audit's count), for transform runs. */
  expectedRowsIn?: number | undefined;
  inputsKey?: string | undefined;
  inputs?: unknown;
}

/** Parent of every curated table folder. */
const CURATED_ROOT = 'curated/open_payments/';

const sha256Hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const short = (hash: string) => hash.slice(0, 16);

export class Submit {
  private readonly manifest = {
    tables: [] as Record<string, unknown>[],
    timings: {} as Record<string, number>,
  };

  private code: Promise<JobCode> | undefined;

  constructor(private readonly deps: SubmitDeps) {}

  /** The job package, built once per run. */
  private jobCode(): Promise<JobCode> {
    this.code ??= this.deps.jobCode();
    return this.code;
  }

  async run(req: SubmitRequest): Promise<SubmitResult> {
    const started = this.deps.now();
    const tables: TableResult[] = [];
    let failure: unknown;
    try {
      const code = await this.jobCode();
      if (req.job.kind === 'transform') {
        for (const ingest of await this.ingestsToTransform(req))
          tables.push(await this.runOne(req, (runId) => this.planTransform(req, ingest, code, runId)));
      } else {
        const job = req.job;
        tables.push(await this.runOne(req, (runId) => this.planSql(req, job, code, runId)));
      }
    } catch (e) {
      failure = e;
    }
    const status = req.dryRun
      ? 'dry-run'
      : tables.every((t) => t.status === 'unchanged')
        ? 'unchanged'
        : 'succeeded';
    const manifestKey = req.dryRun ? undefined : await this.writeManifest(req, started, tables, failure);
    if (failure) throw failure;
    return { runId: this.deps.runId, job: req.job.name, programYear: req.year, status, tables, manifestKey };
  }

  // ---- planning ------------------------------------------------------------------------------------

  /** The newest ingest of each dataset to transform, in transform order. */
  private async ingestsToTransform(req: SubmitRequest): Promise<IngestRecord[]> {
    const asked = req.datasets;
    const found: IngestRecord[] = [];
    for (const d of TRANSFORM_ORDER) {
      if (asked && !asked.includes(d)) continue;
      const ingest = await this.latestIngest(d, req.year);
      if (ingest) found.push(ingest);
      else if (asked) throw this.notIngested(d, req.year);
    }
    if (found.length === 0) throw this.notIngested(undefined, req.year);
    return found;
  }

  private notIngested(dataset: DatasetId | undefined, year: number): OrchestratorError {
    const which = dataset ?? 'general';
    return new OrchestratorError(
      'NOT_INGESTED',
      `Nothing ingested for program year ${year}${dataset ? ` (${dataset})` : ''} in ${this.deps.store.location}.`,
      {
        suggestion: `Run: orchestrator ingest --dataset ${dataset ? which : 'all'} --year ${year} --source cms (or --source <file>).`,
        data: { dataset, year },
      },
    );
  }

  /** The ingest record of the newest publication landed for the year. */
  private async latestIngest(dataset: DatasetId, year: number): Promise<IngestRecord | undefined> {
    const newest = await latestIngestKey(this.deps.store, dataset, year);
    if (!newest) return undefined;
    const record = (await readRecord<IngestRecord>(this.deps.store, newest)) as IngestRecord;
    if (!record.chunks || !record.header) {
      throw new OrchestratorError(
        'NOT_INGESTED',
        `The ingest record ${newest} predates chunk-level records and cannot feed the transform.`,
        { suggestion: `Run: orchestrator ingest --dataset ${dataset} --year ${year} --force` },
      );
    }
    return record;
  }

  private transformRecord(table: string, year: number): Promise<TransformRecord | undefined> {
    return readRecord<TransformRecord>(this.deps.store, lake.transformRecord(table, year));
  }

  private async planTransform(
    req: SubmitRequest,
    ingest: IngestRecord,
    code: JobCode,
    runId: string,
  ): Promise<Planned> {
    const { store, contract } = this.deps;
    const dataset = ingest.dataset;
    // The payment datasets depend on the removed/deleted partition published for the year.
    const removed = REMOVABLE.has(dataset)
      ? await this.transformRecord('removed_deleted', req.year)
      : undefined;
    const params = { targetFileMb: this.deps.spark.targetFileMb };
    const fingerprint = sha256Hex(
      JSON.stringify({
        job: 'transform',
        dataset,
        year: req.year,
        ingest: { fingerprint: ingest.fingerprint, sha256: ingest.sha256, runId: ingest.runId },
        contractVersion: CONTRACT_VERSION,
        code: code.hash,
        removed: removed?.fingerprint ?? null,
        params,
      }),
    );
    const inputs = {
      dataset,
      programYear: req.year,
      files: [
        {
          rawKey: ingest.rawKey,
          publication: ingest.publication,
          ingestRunId: ingest.runId,
          era: ingest.era,
          header: ingest.header,
          records: ingest.records,
          chunks: chunkInputs(ingest, (key) => store.uri(key)),
        },
      ],
    };
    const inputsKey = lake.runFile(runId, `inputs-${dataset}.json`);
    const metricsKey = lake.runFile(runId, `metrics-${dataset}.json`);
    const stagedRoot = lake.stagedCuratedRoot(runId);
    const args = [
      '--dataset',
      dataset,
      '--year',
      String(req.year),
      '--run-id',
      runId,
      '--inputs',
      store.uri(inputsKey),
      '--contract',
      store.uri(this.contractKey(contract)),
      '--curated-root',
      store.uri(stagedRoot).replace(/\/$/, ''),
      '--rejected-root',
      store.uri('staging/rejected/open_payments/').replace(/\/$/, ''),
      '--metrics',
      store.uri(metricsKey),
      ...(removed
        ? ['--removed-root', store.uri(lake.curatedTablePrefix('removed_deleted')).replace(/\/$/, '')]
        : []),
      '--target-file-mb',
      String(params.targetFileMb),
    ];
    return {
      runId,
      table: dataset,
      fingerprint,
      spec: this.spec(`transform-${dataset}-${req.year}`, code, 'transform.py', args),
      partitionKey: lake.curatedPartitionPrefix(dataset, req.year),
      stagedPartitionKey: `${stagedRoot}${dataset}/program_year=${req.year}/`,
      metricsKey,
      expectedRowsIn: ingest.records,
      inputsKey,
      inputs,
    };
  }

  private async planSql(req: SubmitRequest, job: SqlJob, code: JobCode, runId: string): Promise<Planned> {
    const { store } = this.deps;
    const source = await this.transformRecord(job.reads, req.year);
    if (!source) {
      throw new OrchestratorError(
        'NOT_TRANSFORMED',
        `${job.name} reads curated ${job.reads} for ${req.year}, which has not been transformed yet.`,
        { suggestion: `Run: orchestrator submit transform --year ${req.year} --dataset ${job.reads}` },
      );
    }
    const fingerprint = sha256Hex(
      JSON.stringify({ job: job.name, year: req.year, source: source.fingerprint, code: code.hash }),
    );
    const metricsKey = lake.runFile(runId, `metrics-${job.name}.json`);
    const stagedRoot = lake.stagedCuratedRoot(runId);
    const args = [
      '--sql',
      job.sql,
      '--year',
      String(req.year),
      '--curated-root',
      store.uri(CURATED_ROOT).replace(/\/$/, ''),
      '--out',
      store.uri(`${stagedRoot}${job.name}/`).replace(/\/$/, ''),
      '--metrics',
      store.uri(metricsKey),
    ];
    return {
      runId,
      table: job.name,
      fingerprint,
      spec: this.spec(`${job.name}-${req.year}`, code, job.entry, args),
      partitionKey: lake.curatedPartitionPrefix(job.name, req.year),
      stagedPartitionKey: `${stagedRoot}${job.name}/program_year=${req.year}/`,
      metricsKey,
    };
  }

  private contractKey(contract: Contract): string {
    return lake.artifact(short(sha256Hex(JSON.stringify(contract))), 'contract.json');
  }

  private spec(name: string, code: JobCode, entry: string, args: string[]): SparkJobSpec {
    const { store, spark } = this.deps;
    return {
      name,
      entryPoint: store.uri(lake.artifact(short(code.hash), entry)),
      pyFiles: [store.uri(lake.artifact(short(code.hash), 'openpayments_jobs.zip'))],
      args,
      conf: {
        'spark.sql.shuffle.partitions': String(spark.shufflePartitions),
        'spark.sql.session.timeZone': 'UTC',
        'spark.ui.showConsoleProgress': 'true',
      },
      driverMemory: spark.driverMemory,
      driverJavaOptions: spark.driverJavaOptions,
      env: { ...(this.deps.jobEnv ?? {}) },
    };
  }

  // ---- running -------------------------------------------------------------------------------------

  private async runOne(
    req: SubmitRequest,
    planFor: (runId: string) => Promise<Planned>,
  ): Promise<TableResult> {
    const { reporter, runner } = this.deps;
    let plan = await planFor(this.deps.runId);
    const base = { table: plan.table, programYear: req.year, fingerprint: plan.fingerprint };
    if (req.dryRun) {
      const command = runner.describe(this.withAttempt(plan, 1).spec);
      return { ...base, command, status: 'planned', partitionKey: plan.partitionKey, producedBy: plan.runId };
    }
    const previous = await this.transformRecord(plan.table, req.year);
    if (
      !req.force &&
      previous?.fingerprint === plan.fingerprint &&
      (await this.hasObjects(plan.partitionKey))
    ) {
      reporter.event({
        level: 'info',
        code: 'submit.unchanged',
        message: `${plan.table} ${req.year}: unchanged since run ${previous.runId} (same inputs, contract, code and parameters); nothing submitted.`,
        data: { table: plan.table, fingerprint: plan.fingerprint, runId: previous.runId },
      });
      const result: TableResult = {
        ...base,
        command: runner.describe(plan.spec),
        status: 'unchanged',
        partitionKey: plan.partitionKey,
        metrics: previous.metrics,
        producedBy: previous.runId,
      };
      this.manifest.tables.push({ ...result });
      return result;
    }

    // A remote run of the same job that an earlier process started and never saw end: attach to it
    // (same run folders, same attempt → same idempotency token → the service returns that run).
    const last = await this.submission(plan.table, req.year);
    const sameJob = last?.fingerprint === plan.fingerprint;
    const reattach = runner.reattachable && sameJob && last?.state === 'running';
    if (reattach) plan = await planFor(last.runId);
    plan = this.withAttempt(plan, reattach ? last.attempt : sameJob && last ? last.attempt + 1 : 1);
    const command = runner.describe(plan.spec);
    const record = (state: SubmissionRecord['state'], remote?: RemoteRunReport) =>
      this.writeSubmission(plan, req.year, state, remote);

    if (reattach) {
      reporter.event({
        level: 'warn',
        code: 'submit.reattached',
        message: `${plan.spec.name}: run ${plan.runId} submitted this job (attempt ${plan.spec.attempt}) and did not see it end; attaching to it instead of starting another.`,
        data: { table: plan.table, runId: plan.runId, attempt: plan.spec.attempt },
      });
    } else {
      await this.stageArtifacts(plan);
    }
    await record('running');
    reporter.event({
      level: 'info',
      code: 'submit.started',
      message: `${plan.spec.name}: ${runner.kind} runner`,
      data: { command, attempt: plan.spec.attempt },
    });
    const t0 = performance.now();
    let run: SparkRunResult;
    try {
      run = await runner.run(plan.spec, { reporter, signal: this.deps.signal });
    } catch (e) {
      const code = (e as OrchestratorError).code;
      // An interrupted remote run may still be going: leave it `running` so the next submit attaches.
      if (code === 'JOB_CANCELLED') await record('cancelled');
      else if (!(runner.reattachable && code === 'INTERRUPTED'))
        await record(code === 'INTERRUPTED' ? 'interrupted' : 'failed');
      if (code === 'JOB_CANCELLED') await this.discardStaged(plan.runId);
      throw e;
    }
    let published: { metrics: JobMetrics; files: number };
    try {
      if (run.exitCode !== 0) {
        await this.discardStaged(plan.runId);
        throw new OrchestratorError(
          'SPARK_JOB_FAILED',
          `${plan.spec.name} failed (exit ${run.exitCode}); the curated partition was not changed.\n${run.tail.join('\n')}`,
          {
            suggestion:
              'Read the job output above (--log-level debug shows all of Spark’s log), fix the cause and rerun.',
            data: { exitCode: run.exitCode, command, ...(run.remote ? { remote: run.remote } : {}) },
          },
        );
      }
      published = await this.publish(req, plan, run);
    } catch (e) {
      await record('failed', run.remote);
      throw e;
    }
    await record('published', run.remote);
    const { metrics, files } = published;
    const durationMs = Math.round(performance.now() - t0);
    reporter.event({
      level: 'info',
      code: 'submit.published',
      message: `${plan.table} ${req.year}: ${metrics.rowsOut} rows published to ${plan.partitionKey} (${files} file(s)) and registered in ${this.deps.catalog.location}`,
      data: { table: plan.table, metrics, files, durationMs, remote: run.remote },
    });
    const result: TableResult = {
      ...base,
      command,
      status: 'published',
      partitionKey: plan.partitionKey,
      metrics,
      producedBy: plan.runId,
      durationMs,
      remote: run.remote,
    };
    this.manifest.tables.push({
      ...result,
      inputs: plan.inputsKey,
      files,
      attempt: plan.spec.attempt,
      ...(reattach ? { reattachedTo: plan.runId } : {}),
    });
    return result;
  }

  /** Reconcile → publish the staged partition → register and count it back → record the fingerprint. */
  private async publish(
    req: SubmitRequest,
    plan: Planned,
    run: SparkRunResult,
  ): Promise<{ metrics: JobMetrics; files: number }> {
    const { store, catalog } = this.deps;
    const metrics = await this.readMetrics(plan);
    await this.reconcile(plan, metrics);
    if (await this.hasObjects(plan.stagedPartitionKey)) {
      await store.replacePrefix(plan.stagedPartitionKey, plan.partitionKey);
    } else {
      // No row survived: the year's partition is now empty.
      for await (const o of store.list(plan.partitionKey)) await store.delete(o.key);
    }
    await this.discardStaged(plan.runId);
    const files = await this.countObjects(plan.partitionKey, '.parquet');
    await catalog.registerPartition({
      table: plan.table,
      programYear: req.year,
      key: plan.partitionKey,
      rows: metrics.rowsOut,
      files,
      runId: plan.runId,
    });
    const queried = await catalog.countRows(plan.table, req.year);
    if (queried !== metrics.rowsOut) {
      throw new OrchestratorError(
        'RECONCILIATION_FAILED',
        `The catalog returns ${queried} rows for ${plan.table} ${req.year}, the job wrote ${metrics.rowsOut}.`,
        { suggestion: `Inspect ${plan.partitionKey} and rerun with --force.` },
      );
    }
    const record: TransformRecord = {
      fingerprint: plan.fingerprint,
      runId: plan.runId,
      table: plan.table,
      programYear: req.year,
      partitionKey: plan.partitionKey,
      metrics,
      publishedAt: this.deps.now().toISOString(),
      ...(run.remote ? { remote: run.remote } : {}),
    };
    await store.put(lake.transformRecord(plan.table, req.year), `${JSON.stringify(record, null, 2)}\n`);
    return { metrics, files };
  }

  /** The attempt number and labels the runner tags (and, remotely, builds its idempotency token from). */
  private withAttempt(plan: Planned, attempt: number): Planned {
    const labels = { job: plan.spec.name, table: plan.table, 'run-id': plan.runId };
    return { ...plan, spec: { ...plan.spec, attempt, labels } };
  }

  private submission(table: string, year: number): Promise<SubmissionRecord | undefined> {
    return readRecord<SubmissionRecord>(this.deps.store, lake.submissionRecord(table, year));
  }

  private async writeSubmission(
    plan: Planned,
    programYear: number,
    state: SubmissionRecord['state'],
    remote?: RemoteRunReport,
  ): Promise<void> {
    const record: SubmissionRecord = {
      table: plan.table,
      programYear,
      fingerprint: plan.fingerprint,
      runId: plan.runId,
      attempt: plan.spec.attempt ?? 1,
      runner: this.deps.runner.kind,
      state,
      updatedAt: this.deps.now().toISOString(),
      ...(remote ? { remote } : {}),
    };
    await this.deps.store.put(
      lake.submissionRecord(plan.table, programYear),
      `${JSON.stringify(record, null, 2)}\n`,
    );
  }

  /** Job code and contract under artifacts/<hash>/ (skipped when present), inputs under the run. */
  private async stageArtifacts(plan: Planned): Promise<void> {
    const { store, contract } = this.deps;
    const code = await this.jobCode();
    const putOnce = async (key: string, body: Buffer | string) => {
      if (!(await store.head(key))) await store.put(key, body);
    };
    await putOnce(lake.artifact(short(code.hash), 'openpayments_jobs.zip'), code.zip);
    for (const [name, bytes] of Object.entries(code.entryPoints))
      await putOnce(lake.artifact(short(code.hash), name), bytes);
    await putOnce(this.contractKey(contract), `${JSON.stringify(contract, null, 2)}\n`);
    if (plan.inputsKey) await store.put(plan.inputsKey, `${JSON.stringify(plan.inputs, null, 2)}\n`);
  }

  private async readMetrics(plan: Planned): Promise<JobMetrics> {
    if (!(await this.deps.store.head(plan.metricsKey))) {
      await this.discardStaged(plan.runId);
      throw new OrchestratorError(
        'JOB_OUTPUT_MISSING',
        `${plan.spec.name} exited 0 but wrote no metrics at ${plan.metricsKey}; nothing was published.`,
        { suggestion: 'This is a job bug: rerun with --log-level debug and report the output.' },
      );
    }
    return JSON.parse(await this.deps.store.getText(plan.metricsKey)) as JobMetrics;
  }

  /** Every row accounted for, or nothing is published. */
  private async reconcile(plan: Planned, m: JobMetrics): Promise<void> {
    const problems: string[] = [];
    if (m.rowsIn !== undefined) {
      const accounted = m.rowsOut + (m.rowsRejected ?? 0) + (m.removed ?? 0);
      if (accounted !== m.rowsIn)
        problems.push(
          `rows in ${m.rowsIn} ≠ out ${m.rowsOut} + rejected ${m.rowsRejected ?? 0} + removed ${m.removed ?? 0} (= ${accounted})`,
        );
    }
    if (plan.expectedRowsIn !== undefined && m.rowsIn !== plan.expectedRowsIn)
      problems.push(`the job read ${m.rowsIn} rows but the ingest audit counted ${plan.expectedRowsIn}`);
    const staged = await this.deps.catalog.countParquetRows(plan.stagedPartitionKey);
    if (staged !== m.rowsOut)
      problems.push(`the staged Parquet holds ${staged} rows but the metrics say ${m.rowsOut}`);
    if (problems.length) {
      await this.discardStaged(plan.runId);
      throw new OrchestratorError(
        'RECONCILIATION_FAILED',
        `${plan.table}: rows do not reconcile — ${problems.join('; ')}. The curated partition was not changed.`,
        {
          suggestion: `See ${plan.metricsKey}; rerun with --force once the cause is fixed.`,
          data: { metrics: m, problems },
        },
      );
    }
    this.deps.reporter.event({
      level: 'info',
      code: 'submit.reconciled',
      message: `${plan.table}: ${m.rowsIn ?? m.rowsOut} in = ${m.rowsOut} out + ${m.rowsRejected ?? 0} rejected + ${m.removed ?? 0} removed`,
      data: { table: plan.table, metrics: m },
    });
  }

  private async discardStaged(runId: string): Promise<void> {
    const { store } = this.deps;
    for await (const o of store.list(lake.stagedCuratedRoot(runId))) await store.delete(o.key);
  }

  private async hasObjects(prefix: string): Promise<boolean> {
    for await (const _ of this.deps.store.list(prefix)) return true;
    return false;
  }

  private async countObjects(prefix: string, suffix: string): Promise<number> {
    let n = 0;
    for await (const o of this.deps.store.list(prefix)) if (o.key.endsWith(suffix)) n++;
    return n;
  }

  private async writeManifest(
    req: SubmitRequest,
    started: Date,
    tables: TableResult[],
    failure: unknown,
  ): Promise<string> {
    const key = lake.runFile(this.deps.runId, 'manifest.json');
    const error =
      failure instanceof OrchestratorError
        ? failure.toJSON()
        : failure
          ? { message: String((failure as Error).message ?? failure) }
          : undefined;
    const manifest = {
      kind: 'submit',
      runId: this.deps.runId,
      job: req.job.name,
      programYear: req.year,
      status: failure ? 'failed' : tables.every((t) => t.status === 'unchanged') ? 'unchanged' : 'succeeded',
      startedAt: started.toISOString(),
      finishedAt: this.deps.now().toISOString(),
      contractVersion: CONTRACT_VERSION,
      runner: this.deps.runner.kind,
      tables: this.manifest.tables,
      ...(error ? { error } : {}),
    };
    await this.deps.store.put(key, `${JSON.stringify(manifest, null, 2)}\n`);
    return key;
  }
}

/** Each chunk's URI, record count and the 1-based record number of its first record in the file. */
export function chunkInputs(ingest: IngestRecord, uri: (key: string) => string) {
  let next = 1;
  return ingest.chunks.map((c) => {
    const chunk = { uri: uri(c.key), firstRow: next, records: c.records, bytes: c.bytes };
    next += c.records;
    return chunk;
  });
}
