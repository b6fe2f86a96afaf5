import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { writeFileAtomic } from '../../adapters/local/files.js';
import { projectRoot } from '../../adapters/local/project.js';
import { type DbtRunResult, runDbt } from '../../app/dbt/run.js';
import { DBT_SOURCES_PATH, renderDbtSources } from '../../app/dbt/sources.js';
import { CONTRACT } from '../../domain/contract/index.js';
import { OrchestratorError } from '../../domain/errors.js';
import { lake } from '../../domain/lake.js';
import { objectStore, withWriterLocks } from '../../wiring.js';
import type { CommandContext } from '../context.js';
import { render } from '../context.js';
import { parseOptions } from '../options.js';

const SourcesOptions = z.object({ check: z.boolean().default(false), out: z.string().min(1).optional() });
const BuildOptions = z.object({
  select: z.string().min(1).optional(),
  whenReady: z.boolean().default(false),
});

export function registerDbt(program: Command, context: () => Promise<CommandContext>): void {
  const dbt = program.command('dbt').description('The dbt project (dbt/): sources from the contract, build.');

  dbt
    .command('sources')
    .description(`Write ${DBT_SOURCES_PATH} from the dataset contract; --check only compares.`)
    .option('--check', 'fail (exit 3) if the file differs from the contract instead of writing it')
    .option('--out <file>', `file to write or check (default: <project>/${DBT_SOURCES_PATH})`)
    .action(async (raw: unknown) => {
      const opts = parseOptions(SourcesOptions, raw, 'dbt sources');
      const ctx = await context();
      const out = opts.out ? resolve(ctx.io.cwd, opts.out) : join(projectRoot(ctx.io.env), DBT_SOURCES_PATH);
      const wanted = renderDbtSources(CONTRACT);
      if (opts.check) {
        const current = await readFile(out, 'utf8').catch(() => undefined);
        if (current !== wanted) {
          throw new OrchestratorError(
            'DBT_SOURCES_STALE',
            `${out} ${current === undefined ? 'is missing' : 'differs from the dataset contract'}.`,
            { suggestion: 'Run `orchestrator dbt sources` and commit the file.' },
          );
        }
        render(ctx, { out, status: 'up-to-date' }, () => [
          `${out} matches contract v${CONTRACT.contractVersion}`,
        ]);
        return;
      }
      await writeFileAtomic(out, wanted);
      ctx.reporter.event({
        level: 'info',
        code: 'dbt.sources.written',
        message: 'dbt sources written',
        data: { out },
      });
      render(ctx, { out, status: 'written' }, () => [
        `Wrote ${out} from contract v${CONTRACT.contractVersion}`,
      ]);
    });

  dbt
    .command('build')
    .description(
      'Run `dbt build` on the current target (local: DuckDB over the lake, into <lake>/metadata/catalog/analytics.duckdb; aws: Athena).',
    )
    .option('--select <selector>', 'dbt node selection, e.g. marts or +fct_payments')
    .option('--when-ready', 'skip (exit 0) instead of failing while a source table has no data yet')
    .action(async (raw: unknown) => {
      const opts = parseOptions(BuildOptions, raw, 'dbt build');
      const ctx = await context();
      const result = await dbtBuild(ctx, opts);
      render(ctx, result, () => dbtLines(result));
    });
}

export type DbtBuildOutcome =
  | { status: 'skipped'; target: string; missing: string[]; reason: string }
  | ({ status: 'passed'; target: string } & DbtRunResult);

/** The source tables (contract datasets) that have no curated Parquet yet. */
async function missingSources(ctx: CommandContext): Promise<string[]> {
  const store = objectStore(ctx);
  const missing: string[] = [];
  for (const d of CONTRACT.datasets) {
    let found = false;
    for await (const o of store.list(lake.curatedTablePrefix(d.id))) {
      if (o.key.endsWith('.parquet')) {
        found = true;
        break;
      }
    }
    if (!found) missing.push(d.id);
  }
  return missing;
}

/**
 * `dbt build` for the command and the pipeline: every source table must have data (dbt reads each
 * one); with `whenReady`, a lake that lacks one is a skip with the reason, not a failure.
 */
export async function dbtBuild(
  ctx: CommandContext,
  opts: { select?: string | undefined; whenReady?: boolean | undefined },
): Promise<DbtBuildOutcome> {
  const root = projectRoot(ctx.io.env);
  const target = ctx.config.target;
  const missing = await missingSources(ctx);
  if (missing.length) {
    const reason = `dbt reads every source table, and ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no curated data yet`;
    const suggestion = `Ingest and transform ${missing.length === 1 ? 'it' : 'them'} (e.g. orchestrator pipeline --year <Y> --dataset ${missing[0]} --source <file>), then rerun.`;
    if (!opts.whenReady) {
      throw new OrchestratorError('DBT_SOURCES_MISSING', `Cannot build the dbt project: ${reason}.`, {
        suggestion,
        data: { missing },
      });
    }
    ctx.reporter.event({
      level: 'warn',
      code: 'dbt.build.skipped',
      message: `dbt build skipped: ${reason}. ${suggestion}`,
      data: { missing },
    });
    return { status: 'skipped', target, missing, reason };
  }
  const lakeRoot = resolve(ctx.io.cwd, ctx.config.lake.root);
  // Locally, dbt's artifacts (run results, manifest, docs catalog) describe this lake's data:
  // keep them in the lake's metadata zone rather than in the repository.
  const artifacts = target === 'local' ? join(lakeRoot, 'metadata', 'dbt') : join(root, 'dbt');
  // One dbt build at a time per lake: it rewrites the one analytics database.
  const lock = { tables: ['dbt_analytics'], runId: `dbt-${process.pid}-${Date.now()}`, command: 'dbt build' };
  const result = await withWriterLocks(ctx, lock, () =>
    runDbt({
      target,
      projectRoot: root,
      venv: resolve(root, ctx.config.python.venv),
      ...(target === 'local' ? { lakeRoot } : {}),
      args: ['build', ...(opts.select ? ['--select', opts.select] : [])],
      targetPath: join(artifacts, 'target'),
      logPath: join(artifacts, 'logs'),
      env: { ...ctx.io.env, OP_GLUE_DATABASE: ctx.config.aws.glueDatabase },
      onLine: (line) => ctx.logger.debug({ code: 'dbt.output' }, line),
      signal: ctx.signal,
    }),
  );
  const failed = result.summary?.failed ?? [];
  if (result.exitCode !== 0) {
    // A failing test is a validation failure of the data (exit 10), named node by node.
    throw new OrchestratorError(
      'DBT_BUILD_FAILED',
      `dbt build on ${target} failed (exit ${result.exitCode})${failed.length ? `: ${failed.map((f) => f.uniqueId).join(', ')}` : ''}.`,
      {
        suggestion: `See ${result.runResultsPath} and the dbt log in ${join(artifacts, 'logs')}.`,
        data: { exitCode: result.exitCode, summary: result.summary, runResults: result.runResultsPath },
      },
    );
  }
  ctx.reporter.event({
    level: 'info',
    code: 'dbt.build.done',
    message: `dbt build on ${target} passed`,
    data: { byStatus: result.summary?.byStatus },
  });
  return { status: 'passed', target, ...result };
}

export function dbtLines(result: DbtBuildOutcome): string[] {
  if (result.status === 'skipped') return [`dbt build on ${result.target}: skipped — ${result.reason}.`];
  return [
    `dbt build on ${result.target}: passed`,
    ...Object.entries(result.summary?.byStatus ?? {}).map(([s, n]) => `  ${s.padEnd(8)} ${n}`),
    ...(result.summary?.warned ?? []).map((w) => `  warning: ${w.uniqueId} (${w.failures ?? '?'} rows)`),
    `Run results: ${result.runResultsPath}`,
  ];
}
