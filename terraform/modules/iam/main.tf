# Two roles, each granted exactly the AWS calls its code makes: the lists live next to the AWS
# adapters (orchestrator/src/adapters/aws/iam-actions.ts: orchestratorActions(), JOB_ROLE_ACTIONS)
# and tests/terraform/least-privilege.test.ts compares every `actions` list below with them.
#
# Convention (checked by that test): a statement that grants actions the code never calls has a
# `sid` starting with "Justified", and a comment line `# <sid>: <reason>` in this file says why.
# Every policy is an aws_iam_policy_document (one per concern) attached inline with
# aws_iam_role_policy; no managed policies, whose actions the test could not see.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id

  # Object ARNs per zone (the lake layout of docs/architecture.md; staging/rejected/ is under staging/).
  zone = { for z in ["raw", "staging", "curated", "metadata", "artifacts", "logs"] :
    z => "${var.lake_bucket_arn}/${var.lake_prefix}${z}/*"
  }

  glue_arn_base = "arn:${local.partition}:glue:${data.aws_region.current.name}:${local.account}"
  glue_catalog  = "${local.glue_arn_base}:catalog"
  glue_database = "${local.glue_arn_base}:database/${var.glue_database_name}"
  glue_tables   = "${local.glue_arn_base}:table/${var.glue_database_name}/*"
}

data "aws_region" "current" {}

################################################################################
# EMR Serverless job execution role: what the Spark jobs do through EMRFS
################################################################################

data "aws_iam_policy_document" "job_assume" {
  statement {
    sid     = "EmrServerlessAssumesForThisApplication"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["emr-serverless.amazonaws.com"]
    }

    # Confused-deputy guard: only job runs of our application in our account get the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [var.emr_application_arn]
    }
  }
}

resource "aws_iam_role" "job" {
  name                 = "${var.name_prefix}-emr-job"
  description          = "EMR Serverless job execution role of the Open Payments Spark jobs"
  assume_role_policy   = data.aws_iam_policy_document.job_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

# No Glue here: the jobs read and write Parquet/CSV by path; partitions are registered in Glue by the
# orchestrator after it reconciles the row counts (JOB_ROLE_ACTIONS has no Glue action).
data "aws_iam_policy_document" "job_s3" {
  statement {
    sid       = "ListLakeBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.lake_bucket_arn]
  }

  # Inputs: staging chunks, the job code bundle, curated partitions (removed records, SQL jobs) and
  # the run's inputs under metadata/runs/.
  statement {
    sid     = "ReadJobInputs"
    actions = ["s3:GetObject"]
    resources = [
      local.zone.staging,
      local.zone.artifacts,
      local.zone.curated,
      local.zone.metadata,
    ]
  }

  # Outputs: staged curated output and rejected rows (staging/), metrics (metadata/), driver logs
  # (logs/, uploaded by EMR as this role). Spark's commit protocol deletes its temporary files.
  statement {
    sid     = "WriteJobOutputs"
    actions = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [
      local.zone.staging,
      local.zone.metadata,
      local.zone.logs,
    ]
  }

  statement {
    sid     = "DeleteJobTemporaryOutputs"
    actions = ["s3:DeleteObject"]
    resources = [
      local.zone.staging,
      local.zone.metadata,
    ]
  }
}

# JustifiedLakeKmsKey: the lake is SSE-KMS, so every S3 read needs kms:Decrypt and every write
# kms:GenerateDataKey on the lake key; S3 calls them on the role's behalf (the code never does).
data "aws_iam_policy_document" "job_kms" {
  statement {
    sid       = "JustifiedLakeKmsKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.lake_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "job_s3" {
  name   = "lake-s3"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job_s3.json
}

resource "aws_iam_role_policy" "job_kms" {
  name   = "lake-kms"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job_kms.json
}

################################################################################
# Orchestrator role: the CLI and Airflow's worker (instance profile of the host)
################################################################################

data "aws_iam_policy_document" "orchestrator_assume" {
  statement {
    sid     = "TrustedServicesAssume"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = var.orchestrator_trusted_services
    }
  }

  dynamic "statement" {
    for_each = length(var.orchestrator_trusted_role_arns) > 0 ? [1] : []
    content {
      sid     = "TrustedRolesAssume"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "AWS"
        identifiers = var.orchestrator_trusted_role_arns
      }
    }
  }
}

resource "aws_iam_role" "orchestrator" {
  name                 = "${var.name_prefix}-orchestrator"
  description          = "Open Payments orchestrator (CLI and Airflow): submits EMR Serverless jobs, registers Glue partitions, owns the lake"
  assume_role_policy   = data.aws_iam_policy_document.orchestrator_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "orchestrator_emr" {
  # StartJobRun/GetApplication act on the application; the rest on its job runs. TagResource is
  # authorised on the job run StartJobRun creates with tags.
  statement {
    sid = "RunJobsOnTheApplication"
    actions = [
      "emr-serverless:StartJobRun",
      "emr-serverless:GetJobRun",
      "emr-serverless:CancelJobRun",
      "emr-serverless:GetDashboardForJobRun",
      "emr-serverless:GetApplication",
      "emr-serverless:TagResource",
    ]
    resources = [
      var.emr_application_arn,
      "${var.emr_application_arn}/jobruns/*",
    ]
  }

  # StartJobRun passes the job role: this one role, and only to EMR Serverless.
  statement {
    sid       = "PassTheJobRoleToEmrServerless"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.job.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["emr-serverless.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "orchestrator_glue" {
  # The orchestrator checks the database and creates it if missing (only this name).
  statement {
    sid       = "UseTheDatabase"
    actions   = ["glue:GetDatabase", "glue:CreateDatabase"]
    resources = [local.glue_catalog, local.glue_database]
  }

  # Tables are created and updated from the contract; partitions registered per published year.
  statement {
    sid = "ManageTablesAndPartitions"
    actions = [
      "glue:GetTable",
      "glue:GetTables",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:GetPartitions",
      "glue:BatchCreatePartition",
      "glue:BatchUpdatePartition",
    ]
    resources = [local.glue_catalog, local.glue_database, local.glue_tables]
  }
}

data "aws_iam_policy_document" "orchestrator_s3" {
  # Not prefix-conditioned: HeadBucket (doctor) is authorised as s3:ListBucket and carries no
  # s3:prefix, so a condition on it would refuse the call. The bucket is the lake's own.
  statement {
    sid       = "ListLakeBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.lake_bucket_arn]
  }

  statement {
    sid       = "ReadTheLake"
    actions   = ["s3:GetObject"]
    resources = values(local.zone)
  }

  # Raw is written (once: If-None-Match) but never deleted; logs/ are EMR's to write.
  statement {
    sid     = "WriteTheLake"
    actions = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [
      local.zone.raw,
      local.zone.staging,
      local.zone.curated,
      local.zone.metadata,
      local.zone.artifacts,
    ]
  }

  # Replaced staging chunks, staged output once published, the curated partition being replaced,
  # released lock objects under metadata/locks/, open-run markers under metadata/open-runs/.
  statement {
    sid     = "DeleteReplacedObjects"
    actions = ["s3:DeleteObject"]
    resources = [
      local.zone.staging,
      local.zone.curated,
      local.zone.metadata,
    ]
  }
}

# JustifiedLakeKmsKey: as for the job role, SSE-KMS objects need the lake key for reads and writes.
data "aws_iam_policy_document" "orchestrator_kms" {
  statement {
    sid       = "JustifiedLakeKmsKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.lake_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

# The host is reached only through Session Manager; its SSM agent (not our code) registers the
# instance and opens the session channels with the instance profile's credentials. These are the
# parts of AmazonSSMManagedInstanceCore that sessions need, without its parameter and document reads.
# JustifiedSsmAgentInstance: the agent reports the instance's state (scoped to this account's instances).
# JustifiedSsmAgentChannels: the agent's message and session channels; these actions support no
# resource-level scoping, so "*" is the only valid resource.
data "aws_iam_policy_document" "orchestrator_ssm" {
  #checkov:skip=CKV_AWS_356:ssmmessages and ec2messages actions support no resource-level scoping; "*" is the only valid resource.
  #checkov:skip=CKV_AWS_111:Same statement: the SSM agent's channel calls cannot be scoped to a resource.
  statement {
    sid       = "JustifiedSsmAgentInstance"
    actions   = ["ssm:UpdateInstanceInformation"]
    resources = ["arn:${local.partition}:ec2:${data.aws_region.current.name}:${local.account}:instance/*"]
  }

  statement {
    sid = "JustifiedSsmAgentChannels"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "orchestrator_emr" {
  name   = "emr-serverless"
  role   = aws_iam_role.orchestrator.id
  policy = data.aws_iam_policy_document.orchestrator_emr.json
}

resource "aws_iam_role_policy" "orchestrator_glue" {
  name   = "glue-catalog"
  role   = aws_iam_role.orchestrator.id
  policy = data.aws_iam_policy_document.orchestrator_glue.json
}

resource "aws_iam_role_policy" "orchestrator_s3" {
  name   = "lake-s3"
  role   = aws_iam_role.orchestrator.id
  policy = data.aws_iam_policy_document.orchestrator_s3.json
}

resource "aws_iam_role_policy" "orchestrator_kms" {
  name   = "lake-kms"
  role   = aws_iam_role.orchestrator.id
  policy = data.aws_iam_policy_document.orchestrator_kms.json
}

resource "aws_iam_role_policy" "orchestrator_ssm" {
  count = var.enable_ssm_agent ? 1 : 0

  name   = "ssm-session-manager"
  role   = aws_iam_role.orchestrator.id
  policy = data.aws_iam_policy_document.orchestrator_ssm.json
}
