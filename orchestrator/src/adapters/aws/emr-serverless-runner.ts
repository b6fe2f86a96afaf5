/**
 * The aws runner: a Spark job as an EMR Serverless job run.
 *
 *   StartJobRun (deterministic clientToken: a resent request is the same run, never a second one)
 *   → poll GetJobRun with backoff and jitter, one event per state change (with stateDetails)
 *   → stream the driver's stdout/stderr from the S3 log layout while it runs, through the same output
 *     routing as a local spark-submit; after the end, keep looking a while for logs not yet uploaded
 *   → at the end: duration, billed resources, an estimated cost, the Spark UI link.
 * An abort (Ctrl-C / SIGTERM) sends CancelJobRun and waits for CANCELLED (JOB_CANCELLED, its own exit
 * code); if the service does not confirm in time, INTERRUPTED says which run may still be going.
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../../config/schema.js';
import { OrchestratorError } from '../../domain/errors.js';
import type { Reporter } from '../../ports/reporter.js';
import {
  type RemoteRunReport,
  type SparkJobSpec,
  type SparkRunner,
  type SparkRunResult,
  shellQuote,
} from '../../ports/spark-runner.js';
import { type OutputStream, SparkOutputRouter } from '../spark-output.js';
import type { DriverLogSource, EmrServerlessApi, JobRun, StartJobRunRequest } from './emr-serverless-api.js';

export type EmrServerlessSettings = Config['aws']['emrServerless'];

export interface EmrServerlessRunnerOptions {
  api: EmrServerlessApi;
  logs: DriverLogSource;
  settings: EmrServerlessSettings & { applicationId: string; executionRoleArn: string; logUri: string };
  /** Injected for tests; `Math.random` otherwise. */
  random?: () => number;
}

const TERMINAL = new Set(['SUCCESS', 'FAILED', 'CANCELLED']);
/** Lines of each driver stream quoted in a failure message. */
const FAILURE_TAIL = 12;

/** Conf a local run wants and a job run must not have (a redrawn progress bar fills the stderr log). */
const LOCAL_ONLY_CONF = new Set(['spark.ui.showConsoleProgress', 'spark.sql.shuffle.partitions']);

export class EmrServerlessRunner implements SparkRunner {
  readonly kind = 'emr-serverless' as const;
  readonly reattachable = true;

  constructor(private readonly opts: EmrServerlessRunnerOptions) {}

  /** The exact StartJobRun request of a job (what --dry-run prints). */
  request(spec: SparkJobSpec): StartJobRunRequest {
    const s = this.opts.settings;
    const conf: Record<string, string> = {
      'spark.driver.cores': String(s.driver.cores),
      'spark.driver.memory': s.driver.memory,
      'spark.executor.cores': String(s.executor.cores),
      'spark.executor.memory': s.executor.memory,
      'spark.dynamicAllocation.enabled': 'true',
      'spark.dynamicAllocation.maxExecutors': String(s.maxExecutors),
      'spark.sql.shuffle.partitions': String(s.shufflePartitions),
      ...Object.fromEntries(Object.entries(spec.conf).filter(([k]) => !LOCAL_ONLY_CONF.has(k))),
      // The job's environment (test hooks such as OP_TRANSFORM_INJECT_FAILURE) on the driver and executors.
      ...Object.fromEntries(
        Object.entries(spec.env ?? {}).flatMap(([k, v]) => [
          [`spark.emr-serverless.driverEnv.${k}`, v],
          [`spark.executorEnv.${k}`, v],
        ]),
      ),
    };
    const sparkSubmitParameters = [
      ...(spec.pyFiles.length ? ['--py-files', spec.pyFiles.join(',')] : []),
      ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    ]
      .map(shellQuote)
      .join(' ');
    const request: StartJobRunRequest = {
      applicationId: s.applicationId,
      executionRoleArn: s.executionRoleArn,
      name: spec.name.slice(0, 256),
      executionTimeoutMinutes: s.executionTimeoutMinutes,
      jobDriver: {
        sparkSubmit: { entryPoint: spec.entryPoint, entryPointArguments: spec.args, sparkSubmitParameters },
      },
      configurationOverrides: {
        monitoringConfiguration: { s3MonitoringConfiguration: { logUri: s.logUri } },
      },
      tags: {
        ...s.tags,
        ...Object.fromEntries(Object.entries(spec.labels ?? {}).map(([k, v]) => [`openpayments:${k}`, v])),
        'openpayments:attempt': String(spec.attempt ?? 1),
      },
    };
    return { ...request, clientToken: clientToken(request, spec.attempt ?? 1) };
  }

  describe(spec: SparkJobSpec): string {
    return `EMR Serverless StartJobRun ${JSON.stringify(this.request(spec), null, 2)}`;
  }

  async run(
    spec: SparkJobSpec,
    { reporter, signal }: { reporter: Reporter; signal?: AbortSignal | undefined },
  ): Promise<SparkRunResult> {
    if (signal?.aborted)
      throw new OrchestratorError('INTERRUPTED', `Interrupted before ${spec.name} started.`);
    const { api, settings } = this.opts;
    const request = this.request(spec);
    const started = performance.now();
    const { jobRunId } = await this.call('StartJobRun', () => api.startJobRun(request));
    const applicationId = settings.applicationId;
    const logs = new DriverLogTail(
      this.opts.logs,
      driverLogPrefix(settings.logUri, applicationId, jobRunId),
      {
        router: new SparkOutputRouter(reporter, spec.name),
      },
    );
    reporter.event({
      level: 'info',
      code: 'emr.started',
      message: `${spec.name}: EMR Serverless job run ${jobRunId} on application ${applicationId} (driver logs: ${logs.prefix})`,
      data: { applicationId, jobRunId, clientToken: request.clientToken, logs: logs.prefix },
    });

    let run = await this.follow(applicationId, jobRunId, spec.name, reporter, logs, signal);
    if (signal?.aborted && !TERMINAL.has(run.state ?? '')) {
      run = await this.cancel(applicationId, jobRunId, spec.name, reporter);
    }
    // A run that got to its driver has logs, possibly uploaded a little after the state changed.
    const expectLogs = logs.sawRunning || run.state === 'SUCCESS';
    await logs.finish(reporter, {
      graceMs: expectLogs ? settings.logGraceSeconds * 1000 : 0,
      intervalMs: settings.pollInitialSeconds * 1000,
    });
    logs.router.done();
    const remote = await this.report(run, logs.prefix);
    const durationMs = Math.round(performance.now() - started);
    reporter.event({
      level: 'info',
      code: 'emr.finished',
      message: finishedMessage(spec.name, remote, run.totalExecutionDurationSeconds),
      data: { ...remote, durationSeconds: run.totalExecutionDurationSeconds },
    });
    if (signal?.aborted) {
      throw new OrchestratorError(
        'JOB_CANCELLED',
        `${spec.name}: EMR Serverless job run ${jobRunId} was cancelled on request (${run.state}); nothing was published.`,
        { suggestion: 'Rerun the same command to submit it again.', data: { ...remote } },
      );
    }
    const exitCode = run.state === 'SUCCESS' ? 0 : exitCodeOf(run.stateDetails);
    return {
      exitCode,
      durationMs,
      tail: exitCode === 0 ? [] : failureTail(run, logs),
      remote,
    };
  }

  /** Polls until the run ends or the signal aborts; logs stream in between. */
  private async follow(
    applicationId: string,
    jobRunId: string,
    name: string,
    reporter: Reporter,
    logs: DriverLogTail,
    signal: AbortSignal | undefined,
  ): Promise<JobRun> {
    const { settings } = this.opts;
    const random = this.opts.random ?? Math.random;
    let wait = settings.pollInitialSeconds * 1000;
    let last: string | undefined;
    for (;;) {
      const run = await this.call('GetJobRun', () => this.opts.api.getJobRun(applicationId, jobRunId));
      if (run.state !== last) {
        last = run.state;
        reporter.event({
          level: run.state === 'FAILED' ? 'error' : 'info',
          code: 'emr.state',
          message: `${name}: job run ${jobRunId} ${run.state}${run.stateDetails ? ` — ${run.stateDetails}` : ''}`,
          data: { jobRunId, state: run.state, stateDetails: run.stateDetails },
        });
      }
      if (run.state === 'RUNNING') logs.sawRunning = true;
      if (run.state === 'RUNNING' || TERMINAL.has(run.state ?? '')) await logs.poll(reporter);
      if (TERMINAL.has(run.state ?? '') || signal?.aborted) return run;
      // Full jitter on an exponential backoff: many runs polling one application do not synchronise.
      await sleep(wait * (0.5 + random() / 2), signal);
      wait = Math.min(wait * 1.6, settings.pollMaxSeconds * 1000);
    }
  }

  /** CancelJobRun, then wait (bounded) for the run to say CANCELLED. */
  private async cancel(
    applicationId: string,
    jobRunId: string,
    name: string,
    reporter: Reporter,
  ): Promise<JobRun> {
    const { api, settings } = this.opts;
    reporter.event({
      level: 'warn',
      code: 'emr.cancelling',
      message: `${name}: cancelling EMR Serverless job run ${jobRunId}…`,
      data: { jobRunId },
    });
    await this.call('CancelJobRun', () => api.cancelJobRun(applicationId, jobRunId));
    const deadline = performance.now() + settings.cancelTimeoutSeconds * 1000;
    let run = await this.call('GetJobRun', () => api.getJobRun(applicationId, jobRunId));
    while (!TERMINAL.has(run.state ?? '') && performance.now() < deadline) {
      await sleep(settings.pollInitialSeconds * 1000);
      run = await this.call('GetJobRun', () => api.getJobRun(applicationId, jobRunId));
    }
    reporter.event({
      level: 'warn',
      code: 'emr.state',
      message: `${name}: job run ${jobRunId} ${run.state}${run.stateDetails ? ` — ${run.stateDetails}` : ''}`,
      data: { jobRunId, state: run.state, stateDetails: run.stateDetails },
    });
    if (!TERMINAL.has(run.state ?? '')) {
      throw new OrchestratorError(
        'INTERRUPTED',
        `${name}: cancel of EMR Serverless job run ${jobRunId} was requested, but after ${settings.cancelTimeoutSeconds} s it is still ${run.state}; nothing was published.`,
        {
          suggestion: `Check it: aws emr-serverless get-job-run --application-id ${applicationId} --job-run-id ${jobRunId}. Rerunning the same command attaches to it.`,
          data: { applicationId, jobRunId, state: run.state },
        },
      );
    }
    return run;
  }

  /** Billed resources, estimated cost and the Spark UI link of an ended run. */
  private async report(run: JobRun, driverLogs: string): Promise<RemoteRunReport> {
    const { prices } = this.opts.settings;
    const b = run.billedResourceUtilization;
    const billed = b
      ? { vCPUHour: b.vCPUHour ?? 0, memoryGBHour: b.memoryGBHour ?? 0, storageGBHour: b.storageGBHour ?? 0 }
      : undefined;
    let dashboardUrl: string | undefined;
    try {
      dashboardUrl = await this.opts.api.dashboardUrl(run.applicationId ?? '', run.jobRunId ?? '');
    } catch {
      // The Spark UI link is a convenience: a run that never started has none.
    }
    return {
      service: 'emr-serverless',
      applicationId: run.applicationId ?? this.opts.settings.applicationId,
      jobRunId: run.jobRunId ?? '',
      state: run.state ?? 'UNKNOWN',
      stateDetails: run.stateDetails,
      billed,
      estimatedCostUsd: billed ? estimateCost(billed, prices) : undefined,
      dashboardUrl,
      driverLogs,
    };
  }

  /** An API call that failed after the SDK's retries: a coded error with what to check. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const name = (e as Error)?.name ?? 'Error';
      throw new OrchestratorError(
        'EMR_SERVERLESS_FAILED',
        `EMR Serverless ${what} failed: ${name}: ${(e as Error)?.message ?? e}`,
        {
          cause: e,
          suggestion:
            name === 'AccessDeniedException'
              ? 'The role in use needs the emr-serverless and iam:PassRole actions listed in the README.'
              : name === 'ResourceNotFoundException'
                ? 'Check aws.emrServerless.applicationId and aws.region (the Terraform emr_serverless module outputs the id).'
                : name === 'ValidationException'
                  ? 'The request was refused as invalid: check aws.emrServerless settings (sizes, role ARN, log URI).'
                  : 'Retry; the SDK already retried throttling and 5xx answers.',
          data: { call: what, error: name },
        },
      );
    }
  }
}

/**
 * The idempotency token of a request: the same job, parameters, code (its content hash is in the
 * artifact paths) and attempt always give the same token, so a resent StartJobRun returns the run the
 * first one started. 64 hex characters (the API's maximum length).
 */
export function clientToken(request: Omit<StartJobRunRequest, 'clientToken'>, attempt: number): string {
  return createHash('sha256').update(JSON.stringify({ request, attempt })).digest('hex');
}

/** `<logUri>/applications/<app>/jobs/<run>/SPARK_DRIVER/`: where EMR puts the driver's stdout.gz/stderr.gz. */
export function driverLogPrefix(logUri: string, applicationId: string, jobRunId: string): string {
  return `${logUri.replace(/\/+$/, '')}/applications/${applicationId}/jobs/${jobRunId}/SPARK_DRIVER/`;
}

export function estimateCost(
  billed: { vCPUHour: number; memoryGBHour: number; storageGBHour: number },
  prices: EmrServerlessSettings['prices'],
): number {
  const usd =
    billed.vCPUHour * prices.vcpuHour +
    billed.memoryGBHour * prices.memoryGbHour +
    billed.storageGBHour * prices.storageGbHour;
  return Math.round(usd * 10_000) / 10_000;
}

/** `… ExitCode: 3. …` in a failed run's stateDetails; 1 when it says none. */
export function exitCodeOf(stateDetails: string | undefined): number {
  const m = /ExitCode: (\d+)/.exec(stateDetails ?? '');
  const code = m ? Number(m[1]) : 1;
  return code === 0 ? 1 : code;
}

function finishedMessage(name: string, r: RemoteRunReport, seconds: number | undefined): string {
  const parts = [`${name}: job run ${r.jobRunId} ${r.state}`];
  if (seconds !== undefined) parts.push(`in ${formatDuration(seconds)}`);
  if (r.billed) {
    parts.push(
      `billed ${r.billed.vCPUHour.toFixed(4)} vCPU-h, ${r.billed.memoryGBHour.toFixed(4)} GB-h, ${r.billed.storageGBHour.toFixed(4)} storage GB-h ≈ $${r.estimatedCostUsd?.toFixed(4)}`,
    );
  }
  if (r.dashboardUrl) parts.push(`Spark UI: ${r.dashboardUrl}`);
  return parts.join('; ');
}

function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return m ? `${m}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

function failureTail(run: JobRun, logs: DriverLogTail): string[] {
  const section = (stream: OutputStream) => {
    const lines = logs.lines(stream).slice(-FAILURE_TAIL);
    return lines.length ? [`--- driver ${stream} (last ${lines.length} lines) ---`, ...lines] : [];
  };
  return [
    `EMR Serverless: ${run.state}${run.stateDetails ? ` — ${run.stateDetails}` : ''}`,
    ...section('stdout'),
    ...section('stderr'),
  ];
}

/** Resolves after ms, or at once when the signal aborts (the caller then cancels). */
async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch {
    // aborted: the caller looks at the signal
  }
}

/**
 * Follows the driver's stdout.gz and stderr.gz. EMR rewrites each as a whole gzip of everything so
 * far, so each read yields the full text: only lines beyond those already routed are new, and a last
 * line without its newline waits for the next read (or the end).
 */
class DriverLogTail {
  private readonly seen: Record<OutputStream, string[]> = { stdout: [], stderr: [] };
  private readonly found: Record<OutputStream, boolean> = { stdout: false, stderr: false };
  readonly router: SparkOutputRouter;
  sawRunning = false;

  constructor(
    private readonly source: DriverLogSource,
    readonly prefix: string,
    opts: { router: SparkOutputRouter },
  ) {
    this.router = opts.router;
  }

  lines(stream: OutputStream): string[] {
    return this.seen[stream];
  }

  /** Reads both streams once; complete lines only unless `final`. */
  async poll(reporter: Reporter, final = false): Promise<void> {
    for (const stream of ['stdout', 'stderr'] as const) {
      let text: string | undefined;
      try {
        text = await this.source.read(`${this.prefix}${stream}.gz`);
      } catch (e) {
        reporter.event({
          level: 'debug',
          code: 'emr.logs.unreadable',
          message: `Cannot read the driver's ${stream} yet: ${(e as Error).message}`,
        });
        continue;
      }
      if (text === undefined) continue;
      this.found[stream] = true;
      const all = text.split(/\r\n|\r|\n/);
      // The text after the last newline is a line still being written (unless the run has ended).
      const complete = final || /[\r\n]$/.test(text) ? all : all.slice(0, -1);
      if (complete.at(-1) === '') complete.pop();
      const seen = this.seen[stream];
      for (const line of complete.slice(seen.length)) {
        seen.push(line);
        this.router.line(line, stream);
      }
    }
  }

  /**
   * After the end: one last complete read, retried every `intervalMs` for up to `graceMs` while a
   * stream has not appeared yet (EMR uploads the final logs shortly after the state changes).
   */
  async finish(reporter: Reporter, { graceMs, intervalMs }: { graceMs: number; intervalMs: number }) {
    const deadline = performance.now() + graceMs;
    await this.poll(reporter, true);
    while ((!this.found.stdout || !this.found.stderr) && performance.now() < deadline) {
      await sleep(intervalMs);
      await this.poll(reporter, true);
    }
    if (!this.found.stdout && !this.found.stderr && graceMs > 0) {
      reporter.event({
        level: 'warn',
        code: 'emr.logs.missing',
        message: `No driver log appeared under ${this.prefix} within ${Math.round(graceMs / 1000)} s of the end.`,
      });
    }
  }
}
