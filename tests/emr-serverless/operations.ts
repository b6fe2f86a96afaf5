/**
 * The EMR Serverless operations the emulator answers, on plain objects: the HTTP layer (emulator.ts)
 * parses requests into these calls and serialises what they return. Validation follows the API's
 * documented constraints where a client could get them wrong (required fields, the role ARN pattern,
 * idempotency tokens); IAM permissions themselves are not checked.
 */

import { conflict, notFound, validation } from './api-errors.js';
import { Application, applicationArn, CALLER_ARN, jobRunArn, newId } from './application.js';
import { DriverOutput } from './driver-logs.js';
import type { DriverProcess } from './driver-process.js';
import { driveJobRun, type LifecycleContext } from './job-lifecycle.js';
import { JobRun, type JobRunState, type RunBehaviour, type StartJobRunRequest } from './job-run.js';
import { parseSparkSubmitParameters } from './spark-submit-params.js';

/** Fault injection; see `setBehaviour` in emulator.ts. */
export interface EmulatorBehaviour extends RunBehaviour {
  throttle?: number;
}

export interface DriverLaunch {
  jobRunId: string;
  kind: 'spark-submit' | 'stand-in';
  pid: number;
  argv: string[];
}

type Json = Record<string, unknown>;

// The executionRoleArn pattern of the API reference.
const ROLE_ARN =
  /^arn:(aws[a-zA-Z0-9-]*):iam::(\d{12})?:(role((\u002F)|(\u002F[\u0021-\u007F]+\u002F))[\w+=,.@-]+)$/;
const JOB_RUN_STATES = new Set<string>([
  'SUBMITTED',
  'PENDING',
  'SCHEDULED',
  'RUNNING',
  'SUCCESS',
  'FAILED',
  'CANCELLING',
  'CANCELLED',
]);

/** JSON with object keys sorted, so two equal requests compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Json)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function requireString(body: Json, field: string, max = 2048): string {
  const v = body[field];
  if (typeof v !== 'string' || v.length === 0)
    throw validation(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  if (v.length > max)
    throw validation(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  return v;
}

export class EmrServerlessService {
  readonly applications = new Map<string, Application>();
  readonly runs = new Map<string, JobRun>();
  readonly launches: DriverLaunch[] = [];
  behaviour: EmulatorBehaviour = {};
  /** API calls answered with a throttling error so far. */
  throttledCalls = 0;
  /** `<applicationId> <clientToken>` → the run it started and the request it was for. */
  private readonly tokens = new Map<string, { fingerprint: string; jobRunId: string }>();
  private readonly lifecycle: LifecycleContext;

  constructor(
    private readonly region: string,
    lifecycle: Omit<LifecycleContext, 'onLaunch'>,
  ) {
    this.lifecycle = {
      ...lifecycle,
      onLaunch: (run: JobRun, driver: DriverProcess, kind: DriverLaunch['kind']) =>
        this.launches.push({ jobRunId: run.jobRunId, kind, pid: driver.pid, argv: driver.argv }),
    };
  }

  /** True when the call should be answered with a throttling error (and uses one up). */
  consumeThrottle(): boolean {
    const left = this.behaviour.throttle ?? 0;
    if (left <= 0) return false;
    this.behaviour.throttle = left - 1;
    this.throttledCalls++;
    return true;
  }

  createApplication(body: Json): Json {
    const name = typeof body['name'] === 'string' ? body['name'] : '';
    const releaseLabel = requireString(body, 'releaseLabel', 64);
    const type = requireString(body, 'type', 16);
    if (type.toUpperCase() !== 'SPARK')
      throw validation(
        `Application type '${type}' is not supported by the EMR Serverless emulator (Spark only)`,
      );
    const app = this.addApplication(name, releaseLabel, (body['tags'] as Record<string, string>) ?? {});
    return { applicationId: app.applicationId, arn: app.arn, name: app.name };
  }

  addApplication(name: string, releaseLabel: string, tags: Record<string, string> = {}): Application {
    const id = newId();
    const app = new Application(id, applicationArn(this.region, id), name, releaseLabel, tags);
    this.applications.set(id, app);
    return app;
  }

  getApplication(applicationId: string): Json {
    return { application: this.application(applicationId).toApi() };
  }

  listApplications(): Json {
    return { applications: [...this.applications.values()].map((a) => a.toSummary()) };
  }

  startJobRun(applicationId: string, body: Json): Json {
    const app = this.application(applicationId);
    const clientToken = requireString(body, 'clientToken', 64);
    const request = { ...body, applicationId } as unknown as StartJobRunRequest;
    const { clientToken: _token, ...withoutToken } = request;
    const fingerprint = canonicalJson(withoutToken);
    const tokenKey = `${applicationId} ${clientToken}`;
    const earlier = this.tokens.get(tokenKey);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint)
        throw conflict(`clientToken '${clientToken}' was already used for a different StartJobRun request`);
      return this.startResponse(this.runs.get(earlier.jobRunId)!);
    }

    const role = requireString(body, 'executionRoleArn');
    if (!ROLE_ARN.test(role))
      throw validation(
        `1 validation error detected: Value '${role}' at 'executionRoleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ROLE_ARN.source}`,
      );
    if (request.jobDriver?.hive) throw validation('Job driver hive is not supported by a Spark application');
    const submit = request.jobDriver?.sparkSubmit;
    if (!submit || typeof submit.entryPoint !== 'string' || submit.entryPoint === '')
      throw validation('jobDriver.sparkSubmit.entryPoint is required');
    const timeout = request.executionTimeoutMinutes;
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0 || timeout > 1_000_000))
      throw validation(`executionTimeoutMinutes must be an integer from 0 to 1000000, got ${timeout}`);
    const logUri = request.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri;
    if (logUri !== undefined && !/^s3a?:\/\/[^/]+/.test(logUri))
      throw validation(`logUri must be an s3:// URI, got '${logUri}'`);
    const params = parseSparkSubmitParameters(submit.sparkSubmitParameters);

    const jobRunId = newId();
    const { fail, hang, slowStates } = this.behaviour;
    const run = new JobRun(
      jobRunId,
      jobRunArn(this.region, applicationId, jobRunId),
      request,
      params,
      { fail, hang, slowStates },
      new DriverOutput(),
      CALLER_ARN,
      app.releaseLabel,
    );
    this.runs.set(jobRunId, run);
    this.tokens.set(tokenKey, { fingerprint, jobRunId });
    app.autoStart();
    run.done = driveJobRun(run, this.lifecycle).catch((e: Error) => {
      run.setState('FAILED', `EMR Serverless emulator error: ${e.message}`);
    });
    return this.startResponse(run);
  }

  getJobRun(applicationId: string, jobRunId: string): Json {
    return { jobRun: this.run(applicationId, jobRunId).toApi() };
  }

  cancelJobRun(applicationId: string, jobRunId: string): Json {
    const run = this.run(applicationId, jobRunId);
    // Assumption: AWS refuses to cancel a finished run; the emulator says so with a ValidationException.
    if (run.terminal) throw validation(`Job run ${jobRunId} is already in a terminal state: ${run.state}`);
    run.requestStop('cancel');
    return { applicationId, jobRunId };
  }

  listJobRuns(applicationId: string, query: URLSearchParams): Json {
    this.application(applicationId);
    const states = query.getAll('states');
    for (const s of states) if (!JOB_RUN_STATES.has(s)) throw validation(`Unknown job run state '${s}'`);
    const after = query.get('createdAtAfter');
    const before = query.get('createdAtBefore');
    const matching = [...this.runs.values()]
      .filter((r) => r.applicationId === applicationId)
      .filter((r) => states.length === 0 || states.includes(r.state as JobRunState))
      .filter((r) => !after || r.createdAt >= new Date(after))
      .filter((r) => !before || r.createdAt <= new Date(before))
      .reverse(); // newest first, as AWS lists them
    const offset = Number(query.get('nextToken') ?? 0) || 0;
    const max = Math.min(Number(query.get('maxResults') ?? 50) || 50, 50);
    const page = matching.slice(offset, offset + max);
    const next = offset + max < matching.length ? String(offset + max) : undefined;
    return { jobRuns: page.map((r) => r.toSummary()), nextToken: next };
  }

  dashboardUrl(applicationId: string, jobRunId: string, baseUrl: string): Json {
    this.run(applicationId, jobRunId);
    return { url: `${baseUrl}/spark-ui/${jobRunId}` };
  }

  private startResponse(run: JobRun): Json {
    return { applicationId: run.applicationId, jobRunId: run.jobRunId, arn: run.arn };
  }

  private application(applicationId: string): Application {
    const app = this.applications.get(applicationId);
    if (!app) throw notFound(`Application ${applicationId} does not exist`);
    return app;
  }

  run(applicationId: string, jobRunId: string): JobRun {
    this.application(applicationId);
    const run = this.runs.get(jobRunId);
    if (!run || run.applicationId !== applicationId)
      throw notFound(`Job run ${jobRunId} does not exist in application ${applicationId}`);
    return run;
  }
}
