output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (the host; EMR Serverless if it runs in the VPC)."
  value       = aws_subnet.private[*].id
}

output "public_subnet_id" {
  description = "ID of the public subnet that holds the NAT gateway."
  value       = aws_subnet.public.id
}

output "nat_gateway_id" {
  description = "ID of the NAT gateway (the private subnets' only way out, besides the S3 endpoint)."
  value       = aws_nat_gateway.this.id
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
