variable "name" {
  description = "Name of the EMR Serverless application."
  type        = string
}

variable "release_label" {
  description = "EMR release. Its Spark must equal the pinned pyspark: emr-7.10.0 runs Spark 3.5.5 (versions.json `emrReleaseLabel`; a test keeps this default equal to it)."
  type        = string
  default     = "emr-7.10.0"
  nullable    = false # a caller passing null (no opinion) gets this default

  validation {
    condition     = can(regex("^emr-[0-9]+\\.[0-9]+\\.[0-9]+$", var.release_label))
    error_message = "release_label must look like emr-7.10.0."
  }
}

variable "architecture" {
  description = "CPU architecture of the workers: X86_64 or ARM64 (cheaper per vCPU-hour; set the orchestrator's aws.emrServerless.prices to match)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.architecture)
    error_message = "architecture must be X86_64 or ARM64."
  }
}

variable "maximum_capacity" {
  description = "Ceiling on what all running jobs of the application may hold at once: the cost brake for runaway jobs. The orchestrator's maxExecutors (20 x 4 vCPU by default) must fit under it."
  type = object({
    cpu    = optional(string, "96 vCPU")
    memory = optional(string, "384 GB")
    disk   = optional(string, "2000 GB")
  })
  default = {}
}

variable "idle_timeout_minutes" {
  description = "Minutes without jobs after which the application stops (auto-stop), so idle time is never billed."
  type        = number
  default     = 15
}

variable "network_configuration" {
  description = "Subnets and security groups when the jobs must run inside a VPC. Null: EMR's own network, which reaches S3 and the other AWS services of the region (all the jobs use)."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "tags" {
  description = "Tags on the application."
  type        = map(string)
  default     = {}
}
