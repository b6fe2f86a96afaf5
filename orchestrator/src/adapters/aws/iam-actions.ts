/**
 * The AWS API actions this code calls, by caller: the least-privilege policies (Terraform, issue
 * "infrastructure") are checked against this list, and a test checks the list against the SDK
 * commands the adapters actually send — add a command, and the test makes you add its action here.
 */

/** SDK command class → the IAM action(s) it needs. */
export const COMMAND_ACTIONS: Record<string, string[]> = {
  // S3 (lib-storage's Upload sends PutObject, or CreateMultipartUpload/UploadPart/CompleteMultipartUpload)
  PutObjectCommand: ['s3:PutObject'],
  CreateMultipartUploadCommand: ['s3:PutObject'],
  UploadPartCommand: ['s3:PutObject'],
  CompleteMultipartUploadCommand: ['s3:PutObject'],
  AbortMultipartUploadCommand: ['s3:AbortMultipartUpload'],
  GetObjectCommand: ['s3:GetObject'],
  HeadObjectCommand: ['s3:GetObject'],
  CopyObjectCommand: ['s3:GetObject', 's3:PutObject'],
  DeleteObjectCommand: ['s3:DeleteObject'],
  ListObjectsV2Command: ['s3:ListBucket'],
  HeadBucketCommand: ['s3:ListBucket'],
  // Glue
  GetDatabaseCommand: ['glue:GetDatabase'],
  CreateDatabaseCommand: ['glue:CreateDatabase'],
  GetTableCommand: ['glue:GetTable'],
  CreateTableCommand: ['glue:CreateTable'],
  UpdateTableCommand: ['glue:UpdateTable'],
  BatchCreatePartitionCommand: ['glue:BatchCreatePartition'],
  BatchUpdatePartitionCommand: ['glue:BatchUpdatePartition'],
  GetPartitionsCommand: ['glue:GetPartitions'],
  GetTablesCommand: ['glue:GetTables'],
  // EMR Serverless (StartJobRun also passes the job role and tags the run it creates)
  StartJobRunCommand: ['emr-serverless:StartJobRun', 'emr-serverless:TagResource', 'iam:PassRole'],
  GetJobRunCommand: ['emr-serverless:GetJobRun'],
  CancelJobRunCommand: ['emr-serverless:CancelJobRun'],
  GetDashboardForJobRunCommand: ['emr-serverless:GetDashboardForJobRun'],
  GetApplicationCommand: ['emr-serverless:GetApplication'],
};

/** Commands sent on our behalf by SDK helpers rather than named in our code. */
export const IMPLICIT_COMMANDS: Record<string, string[]> = {
  Upload: [
    'PutObjectCommand',
    'CreateMultipartUploadCommand',
    'UploadPartCommand',
    'CompleteMultipartUploadCommand',
    'AbortMultipartUploadCommand',
  ],
  paginateListObjectsV2: ['ListObjectsV2Command'],
};

/** What the orchestrator's role needs, sorted (the Terraform test compares policies with this). */
export function orchestratorActions(): string[] {
  return [...new Set(Object.values(COMMAND_ACTIONS).flat())].sort();
}

/**
 * What the Spark jobs do as the EMR job execution role (s3a/EMRFS under the hood): read staging,
 * artifacts and curated (the removed records, the SQL jobs' inputs), write staging and metadata, and
 * delete what a dynamic partition overwrite replaces; EMR writes the driver logs with the same role.
 */
export const JOB_ROLE_ACTIONS: readonly string[] = [
  's3:AbortMultipartUpload',
  's3:DeleteObject',
  's3:GetObject',
  's3:ListBucket',
  's3:PutObject',
];
