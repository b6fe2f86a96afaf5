output "emrserverless_application_id" {
  description = "ID of the Spark application (the orchestrator's `aws.emrServerless.applicationId`)."
  value       = aws_emrserverless_application.spark.id
}

output "emrserverless_application_arn" {
  description = "ARN of the Spark application (what the orchestrator role's EMR statements are scoped to)."
  value       = aws_emrserverless_application.spark.arn
}

output "emrserverless_release_label" {
  description = "EMR release of the application (must equal versions.json `emrReleaseLabel`)."
  value       = aws_emrserverless_application.spark.release_label
}
