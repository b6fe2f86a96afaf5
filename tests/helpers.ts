/** Runs the built CLI in a child process, exactly as a user would, and captures what it printed. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'orchestrator/dist/cli/main.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI run: this process's, minus the developer's own ORCHESTRATOR_* settings. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('ORCHESTRATOR_') && !(k in extra)) delete env[k];
  return env;
}

export function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliRun {
  const env = cliEnv(opts.env);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? tempDir(),
    env,
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Generates a General sample (CSV, or a CMS-style year archive when `out` ends in .zip) with the real
 * CLI; throws with its stderr when it fails.
 */
export function generateSample(out: string, opts: { rows: number; year?: number; args?: string[] }): string {
  const year = String(opts.year ?? 2023);
  const sample = ['sample', '--dataset', 'general', '--year', year, '--rows', String(opts.rows)];
  const r = runCli(['--log-level', 'silent', ...sample, ...(opts.args ?? []), '--out', out]);
  if (r.code !== 0) throw new Error(`sample failed (exit ${r.code}): ${r.stderr}`);
  return out;
}

export function tempDir(prefix = 'op-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Like runCli, but without blocking this process: needed when the test itself serves the CLI (the
 * fake CMS server runs in the test process, and spawnSync would freeze it).
 */
export function runCliAsync(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<CliRun> {
  return spawnCollect(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? tempDir(),
    env: cliEnv(opts.env),
    ...(opts.onSpawn ? { onSpawn: opts.onSpawn } : {}),
  });
}

/**
 * Runs a program without blocking this process and collects what it printed; a timeout sends
 * SIGTERM and notes it in stderr. `onSpawn` gets the child, for tests that signal it mid-run.
 */
export function spawnCollect(
  command: string,
  args: string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    onSpawn?: (child: ChildProcess) => void;
  } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    opts.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n[spawnCollect] ${command} ${args.join(' ')} timed out after ${opts.timeoutMs} ms`;
            child.kill('SIGTERM');
          }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Polls `probe` until it returns something other than undefined (or false), and returns it. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
