/**
 * The EMR Serverless emulator through the real AWS SDK clients: one real PySpark job (CSV on S3 in,
 * Parquet on S3 out, logs in EMR's layout), idempotent StartJobRun, cancel, injected failures,
 * throttling with SDK retries, the execution timeout and the API's error shapes. Only test (a) starts
 * Spark; the others use the `fail`/`hang` behaviours, which skip it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import {
  CancelJobRunCommand,
  EMRServerlessClient,
  GetApplicationCommand,
  GetDashboardForJobRunCommand,
  GetJobRunCommand,
  type JobRun,
  ListJobRunsCommand,
  StartJobRunCommand,
  type StartJobRunCommandInput,
} from '@aws-sdk/client-emr-serverless';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import { type LocalAws, startLocalAws } from '../aws-local/endpoints.js';
import { waitFor } from '../helpers.js';
import { type EmrServerlessEmulator, liveProcessesInGroup, startEmrServerlessEmulator } from './emulator.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const BUCKET = 'op-emr-emulator-test';
const ROLE = 'arn:aws:iam::123456789012:role/op-emr-serverless-job';
/** One "minute" of executionTimeoutMinutes lasts this long here. */
const MINUTE_MS = 400;

let aws: LocalAws;
let emr: EmrServerlessEmulator;
let client: EMRServerlessClient;
let s3: S3Client;

beforeAll(async () => {
  aws = await startLocalAws();
  emr = await startEmrServerlessEmulator({
    aws,
    logUploadIntervalMs: 1000,
    minuteMs: MINUTE_MS,
    killGraceMs: 3000,
  });
  const common = { region: aws.region, credentials: aws.credentials };
  client = new EMRServerlessClient({ ...common, endpoint: emr.endpoint });
  s3 = new S3Client({ ...common, endpoint: aws.s3Endpoint, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const upload = (key: string, body: Buffer) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  await upload('jobs/csv_to_parquet.py', readFileSync(join(FIXTURES, 'csv_to_parquet.py')));
  await upload(
    'jobs/payments_lib.zip',
    await zipOf({ 'payments_lib/__init__.py': 'payments_lib/__init__.py' }),
  );
  await upload('input/payments.csv', readFileSync(join(FIXTURES, 'payments.csv')));
}, 600_000);

afterAll(async () => {
  client?.destroy();
  s3?.destroy();
  await emr?.stop();
  await aws?.stop();
});

/** A zip of fixture files (fixture path by name inside the zip), like a job's --py-files package. */
function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, fixture] of Object.entries(entries)) zip.addFile(join(FIXTURES, fixture), name);
  zip.end();
  return buffer(zip.outputStream);
}

const s3Uri = (key: string) => `s3://${BUCKET}/${key}`;
const driverLogKey = (jobRunId: string, stream: 'stdout' | 'stderr') =>
  `logs/applications/${emr.applicationId}/jobs/${jobRunId}/SPARK_DRIVER/${stream}.gz`;

async function readGzip(key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return gunzipSync(await got.Body!.transformToByteArray()).toString('utf8');
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

/** Polls GetJobRun until `done(jobRun)`; `onPoll` sees every answer on the way. */
async function pollJobRun(
  jobRunId: string,
  done: (run: JobRun) => boolean,
  { timeoutMs = 150_000, onPoll }: { timeoutMs?: number; onPoll?: (run: JobRun) => Promise<void> } = {},
): Promise<JobRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { jobRun } = await client.send(
      new GetJobRunCommand({ applicationId: emr.applicationId, jobRunId }),
    );
    await onPoll?.(jobRun!);
    if (done(jobRun!)) return jobRun!;
    if (Date.now() > deadline)
      throw new Error(`job run ${jobRunId} still ${jobRun!.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const terminal = (run: JobRun) => ['SUCCESS', 'FAILED', 'CANCELLED'].includes(run.state!);

function jobRequest(
  clientToken: string,
  overrides: Partial<StartJobRunCommandInput> = {},
): StartJobRunCommandInput {
  return {
    applicationId: emr.applicationId,
    clientToken,
    executionRoleArn: ROLE,
    name: 'csv-to-parquet',
    jobDriver: {
      sparkSubmit: {
        entryPoint: s3Uri('jobs/csv_to_parquet.py'),
        entryPointArguments: [s3Uri('input/payments.csv'), s3Uri(`output/${clientToken}/`)],
        sparkSubmitParameters: [
          `--py-files ${s3Uri('jobs/payments_lib.zip')}`,
          '--conf spark.executor.cores=2 --conf spark.executor.memory=4g --conf spark.sql.shuffle.partitions=2',
        ].join(' '),
      },
    },
    configurationOverrides: {
      applicationConfiguration: [
        { classification: 'spark-defaults', properties: { 'spark.sql.session.timeZone': 'UTC' } },
      ],
      monitoringConfiguration: { s3MonitoringConfiguration: { logUri: s3Uri('logs/') } },
    },
    ...overrides,
  };
}

describe('EMR Serverless emulator', () => {
  const sparkRequest = () => jobRequest('csv-to-parquet-a');

  it('(a) runs a PySpark job from S3 to SUCCESS: Parquet lands in S3, stdout.gz has its print', async () => {
    const started = await client.send(new StartJobRunCommand(sparkRequest()));
    const jobRunId = started.jobRunId!;
    expect(started.arn).toBe(
      `arn:aws:emr-serverless:${aws.region}:123456789012:/applications/${emr.applicationId}/jobruns/${jobRunId}`,
    );

    let stderrSeenWhileRunning = false;
    const final = await pollJobRun(jobRunId, terminal, {
      onPoll: async (run) => {
        if (run.state === 'RUNNING' && !stderrSeenWhileRunning)
          stderrSeenWhileRunning = await exists(driverLogKey(jobRunId, 'stderr'));
      },
    });
    const stdout = await readGzip(driverLogKey(jobRunId, 'stdout'));
    const stderr = await readGzip(driverLogKey(jobRunId, 'stderr'));
    expect(final.state, `${final.stateDetails}\n${stderr.slice(-3000)}`).toBe('SUCCESS');
    expect(stdout).toContain(
      `csv_to_parquet: rows=5 total_usd=2028.50 target=${s3Uri('output/csv-to-parquet-a/')}`,
    );
    expect(stderrSeenWhileRunning, 'the driver log is published while the job runs').toBe(true);
    expect(stderr).not.toContain('ErrDirectoryNotEmpty');

    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'output/csv-to-parquet-a/' }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    expect(keys).toContain('output/csv-to-parquet-a/_SUCCESS');
    const parquet = keys.filter((k) => k.endsWith('.parquet'));
    expect(parquet).toHaveLength(1);
    const head = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: parquet[0]!, Range: 'bytes=0-3' }),
    );
    expect(await head.Body!.transformToString()).toBe('PAR1');

    expect(emr.runs.get(jobRunId)!.history.map((h) => h.state)).toEqual([
      'SUBMITTED',
      'PENDING',
      'SCHEDULED',
      'RUNNING',
      'SUCCESS',
    ]);
    expect(final.createdAt).toBeInstanceOf(Date);
    expect(final.updatedAt!.getTime()).toBeGreaterThan(final.createdAt!.getTime());
    expect(final.totalExecutionDurationSeconds).toBeGreaterThanOrEqual(1);
    expect(final.totalResourceUtilization!.vCPUHour).toBeGreaterThan(0);
    expect(final.billedResourceUtilization!.memoryGBHour).toBeGreaterThanOrEqual(
      final.totalResourceUtilization!.memoryGBHour!,
    );

    const launch = emr.launches.find((l) => l.jobRunId === jobRunId)!;
    expect(launch.kind).toBe('spark-submit');
    // Sizing is EMR's business, not the local JVM's; the job's other settings pass through.
    expect(launch.argv).not.toContain('spark.executor.memory=4g');
    expect(launch.argv).toContain('spark.sql.shuffle.partitions=2');
    expect(launch.argv, 'spark-defaults of applicationConfiguration').toContain(
      'spark.sql.session.timeZone=UTC',
    );
    const pyFiles = launch.argv[launch.argv.indexOf('--py-files') + 1];
    expect(pyFiles, 'staged to a local file').toMatch(/^\/.*\/payments_lib\.zip$/);
    expect(launch.argv).toContain('spark.hadoop.fs.s3.impl=org.apache.hadoop.fs.s3a.S3AFileSystem');

    const dashboard = await client.send(
      new GetDashboardForJobRunCommand({ applicationId: emr.applicationId, jobRunId }),
    );
    expect(dashboard.url).toBe(`${emr.endpoint}/spark-ui/${jobRunId}`);
    const page = await fetch(dashboard.url!);
    expect(await page.text()).toContain(`Job run ${jobRunId}: SUCCESS`);
  }, 240_000);

  it('(b) answers a repeated clientToken with the same run and no second spark-submit; a changed request is a conflict', async () => {
    const first = emr.launches.filter((l) => l.kind === 'spark-submit').length;
    const again = await client.send(new StartJobRunCommand(sparkRequest()));
    const original = [...emr.runs.values()].find((r) => r.request.clientToken === 'csv-to-parquet-a')!;
    expect(again.jobRunId).toBe(original.jobRunId);
    expect(emr.launches.filter((l) => l.kind === 'spark-submit')).toHaveLength(first);
    expect(first).toBe(1);

    const changed = jobRequest('csv-to-parquet-a', { name: 'another-name' });
    await expect(client.send(new StartJobRunCommand(changed))).rejects.toMatchObject({
      name: 'ConflictException',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it('(c) cancels a hanging run: CANCELLING, then CANCELLED, and its process group is gone', async () => {
    emr.setBehaviour({ hang: true });
    const { jobRunId } = await client.send(new StartJobRunCommand(jobRequest('hang-c')));
    emr.setBehaviour({});
    await pollJobRun(jobRunId!, (r) => r.state === 'RUNNING', { timeoutMs: 10_000 });
    const pid = emr.runs.get(jobRunId!)!.driver!.pid;
    expect(liveProcessesInGroup(pid)).toContain(pid);
    // RUNNING means the stand-in was started, not that it has printed yet (a loaded machine): wait for
    // its first line, so the log checked below has something to hold.
    await waitFor(
      "the stand-in's first line",
      () => emr.runs.get(jobRunId!)!.output.text('stdout').includes('hanging driver stand-in'),
      10_000,
    );

    const cancelled = await client.send(
      new CancelJobRunCommand({ applicationId: emr.applicationId, jobRunId }),
    );
    expect(cancelled).toMatchObject({ applicationId: emr.applicationId, jobRunId });
    const final = await pollJobRun(jobRunId!, terminal, { timeoutMs: 10_000 });
    expect(final.state).toBe('CANCELLED');
    expect(emr.runs.get(jobRunId!)!.history.map((h) => h.state)).toContain('CANCELLING');
    expect(liveProcessesInGroup(pid)).toEqual([]);
    expect(await readGzip(driverLogKey(jobRunId!, 'stdout'))).toContain('hanging driver stand-in');

    // A finished run cannot be cancelled again.
    await expect(
      client.send(new CancelJobRunCommand({ applicationId: emr.applicationId, jobRunId })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('(d) fails a run on request: FAILED with stateDetails, the message in stderr.gz, Spark never started', async () => {
    const launchesBefore = emr.launches.length;
    const message = 'RuntimeError: injected failure for the emulator test';
    emr.setBehaviour({ fail: message });
    const { jobRunId } = await client.send(new StartJobRunCommand(jobRequest('fail-d')));
    emr.setBehaviour({});
    const final = await pollJobRun(jobRunId!, terminal, { timeoutMs: 10_000 });
    expect(final.state).toBe('FAILED');
    expect(final.stateDetails).toMatch(
      /^Job failed, please check complete logs in configured logging destination\. ExitCode: 1\./,
    );
    expect(final.stateDetails).toContain(message);
    expect(await readGzip(driverLogKey(jobRunId!, 'stderr'))).toContain(message);
    expect(emr.launches.length).toBe(launchesBefore);
  });

  it('(e) throttles the next calls with 429 ThrottlingException, which the SDK retries', async () => {
    emr.setBehaviour({ throttle: 2 });
    const got = await client.send(new GetApplicationCommand({ applicationId: emr.applicationId }));
    expect(got.application).toMatchObject({
      applicationId: emr.applicationId,
      type: 'Spark',
      state: 'STARTED',
    });
    expect(got.$metadata.attempts).toBe(3);

    // Without retries the error itself surfaces, in the shape the SDK recognises.
    const noRetry = new EMRServerlessClient({
      region: aws.region,
      credentials: aws.credentials,
      endpoint: emr.endpoint,
      maxAttempts: 1,
    });
    emr.setBehaviour({ throttle: 1 });
    await expect(
      noRetry.send(new GetApplicationCommand({ applicationId: emr.applicationId })),
    ).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
    noRetry.destroy();
    emr.setBehaviour({});
  });

  it('(f) enforces executionTimeoutMinutes: the run is stopped and FAILED with a timeout stateDetails', async () => {
    emr.setBehaviour({ hang: true });
    const { jobRunId } = await client.send(
      new StartJobRunCommand(jobRequest('timeout-f', { executionTimeoutMinutes: 1 })),
    );
    emr.setBehaviour({});
    const final = await pollJobRun(jobRunId!, terminal, { timeoutMs: 15_000 });
    expect(final.state).toBe('FAILED');
    expect(final.stateDetails).toMatch(/timed out after 1 minutes/);
    expect(liveProcessesInGroup(emr.runs.get(jobRunId!)!.driver!.pid)).toEqual([]);
  });

  it('(g) answers bad requests with the API errors; finds the endpoint from env; lists runs newest first', async () => {
    const { executionRoleArn: _role, ...withoutRole } = jobRequest('bad-g');
    await expect(
      client.send(new StartJobRunCommand(withoutRole as StartJobRunCommandInput)),
    ).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    await expect(
      client.send(new StartJobRunCommand(jobRequest('bad-g', { executionRoleArn: 'not-a-role' }))),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      client.send(new StartJobRunCommand(jobRequest('bad-g', { applicationId: '00nosuchapp00000' }))),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(
      client.send(new GetJobRunCommand({ applicationId: emr.applicationId, jobRunId: '00nosuchrun00000' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

    // The SDK's service-specific endpoint variable, as a CLI child process would get it from emr.env.
    const fromEnv = new EMRServerlessClient({ region: aws.region, credentials: aws.credentials });
    const saved = process.env['AWS_ENDPOINT_URL_EMR_SERVERLESS'];
    process.env['AWS_ENDPOINT_URL_EMR_SERVERLESS'] = emr.env['AWS_ENDPOINT_URL_EMR_SERVERLESS'];
    try {
      const app = await fromEnv.send(new GetApplicationCommand({ applicationId: emr.applicationId }));
      expect(app.application?.applicationId).toBe(emr.applicationId);
    } finally {
      if (saved === undefined) delete process.env['AWS_ENDPOINT_URL_EMR_SERVERLESS'];
      else process.env['AWS_ENDPOINT_URL_EMR_SERVERLESS'] = saved;
      fromEnv.destroy();
    }

    const listed = await client.send(
      new ListJobRunsCommand({ applicationId: emr.applicationId, states: ['SUCCESS', 'CANCELLED'] }),
    );
    expect(listed.jobRuns!.map((r) => r.state)).toEqual(['CANCELLED', 'SUCCESS']);
  });
});
