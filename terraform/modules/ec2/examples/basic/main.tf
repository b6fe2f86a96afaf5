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

# A host needs a private subnet and a role. The example's role is bare (no session access); in envs/dev
# it is the orchestrator role of modules/iam, which also lets the SSM agent open Session Manager.
module "network" {
  source = "../../../network"

  name                 = "open-payments-ec2-example"
  private_subnet_cidrs = ["10.42.1.0/24"]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "host" {
  name               = "open-payments-ec2-example"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

module "ec2" {
  source = "../.."

  name          = "open-payments-example"
  vpc_id        = module.network.vpc_id
  subnet_id     = module.network.private_subnet_ids[0]
  role_name     = aws_iam_role.host.name
  instance_type = "t3.medium"
}

output "instance_id" {
  description = "aws ssm start-session --target <id>"
  value       = module.ec2.instance_id
}
