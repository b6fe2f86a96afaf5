output "s3_bucket_id" {
  description = "Name of the lake bucket (the orchestrator's `aws.bucket`)."
  value       = aws_s3_bucket.lake.id
}

output "s3_bucket_arn" {
  description = "ARN of the lake bucket."
  value       = aws_s3_bucket.lake.arn
}

output "s3_bucket_region" {
  description = "Region of the lake bucket (the orchestrator's `aws.region`)."
  value       = aws_s3_bucket.lake.region
}

output "lake_prefix" {
  description = "Key prefix of the lake inside the bucket (the orchestrator's `aws.prefix`)."
  value       = var.lake_prefix
}

output "zone_prefixes" {
  description = "Zone name -> key prefix relative to the bucket root (raw, staging, rejected, curated, metadata, artifacts, logs)."
  value       = local.zone_prefixes
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the lake (created here unless kms_key_arn was given)."
  value       = local.kms_key_arn
}
