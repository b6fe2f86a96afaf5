# Copy to terraform.tfvars (git-ignored) and edit. Only bucket_name is required.
region      = "us-east-1"
environment = "dev"
name        = "open-payments"

# Globally unique: a bucket of this name must not exist in any account.
bucket_name = "my-org-open-payments-dev-lake"
lake_prefix = ""

glue_database_name = "open_payments"

# Leave unset to get the release pinned in versions.json (emr-7.10.0, Spark 3.5.5).
# emr_release_label = "emr-7.10.0"

emr_maximum_capacity = {
  cpu    = "96 vCPU"
  memory = "384 GB"
  disk   = "2000 GB"
}

instance_type = "t3.large"

# Roles that may assume the orchestrator role to run the CLI from a laptop or CI (SSO role ARNs).
orchestrator_trusted_role_arns = []

force_destroy = false

tags = {
  team = "data-eng"
}
