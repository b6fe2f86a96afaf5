import { describe, expect, it } from 'vitest';
import { type AwsDoctorInput, type AwsProbe, awsChecks } from './doctor-aws.js';

const INPUT: AwsDoctorInput = {
  region: 'eu-west-1',
  bucket: 'lake',
  prefix: 'dev/',
  applicationId: '00abc',
  executionRoleArn: 'arn:aws:iam::123456789012:role/job',
  glueDatabase: 'open_payments',
  expectedReleaseLabel: 'emr-7.10.0',
};

function probe(overrides: Partial<AwsProbe> = {}): AwsProbe {
  return {
    headBucket: async () => undefined,
    application: async () => ({ state: 'CREATED', releaseLabel: 'emr-7.10.0', type: 'Spark' }),
    databaseExists: async () => true,
    ...overrides,
  };
}

const byName = (checks: Awaited<ReturnType<typeof awsChecks>>) =>
  Object.fromEntries(checks.map((c) => [c.name, c]));

describe('doctor on the aws target', () => {
  it('passes when the bucket, a Spark application on the pinned release and the database answer', async () => {
    const checks = byName(await awsChecks(probe(), INPUT));
    expect(Object.values(checks).map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(checks['EMR app']?.detail).toBe('00abc: Spark, emr-7.10.0, CREATED');
  });

  it('names the settings that are missing', async () => {
    const checks = byName(
      await awsChecks(probe(), { ...INPUT, bucket: undefined, executionRoleArn: undefined }),
    );
    expect(checks['aws config']).toMatchObject({
      status: 'fail',
      detail: 'not set: aws.bucket, aws.emrServerless.executionRoleArn',
    });
    expect(checks['S3 bucket']).toBeUndefined();
  });

  it('fails on an unreachable bucket and on an application of another release, with the fix', async () => {
    const denied = Object.assign(new Error('Forbidden'), { name: 'AccessDenied' });
    const checks = byName(
      await awsChecks(
        probe({
          headBucket: async () => {
            throw denied;
          },
          application: async () => ({ state: 'STARTED', releaseLabel: 'emr-6.15.0', type: 'Spark' }),
        }),
        INPUT,
      ),
    );
    expect(checks['S3 bucket']).toMatchObject({
      status: 'fail',
      detail: 's3://lake/dev/: AccessDenied: Forbidden',
    });
    expect(checks['S3 bucket']?.fix).toContain('s3:ListBucket');
    expect(checks['EMR app']?.status).toBe('fail');
    expect(checks['EMR app']?.detail).toContain(
      'release emr-6.15.0, but the job code is pinned to emr-7.10.0',
    );
  });

  it('only warns about a database the first submit will create', async () => {
    const checks = byName(await awsChecks(probe({ databaseExists: async () => false }), INPUT));
    expect(checks['Glue database']).toMatchObject({ status: 'warn', required: false });
  });
});
