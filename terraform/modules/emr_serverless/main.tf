# The Spark application the orchestrator submits every job to (StartJobRun). No pre-initialised
# capacity: workers start per job and the application stops when idle, so nothing is billed between
# pipeline runs; the first job after an idle period waits a minute or two for workers.
resource "aws_emrserverless_application" "spark" {
  name          = var.name
  release_label = var.release_label
  type          = "spark"
  architecture  = var.architecture

  # Starts on the first StartJobRun; no separate StartApplication call (or permission) is needed.
  auto_start_configuration {
    enabled = true
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = var.idle_timeout_minutes
  }

  maximum_capacity {
    cpu    = var.maximum_capacity.cpu
    memory = var.maximum_capacity.memory
    disk   = var.maximum_capacity.disk
  }

  dynamic "network_configuration" {
    for_each = var.network_configuration == null ? [] : [var.network_configuration]
    content {
      subnet_ids         = network_configuration.value.subnet_ids
      security_group_ids = network_configuration.value.security_group_ids
    }
  }

  tags = var.tags
}
