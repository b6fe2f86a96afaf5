# Runnable example: terraform init && terraform apply (needs AWS credentials; creates billable resources).
terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.90"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

# The roles need a bucket, its key, a Glue database name and an application ARN; here they come from
# the sibling modules, as in envs/dev.
module "s3_lake" {
  source = "../../../s3_lake"

  bucket_name   = "example-open-payments-lake-0002"
  force_destroy = true
}

module "emr_serverless" {
  source = "../../../emr_serverless"

  name = "open-payments-iam-example"
}

module "iam" {
  source = "../.."

  name_prefix         = "open-payments-example"
  lake_bucket_arn     = module.s3_lake.s3_bucket_arn
  lake_prefix         = module.s3_lake.lake_prefix
  lake_kms_key_arn    = module.s3_lake.kms_key_arn
  glue_database_name  = "open_payments"
  emr_application_arn = module.emr_serverless.emrserverless_application_arn
}

output "job_role_arn" {
  description = "aws.emrServerless.executionRoleArn"
  value       = module.iam.job_role_arn
}
