variable "name_prefix" {
  description = "Prefix of the role names: <name_prefix>-emr-job and <name_prefix>-orchestrator."
  type        = string
}

variable "lake_bucket_arn" {
  description = "ARN of the lake bucket (s3_lake output s3_bucket_arn)."
  type        = string
}

variable "lake_prefix" {
  description = "Key prefix of the lake inside the bucket (s3_lake output lake_prefix): empty or ending in '/'."
  type        = string
  default     = ""

  validation {
    condition     = var.lake_prefix == "" || endswith(var.lake_prefix, "/")
    error_message = "lake_prefix must be empty or end in '/'."
  }
}

variable "lake_kms_key_arn" {
  description = "ARN of the KMS key of the lake bucket (s3_lake output kms_key_arn): both roles read and write SSE-KMS objects."
  type        = string
}

variable "glue_database_name" {
  description = "Glue database whose tables the orchestrator creates and partitions."
  type        = string
}

variable "emr_application_arn" {
  description = "ARN of the EMR Serverless application (emr_serverless output emrserverless_application_arn)."
  type        = string
}

variable "orchestrator_trusted_services" {
  description = "AWS services that may assume the orchestrator role. ec2.amazonaws.com: the Airflow/orchestrator host's instance profile."
  type        = list(string)
  default     = ["ec2.amazonaws.com"]
}

variable "orchestrator_trusted_role_arns" {
  description = "IAM roles (e.g. an SSO permission set's role, a CI role) that may assume the orchestrator role to run the CLI elsewhere. Empty: only the services above."
  type        = list(string)
  default     = []
}

variable "enable_ssm_agent" {
  description = "Let the SSM agent on the orchestrator host register and open Session Manager channels (the only way in: no SSH)."
  type        = bool
  default     = true
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary on both roles, where the account requires one."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags on the roles."
  type        = map(string)
  default     = {}
}
