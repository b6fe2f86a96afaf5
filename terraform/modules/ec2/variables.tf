variable "name" {
  description = "Name of the instance and prefix of its security group and instance profile."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the host (network output vpc_id)."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet of the host (one of network output private_subnet_ids)."
  type        = string
}

variable "role_name" {
  description = "IAM role the instance profile carries: the orchestrator role (iam output orchestrator_role_name). The host gets credentials from it; no access keys anywhere."
  type        = string
}

variable "instance_type" {
  description = "Instance type. Airflow (scheduler, webserver, PostgreSQL in docker compose) and the orchestrator CLI; Spark runs on EMR Serverless, not here."
  type        = string
  default     = "t3.large"
}

variable "ami_id" {
  description = "AMI of the host. Null: the latest Amazon Linux 2023 (x86_64), whose SSM agent is preinstalled."
  type        = string
  default     = null
}

variable "root_volume" {
  description = "Root volume: size in GiB, type, and the KMS key that encrypts it (null: the account's aws/ebs key)."
  type = object({
    size_gb     = optional(number, 50)
    type        = optional(string, "gp3")
    kms_key_arn = optional(string)
  })
  default = {}
}

variable "metadata_hop_limit" {
  description = "IMDSv2 PUT response hop limit. 2 lets the Airflow containers (one network hop further) fetch the instance profile's credentials; 1 confines them to processes on the host."
  type        = number
  default     = 2
}

variable "user_data" {
  description = "Cloud-init user data. Null: install git, Node.js 20, Python 3.11, Java 17 and Docker from the Amazon Linux repositories."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags on every resource of the module."
  type        = map(string)
  default     = {}
}
