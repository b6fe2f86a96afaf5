import type { Command } from 'commander';
import { z } from 'zod';
import { jobNamed } from '../../app/submit/jobs.js';
import type { SubmitResult } from '../../app/submit/submit.js';
import { upload } from '../../app/upload.js';
import type { ValidationResult } from '../../app/validate/validate.js';
import { DATASET_IDS, type DatasetId } from '../../domain/contract/types.js';
import { OrchestratorError, toOrchestratorError } from '../../domain/errors.js';
import { lake } from '../../domain/lake.js';

import {
  ingestUseCase,
  landingStore,
  objectStore,
  type RunnerKind,
  runnerFor,
  submitUseCase,
  validateUseCase,
  withWriterLocks,
} from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { newRun, render } from '../context.js';
import { checkDataset, checkYear, parseOptions } from '../options.js';
import { type DbtBuildOutcome, dbtBuild, dbtLines } from './dbt.js';
import { isDirectory, parseSource, sourceForYear } from './ingest.js';
import { remoteLines, summaryLines } from './submit.js';

const Options = z.object({
  dataset: z.enum([...DATASET_IDS, 'all']).default('all'),
  year: z.string().optional(),
  years: z.string().optional(),
  source: z.string().min(1).default('cms'),
  runner: z.enum(['local', 'docker', 'emr-serverless']).optional(),
  force: z.boolean().default(false),
  parallel: z.coerce.number().int().min(1).max(8).default(1),
});
type PipelineOptions = z.infer<typeof Options>;

interface YearOutcome {
  year: number;
  dataset: string;
  status: 'done' | 'failed';
  runId: string;
  steps: { step: string; runId?: string | undefined; status: string }[];
  transform?: SubmitResult | undefined;
  validation?: ValidationResult | undefined;
  error?: Record<string, unknown> | undefined;
}

/** `2019-2024`, `2019,2021,2023` or both mixed (`2015,2019-2021`): sorted, without duplicates. */
export function parseYears(text: string): number[] {
  const years = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(\d{4})-(\d{4})$/.exec(part);
    if (range) {
      const [from, to] = [checkYear(range[1]), checkYear(range[2])];
      if (from > to)
        throw new OrchestratorError('INVALID_OPTION', `--years ${part}: the range runs backwards.`);
      for (let y = from; y <= to; y++) years.add(y);
    } else {
      years.add(checkYear(part));
    }
  }
  return [...years].sort((a, b) => a - b);
}

/**
 * The whole chain for a program year, each step idempotent so a rerun only does what is missing:
 * ingest → upload → submit transform (publish + register) → validate, as the one writer of the
 * year's tables, then dbt build over the lake. With --years, a backfill: years run with at most --parallel at a time, a failed year
 * is reported and the others go on, and rerunning the same command resumes (done steps are skipped).
 */
export function registerPipeline(program: Command, context: () => Promise<CommandContext>): void {
  program
    .command('pipeline')
    .description(
      'Ingest, upload, transform, register and validate a program year, or a backfill of several (each step skips what is already done).',
    )
    .option('--year <YYYY>', 'program year')
    .option('--years <list>', 'several program years: 2019-2024, 2019,2021 or mixed (a backfill)')
    .option('--dataset <name>', `one of ${DATASET_IDS.join(', ')}, or all (the whole-year archive)`, 'all')
    .option(
      '--source <cms|PATH|URL|DIR>',
      'where the files come from (see `ingest --help`); for --years, cms or a folder of PGYR<year> archives',
      'cms',
    )
    .option('--runner <local|docker|emr-serverless>', 'Spark runner (see `submit --help`)')
    .option('--parallel <n>', 'years of a backfill running at once (1-8)', '1')
    .option('--force', 'redo every step even when its inputs are unchanged')
    .action(async (raw: Record<string, unknown>) => {
      checkDataset(raw['dataset'], [...DATASET_IDS, 'all']);
      const opts = parseOptions(Options, raw, 'pipeline');
      if ((opts.year === undefined) === (opts.years === undefined)) {
        throw new OrchestratorError('INVALID_OPTION', 'Pass exactly one of --year and --years.', {
          suggestion:
            'orchestrator pipeline --year 2023, or a backfill: orchestrator pipeline --years 2019-2024',
        });
      }
      const years = opts.years !== undefined ? parseYears(opts.years) : [checkYear(opts.year)];
      if (years.length > 1 && opts.source !== 'cms' && !isDirectory(opts.source)) {
        throw new OrchestratorError(
          'INVALID_OPTION',
          `--source ${opts.source} is one file; a backfill takes cms or a folder of year archives.`,
          {
            suggestion:
              'Drop --source (CMS), pass a folder holding the PGYR<year> archives, or run one --year per file.',
          },
        );
      }
      const ctx = await context();
      const runner = runnerFor(ctx.config.target, opts.runner);
      if (years.length === 1) {
        const outcome = await runYear(ctx, years[0]!, opts, runner, { rethrow: true });
        const dbt = await analytics(ctx, outcome);
        renderYear(ctx, opts, outcome, dbt);
        return;
      }
      await backfill(ctx, years, opts, runner);
    });
}

async function runYear(
  ctx: CommandContext,
  year: number,
  opts: PipelineOptions,
  runner: RunnerKind,
  { rethrow }: { rethrow: boolean },
): Promise<YearOutcome> {
  const runId = newRun(ctx);
  const outcome: YearOutcome = { year, dataset: opts.dataset, status: 'done', runId, steps: [] };
  // pipeline.json follows the year as it goes (status `running`, the step under way), so a pipeline
  // killed mid-step still says how far it got; the end rewrites it with the outcome.
  const begin = (name: string) => stepStarted(ctx, outcome, name);
  const step = (name: string, stepRunId: string | undefined, status: string) => {
    Object.assign(outcome.steps.at(-1)!, { runId: stepRunId, status });
    ctx.reporter.event({
      level: 'info',
      code: `pipeline.${name}`,
      message: `${year} ${name}: ${status}`,
      data: { year, runId: stepRunId },
    });
  };
  const datasets = opts.dataset === 'all' ? undefined : [opts.dataset as DatasetId];
  try {
    await withWriterLocks(ctx, { year, tables: [opts.dataset], runId, command: 'pipeline' }, async () => {
      await begin('ingest');
      const ingested = await ingestUseCase(ctx, newRun(ctx, 'ingest')).run({
        dataset: opts.dataset,
        year,
        source: parseSource(sourceForYear(opts.source, year)),
        force: opts.force,
        chunkBytes: Math.round(ctx.config.ingest.chunkMb * 1024 * 1024),
      });
      step('ingest', ingested.runId, ingested.status);

      await begin('upload');
      const uploaded = await upload(
        { year, dataset: opts.dataset },
        { from: landingStore(ctx), to: objectStore(ctx), reporter: ctx.reporter, signal: ctx.signal },
      );
      step('upload', undefined, uploaded.status);

      await begin('transform');
      outcome.transform = await submitUseCase(ctx, newRun(ctx, 'submit transform'), runner).run({
        job: jobNamed('transform'),
        year,
        datasets,
        dryRun: false,
        force: opts.force,
      });
      step('transform', outcome.transform.runId, outcome.transform.status);

      await begin('validate');
      outcome.validation = await validateUseCase(ctx, newRun(ctx, 'validate')).run({ year, datasets });
      step('validate', outcome.validation.runId, 'passed');
    });
  } catch (e) {
    for (const s of outcome.steps) if (s.status === 'running') s.status = 'failed';
    if (rethrow || ctx.signal.aborted) {
      await writeSummary(ctx, opts, { ...outcome, status: 'failed', error: toOrchestratorError(e).toJSON() });
      throw e;
    }
    const error = toOrchestratorError(e);
    outcome.status = 'failed';
    outcome.error = error.toJSON();
    ctx.reporter.event({
      level: 'error',
      code: 'pipeline.year_failed',
      message: `${year} failed [${error.code}]: ${error.message.split('\n')[0]}`,
      data: { year, error: outcome.error },
    });
  }
  await writeSummary(ctx, opts, outcome);
  return outcome;
}

/** A step begins: recorded in the year's pipeline.json (status `running`) before any of its work. */
async function stepStarted(
  ctx: CommandContext,
  o: YearOutcome,
  step: string,
): Promise<YearOutcome['steps'][number]> {
  const entry = { step, status: 'running' };
  o.steps.push(entry);
  await writeSummary(ctx, { dataset: o.dataset }, { ...o, status: 'running' });
  ctx.reporter.event({
    level: 'info',
    code: 'pipeline.step',
    message: `${o.year} ${step}: started`,
    data: { year: o.year, step },
  });
  ctx.journal.checkpoint();
  return entry;
}

async function writeSummary(
  ctx: CommandContext,
  opts: { dataset: string },
  o: Omit<YearOutcome, 'status'> & { status: YearOutcome['status'] | 'running' },
): Promise<void> {
  const summary = {
    kind: 'pipeline',
    runId: o.runId,
    programYear: o.year,
    dataset: opts.dataset,
    status: o.status,
    steps: o.steps,
    ...(o.error ? { error: o.error } : {}),
  };
  await objectStore(ctx).put(lake.runFile(o.runId, 'pipeline.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

/**
 * The analytics layer over everything published: `dbt build` once the year (or the backfill) is in.
 * A lake that lacks a source table (no profiles yet) skips it and says why; a failing dbt test fails
 * the pipeline. The step is recorded in the year's summary.
 */
async function analytics(ctx: CommandContext, o: YearOutcome): Promise<DbtBuildOutcome> {
  const dbtStep = await stepStarted(ctx, o, 'dbt');
  const dbt = await dbtBuild(ctx, { whenReady: true }).catch(async (e: unknown) => {
    dbtStep.status = 'failed';
    await writeSummary(
      ctx,
      { dataset: o.dataset },
      { ...o, status: 'failed', error: toOrchestratorError(e).toJSON() },
    );
    throw e;
  });
  dbtStep.status = dbt.status;
  await writeSummary(ctx, { dataset: o.dataset }, o);
  return dbt;
}

function renderYear(ctx: CommandContext, opts: PipelineOptions, o: YearOutcome, dbt: DbtBuildOutcome): void {
  const transform = o.transform!;
  const validated = o.validation!;
  const count = (status: string) => validated.checks.filter((c) => c.status === status).length;
  render(ctx, { runId: o.runId, year: o.year, steps: o.steps, transform, validation: validated, dbt }, () => [
    `Pipeline ${o.year} (${opts.dataset}) done in run ${o.runId}:`,
    `  ingest     ${o.steps[0]?.status} (run ${o.steps[0]?.runId})`,
    `  upload     ${o.steps[1]?.status}`,
    `  transform  ${transform.status} (run ${transform.runId})`,
    ...summaryLines(transform).map((l) => `    ${l}`),
    ...remoteLines(transform).map((l) => `  ${l}`),
    `  validate   ${count('pass')} checks passed, ${count('skip')} skipped (run ${validated.runId})`,
    ...dbtLines(dbt).map((l, i) =>
      i === 0 ? `  ${l.replace(/^dbt build on \w+: /, 'dbt        ')}` : `    ${l.trim()}`,
    ),
    `Summary: ${lake.runFile(o.runId, 'pipeline.json')}`,
  ]);
}

/** Years with at most `parallel` at a time; every year's outcome is kept, failed or not. */
async function backfill(ctx: CommandContext, years: number[], opts: PipelineOptions, runner: RunnerKind) {
  const backfillRunId = newRun(ctx);
  ctx.reporter.event({
    level: 'info',
    code: 'pipeline.backfill',
    message: `backfill of ${years.length} years (${years[0]}–${years.at(-1)}), ${opts.parallel} at a time, run ${backfillRunId}`,
    data: { years, parallel: opts.parallel, runId: backfillRunId },
  });
  const queue = [...years];
  const outcomes: YearOutcome[] = [];
  const worker = async () => {
    for (let year = queue.shift(); year !== undefined && !ctx.signal.aborted; year = queue.shift())
      outcomes.push(await runYear(ctx, year, opts, runner, { rethrow: false }));
  };
  await Promise.all(Array.from({ length: Math.min(opts.parallel, years.length) }, worker));
  outcomes.sort((a, b) => a.year - b.year);
  // dbt once for the whole backfill, over every year published so far.
  const done = outcomes.filter((o) => o.status === 'done');
  const dbt = done.length && !ctx.signal.aborted ? await dbtBuild(ctx, { whenReady: true }) : undefined;
  const rows = outcomes.map((o) => ({
    year: o.year,
    status: o.status,
    curated: o.transform?.tables.reduce((n, t) => n + (t.metrics?.rowsOut ?? 0), 0),
    rejected: o.transform?.tables.reduce((n, t) => n + (t.metrics?.rowsRejected ?? 0), 0),
    transform: o.transform?.status,
    error: o.error?.['code'],
    runId: o.runId,
  }));
  const summaryKey = lake.runFile(backfillRunId, 'backfill.json');
  await objectStore(ctx).put(
    summaryKey,
    `${JSON.stringify({ kind: 'backfill', runId: backfillRunId, dataset: opts.dataset, years: rows, dbt: dbt?.status ?? 'not run' }, null, 2)}\n`,
  );
  const failed = rows.filter((r) => r.status === 'failed');
  const table = [
    'year  status  transform  curated  rejected  run / error',
    ...rows.map(
      (r) =>
        `${r.year}  ${r.status.padEnd(6)}  ${(r.transform ?? '—').padEnd(9)}  ${String(r.curated ?? '—').padStart(7)}  ${String(r.rejected ?? '—').padStart(8)}  ${r.error ?? r.runId}`,
    ),
  ];
  if (failed.length) {
    throw new OrchestratorError(
      'BACKFILL_INCOMPLETE',
      `${failed.length} of ${rows.length} years failed (${failed.map((r) => `${r.year}: ${r.error}`).join(', ')}); the others are done.\n${table.join('\n')}`,
      {
        suggestion: `Fix the cause (each year's error is in its run summary) and rerun the same command: done years are skipped. Summary: ${summaryKey}`,
        data: { years: rows, summary: summaryKey },
      },
    );
  }
  render(ctx, { runId: backfillRunId, years: rows, summary: summaryKey, dbt }, () => [
    `Backfill of ${rows.length} years done in run ${backfillRunId}:`,
    ...table.map((l) => `  ${l}`),
    ...(dbt ? dbtLines(dbt) : []),
    `Summary: ${summaryKey}`,
  ]);
}
