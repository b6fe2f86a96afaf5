/**
 * One place builds the AWS SDK v3 clients: region, per-service endpoint overrides from config (local
 * emulators, S3-compatible stores), adaptive retries, and a user agent naming the orchestrator.
 * Credentials come from the SDK's default chain (environment, profile, SSO, instance profile) and are
 * never read or logged here.
 */
import { EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config/schema.js';

export interface AwsClients {
  s3: S3Client;
  glue: GlueClient;
  emrServerless: EMRServerlessClient;
}

const USER_AGENT: [string, string] = ['openpayments-orchestrator', '0.1.0'];

export function awsClients(aws: Config['aws']): AwsClients {
  const common = {
    region: aws.region,
    maxAttempts: aws.maxAttempts,
    retryMode: 'adaptive',
    customUserAgent: `${USER_AGENT[0]}/${USER_AGENT[1]}`,
  };
  const endpoint = (url: string | undefined) => (url ? { endpoint: url } : {});
  return {
    // An endpoint override is an S3-compatible server or an emulator: path-style addressing, since
    // bucket subdomains of 127.0.0.1 do not resolve.
    s3: new S3Client({
      ...common,
      ...endpoint(aws.endpoints.s3),
      forcePathStyle: aws.endpoints.s3 !== undefined,
    }),
    glue: new GlueClient({ ...common, ...endpoint(aws.endpoints.glue) }),
    emrServerless: new EMRServerlessClient({ ...common, ...endpoint(aws.endpoints.emrServerless) }),
  };
}
