/**
 * `orchestrator doctor` on the aws target: the settings the target needs, and one cheap call per
 * service proving the configured resources are there and reachable with the credentials in use
 * (HeadBucket, GetApplication, GetDatabase). Nothing is created or changed.
 */
import type { CheckResult } from './doctor.js';

/** The three probes, each answering what it found or throwing the service's error. */
export interface AwsProbe {
  headBucket(bucket: string): Promise<void>;
  application(applicationId: string): Promise<{ state: string; releaseLabel: string; type: string }>;
  /** False when the database does not exist (submit creates it). */
  databaseExists(name: string): Promise<boolean>;
}

export interface AwsDoctorInput {
  region: string;
  bucket?: string | undefined;
  prefix: string;
  applicationId?: string | undefined;
  executionRoleArn?: string | undefined;
  glueDatabase: string;
  /** The release whose Spark equals the pinned pyspark (versions.json). */
  expectedReleaseLabel: string;
}

const why = (e: unknown) => `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? e}`;

export async function awsChecks(probe: AwsProbe, input: AwsDoctorInput): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  const missing = ['bucket', 'emrServerless.applicationId', 'emrServerless.executionRoleArn'].filter(
    (k) =>
      (k === 'bucket'
        ? input.bucket
        : k.endsWith('applicationId')
          ? input.applicationId
          : input.executionRoleArn) === undefined,
  );
  checks.push(
    missing.length
      ? {
          name: 'aws config',
          status: 'fail',
          required: true,
          detail: `not set: ${missing.map((k) => `aws.${k}`).join(', ')}`,
          fix: 'Set them in orchestrator.config.yaml or ORCHESTRATOR_AWS__… variables (docs/aws.md); the Terraform outputs give each value.',
        }
      : { name: 'aws config', status: 'ok', required: true, detail: `region ${input.region}` },
  );

  if (input.bucket !== undefined) {
    const where = `s3://${input.bucket}/${input.prefix}`;
    try {
      await probe.headBucket(input.bucket);
      checks.push({ name: 'S3 bucket', status: 'ok', required: true, detail: `${where} is reachable` });
    } catch (e) {
      checks.push({
        name: 'S3 bucket',
        status: 'fail',
        required: true,
        detail: `${where}: ${why(e)}`,
        fix: 'Check aws.bucket and aws.region, and that the role in use has s3:ListBucket on the bucket.',
      });
    }
  }

  if (input.applicationId !== undefined) {
    try {
      const app = await probe.application(input.applicationId);
      const problems = [
        ...(app.type.toUpperCase() !== 'SPARK' ? [`type ${app.type}, not Spark`] : []),
        ...(app.releaseLabel !== input.expectedReleaseLabel
          ? [`release ${app.releaseLabel}, but the job code is pinned to ${input.expectedReleaseLabel}`]
          : []),
        ...(['TERMINATED', 'STOPPING'].includes(app.state) ? [`state ${app.state}`] : []),
      ];
      checks.push(
        problems.length
          ? {
              name: 'EMR app',
              status: 'fail',
              required: true,
              detail: `${input.applicationId}: ${problems.join('; ')}`,
              fix: `Use a Spark application on ${input.expectedReleaseLabel} (versions.json), e.g. from the Terraform emr_serverless module.`,
            }
          : {
              name: 'EMR app',
              status: 'ok',
              required: true,
              detail: `${input.applicationId}: Spark, ${app.releaseLabel}, ${app.state}`,
            },
      );
    } catch (e) {
      checks.push({
        name: 'EMR app',
        status: 'fail',
        required: true,
        detail: `${input.applicationId}: ${why(e)}`,
        fix: 'Check aws.emrServerless.applicationId and aws.region, and emr-serverless:GetApplication for the role in use.',
      });
    }
  }

  try {
    const exists = await probe.databaseExists(input.glueDatabase);
    checks.push({
      name: 'Glue database',
      status: exists ? 'ok' : 'warn',
      required: false,
      detail: exists ? input.glueDatabase : `${input.glueDatabase} does not exist yet`,
      fix: 'The first submit creates it (with glue:CreateDatabase), or create it with the Terraform glue_catalog module.',
    });
  } catch (e) {
    checks.push({
      name: 'Glue database',
      status: 'fail',
      required: true,
      detail: `${input.glueDatabase}: ${why(e)}`,
      fix: 'Check aws.region and glue:GetDatabase for the role in use.',
    });
  }
  return checks;
}
