import type { Command } from 'commander';
import { z } from 'zod';
import { jobNamed } from '../../app/submit/jobs.js';
import { upload } from '../../app/upload.js';
import { DATASET_IDS, type DatasetId } from '../../domain/contract/types.js';
import { lake } from '../../domain/lake.js';
import { newRunId } from '../../domain/run-id.js';
import {
  ingestUseCase,
  landingStore,
  objectStore,
  runnerFor,
  submitUseCase,
  validateUseCase,
} from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { render } from '../context.js';
import { checkDataset, checkYear, parseOptions } from '../options.js';
import { parseSource } from './ingest.js';
import { remoteLines, summaryLines } from './submit.js';

const Options = z.object({
  dataset: z.enum([...DATASET_IDS, 'all']).default('all'),
  year: z.string(),
  source: z.string().min(1).default('cms'),
  runner: z.enum(['local', 'docker', 'emr-serverless']).optional(),
  force: z.boolean().default(false),
});

/**
 * The whole chain for one program year, each step idempotent so a rerun only does what is missing:
 * ingest → upload → submit transform (publish + register) → validate. dbt joins the chain with the
 * analytics layer.
 */
export function registerPipeline(program: Command, context: () => Promise<CommandContext>): void {
  program
    .command('pipeline')
    .description(
      'Ingest, upload, transform and register a program year (each step skips what is already done).',
    )
    .requiredOption('--year <YYYY>', 'program year')
    .option('--dataset <name>', `one of ${DATASET_IDS.join(', ')}, or all (the whole-year archive)`, 'all')
    .option('--source <cms|PATH|URL>', 'where the files come from (see `ingest --help`)', 'cms')
    .option('--runner <local|docker|emr-serverless>', 'Spark runner (see `submit --help`)')
    .option('--force', 'redo every step even when its inputs are unchanged')
    .action(async (raw: Record<string, unknown>) => {
      checkDataset(raw['dataset'], [...DATASET_IDS, 'all']);
      const year = checkYear(raw['year']);
      const opts = parseOptions(Options, raw, 'pipeline');
      const ctx = await context();
      const runner = runnerFor(ctx.config.target, opts.runner);
      const pipelineRunId = newRunId();
      const steps: Record<string, unknown>[] = [];
      const step = (name: string, runId: string | undefined, status: string) => {
        steps.push({ step: name, runId, status });
        ctx.reporter.event({
          level: 'info',
          code: `pipeline.${name}`,
          message: `${name}: ${status}`,
          data: { runId },
        });
      };

      const ingestRunId = newRunId();
      const ingested = await ingestUseCase(ctx, ingestRunId).run({
        dataset: opts.dataset,
        year,
        source: parseSource(opts.source),
        force: opts.force,
        chunkBytes: Math.round(ctx.config.ingest.chunkMb * 1024 * 1024),
      });
      step('ingest', ingested.runId, ingested.status);

      const uploaded = await upload(
        { year, dataset: opts.dataset },
        { from: landingStore(ctx), to: objectStore(ctx), reporter: ctx.reporter, signal: ctx.signal },
      );
      step('upload', undefined, uploaded.status);

      const datasets = opts.dataset === 'all' ? undefined : [opts.dataset as DatasetId];
      const transformed = await submitUseCase(ctx, newRunId(), runner).run({
        job: jobNamed('transform'),
        year,
        datasets,
        dryRun: false,
        force: opts.force,
      });
      step('transform', transformed.runId, transformed.status);

      const validated = await validateUseCase(ctx, newRunId()).run({ year, datasets });
      step('validate', validated.runId, 'passed');

      const summaryKey = lake.runFile(pipelineRunId, 'pipeline.json');
      await objectStore(ctx).put(
        summaryKey,
        `${JSON.stringify({ kind: 'pipeline', runId: pipelineRunId, programYear: year, dataset: opts.dataset, steps }, null, 2)}\n`,
      );
      render(
        ctx,
        { runId: pipelineRunId, year, steps, transform: transformed, validation: validated },
        () => [
          `Pipeline ${year} (${opts.dataset}) done in run ${pipelineRunId}:`,
          `  ingest     ${ingested.status} (run ${ingested.runId})`,
          `  upload     ${uploaded.status}`,
          `  transform  ${transformed.status} (run ${transformed.runId})`,
          ...summaryLines(transformed).map((l) => `    ${l}`),
          ...remoteLines(transformed).map((l) => `  ${l}`),
          `  validate   ${validated.checks.filter((c) => c.status === 'pass').length} checks passed, ${validated.checks.filter((c) => c.status === 'skip').length} skipped (run ${validated.runId})`,
          `Summary: ${summaryKey}`,
        ],
      );
    });
}
