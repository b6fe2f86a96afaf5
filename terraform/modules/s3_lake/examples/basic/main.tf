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

module "s3_lake" {
  source = "../.."

  bucket_name = "example-open-payments-lake-0001"
  lake_prefix = "lakes/example/"

  lifecycle_days = {
    staging = 14
    logs    = 30
  }

  force_destroy = true
}

output "zone_prefixes" {
  description = "Zone -> key prefix."
  value       = module.s3_lake.zone_prefixes
}
