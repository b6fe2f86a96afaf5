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

module "network" {
  source = "../.."

  name                 = "open-payments-example"
  cidr_block           = "10.50.0.0/16"
  public_subnet_cidr   = "10.50.0.0/24"
  private_subnet_cidrs = ["10.50.1.0/24"]
}

output "private_subnet_ids" {
  description = "Private subnets."
  value       = module.network.private_subnet_ids
}
