/**
 * Failure drills: the pipeline is killed (SIGKILL of the CLI and every process under it, as a crashed
 * host would lose them) while it ingests from a slow CMS, while Spark writes a table, right after the
 * transform (during validate) and while dbt builds; each next run picks up what is done. The end state
 * must hold the year exactly once everywhere (raw, curated, catalog, marts), no lease left behind, and
 * `runs show` must tell both stories: the killed runs say `interrupted` and the step under way, the
 * last one says what it redid and what it found done.
 *
 * The upload step is not drilled here: on the local target the landing is the lake, so there is
 * nothing to move and no window to kill it in (upload's own resume is tested on S3 in tests/aws).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmsArchiveName } from '../../orchestrator/src/domain/publication.js';
import { type FakeCms, startFakeCms } from '../fake-cms/server.js';
import { CLI, type CliRun, cliEnv, generateSample, runCli, runCliAsync, tempDir } from '../helpers.js';

const YEAR = 2022;
const PUBLICATION = '2023-06-30';
const dir = tempDir('op-drills-');
const lake = join(dir, 'lake');
const archive = join(dir, cmsArchiveName(YEAR, PUBLICATION));
let cms: FakeCms;
let env: NodeJS.ProcessEnv;

interface LogEvent {
  code?: string;
  step?: string;
  msg?: string;
}

const started = (step: string) => (events: LogEvent[]) =>
  events.some((e) => e.code === 'pipeline.step' && e.step === step);

/** Every pid under `root` (children, grandchildren: spark-submit's JVM, dbt's Python). */
function descendants(root: number): number[] {
  const table = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of table)
      if (parent === pid) {
        out.push(child);
        walk(child);
      }
  };
  walk(root);
  return out;
}

function killTree(child: ChildProcess): void {
  const pids = [child.pid!, ...descendants(child.pid!)];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Runs `pipeline --year` and SIGKILLs it (and everything under it) as soon as `when` holds for the
 * log events seen so far (`afterMs` later, to land inside a step's work). Fails if the pipeline ends
 * on its own first.
 */
function pipelineKilledWhen(
  when: (events: LogEvent[]) => boolean,
  afterMs = 0,
): Promise<{ events: LogEvent[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, '--lake', lake, '--log-level', 'info', 'pipeline', '--year', String(YEAR)],
      { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const events: LogEvent[] = [];
    let buffer = '';
    let killed = false;
    child.stderr!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        try {
          events.push(JSON.parse(line) as LogEvent);
        } catch {
          continue; // not a log event (a stray line of a tool)
        }
        if (!killed && when(events)) {
          killed = true;
          setTimeout(() => killTree(child), afterMs);
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve({ events });
      else
        reject(
          new Error(
            `the pipeline ended before the drill's kill (exit ${code}, ${signal}); last events: ${events
              .slice(-5)
              .map((e) => e.msg)
              .join(' | ')}`,
          ),
        );
    });
  });
}

function cli(args: string[]): CliRun {
  return runCli(['--lake', lake, '--log-level', 'warn', ...args], { env, cwd: dir });
}

interface Shown {
  runId: string;
  status: string;
  command: string;
  tables: { table: string; status: string }[];
  events: { code: string; message: string }[];
}

function pipelineRuns(): string[] {
  const r = cli(['--json', 'runs', 'list', '--kind', 'pipeline']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout).runs as { runId: string }[]).map((x) => x.runId);
}

function show(runId: string): Shown {
  const r = cli(['--json', 'runs', 'show', runId]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Shown;
}

/** Kills a pipeline at a point and returns the killed run as `runs show` tells it. */
async function drill(when: (events: LogEvent[]) => boolean, afterMs = 0): Promise<Shown> {
  const before = new Set(pipelineRuns());
  const { events } = await pipelineKilledWhen(when, afterMs);
  expect(events.length).toBeGreaterThan(0);
  const created = pipelineRuns().filter((id) => !before.has(id));
  expect(created).toHaveLength(1);
  const killed = show(created[0]!);
  expect(killed.status).toBe('interrupted');
  return killed;
}

const stepUnderWay = (run: Shown) => run.tables.find((t) => t.status === 'running')?.table;

function files(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

async function query<T>(
  file: string,
  sql: string,
  fn?: (c: DuckDBConnection) => Promise<void>,
): Promise<T[]> {
  const db = await DuckDBInstance.create(file, file === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  try {
    await fn?.(c);
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

beforeAll(async () => {
  generateSample(archive, { rows: 3000, year: YEAR, args: ['--defects', '0.01', '--seed', '7'] });
  // The archive trickles out of the fake CMS (~0.2 MB at 40 KB/s): the ingest drill has seconds to hit.
  cms = await startFakeCms({
    files: [
      {
        dataset: 'archive',
        programYear: YEAR,
        publicationDate: PUBLICATION,
        fileName: cmsArchiveName(YEAR, PUBLICATION),
        path: archive,
      },
    ],
    throttleBytesPerSecond: 40_000,
  });
  env = cliEnv({
    ORCHESTRATOR_CMS__CATALOG_BASE_URL: cms.url,
    ORCHESTRATOR_SPARK__MASTER: 'local[1]',
    ORCHESTRATOR_SPARK__SHUFFLE_PARTITIONS: '1',
  });
  // The recipient profiles (a separate CMS file) are in first, so the pipeline's dbt step builds.
  const profiles = join(dir, `OP_CVRD_RCPNT_PRFL_SPLMTL_P0630${YEAR + 1}.csv`);
  runCli([
    '--log-level',
    'silent',
    'sample',
    '--dataset',
    'profiles',
    '--year',
    String(YEAR),
    '--rows',
    '500',
    '--seed',
    '7',
    '--out',
    profiles,
  ]);
  const r = cli([
    'ingest',
    '--dataset',
    'profiles',
    '--year',
    String(YEAR),
    '--source',
    profiles,
    '--publication',
    PUBLICATION,
  ]);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await cms?.close();
});

describe('failure drills: kill the pipeline at each step, rerun', () => {
  const killed: Record<string, Shown> = {};

  it('killed while downloading from CMS: the run is interrupted in ingest, nothing partial in raw', async () => {
    // Half-way through a download of ~5 s (the fake CMS sends 40 KB/s).
    const run = await drill((events) => events.some((e) => e.code === 'download.started'), 2500);
    expect(stepUnderWay(run)).toBe('ingest');
    // Its log events were checkpointed while it worked: the download was under way.
    expect(run.events.map((e) => e.code)).toContain('download.started');
    expect(files(join(lake, 'raw/open_payments/general'))).toEqual([]);
    killed['ingest'] = run;
  });

  it('killed while Spark writes a table (one table already published): interrupted in transform', async () => {
    const run = await drill((events) => {
      const published = events.findIndex((e) => e.code === 'submit.published');
      return published >= 0 && events.slice(published).some((e) => e.code === 'spark.output');
    });
    expect(run.tables.map((t) => [t.table, t.status])).toEqual([
      ['ingest', 'succeeded'], // the rest of the download, resumed
      ['upload', 'nothing-to-move'],
      ['transform', 'running'],
    ]);
    killed['transform'] = run;
  });

  it('killed as validation starts: interrupted in validate, after the transform finished', async () => {
    const run = await drill(started('validate'));
    expect(run.tables.map((t) => [t.table, t.status])).toEqual([
      ['ingest', 'unchanged'],
      ['upload', 'nothing-to-move'],
      ['transform', 'succeeded'], // the tables the killed run had not published
      ['validate', 'running'],
    ]);
    killed['validate'] = run;
  });

  it('killed while dbt builds: interrupted in dbt, the year itself done', async () => {
    const run = await drill(started('dbt'), 3000);
    expect(run.tables.map((t) => [t.table, t.status])).toEqual([
      ['ingest', 'unchanged'],
      ['upload', 'nothing-to-move'],
      ['transform', 'unchanged'],
      ['validate', 'passed'],
      ['dbt', 'running'],
    ]);
    killed['dbt'] = run;
  });

  it('the rerun completes: the year once everywhere, no lease left, and runs show tells both stories', async () => {
    // Asynchronously: the fake CMS answers from this process.
    const r = await runCliAsync(
      ['--lake', lake, '--log-level', 'warn', '--json', 'pipeline', '--year', String(YEAR)],
      {
        env,
        cwd: dir,
      },
    );
    expect(r.code, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual([
      ['ingest', 'unchanged'],
      ['upload', 'nothing-to-move'],
      ['transform', 'unchanged'],
      ['validate', 'passed'],
      ['dbt', 'passed'],
    ]);

    // Raw: each file of the publication once, nothing partial.
    const raw = files(join(lake, 'raw/open_payments'));
    expect(raw.filter((f) => f.includes('PGYR2022')).sort()).toEqual(
      ['general', 'ownership', 'removed_deleted', 'research'].map((d) =>
        expect.stringMatching(new RegExp(`^${d}/program_year=${YEAR}/publication=${PUBLICATION}/OP_`)),
      ),
    );
    expect(raw.some((f) => /partial|\.tmp/i.test(f))).toBe(false);
    // Curated: the generator's rows exactly once (kept = generated - quarantined - removed), one
    // published set of files per table, no Spark leftovers.
    const sidecar = JSON.parse(readFileSync(`${archive}.sidecar.json`, 'utf8'));
    const general = sidecar.entries.find((e: { dataset: string }) => e.dataset === 'general');
    const quarantined = Object.values(general.expected.quarantined as Record<string, number>).reduce(
      (a, b) => a + b,
      0,
    );
    const removed = sidecar.entries.find((e: { dataset: string }) => e.dataset === 'removed_deleted').rows;
    const curated = join(lake, `curated/open_payments/general/program_year=${YEAR}`);
    const [counts] = await query<{ n: number; ids: number }>(
      ':memory:',
      `SELECT count(*)::INT AS n, count(DISTINCT record_id)::INT AS ids FROM read_parquet('${curated}/*.parquet')`,
    );
    expect(counts).toEqual({
      n: general.rows - quarantined - removed,
      ids: general.rows - quarantined - removed,
    });
    expect(files(join(lake, 'curated')).some((f) => f.includes('_temporary'))).toBe(false);
    // Catalog: one partition row per table and year; marts built from exactly that.
    const partitions = await query<{ table_name: string; n: number }>(
      join(lake, 'metadata/catalog/lake.duckdb'),
      `SELECT table_name, count(*)::INT AS n FROM open_payments._partitions WHERE program_year = ${YEAR} GROUP BY 1 ORDER BY 1`,
    );
    expect(partitions.every((p) => p.n === 1)).toBe(true);
    expect(partitions.map((p) => p.table_name)).toEqual([
      'general',
      'ownership',
      'profiles',
      'removed_deleted',
      'research',
    ]);
    const [fact] = await query<{ n: number }>(
      join(lake, 'metadata/catalog/analytics.duckdb'),
      `SELECT count(*)::INT AS n FROM main.fct_payments WHERE payment_type = 'General Payment'`,
    );
    expect(fact!.n).toBe(counts!.n);
    expect(readdirSync(join(lake, 'metadata/locks'))).toEqual([]);
    // The run and its validation are rows of the catalog's run tables too.
    const [runRow] = await query<{ status: string; steps: number }>(
      join(lake, 'metadata/catalog/lake.duckdb'),
      `SELECT status, len(tables)::INT AS steps FROM open_payments._runs WHERE run_id = '${out.runId}'`,
    );
    expect(runRow).toEqual({ status: 'done', steps: 5 });
    // The killed runs have their rows too, written by the commands after them: interrupted.
    const killedRows = await query<{ run_id: string; status: string }>(
      join(lake, 'metadata/catalog/lake.duckdb'),
      `SELECT run_id, status FROM open_payments._runs WHERE run_id IN (${Object.values(killed)
        .map((k) => `'${k.runId}'`)
        .join(', ')}) ORDER BY run_id`,
    );
    expect(killedRows).toEqual(
      Object.values(killed)
        .map((k) => ({ run_id: k.runId, status: 'interrupted' }))
        .sort((a, b) => a.run_id.localeCompare(b.run_id)),
    );
    expect(
      existsSync(join(lake, 'metadata/open-runs')) ? readdirSync(join(lake, 'metadata/open-runs')) : [],
    ).toEqual([]);

    // runs show: the killed runs still say interrupted and where; the last run says what it found done.
    for (const [step, run] of Object.entries(killed)) {
      const again = show(run.runId);
      expect(again.status, step).toBe('interrupted');
    }
    const last = show(out.runId);
    expect(last.status).toBe('done');
    expect(last.events.map((e) => e.code)).toEqual(
      expect.arrayContaining(['pipeline.ingest', 'pipeline.transform', 'pipeline.validate']),
    );
    const list = cli(['runs', 'list', '--kind', 'pipeline']);
    expect(list.stdout.match(/interrupted/g)).toHaveLength(4);
    expect(list.stdout).toMatch(new RegExp(`${out.runId}\\s+pipeline\\s+${YEAR}\\s+done`));
  });
});
