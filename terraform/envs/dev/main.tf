# The dev environment: the lake, its catalog, the Spark application, the two roles, and a private
# host for Airflow and the orchestrator reached through SSM. `terraform output orchestrator_config`
# prints the orchestrator.config.yaml that points the CLI at all of it (docs/deploy-aws.md).

locals {
  name = "${var.name}-${var.environment}"
}

module "s3_lake" {
  source = "../../modules/s3_lake"

  bucket_name   = var.bucket_name
  lake_prefix   = var.lake_prefix
  force_destroy = var.force_destroy
}

module "glue_catalog" {
  source = "../../modules/glue_catalog"

  database_name = var.glue_database_name
  location_uri  = "s3://${module.s3_lake.s3_bucket_id}/${module.s3_lake.zone_prefixes["curated"]}open_payments/"
}

module "emr_serverless" {
  source = "../../modules/emr_serverless"

  name             = local.name
  release_label    = var.emr_release_label
  maximum_capacity = var.emr_maximum_capacity
}

module "iam" {
  source = "../../modules/iam"

  name_prefix                    = local.name
  lake_bucket_arn                = module.s3_lake.s3_bucket_arn
  lake_prefix                    = module.s3_lake.lake_prefix
  lake_kms_key_arn               = module.s3_lake.kms_key_arn
  glue_database_name             = module.glue_catalog.glue_database_name
  emr_application_arn            = module.emr_serverless.emrserverless_application_arn
  orchestrator_trusted_role_arns = var.orchestrator_trusted_role_arns
}

module "network" {
  source = "../../modules/network"

  name = local.name
}

module "ec2" {
  source = "../../modules/ec2"

  name          = local.name
  vpc_id        = module.network.vpc_id
  subnet_id     = module.network.private_subnet_ids[0]
  role_name     = module.iam.orchestrator_role_name
  instance_type = var.instance_type
}
