variable "database_name" {
  description = "Name of the Glue database (the orchestrator's `aws.glueDatabase`). Glue names are lower case."
  type        = string
  default     = "open_payments"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.database_name))
    error_message = "database_name must be lower-case letters, digits and underscores."
  }
}

variable "description" {
  description = "Description of the database."
  type        = string
  default     = "CMS Open Payments: curated tables registered by the orchestrator from the dataset contract."
}

variable "location_uri" {
  description = "Default location of the database, e.g. s3://<bucket>/<prefix>curated/open_payments/ (null for none)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags on the database."
  type        = map(string)
  default     = {}
}
