variable "name" {
  description = "Name prefix of the network's resources."
  type        = string
}

variable "cidr_block" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.42.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones of the private subnets (one subnet each). Empty: the region's zones a, b, ... (one per private subnet)."
  type        = list(string)
  default     = []
}

variable "private_subnet_cidrs" {
  description = "CIDR blocks of the private subnets (the host, optionally EMR Serverless), one per availability zone."
  type        = list(string)
  default     = ["10.42.1.0/24", "10.42.2.0/24"]
}

variable "public_subnet_cidr" {
  description = "CIDR block of the one public subnet, which holds only the NAT gateway (nothing gets a public IP)."
  type        = string
  default     = "10.42.0.0/24"
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow logs in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags on every resource of the module."
  type        = map(string)
  default     = {}
}
