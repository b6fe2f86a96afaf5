variable "bucket_name" {
  description = "Name of the lake bucket (globally unique). It becomes the orchestrator's `aws.bucket`."
  type        = string
}

variable "lake_prefix" {
  description = "Key prefix of the lake inside the bucket (`aws.prefix`): empty, or ending in `/` (e.g. `lakes/dev/`)."
  type        = string
  default     = ""

  validation {
    condition     = var.lake_prefix == "" || (endswith(var.lake_prefix, "/") && !startswith(var.lake_prefix, "/"))
    error_message = "lake_prefix must be empty or a relative prefix ending in '/'."
  }
}

variable "kms_key_arn" {
  description = "ARN of an existing KMS key for SSE-KMS. When null, the module creates a key (with rotation) for the lake."
  type        = string
  default     = null
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before a key created by this module is deleted."
  type        = number
  default     = 30
}

variable "lifecycle_days" {
  description = <<-EOT
    Retention in days per zone; null keeps objects. staging: record-boundary chunks and staged job output
    (rebuilt by rerunning the pipeline); rejected: quarantined rows (staging/rejected/); logs: EMR driver
    logs; noncurrent: old versions of every zone except raw; raw_noncurrent: old versions of raw (null
    keeps the history of the write-once zone); abort_multipart: incomplete multipart uploads.
  EOT
  type = object({
    staging         = optional(number, 30)
    rejected        = optional(number, 180)
    logs            = optional(number, 90)
    noncurrent      = optional(number, 30)
    raw_noncurrent  = optional(number)
    abort_multipart = optional(number, 7)
  })
  default = {}
}

variable "deny_raw_version_deletion" {
  description = "Deny s3:DeleteObjectVersion under raw/ to every principal, so raw stays write-once even for admins (lifecycle rules still apply)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a non-empty bucket. Keep false outside throwaway environments."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags on every resource of the module."
  type        = map(string)
  default     = {}
}
