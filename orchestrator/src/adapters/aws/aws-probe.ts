/** The doctor's probes of the aws target over the SDK clients of the one factory. */
import { GetApplicationCommand } from '@aws-sdk/client-emr-serverless';
import { EntityNotFoundException, GetDatabaseCommand } from '@aws-sdk/client-glue';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { AwsProbe } from '../../app/doctor-aws.js';
import type { AwsClients } from './clients.js';

export function awsProbe(clients: AwsClients): AwsProbe {
  return {
    async headBucket(bucket) {
      await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    },
    async application(applicationId) {
      const out = await clients.emrServerless.send(new GetApplicationCommand({ applicationId }));
      const app = out.application;
      return { state: app?.state ?? 'UNKNOWN', releaseLabel: app?.releaseLabel ?? '', type: app?.type ?? '' };
    },
    async databaseExists(name) {
      try {
        await clients.glue.send(new GetDatabaseCommand({ Name: name }));
        return true;
      } catch (e) {
        if (e instanceof EntityNotFoundException) return false;
        throw e;
      }
    },
  };
}
