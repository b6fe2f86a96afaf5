output "glue_database_name" {
  description = "Name of the Glue database (the orchestrator's `aws.glueDatabase`)."
  value       = aws_glue_catalog_database.this.name
}

output "glue_database_arn" {
  description = "ARN of the Glue database."
  value       = aws_glue_catalog_database.this.arn
}

output "glue_catalog_arn" {
  description = "ARN of the account's Data Catalog (Glue authorises database and table calls on it too)."
  value       = "${local.arn_base}:catalog"
}

output "glue_tables_arn" {
  description = "ARN pattern of every table of the database (what the orchestrator creates and partitions)."
  value       = "${local.arn_base}:table/${aws_glue_catalog_database.this.name}/*"
}
