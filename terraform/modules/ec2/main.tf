# The host of Airflow and the orchestrator CLI: private subnet, no public IP, no key pair, no inbound
# rule. People get a shell with SSM Session Manager (`aws ssm start-session`), authorised by IAM and
# logged by CloudTrail; the processes on it get short-lived credentials of the orchestrator role from
# the instance metadata service (IMDSv2 only).

data "aws_ssm_parameter" "al2023" {
  count = var.ami_id == null ? 1 : 0

  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

locals {
  # insecure_value: the public AMI parameter is no secret, and `value` is marked sensitive.
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ssm_parameter.al2023[0].insecure_value

  default_user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    dnf install -y git nodejs20 nodejs20-npm python3.11 java-17-amazon-corretto-headless docker
    systemctl enable --now docker
  EOT
}

resource "aws_iam_instance_profile" "this" {
  name = "${var.name}-host"
  role = var.role_name
  tags = var.tags
}

resource "aws_security_group" "host" {
  name        = "${var.name}-host"
  description = "Airflow/orchestrator host: no inbound rules (SSM Session Manager only), HTTPS out"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-host" })
}

# HTTPS is all the host speaks outwards: the AWS APIs (S3, EMR Serverless, Glue, SSM), the CMS
# catalog and downloads, the package registries. DNS and NTP go to the VPC's link-local services,
# which security groups do not filter.
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.host.id
  description       = "HTTPS to AWS APIs, CMS downloads and package registries"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_instance" "host" {
  ami                         = local.ami_id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.host.id]
  iam_instance_profile        = aws_iam_instance_profile.this.name
  associate_public_ip_address = false
  monitoring                  = true
  ebs_optimized               = true
  user_data                   = var.user_data != null ? var.user_data : local.default_user_data

  # IMDSv2 only: a token from a PUT is required, which SSRF-style GETs cannot obtain.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = var.metadata_hop_limit
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_size           = var.root_volume.size_gb
    volume_type           = var.root_volume.type
    encrypted             = true
    kms_key_id            = var.root_volume.kms_key_arn
    delete_on_termination = true
  }

  tags        = merge(var.tags, { Name = var.name })
  volume_tags = var.tags

  lifecycle {
    # A newer Amazon Linux AMI must not replace a running host on the next apply.
    ignore_changes = [ami, user_data]
  }
}
