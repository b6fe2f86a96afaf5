/**
 * The EMR Serverless runner against a scripted service: the request it builds, what it prints while a
 * run moves through its states, logs streamed from the S3 layout, failure tails, cost, cancel. The
 * real protocol (SDK ↔ emulator, real Spark) is covered by tests/aws/submit-aws.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { OrchestratorError } from '../../domain/errors.js';
import { RecordingReporter } from '../../ports/reporter.js';
import type { SparkJobSpec } from '../../ports/spark-runner.js';
import type { DriverLogSource, EmrServerlessApi, JobRun, StartJobRunRequest } from './emr-serverless-api.js';
import {
  clientToken,
  driverLogPrefix,
  EmrServerlessRunner,
  estimateCost,
  exitCodeOf,
} from './emr-serverless-runner.js';

const APP = '00fabc123';
const LOGS = 's3://lake/logs/emr-serverless/';

const SPEC: SparkJobSpec = {
  name: 'transform-general-2023',
  entryPoint: 's3://lake/artifacts/abc/transform.py',
  pyFiles: ['s3://lake/artifacts/abc/openpayments_jobs.zip'],
  args: ['--dataset', 'general', '--year', '2023'],
  conf: {
    'spark.sql.shuffle.partitions': '8',
    'spark.sql.session.timeZone': 'UTC',
    'spark.ui.showConsoleProgress': 'true',
  },
  driverMemory: '2g',
  env: { OP_TRANSFORM_INJECT_FAILURE: 'before-commit' },
  attempt: 1,
  labels: { table: 'general', 'run-id': 'r1' },
};

function settings(overrides: Record<string, unknown> = {}) {
  const aws = ConfigSchema.parse({
    aws: {
      emrServerless: {
        pollInitialSeconds: 0.001,
        pollMaxSeconds: 0.002,
        logGraceSeconds: 0.05,
        cancelTimeoutSeconds: 0.05,
        ...overrides,
      },
    },
  }).aws;
  return {
    ...aws.emrServerless,
    applicationId: APP,
    executionRoleArn: 'arn:aws:iam::123456789012:role/job',
    logUri: LOGS,
  };
}

/** A scripted service: GetJobRun answers the next state of the script (then stays on the last one). */
class ScriptedEmr implements EmrServerlessApi {
  readonly calls: string[] = [];
  started: StartJobRunRequest | undefined;
  private step = 0;
  constructor(
    private readonly states: Partial<JobRun>[],
    private readonly opts: {
      onGet?: (step: number) => void;
      cancelTo?: Partial<JobRun>;
      failStart?: Error;
    } = {},
  ) {}
  async startJobRun(request: StartJobRunRequest) {
    this.calls.push('StartJobRun');
    if (this.opts.failStart) throw this.opts.failStart;
    this.started = request;
    return { jobRunId: 'run-1' };
  }
  async getJobRun(): Promise<JobRun> {
    this.calls.push('GetJobRun');
    this.opts.onGet?.(this.step);
    const state = this.states[Math.min(this.step++, this.states.length - 1)]!;
    return { applicationId: APP, jobRunId: 'run-1', ...state } as JobRun;
  }
  async cancelJobRun() {
    this.calls.push('CancelJobRun');
    if (this.opts.cancelTo) this.states.push(this.opts.cancelTo);
    this.step = this.states.length - 1;
  }
  async dashboardUrl() {
    return 'https://console.example/spark-ui/run-1';
  }
}

/** Driver logs that grow as the test says: full text per stream, as EMR's rewritten .gz objects. */
class GrowingLogs implements DriverLogSource {
  readonly text: Record<string, string | undefined> = {};
  reads = 0;
  async read(uri: string) {
    this.reads++;
    return this.text[uri.slice(uri.lastIndexOf('/') + 1)];
  }
}

const BILLED = { vCPUHour: 0.5, memoryGBHour: 2, storageGBHour: 0 };

describe('EMR Serverless runner: the StartJobRun request', () => {
  const runner = new EmrServerlessRunner({
    api: new ScriptedEmr([]),
    logs: new GrowingLogs(),
    settings: settings(),
  });

  it('carries name, role, timeout, log URI, tags and sizing from config; drops local-only conf', () => {
    const r = runner.request(SPEC);
    expect(r).toMatchObject({
      applicationId: APP,
      executionRoleArn: 'arn:aws:iam::123456789012:role/job',
      name: 'transform-general-2023',
      executionTimeoutMinutes: 180,
      jobDriver: { sparkSubmit: { entryPoint: SPEC.entryPoint, entryPointArguments: SPEC.args } },
      configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: LOGS } } },
      tags: { 'openpayments:table': 'general', 'openpayments:run-id': 'r1', 'openpayments:attempt': '1' },
    });
    const params = r.jobDriver!.sparkSubmit!.sparkSubmitParameters!;
    expect(params).toContain('--py-files s3://lake/artifacts/abc/openpayments_jobs.zip');
    for (const conf of [
      'spark.driver.cores=4',
      'spark.driver.memory=16g',
      'spark.executor.cores=4',
      'spark.executor.memory=16g',
      'spark.dynamicAllocation.maxExecutors=20',
      'spark.sql.shuffle.partitions=200',
      'spark.sql.session.timeZone=UTC',
      'spark.emr-serverless.driverEnv.OP_TRANSFORM_INJECT_FAILURE=before-commit',
      'spark.executorEnv.OP_TRANSFORM_INJECT_FAILURE=before-commit',
    ])
      expect(params).toContain(`--conf ${conf}`);
    expect(params).not.toContain('showConsoleProgress');
    expect(params).not.toContain('shuffle.partitions=8');
  });

  it('has a deterministic 64-character client token that changes with the job, its arguments and the attempt', () => {
    const token = runner.request(SPEC).clientToken!;
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(runner.request({ ...SPEC }).clientToken).toBe(token);
    expect(runner.request({ ...SPEC, attempt: 2 }).clientToken).not.toBe(token);
    expect(runner.request({ ...SPEC, args: [...SPEC.args, '--x'] }).clientToken).not.toBe(token);
    const { clientToken: _, ...rest } = runner.request(SPEC);
    expect(clientToken(rest, 1)).toBe(token);
  });

  it('prints the exact request for --dry-run', () => {
    const printed = runner.describe(SPEC);
    expect(printed.startsWith('EMR Serverless StartJobRun {')).toBe(true);
    expect(JSON.parse(printed.slice('EMR Serverless StartJobRun '.length))).toEqual(runner.request(SPEC));
  });

  it('quotes conf values with spaces so EMR splits the parameters as spark-submit would', () => {
    const r = runner.request({ ...SPEC, conf: { 'spark.app.note': 'two words' } });
    expect(r.jobDriver!.sparkSubmit!.sparkSubmitParameters).toContain("--conf 'spark.app.note=two words'");
  });
});

describe('EMR Serverless runner: following a run', () => {
  it('prints each state change with its details, streams driver logs while running, reports cost and the Spark UI', async () => {
    const logs = new GrowingLogs();
    const prefix = driverLogPrefix(LOGS, APP, 'run-1');
    expect(prefix).toBe(`${LOGS}applications/${APP}/jobs/run-1/SPARK_DRIVER/`);
    const api = new ScriptedEmr(
      [
        { state: 'SUBMITTED' },
        { state: 'PENDING' },
        { state: 'SCHEDULED', stateDetails: 'allocating workers' },
        { state: 'RUNNING' },
        { state: 'RUNNING' },
        { state: 'SUCCESS', totalExecutionDurationSeconds: 95, billedResourceUtilization: BILLED },
      ],
      {
        onGet: (step) => {
          // The driver writes while the run is RUNNING; the last line arrives without its newline first.
          if (step === 3) logs.text['stdout.gz'] = 'rows in: 10\npartial';
          if (step === 4) logs.text['stdout.gz'] = 'rows in: 10\npartial line\nrows out: 9\n';
          if (step === 4) logs.text['stderr.gz'] = '26/11/26 10:00:00 WARN Foo: careful\n';
        },
      },
    );
    const reporter = new RecordingReporter();
    const runner = new EmrServerlessRunner({ api, logs, settings: settings() });
    const result = await runner.run(SPEC, { reporter });

    expect(result.exitCode).toBe(0);
    const states = reporter.events.filter((e) => e.code === 'emr.state').map((e) => e.message);
    expect(states.map((m) => m.split(' ').slice(4).join(' '))).toEqual([
      'SUBMITTED',
      'PENDING',
      'SCHEDULED — allocating workers',
      'RUNNING',
      'SUCCESS',
    ]);
    const codes = reporter.codes();
    const output = reporter.events.filter((e) => e.code === 'spark.output').map((e) => e.message);
    expect(output).toEqual(['rows in: 10', 'partial line', 'rows out: 9']);
    // Streamed: the first log line came before the run ended.
    expect(codes.indexOf('spark.output')).toBeLessThan(
      reporter.events.findIndex((e) => e.code === 'emr.state' && e.message.endsWith('SUCCESS')),
    );
    expect(reporter.events.find((e) => e.code === 'spark.log')).toMatchObject({
      level: 'warn',
      message: 'Foo: careful',
    });
    expect(result.remote).toMatchObject({
      jobRunId: 'run-1',
      state: 'SUCCESS',
      billed: BILLED,
      estimatedCostUsd: estimateCost(BILLED, settings().prices),
      dashboardUrl: 'https://console.example/spark-ui/run-1',
      driverLogs: prefix,
    });
    const finished = reporter.events.find((e) => e.code === 'emr.finished')!.message;
    expect(finished).toContain('in 1m35s');
    expect(finished).toContain('billed 0.5000 vCPU-h, 2.0000 GB-h');
    expect(finished).toContain('Spark UI: https://console.example/spark-ui/run-1');
  });

  it('prices billed usage with the configured unit prices', () => {
    expect(estimateCost(BILLED, { vcpuHour: 0.1, memoryGbHour: 0.01, storageGbHour: 1 })).toBe(0.07);
  });

  it('a failed run ends with its stateDetails and the last lines of driver stdout and stderr', async () => {
    const logs = new GrowingLogs();
    logs.text['stdout.gz'] =
      'Traceback (most recent call last):\n  File "transform.py", line 9\nValueError: boom\n';
    logs.text['stderr.gz'] = '26/11/26 10:00:00 ERROR Executor: task failed\n';
    const details =
      'Job failed, please check complete logs in configured logging destination. ExitCode: 3. Last few exceptions: ValueError: boom';
    const api = new ScriptedEmr([{ state: 'RUNNING' }, { state: 'FAILED', stateDetails: details }]);
    const reporter = new RecordingReporter();
    const result = await new EmrServerlessRunner({ api, logs, settings: settings() }).run(SPEC, { reporter });
    expect(result.exitCode).toBe(3);
    expect(result.tail[0]).toBe(`EMR Serverless: FAILED — ${details}`);
    expect(result.tail).toContain('--- driver stdout (last 3 lines) ---');
    expect(result.tail).toContain('ValueError: boom');
    expect(result.tail).toContain('--- driver stderr (last 1 lines) ---');
    expect(reporter.events.find((e) => e.message.endsWith(details))?.level).toBe('error');
  });

  it('keeps looking for driver logs for a while after the end, and says so when none appear', async () => {
    const logs = new GrowingLogs();
    const api = new ScriptedEmr([{ state: 'RUNNING' }, { state: 'SUCCESS' }]);
    const reporter = new RecordingReporter();
    await new EmrServerlessRunner({ api, logs, settings: settings({ logGraceSeconds: 0.2 }) }).run(SPEC, {
      reporter,
    });
    expect(logs.reads).toBeGreaterThan(6); // polled after the end, both streams, several times
    expect(reporter.codes()).toContain('emr.logs.missing');
  });

  it('an abort cancels the run remotely, waits for CANCELLED and ends with JOB_CANCELLED', async () => {
    const controller = new AbortController();
    const api = new ScriptedEmr([{ state: 'RUNNING' }], {
      onGet: (step) => step === 2 && controller.abort(),
      cancelTo: { state: 'CANCELLED', stateDetails: 'cancelled by user' },
    });
    const reporter = new RecordingReporter();
    const err = await new EmrServerlessRunner({ api, logs: new GrowingLogs(), settings: settings() })
      .run(SPEC, { reporter, signal: controller.signal })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OrchestratorError);
    expect(err.code).toBe('JOB_CANCELLED');
    expect(err.exitCode).toBe(11);
    expect(api.calls).toContain('CancelJobRun');
    expect(reporter.codes()).toContain('emr.cancelling');
  });

  it('a cancel the service does not confirm in time is INTERRUPTED and names the run', async () => {
    const controller = new AbortController();
    const api = new ScriptedEmr([{ state: 'RUNNING' }], {
      onGet: (step) => step === 1 && controller.abort(),
      cancelTo: { state: 'CANCELLING' },
    });
    const err = await new EmrServerlessRunner({ api, logs: new GrowingLogs(), settings: settings() })
      .run(SPEC, { reporter: new RecordingReporter(), signal: controller.signal })
      .catch((e) => e);
    expect(err.code).toBe('INTERRUPTED');
    expect(err.message).toContain('run-1');
    expect(err.message).toContain('CANCELLING');
  });

  it('a refused StartJobRun is a coded error with what to check', async () => {
    const denied = Object.assign(new Error('not authorized to perform emr-serverless:StartJobRun'), {
      name: 'AccessDeniedException',
    });
    const api = new ScriptedEmr([], { failStart: denied });
    const err = await new EmrServerlessRunner({ api, logs: new GrowingLogs(), settings: settings() })
      .run(SPEC, { reporter: new RecordingReporter() })
      .catch((e) => e);
    expect(err.code).toBe('EMR_SERVERLESS_FAILED');
    expect(err.exitCode).toBe(8);
    expect(err.message).toContain('AccessDeniedException');
    expect(err.suggestion).toContain('iam:PassRole');
  });

  it('reads the exit code from stateDetails', () => {
    expect(exitCodeOf('Job failed … ExitCode: 2. Last few exceptions')).toBe(2);
    expect(exitCodeOf('Job run timed out after 3 minutes')).toBe(1);
    expect(exitCodeOf(undefined)).toBe(1);
  });
});
