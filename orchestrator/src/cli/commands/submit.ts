import type { Command } from 'commander';
import { z } from 'zod';
import { JOBS, jobNamed } from '../../app/submit/jobs.js';
import type { SubmitResult } from '../../app/submit/submit.js';
import { DATASET_IDS, type DatasetId } from '../../domain/contract/types.js';
import { newRunId } from '../../domain/run-id.js';
import { runnerFor, submitUseCase, withWriterLocks } from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { newRun, render } from '../context.js';
import { checkDataset, checkYear, parseOptions } from '../options.js';

const Options = z.object({
  year: z.string(),
  dataset: z.array(z.enum(DATASET_IDS)).optional(),
  runner: z.enum(['local', 'docker', 'emr-serverless']).optional(),
  dryRun: z.boolean().default(false),
  force: z.boolean().default(false),
});

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',')];

/** One line per table: what came in, what was published, what was quarantined. */
export function summaryLines(result: SubmitResult): string[] {
  const head = ['table', 'status', 'rows in', 'curated', 'rejected', 'removed', 'run'];
  const rows = result.tables.map((t) => [
    t.table,
    t.status,
    String(t.metrics?.rowsIn ?? '—'),
    String(t.metrics?.rowsOut ?? '—'),
    String(t.metrics?.rowsRejected ?? '—'),
    String(t.metrics?.removed ?? '—'),
    t.producedBy,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)];
}

/** Where each remote run ran and what it cost (EMR Serverless); nothing for local runs. */
export function remoteLines(result: SubmitResult): string[] {
  return result.tables.flatMap((t) => {
    const r = t.remote;
    if (!r) return [];
    const billed = r.billed
      ? `: billed ${r.billed.vCPUHour.toFixed(3)} vCPU-h, ${r.billed.memoryGBHour.toFixed(3)} GB-h, ${r.billed.storageGBHour.toFixed(3)} storage GB-h ≈ $${r.estimatedCostUsd?.toFixed(4)} (aws.emrServerless.prices)`
      : '';
    return [
      `${t.table}: EMR Serverless job run ${r.jobRunId} ${r.state}${billed}`,
      ...(r.dashboardUrl ? [`  Spark UI: ${r.dashboardUrl}`] : []),
      ...(r.driverLogs ? [`  driver logs: ${r.driverLogs}`] : []),
    ];
  });
}

export function registerSubmit(program: Command, context: () => Promise<CommandContext>): void {
  program
    .command('submit')
    .description(
      'Run a Spark job for a program year, reconcile its rows, publish and register the partition.',
    )
    .argument('<job>', `one of ${JOBS.map((j) => j.name).join(', ')}`)
    .requiredOption('--year <YYYY>', 'program year')
    .option(
      '--dataset <name>',
      `transform only these datasets (repeatable or comma-separated): ${DATASET_IDS.join(', ')}`,
      collect,
    )
    .option(
      '--runner <local|docker|emr-serverless>',
      'local target: spark-submit from the venv (default) or the local-spark Docker image; aws target: EMR Serverless (default)',
    )
    .option(
      '--dry-run',
      'print the exact spark-submit command (or StartJobRun request) and the partitions it would write; run nothing',
    )
    .option('--force', 'run even when inputs, contract, code and parameters are unchanged')
    .action(async (jobName: string, raw: Record<string, unknown>) => {
      const job = jobNamed(jobName);
      for (const d of (raw['dataset'] as string[] | undefined) ?? []) checkDataset(d);
      const year = checkYear(raw['year']);
      const opts = parseOptions(Options, raw, 'submit');
      const ctx = await context();
      const runner = runnerFor(ctx.config.target, opts.runner);
      // A dry run writes nothing, its journal included.
      const runId = opts.dryRun ? newRunId() : newRun(ctx);
      ctx.reporter.event({
        level: 'info',
        code: 'run.started',
        message: `submit ${job.name} run ${runId}`,
        data: { runId, job: job.name, year, runner },
      });
      const request = {
        job,
        year,
        datasets: opts.dataset as DatasetId[] | undefined,
        dryRun: opts.dryRun,
        force: opts.force,
      };
      const tables = job.kind === 'sql' ? [job.name] : (opts.dataset ?? ['all']);
      // A dry run writes nothing, so it needs no lock (and must not wait for one).
      const result = opts.dryRun
        ? await submitUseCase(ctx, runId, runner).run(request)
        : await withWriterLocks(ctx, { year, tables, runId, command: `submit ${job.name}` }, () =>
            submitUseCase(ctx, runId, runner).run(request),
          );
      render(ctx, result, () =>
        result.status === 'dry-run'
          ? [
              `Dry run of ${job.name} for ${year} (${runner} runner); nothing was run or written.`,
              ...result.tables.flatMap((t) => [
                `  ${t.table} → ${t.partitionKey}`,
                ...t.command.split('\n').map((l) => `    ${l}`),
              ]),
            ]
          : [
              result.status === 'unchanged'
                ? `Nothing to do: ${job.name} ${year} is unchanged (same inputs, contract, code and parameters; --force reruns).`
                : `${job.name} ${year} published in run ${result.runId}:`,
              ...summaryLines(result).map((l) => `  ${l}`),
              ...remoteLines(result),
              ...(result.manifestKey ? [`Manifest: ${result.manifestKey}`] : []),
            ],
      );
    });
}
