output "job_role_arn" {
  description = "ARN of the EMR Serverless job execution role (the orchestrator's `aws.emrServerless.executionRoleArn`)."
  value       = aws_iam_role.job.arn
}

output "job_role_name" {
  description = "Name of the EMR Serverless job execution role."
  value       = aws_iam_role.job.name
}

output "orchestrator_role_arn" {
  description = "ARN of the orchestrator role (instance profile of the host; assumable by orchestrator_trusted_role_arns)."
  value       = aws_iam_role.orchestrator.arn
}

output "orchestrator_role_name" {
  description = "Name of the orchestrator role (what modules/ec2 wraps in an instance profile)."
  value       = aws_iam_role.orchestrator.name
}
