# Only the database lives here. Its tables are created and updated by the orchestrator from the
# dataset contract (orchestrator/src/domain/contract), the single source of truth that the Spark job
# and dbt's sources.yml are generated from too: a second copy of the schema in HCL would drift from
# it, and every contract change would need a `terraform apply` in lockstep with the code release.
# Partitions are registered per run (BatchCreatePartition/BatchUpdatePartition), which Terraform
# could not do anyway.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_glue_catalog_database" "this" {
  name         = var.database_name
  description  = var.description
  location_uri = var.location_uri
  tags         = var.tags
}

locals {
  arn_base = "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
}
