/**
 * An EMR Serverless emulator for tests: an in-process HTTP server that speaks the service's REST-JSON
 * protocol, so the real `@aws-sdk/client-emr-serverless` client runs against it with `endpoint` set.
 * Job runs really run: the job's files are fetched from the local S3 server, a local
 * `spark-submit --master local[N]` runs the job with `s3://` served by s3a from that same S3 server,
 * and the driver's stdout/stderr land in the run's logUri in EMR's layout while the job runs.
 *
 *   const aws = await startLocalAws();
 *   const emr = await startEmrServerlessEmulator({ aws });
 *   const client = new EMRServerlessClient({ endpoint: emr.endpoint, region: emr.region, credentials: aws.credentials });
 *
 * See README.md in this directory for what is and is not emulated.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { LocalAws } from '../aws-local/endpoints.js';
import { ApiError, throttled, validation, writeApiError } from './api-errors.js';
import type { JobRun } from './job-run.js';
import { ensureS3aJars, type LocalS3, REPO_ROOT } from './local-spark.js';
import { type DriverLaunch, EmrServerlessService, type EmulatorBehaviour } from './operations.js';

export { liveProcessesInGroup } from './driver-process.js';
export type { JobRun, JobRunState } from './job-run.js';
export type { DriverLaunch, EmulatorBehaviour } from './operations.js';

export interface EmrServerlessEmulatorOptions {
  /** The local S3 server (what `startLocalAws()` returns will do): job files, logs, the jobs' own I/O. */
  aws: Pick<LocalAws, 's3Endpoint' | 'region' | 'credentials'>;
  /** Region of the ARNs (default: the S3 server's). */
  region?: string;
  /** The venv with pyspark (default: the repository's `.venv`). */
  venv?: string;
  /** Spark master of the local driver (default `local[2]`). */
  master?: string;
  /** The s3a jars (default: `scripts/emr-local.sh install`, which downloads them once into the cache). */
  jars?: string[];
  /** Pause between SUBMITTED, PENDING, SCHEDULED and RUNNING (default 100 ms). */
  stateTransitionMs?: number;
  /** How often a running driver's logs are republished to S3 (default 2000 ms). */
  logUploadIntervalMs?: number;
  /** Length of one minute of executionTimeoutMinutes (default 60 000 ms; tests shrink it). */
  minuteMs?: number;
  /** SIGTERM → SIGKILL grace for a cancelled or timed-out driver (default 10 000 ms). */
  killGraceMs?: number;
  /** Name and release label of the application created at start. */
  applicationName?: string;
  releaseLabel?: string;
}

export interface EmrServerlessEmulator {
  /** `http://127.0.0.1:<port>`, for the client's `endpoint`. */
  endpoint: string;
  /** `AWS_ENDPOINT_URL_EMR_SERVERLESS`: spread into a child process's env (with `aws.env`) and its SDK finds the emulator. */
  env: Record<string, string>;
  region: string;
  /** An application created at start (state CREATED; the first job run starts it). */
  applicationId: string;
  /** Every job run by id: state, history, driver process and output, the request it came from. */
  runs: Map<string, JobRun>;
  /** Every driver process started, in order: how a test tells that a retried StartJobRun ran once. */
  launches: DriverLaunch[];
  /**
   * Replaces the fault injection (`setBehaviour({})` clears it):
   * - `fail: message`: runs started from now on reach RUNNING, write `message` to the driver's
   *   stderr and end FAILED (exit code 1) without starting Spark;
   * - `hang: true`: runs started from now on stay RUNNING (a sleeping stand-in process, not Spark)
   *   until cancelled or timed out;
   * - `throttle: n`: the next n API calls answer 429 ThrottlingException;
   * - `slowStates: ms`: the pause between states for runs started from now on.
   */
  setBehaviour(behaviour: EmulatorBehaviour): void;
  /** API calls answered with a throttling error so far (how a test sees its client retried them). */
  throttledCalls(): number;
  /** Cancels what still runs, waits for the drivers to exit, closes the server (idempotent). */
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;
type Handler = (ids: string[], body: Json, query: URLSearchParams) => Json;

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Json;
  } catch {
    // answered below
  }
  throw validation('The request body is not a JSON object');
}

function writeJson(res: ServerResponse, body: Json, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
}

/** `/applications/a1/jobruns/r1/dashboard` → route `applications/{}/jobruns/{}/dashboard`, ids [a1, r1]. */
function routeOf(pathname: string): { route: string; ids: string[] } {
  const ids: string[] = [];
  const parts = pathname
    .split('/')
    .filter(Boolean)
    .map((segment, i) => {
      if (i % 2 === 0) return segment;
      ids.push(decodeURIComponent(segment));
      return '{}';
    });
  return { route: parts.join('/'), ids };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/** What GetDashboardForJobRun points at: not Spark's UI (disabled locally), the run's state and log tails. */
function sparkUiPage(run: JobRun | undefined): string {
  if (!run) return '<!doctype html><title>Spark UI</title><p>No such job run.</p>';
  const tail = (s: string) => escapeHtml(s.split('\n').slice(-60).join('\n'));
  return [
    `<!doctype html><title>Job run ${run.jobRunId}</title>`,
    `<h1>Job run ${run.jobRunId}: ${run.state}</h1><p>${escapeHtml(run.stateDetails)}</p>`,
    `<h2>Driver stdout (tail)</h2><pre>${tail(run.output.text('stdout'))}</pre>`,
    `<h2>Driver stderr (tail)</h2><pre>${tail(run.output.text('stderr'))}</pre>`,
  ].join('\n');
}

export async function startEmrServerlessEmulator(
  opts: EmrServerlessEmulatorOptions,
): Promise<EmrServerlessEmulator> {
  const localS3: LocalS3 = {
    endpoint: opts.aws.s3Endpoint,
    region: opts.aws.region,
    credentials: opts.aws.credentials,
  };
  const region = opts.region ?? localS3.region;
  const jars = opts.jars ?? (await ensureS3aJars());
  const workRoot = mkdtempSync(join(tmpdir(), 'op-emr-emulator-'));
  const s3 = new S3Client({ ...localS3, forcePathStyle: true });
  const service = new EmrServerlessService(region, {
    s3,
    spark: {
      venv: opts.venv ?? join(REPO_ROOT, '.venv'),
      master: opts.master ?? 'local[2]',
      jars,
      s3: localS3,
    },
    workRoot,
    stateTransitionMs: opts.stateTransitionMs ?? 100,
    logUploadIntervalMs: opts.logUploadIntervalMs ?? 2000,
    minuteMs: opts.minuteMs ?? 60_000,
    killGraceMs: opts.killGraceMs ?? 10_000,
  });
  const app = service.addApplication(opts.applicationName ?? 'emulator', opts.releaseLabel ?? 'emr-7.5.0');

  let endpoint = '';
  const routes: Record<string, Handler> = {
    'POST applications': (_, body) => service.createApplication(body),
    'GET applications': () => service.listApplications(),
    'GET applications/{}': ([appId]) => service.getApplication(appId!),
    'POST applications/{}/jobruns': ([appId], body) => service.startJobRun(appId!, body),
    'GET applications/{}/jobruns': ([appId], _, query) => service.listJobRuns(appId!, query),
    'GET applications/{}/jobruns/{}': ([appId, runId]) => service.getJobRun(appId!, runId!),
    'DELETE applications/{}/jobruns/{}': ([appId, runId]) => service.cancelJobRun(appId!, runId!),
    'GET applications/{}/jobruns/{}/dashboard': ([appId, runId]) =>
      service.dashboardUrl(appId!, runId!, endpoint),
  };

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const { route, ids } = routeOf(url.pathname);
    if (route === 'spark-ui/{}') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(sparkUiPage(service.runs.get(ids[0] ?? '')));
      return;
    }
    readJson(req)
      .then((body) => {
        if (service.consumeThrottle()) throw throttled();
        const handler = routes[`${req.method} ${route}`];
        if (!handler)
          throw new ApiError('UnknownOperationException', `No operation for ${req.method} ${url.pathname}`);
        writeJson(res, handler(ids, body, url.searchParams), requestId);
      })
      .catch((e: unknown) => {
        const err = e instanceof ApiError ? e : new ApiError('InternalServerException', String(e));
        writeApiError(res, err, requestId);
      });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    await new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
    for (const run of service.runs.values()) run.requestStop('cancel');
    await Promise.all([...service.runs.values()].map((run) => run.done));
    s3.destroy();
    rmSync(workRoot, { recursive: true, force: true });
  };

  return {
    endpoint,
    env: { AWS_ENDPOINT_URL_EMR_SERVERLESS: endpoint },
    region,
    applicationId: app.applicationId,
    runs: service.runs,
    launches: service.launches,
    setBehaviour(behaviour) {
      service.behaviour = { ...behaviour };
    },
    throttledCalls: () => service.throttledCalls,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
