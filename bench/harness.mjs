// Shared pieces of the benchmarks: timed child processes with their peak RSS, and RESULTS.md rows.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'orchestrator/dist/cli/main.js');
const PRELOAD = join(ROOT, 'bench/rss-preload.mjs');

/** Runs `node <args>` and returns wall seconds and the child's own peak RSS in MB. */
export function timeNode(args, { cwd = ROOT, env = {} } = {}) {
  const rssFile = join(tmpdir(), `bench-rss-${process.pid}-${Date.now()}`);
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', PRELOAD, ...args], {
      cwd,
      env: { ...process.env, ...env, BENCH_RSS_FILE: rssFile },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`node ${args.join(' ')} exited ${code}`));
      const rssKb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : Number.NaN;
      rmSync(rssFile, { force: true });
      resolvePromise({ seconds, peakRssMb: rssKb / 1024 });
    });
  });
}

/** Runs `command args` (output discarded, errors shown) and returns its wall seconds. */
export function timeCommand(command, args, { env = {} } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr}`));
      resolvePromise({ seconds });
    });
  });
}

export function gitCommit() {
  try {
    const head = readFileSync(join(ROOT, '.git/HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 10);
    const ref = join(ROOT, '.git', head.slice(5));
    return existsSync(ref) ? readFileSync(ref, 'utf8').trim().slice(0, 10) : 'uncommitted';
  } catch {
    return 'unknown';
  }
}

const RESULTS = join(ROOT, 'bench/RESULTS.md');
const HEADER = [
  '# Benchmark results',
  '',
  'Appended by `npm run bench -- <name>`. Each row holds the measured command and its baseline, run back to back',
  'on the same machine; compare ratios, not seconds (the machine is noisy).',
  '',
  '| date (UTC) | bench | commit | machine | measured | baseline | ratio | goal | verdict |',
  '|---|---|---|---|---|---|---|---|---|',
  '',
].join('\n');

export function appendResult(row) {
  if (!existsSync(RESULTS)) writeFileSync(RESULTS, HEADER);
  const cells = [
    new Date().toISOString().slice(0, 16).replace('T', ' '),
    row.bench,
    gitCommit(),
    row.machine,
    row.measured,
    row.baseline,
    row.ratio,
    row.goal,
    row.verdict,
  ];
  appendFileSync(RESULTS, `| ${cells.join(' | ')} |\n`);
}

/**
 * A generated General file, cached between runs under `<OP_CACHE_DIR>/bench/<name>` (generation is
 * not what the benchmarks measure). `args` are extra `sample` options (--defects, --seed).
 */
export function cachedSample(name, { year, rows, args = [] }) {
  const cache = join(process.env.OP_CACHE_DIR ?? join(homedir(), '.cache', 'open-payments'), 'bench');
  mkdirSync(cache, { recursive: true });
  const out = join(cache, name);
  if (!existsSync(out)) {
    console.error(`generating ${rows} General ${year} rows (cached in ${cache})`);
    const sample = ['sample', '--dataset', 'general', '--year', String(year), '--rows', String(rows)];
    execFileSync(process.execPath, [CLI, '--log-level', 'warn', ...sample, ...args, '--out', out], {
      stdio: 'inherit',
    });
  }
  return out;
}
