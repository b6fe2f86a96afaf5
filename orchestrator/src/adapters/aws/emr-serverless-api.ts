/**
 * The EMR Serverless calls the runner makes, and nothing else (the IAM policy is built from this
 * list), over the SDK client of the one factory. Driver logs are read from S3 through their own
 * narrow interface: the runner never sees a bucket or an S3 client.
 */
import { constants, gunzipSync } from 'node:zlib';
import {
  CancelJobRunCommand,
  type EMRServerlessClient,
  GetDashboardForJobRunCommand,
  GetJobRunCommand,
  type JobRun,
  StartJobRunCommand,
  type StartJobRunCommandInput,
} from '@aws-sdk/client-emr-serverless';
import { GetObjectCommand, NoSuchKey, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';

export type StartJobRunRequest = StartJobRunCommandInput;
export type { JobRun };

export interface EmrServerlessApi {
  startJobRun(request: StartJobRunRequest): Promise<{ jobRunId: string }>;
  getJobRun(applicationId: string, jobRunId: string): Promise<JobRun>;
  cancelJobRun(applicationId: string, jobRunId: string): Promise<void>;
  /** The Spark UI link of a run, or undefined when the service has none for it. */
  dashboardUrl(applicationId: string, jobRunId: string): Promise<string | undefined>;
}

export function emrServerlessApi(client: EMRServerlessClient): EmrServerlessApi {
  return {
    async startJobRun(request) {
      const out = await client.send(new StartJobRunCommand(request));
      if (!out.jobRunId) throw new Error('StartJobRun answered without a jobRunId');
      return { jobRunId: out.jobRunId };
    },
    async getJobRun(applicationId, jobRunId) {
      const out = await client.send(new GetJobRunCommand({ applicationId, jobRunId }));
      if (!out.jobRun) throw new Error(`GetJobRun answered without the job run ${jobRunId}`);
      return out.jobRun;
    },
    async cancelJobRun(applicationId, jobRunId) {
      await client.send(new CancelJobRunCommand({ applicationId, jobRunId }));
    },
    async dashboardUrl(applicationId, jobRunId) {
      const out = await client.send(new GetDashboardForJobRunCommand({ applicationId, jobRunId }));
      return out.url;
    },
  };
}

/** Reads a driver log object: its decompressed text, or undefined while EMR has not written it. */
export interface DriverLogSource {
  read(uri: string): Promise<string | undefined>;
}

export function s3DriverLogs(client: S3Client): DriverLogSource {
  return {
    async read(uri) {
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
      if (!m) throw new Error(`not an s3:// URI: ${uri}`);
      try {
        const got = await client.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
        const bytes = Buffer.from(await got.Body!.transformToByteArray());
        // EMR gzips the driver's stdout/stderr; a .gz that is still being written may be cut short.
        return uri.endsWith('.gz')
          ? gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8')
          : bytes.toString('utf8');
      } catch (e) {
        if (e instanceof NoSuchKey || (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404))
          return undefined;
        throw e;
      }
    },
  };
}
