/**
 * Real local AWS endpoints for tests: versitygw answers S3 and moto answers Glue and STS, each on a
 * free 127.0.0.1 port, started by `scripts/aws-local.sh start` with a state dir of their own. The
 * first start on a fresh machine installs both into the cache outside the repo (a few minutes: Go
 * builds versitygw); later starts take about a second.
 *
 * The script is run with `spawn`, never `spawnSync`: a test may serve other things from its own event
 * loop meanwhile. The servers get this process's pid as their owner, so a watchdog stops them if the
 * test process dies without calling `stop()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { spawnCollect } from '../helpers.js';

export const AWS_LOCAL_SCRIPT = resolve(import.meta.dirname, '../../scripts/aws-local.sh');

export interface LocalAws {
  /** versitygw, e.g. `http://127.0.0.1:41234` (an IP host, so the SDK sends path-style requests). */
  s3Endpoint: string;
  /** moto server. */
  glueEndpoint: string;
  /** moto server too (the same URL as `glueEndpoint`). */
  stsEndpoint: string;
  /** Static test credentials: versitygw's root account; moto accepts them as it accepts any. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  /**
   * The env file the script wrote (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_GLUE`,
   * `AWS_ENDPOINT_URL_STS`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, …): spread it
   * into a child process's environment (the CLI) and the AWS SDK there finds these endpoints by itself.
   */
  env: Record<string, string>;
  /** Objects (`<stateDir>/s3/<bucket>/<key>`, the posix backend), logs (`*.log`), pids, `env`. */
  stateDir: string;
  /** Stops both servers (idempotent), then removes the state dir unless it was given or kept. */
  stop(): Promise<void>;
}

export interface StartLocalAwsOptions {
  /** Use this state dir (kept after `stop()`); default: a new temp dir that `stop()` removes. */
  stateDir?: string;
  /** Keep the default temp state dir after `stop()`, e.g. to read the server logs. */
  keepState?: boolean;
  /** Limit for the whole start, a cold install included (default 10 minutes). */
  timeoutMs?: number;
}

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runScript(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ScriptRun> {
  return spawnCollect('bash', [AWS_LOCAL_SCRIPT, ...args], { env, timeoutMs });
}

/** `KEY=VALUE` lines, as the script prints them (values never contain newlines). */
export function parseEnvLines(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!;
  }
  return vars;
}

export async function startLocalAws(opts: StartLocalAwsOptions = {}): Promise<LocalAws> {
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'op-aws-local-'));
  const removeState = opts.stateDir === undefined && !opts.keepState;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_LOCAL_STATE: stateDir,
    AWS_LOCAL_OWNER_PID: String(process.pid),
  };
  const stopScript = async (): Promise<void> => {
    const r = await runScript(['stop'], env, 60_000);
    if (r.code !== 0) throw new Error(`scripts/aws-local.sh stop failed (exit ${r.code}):\n${r.stderr}`);
  };

  const started = await runScript(['start'], env, opts.timeoutMs ?? 600_000);
  if (started.code !== 0) {
    // A start killed by our timeout may have left one server running: stop what the pid files name.
    await stopScript().catch(() => undefined);
    if (removeState) rmSync(stateDir, { recursive: true, force: true });
    throw new Error(`scripts/aws-local.sh start failed (exit ${started.code}):\n${started.stderr}`);
  }
  const vars = parseEnvLines(started.stdout);
  const need = (key: string): string => {
    const v = vars[key];
    if (!v) throw new Error(`scripts/aws-local.sh start printed no ${key}:\n${started.stdout}`);
    return v;
  };

  let stopping: Promise<void> | undefined;
  return {
    s3Endpoint: need('AWS_ENDPOINT_URL_S3'),
    glueEndpoint: need('AWS_ENDPOINT_URL_GLUE'),
    stsEndpoint: need('AWS_ENDPOINT_URL_STS'),
    credentials: { accessKeyId: need('AWS_ACCESS_KEY_ID'), secretAccessKey: need('AWS_SECRET_ACCESS_KEY') },
    region: need('AWS_REGION'),
    env: vars,
    stateDir,
    stop() {
      stopping ??= stopScript().then(() => {
        if (removeState) rmSync(stateDir, { recursive: true, force: true });
      });
      return stopping;
    },
  };
}

/** An S3 client of the local S3 server (path-style: versitygw serves no bucket subdomains). */
export function localS3Client(aws: LocalAws): S3Client {
  return new S3Client({
    endpoint: aws.s3Endpoint,
    region: aws.region,
    credentials: aws.credentials,
    forcePathStyle: true,
  });
}
