output "lake_bucket" {
  description = "aws.bucket"
  value       = module.s3_lake.s3_bucket_id
}

output "lake_prefix" {
  description = "aws.prefix"
  value       = module.s3_lake.lake_prefix
}

output "region" {
  description = "aws.region"
  value       = var.region
}

output "glue_database" {
  description = "aws.glueDatabase"
  value       = module.glue_catalog.glue_database_name
}

output "emr_application_id" {
  description = "aws.emrServerless.applicationId"
  value       = module.emr_serverless.emrserverless_application_id
}

output "emr_release_label" {
  description = "aws.emrReleaseLabel (must equal versions.json emrReleaseLabel; `orchestrator doctor` checks the application)"
  value       = module.emr_serverless.emrserverless_release_label
}

output "emr_job_role_arn" {
  description = "aws.emrServerless.executionRoleArn"
  value       = module.iam.job_role_arn
}

output "orchestrator_role_arn" {
  description = "The role the CLI runs as: the host's instance profile, or assumed by orchestrator_trusted_role_arns."
  value       = module.iam.orchestrator_role_arn
}

output "host_instance_id" {
  description = "The Airflow/orchestrator host: aws ssm start-session --target <id>"
  value       = module.ec2.instance_id
}

output "orchestrator_config" {
  description = "orchestrator.config.yaml for the aws target: terraform output -raw orchestrator_config > orchestrator.config.yaml"
  value       = <<-EOT
    target: aws
    aws:
      region: ${var.region}
      bucket: ${module.s3_lake.s3_bucket_id}
      prefix: "${module.s3_lake.lake_prefix}"
      glueDatabase: ${module.glue_catalog.glue_database_name}
      emrReleaseLabel: ${module.emr_serverless.emrserverless_release_label}
      emrServerless:
        applicationId: ${module.emr_serverless.emrserverless_application_id}
        executionRoleArn: ${module.iam.job_role_arn}
  EOT
}

output "airflow_env" {
  description = "The ORCHESTRATOR_* lines of airflow/.env for the Airflow containers on the host (credentials come from the instance profile)"
  value       = <<-EOT
    ORCHESTRATOR_AWS__REGION=${var.region}
    ORCHESTRATOR_AWS__BUCKET=${module.s3_lake.s3_bucket_id}
    ORCHESTRATOR_AWS__PREFIX=${module.s3_lake.lake_prefix}
    ORCHESTRATOR_AWS__GLUE_DATABASE=${module.glue_catalog.glue_database_name}
    ORCHESTRATOR_AWS__EMR_SERVERLESS__APPLICATION_ID=${module.emr_serverless.emrserverless_application_id}
    ORCHESTRATOR_AWS__EMR_SERVERLESS__EXECUTION_ROLE_ARN=${module.iam.job_role_arn}
    OP_TARGET=aws
  EOT
}
