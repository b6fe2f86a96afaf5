import type { Command } from 'commander';
import { z } from 'zod';
import { listRuns, type RunSummary, summarizeRun } from '../../app/runs.js';
import { OrchestratorError } from '../../domain/errors.js';
import { lake } from '../../domain/lake.js';
import { objectStore } from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { render } from '../context.js';
import { checkYear, parseOptions } from '../options.js';

const ListOptions = z.object({
  year: z.string().optional(),
  status: z.string().optional(),
  kind: z.enum(['ingest', 'submit', 'validate', 'pipeline', 'backfill']).optional(),
  limit: z.coerce.number().int().min(1).default(50),
});

const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)}s`);

/** One line per run, newest first. */
export function runLines(runs: RunSummary[]): string[] {
  const rows = runs.map((r) => [
    r.runId,
    r.command,
    String(r.programYear ?? '—'),
    r.status,
    seconds(r.durationMs),
    r.tables.map((t) => `${t.table}${t.rowsOut !== undefined ? `=${t.rowsOut}` : ''}`).join(' '),
  ]);
  const head = ['run', 'command', 'year', 'status', 'took', 'tables'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

export function registerRuns(program: Command, context: () => Promise<CommandContext>): void {
  const runs = program.command('runs').description('What each run did: its summary, files and log events.');
  runs
    .command('list')
    .description('Runs in the lake, newest first.')
    .option('--year <YYYY>', 'only runs of this program year')
    .option('--status <status>', 'only runs with this status (succeeded, unchanged, failed, passed, done, …)')
    .option('--kind <kind>', 'ingest, submit, validate, pipeline or backfill')
    .option('--limit <n>', 'at most this many runs', '50')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(ListOptions, raw, 'runs list');
      const year = opts.year === undefined ? undefined : checkYear(opts.year);
      const ctx = await context();
      const found = await listRuns(objectStore(ctx), {
        year,
        status: opts.status,
        kind: opts.kind,
        limit: opts.limit,
      });
      render(ctx, { runs: found }, () => (found.length ? runLines(found) : ['No runs match.']));
    });
  runs
    .command('show')
    .description('One run: its summary, tables, files, errors and log events.')
    .argument('<run_id>', 'a run id, as `runs list` prints it')
    .action(async (runId: string) => {
      const ctx = await context();
      const store = objectStore(ctx);
      const summary = /^\d{8}T\d{6}Z-[0-9a-f]+$/.test(runId) ? await summarizeRun(store, runId) : undefined;
      if (!summary) {
        throw new OrchestratorError('OBJECT_NOT_FOUND', `No run ${runId} in ${store.location}.`, {
          suggestion: 'List the runs with: orchestrator runs list',
        });
      }
      const events = summary.files.includes('events.ndjson')
        ? (await store.getText(lake.runFile(runId, 'events.ndjson')))
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { time: string; level: string; code: string; message: string })
        : [];
      render(ctx, { ...summary, events }, () => [
        `run ${summary.runId}: ${summary.command}${summary.programYear ? ` ${summary.programYear}` : ''} — ${summary.status}`,
        `  started ${summary.startedAt}${summary.durationMs !== undefined ? `, took ${seconds(summary.durationMs)}` : ''}${summary.costUsd ? `, ≈ $${summary.costUsd}` : ''}`,
        ...summary.tables.map(
          (t) =>
            `  ${t.table.padEnd(16)} ${t.status.padEnd(10)}${t.rowsIn !== undefined ? ` in ${t.rowsIn}` : ''}${t.rowsOut !== undefined ? `, curated ${t.rowsOut}` : ''}${t.rowsRejected !== undefined ? `, rejected ${t.rowsRejected}` : ''}${t.removed ? `, removed ${t.removed}` : ''}`,
        ),
        ...(summary.error ? [`  error [${summary.error.code}]: ${summary.error.message}`] : []),
        `  files: ${summary.files.join(', ')}`,
        ...(events.length
          ? ['  events:', ...events.map((e) => `    ${e.time} ${e.level.padEnd(5)} ${e.message}`)]
          : []),
      ]);
    });
}
