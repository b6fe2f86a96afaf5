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

module "emr_serverless" {
  source = "../.."

  name = "open-payments-example"
  # release_label defaults to the release pinned in versions.json (emr-7.10.0, Spark 3.5.5).

  maximum_capacity = {
    cpu    = "32 vCPU"
    memory = "128 GB"
  }
  idle_timeout_minutes = 5
}

output "emrserverless_application_id" {
  description = "aws.emrServerless.applicationId"
  value       = module.emr_serverless.emrserverless_application_id
}
