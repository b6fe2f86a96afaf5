output "instance_id" {
  description = "ID of the host (`aws ssm start-session --target <id>`)."
  value       = aws_instance.host.id
}

output "instance_private_ip" {
  description = "Private IP of the host."
  value       = aws_instance.host.private_ip
}

output "security_group_id" {
  description = "Security group of the host (no inbound rules)."
  value       = aws_security_group.host.id
}

output "instance_profile_name" {
  description = "Instance profile carrying the orchestrator role."
  value       = aws_iam_instance_profile.this.name
}
