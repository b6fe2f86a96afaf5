variable "region" {
  description = "AWS region of everything (the orchestrator's `aws.region`)."
  type        = string
  default     = "us-east-1"
}

variable "environment" {
  description = "Environment name, part of every resource name."
  type        = string
  default     = "dev"
}

variable "name" {
  description = "Name prefix of the resources (roles, application, network, host)."
  type        = string
  default     = "open-payments"
}

variable "bucket_name" {
  description = "Globally unique name of the lake bucket (the orchestrator's `aws.bucket`)."
  type        = string
}

variable "lake_prefix" {
  description = "Key prefix of the lake in the bucket (the orchestrator's `aws.prefix`): empty or ending in '/'."
  type        = string
  default     = ""
}

variable "glue_database_name" {
  description = "Glue database of the curated tables (the orchestrator's `aws.glueDatabase`)."
  type        = string
  default     = "open_payments"
}

variable "emr_release_label" {
  description = "EMR release of the Spark application. Null: the emr_serverless module's default, which a test keeps equal to versions.json."
  type        = string
  default     = null
}

variable "emr_maximum_capacity" {
  description = "Ceiling on the Spark application's total workers (see modules/emr_serverless)."
  type = object({
    cpu    = optional(string, "96 vCPU")
    memory = optional(string, "384 GB")
    disk   = optional(string, "2000 GB")
  })
  default = {}
}

variable "instance_type" {
  description = "Instance type of the Airflow/orchestrator host."
  type        = string
  default     = "t3.large"
}

variable "orchestrator_trusted_role_arns" {
  description = "Roles (people through SSO, CI) that may assume the orchestrator role to run the CLI from elsewhere."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Let `terraform destroy` empty and delete the lake bucket (throwaway environments only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}
