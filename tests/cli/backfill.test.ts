/**
 * Backfills and the one-writer rule with real processes: `pipeline --years` over a folder of CMS-style
 * archives (one year missing: it fails, the others are done; the rerun finishes only that year), two
 * concurrent submits of one year (exactly one proceeds, the other names the holder), and Ctrl-C
 * releasing the lease.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { type CliRun, generateSample, ROOT, runCli, runCliAsync, tempDir, waitFor } from '../helpers.js';

const dir = tempDir('op-backfill-');
const lake = join(dir, 'lake');
const archives = join(dir, 'archives');
const ENV = { ORCHESTRATOR_SPARK__MASTER: 'local[1]', ORCHESTRATOR_SPARK__SHUFFLE_PARTITIONS: '1' };

function archive(year: number): void {
  generateSample(join(archives, `PGYR${year}_P0630${year + 1}.zip`), { rows: 300, year });
}

const cli = (args: string[], onSpawn?: (c: ChildProcess) => void): Promise<CliRun> =>
  runCliAsync(['--lake', lake, '--log-level', 'warn', '--json', ...args], {
    env: ENV,
    ...(onSpawn ? { onSpawn } : {}),
  });

const lockFile = (year: number) => join(lake, 'metadata', 'locks', `general-${year}.lock`);

beforeAll(() => {
  archive(2021);
  archive(2023);
}, 120_000);

describe('pipeline --years: a backfill', () => {
  it('does every year it can, reports the one it cannot, and a rerun finishes only that one', async () => {
    const args = [
      'pipeline',
      '--years',
      '2021-2023',
      '--dataset',
      'general',
      '--source',
      archives,
      '--parallel',
      '2',
    ];
    const first = await cli(args);
    expect(first.code, first.stderr.slice(-3000)).toBe(EXIT_CODES.job.code);
    const error = JSON.parse(first.stdout).error;
    expect(error.code).toBe('BACKFILL_INCOMPLETE');
    const byYear = Object.fromEntries(error.data.years.map((y: { year: number }) => [y.year, y]));
    expect(byYear[2021]).toMatchObject({ status: 'done', transform: 'succeeded' });
    expect(byYear[2022]).toMatchObject({ status: 'failed', error: 'INVALID_OPTION' });
    expect(byYear[2023]).toMatchObject({ status: 'done', transform: 'succeeded' });
    expect(error.message).toMatch(/1 of 3 years failed \(2022: INVALID_OPTION\)/);
    for (const y of [2021, 2023])
      expect(
        readdirSync(join(lake, `curated/open_payments/general/program_year=${y}`)).some((f) =>
          f.endsWith('.parquet'),
        ),
      ).toBe(true);
    expect(existsSync(join(lake, 'curated/open_payments/general/program_year=2022'))).toBe(false);
    expect(readdirSync(join(lake, 'metadata', 'locks'))).toEqual([]); // every lease given back

    archive(2022);
    const rerun = await cli(args);
    expect(rerun.code, rerun.stderr.slice(-3000)).toBe(0);
    const years = JSON.parse(rerun.stdout).years as { year: number; transform: string; status: string }[];
    expect(years.map((y) => [y.year, y.status, y.transform])).toEqual([
      [2021, 'done', 'unchanged'],
      [2022, 'done', 'succeeded'],
      [2023, 'done', 'unchanged'],
    ]);
    const summary = JSON.parse(readFileSync(join(lake, JSON.parse(rerun.stdout).summary), 'utf8'));
    expect(summary).toMatchObject({ kind: 'backfill', years: expect.any(Array) });
  });

  it('refuses --year and --years together, and a single file as the source of several years', () => {
    const both = runCli(['--lake', lake, '--json', 'pipeline', '--year', '2021', '--years', '2021-2022']);
    expect(both.code).toBe(EXIT_CODES.usage.code);
    expect(JSON.parse(both.stdout).error.message).toContain('exactly one of --year and --years');
    const file = runCli([
      '--lake',
      lake,
      '--json',
      'pipeline',
      '--years',
      '2021-2022',
      '--source',
      join(archives, 'PGYR2021_P06302022.zip'),
    ]);
    expect(file.code).toBe(EXIT_CODES.usage.code);
    expect(JSON.parse(file.stdout).error.message).toContain('is one file');
  });
});

describe('one writer per table and year, with real processes', () => {
  it('of two concurrent submits of a year exactly one proceeds; the other names the holder', async () => {
    let first: ChildProcess | undefined;
    const running = cli(['submit', 'transform', '--year', '2021', '--dataset', 'general', '--force'], (c) => {
      first = c;
    });
    await waitFor('the first run to take the lease', () => existsSync(lockFile(2021)));
    const holder = JSON.parse(readFileSync(lockFile(2021), 'utf8'));
    expect(holder.pid).toBe(first?.pid);

    const second = await cli(['submit', 'transform', '--year', '2021', '--dataset', 'general', '--force']);
    expect(second.code).toBe(EXIT_CODES.conflict.code);
    const error = JSON.parse(second.stdout).error;
    expect(error.code).toBe('LOCK_HELD');
    expect(error.message).toContain(`held by run ${holder.owner}`);

    const done = await running;
    expect(done.code, done.stderr.slice(-3000)).toBe(0);
    expect(JSON.parse(done.stdout).runId).toBe(holder.owner);
    expect(existsSync(lockFile(2021))).toBe(false);
  });

  it('Ctrl-C gives the lease back', async () => {
    let child: ChildProcess | undefined;
    const running = cli(['submit', 'transform', '--year', '2023', '--dataset', 'general', '--force'], (c) => {
      child = c;
    });
    await waitFor('the lease', () => existsSync(lockFile(2023)));
    child?.kill('SIGINT');
    const r = await running;
    expect(r.code).toBe(EXIT_CODES.interrupted.code);
    expect(existsSync(lockFile(2023))).toBe(false);
  });
});

describe('orchestrator report', () => {
  it('writes one self-contained HTML file whose rendered numbers match the run summaries (headless Chromium)', async () => {
    const out = join(dir, 'report.html');
    const r = await cli(['report', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script|<link |src="http|href="http/); // nothing to fetch, nothing to run

    const runs = JSON.parse((await cli(['runs', 'list', '--kind', 'submit', '--limit', '500'])).stdout)
      .runs as {
      runId: string;
      programYear: number;
      tables: { table: string; status: string; rowsIn: number; rowsOut: number; rowsRejected: number }[];
    }[];
    // What the report must show per year: the newest publication of general.
    const expected = new Map<number, { rowsIn: number; rowsOut: number; rowsRejected: number }>();
    for (const run of runs)
      for (const t of run.tables)
        if (t.table === 'general' && t.status === 'published' && !expected.has(run.programYear))
          expected.set(run.programYear, t);
    expect([...expected.keys()].sort()).toEqual([2021, 2022, 2023]);

    const chromium = (await import('playwright-core')).chromium;
    const executablePath = execFileSync('bash', [join(ROOT, 'scripts/chromium.sh'), 'path'], {
      encoding: 'utf8',
    }).trim();
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(pathToFileURL(out).href);
      for (const [year, t] of expected) {
        const row = page.locator(`#years tr[data-year="${year}"][data-table="general"]`);
        const num = async (field: string) => {
          const cell = row.locator(`[data-field="${field}"]`);
          // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text as rendered, which is the point
          const shown = await cell.innerText();
          return Number(shown.replaceAll(',', ''));
        };
        expect(await num('rowsIn')).toBe(t.rowsIn);
        expect(await num('rowsOut')).toBe(t.rowsOut);
        expect(await num('rejected')).toBe(t.rowsRejected);
        expect(await page.locator(`svg g[data-year="${year}"] rect.curated`).count()).toBe(1);
      }
      const listed = JSON.parse((await cli(['runs', 'list', '--limit', '500'])).stdout).runs.length;
      expect(await page.locator('#runs tbody tr').count()).toBe(listed);
      expect(await page.locator('#runs tr.status-incomplete').count()).toBe(1); // the first backfill
      expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
      mkdirSync(join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'test-results', 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
