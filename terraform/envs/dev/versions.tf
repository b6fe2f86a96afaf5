terraform {
  # 1.5.7: the last MPL-licensed Terraform, the one scripts/terraform-tools.sh builds and checks with.
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.90"
    }
  }

  # State stays local by default. For a shared environment, keep it in S3 (a bucket of its own, not
  # the lake): terraform init -backend-config=bucket=... with a `backend "s3" {}` block here.
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ project = "open-payments", environment = var.environment }, var.tags)
  }
}
