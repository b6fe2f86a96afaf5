/**
 * Runs a dbt command (`build` by default) of the project's `dbt/` folder with the venv's dbt, on a
 * target of its committed profiles, and sums up what dbt recorded in `run_results.json`.
 *
 * The orchestrator's pipeline calls `runDbt` after registration; `orchestrator dbt build` is the same
 * call from the command line. dbt's own output is handed line by line to `onLine` (the caller decides
 * whether it is logged or shown), and the result is read from the artifact dbt writes, not scraped
 * from its console output.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export type DbtTarget = 'local' | 'aws';

export interface RunDbtOptions {
  target: DbtTarget;
  /** The repository root (holds `dbt/`). */
  projectRoot: string;
  /** The project venv (its `bin/dbt`). */
  venv: string;
  /** Local lake root: OP_LAKE for the `local` target (the curated Parquet and analytics.duckdb). */
  lakeRoot?: string;
  /** dbt command and extra arguments, e.g. `['build', '--select', 'marts']`. Default `['build']`. */
  args?: string[];
  /** Where dbt writes its artifacts (run_results.json, manifest, docs); default `dbt/target`. */
  targetPath?: string;
  /** Where dbt writes dbt.log; default `dbt/logs`. */
  logPath?: string;
  /** Base environment (e.g. OP_GLUE_DATABASE, OP_ATHENA_S3_STAGING_DIR, AWS_REGION for `aws`). */
  env?: NodeJS.ProcessEnv;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

export interface DbtNodeResult {
  uniqueId: string;
  status: string;
  failures: number | null;
  message: string | null;
}

export interface DbtSummary {
  /** Counts by dbt status (success, pass, warn, fail, error, skipped, …). */
  byStatus: Record<string, number>;
  /** Nodes that failed (tests with status fail, models or tests with status error). */
  failed: DbtNodeResult[];
  /** Tests that warned (soft data-quality checks). */
  warned: DbtNodeResult[];
  elapsedSeconds: number | null;
}

export interface DbtRunResult {
  exitCode: number;
  command: string[];
  /** null when dbt wrote no run_results.json (it failed before running anything, e.g. a bad profile). */
  summary: DbtSummary | null;
  runResultsPath: string;
}

interface RunResultsFile {
  elapsed_time?: number;
  results?: { unique_id: string; status: string; failures?: number | null; message?: string | null }[];
}

/** Pure: the summary of a run_results.json document. */
export function summariseRunResults(doc: RunResultsFile): DbtSummary {
  const byStatus: Record<string, number> = {};
  const failed: DbtNodeResult[] = [];
  const warned: DbtNodeResult[] = [];
  for (const r of doc.results ?? []) {
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const node = {
      uniqueId: r.unique_id,
      status: r.status,
      failures: r.failures ?? null,
      message: r.message ?? null,
    };
    if (r.status === 'fail' || r.status === 'error') failed.push(node);
    if (r.status === 'warn') warned.push(node);
  }
  return { byStatus, failed, warned, elapsedSeconds: doc.elapsed_time ?? null };
}

/** The command line and environment of a dbt run (pure, so the exact invocation can be checked). */
export function dbtInvocation(opts: RunDbtOptions): { command: string[]; env: NodeJS.ProcessEnv } {
  const dbtDir = join(opts.projectRoot, 'dbt');
  const command = [
    join(opts.venv, 'bin', 'dbt'),
    ...(opts.args ?? ['build']),
    '--project-dir',
    dbtDir,
    '--profiles-dir',
    dbtDir,
    '--target',
    opts.target,
    '--target-path',
    opts.targetPath ?? join(dbtDir, 'target'),
    '--log-path',
    opts.logPath ?? join(dbtDir, 'logs'),
  ];
  const env: NodeJS.ProcessEnv = {
    ...(opts.env ?? process.env),
    PATH: `${join(opts.venv, 'bin')}:${(opts.env ?? process.env)['PATH'] ?? ''}`,
    VIRTUAL_ENV: opts.venv,
    // No network: no anonymous usage events, no "newer version available" look-up.
    DO_NOT_TRACK: '1',
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DBT_VERSION_CHECK: 'false',
  };
  // dbt resolves the DuckDB path and the Parquet globs from its working directory: make them absolute.
  if (opts.lakeRoot) env['OP_LAKE'] = resolve(opts.lakeRoot);
  return { command, env };
}

/** Runs dbt and returns its exit code and what run_results.json says (never throws on a dbt failure). */
export async function runDbt(opts: RunDbtOptions): Promise<DbtRunResult> {
  const { command, env } = dbtInvocation(opts);
  const [bin, ...args] = command;
  const targetPath = command[command.indexOf('--target-path') + 1] as string;
  const runResultsPath = join(targetPath, 'run_results.json');
  // A failed start (bad profile, parse error) writes no results: never read the previous run's.
  await rm(runResultsPath, { force: true });
  const exitCode = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(bin as string, args, {
      cwd: opts.projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.signal ? { signal: opts.signal, killSignal: 'SIGTERM' as const } : {}),
    });
    const forward = (stream: NodeJS.ReadableStream) => {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) opts.onLine?.(line);
      });
      stream.on('end', () => {
        if (buffered) opts.onLine?.(buffered);
      });
    };
    forward(child.stdout);
    forward(child.stderr);
    child.on('error', reject);
    // A signal-terminated dbt has no exit code: report it as 130, like the CLI's interrupted runs.
    child.on('close', (code) => resolvePromise(code ?? 130));
  });
  let summary: DbtSummary | null = null;
  try {
    summary = summariseRunResults(JSON.parse(await readFile(runResultsPath, 'utf8')) as RunResultsFile);
  } catch {
    summary = null; // dbt stopped before writing results (bad profile, parse error): the exit code says so.
  }
  return { exitCode, command, summary, runResultsPath };
}
