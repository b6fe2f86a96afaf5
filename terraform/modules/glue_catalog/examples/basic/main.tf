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

module "glue_catalog" {
  source = "../.."

  database_name = "open_payments_example"
  location_uri  = "s3://example-open-payments-lake-0001/curated/open_payments/"
}

output "glue_database_name" {
  description = "aws.glueDatabase"
  value       = module.glue_catalog.glue_database_name
}
