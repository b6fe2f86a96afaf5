# One bucket, the zones as key prefixes (the layout of docs/architecture: raw, staging with
# staging/rejected/, curated, metadata, artifacts, logs). One bucket keeps one policy, one key and
# one set of grants; the per-zone differences (write-once raw, short-lived staging) are expressed by
# prefix-scoped IAM, lifecycle rules and the bucket policy below.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  zones = ["raw", "staging", "curated", "metadata", "artifacts", "logs"]
  # Zone -> key prefix relative to the bucket root (what IAM statements and lifecycle filters use).
  zone_prefixes = merge(
    { for z in local.zones : z => "${var.lake_prefix}${z}/" },
    { rejected = "${var.lake_prefix}staging/rejected/" },
  )
  create_kms_key = var.kms_key_arn == null
  kms_key_arn    = local.create_kms_key ? aws_kms_key.lake[0].arn : var.kms_key_arn
  bucket_arn     = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"

  # Lifecycle rules cannot exclude a sub-prefix, and overlapping rules resolve to the shortest
  # expiration; so staging's rules name its two rebuildable sub-prefixes (chunks under
  # staging/open_payments/, staged job output under staging/curated/) and leave staging/rejected/
  # to its own, longer rule. A null retention drops the rule (objects are kept).
  expiring_rules = { for id, r in {
    staging-chunks = { prefix = "${var.lake_prefix}staging/open_payments/", days = var.lifecycle_days.staging }
    staging-output = { prefix = "${var.lake_prefix}staging/curated/", days = var.lifecycle_days.staging }
    rejected       = { prefix = local.zone_prefixes.rejected, days = var.lifecycle_days.rejected }
    logs           = { prefix = local.zone_prefixes.logs, days = var.lifecycle_days.logs }
  } : id => r if r.days != null }

  noncurrent_rules = { for zone, days in {
    curated   = var.lifecycle_days.noncurrent
    metadata  = var.lifecycle_days.noncurrent
    artifacts = var.lifecycle_days.noncurrent
    raw       = var.lifecycle_days.raw_noncurrent
  } : zone => { prefix = local.zone_prefixes[zone], days = days } if days != null }
}

# --- Encryption key ------------------------------------------------------------------------------
data "aws_iam_policy_document" "kms" {
  count = local.create_kms_key ? 1 : 0

  # The standard default key policy: the account administers the key and IAM policies grant its use
  # (the job and orchestrator roles get kms:Decrypt/GenerateDataKey in modules/iam).
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "lake" {
  count = local.create_kms_key ? 1 : 0

  description             = "SSE-KMS key of the ${var.bucket_name} lake bucket"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "lake" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.bucket_name}"
  target_key_id = aws_kms_key.lake[0].key_id
}

# --- Bucket --------------------------------------------------------------------------------------
resource "aws_s3_bucket" "lake" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice per environment; raw is versioned and re-downloadable from CMS.
  #checkov:skip=CKV_AWS_18:Server access logs would need a second bucket; audit S3 data access with CloudTrail data events (account-level), not per-bucket logs.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events: the orchestrator drives every step itself.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id

  # ACLs off: access is decided by IAM and the bucket policy only.
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket = aws_s3_bucket.lake.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# S3 versioning is a bucket setting, not a prefix setting: the whole bucket is versioned so that raw
# (write-once, the original bytes from CMS) keeps every version. Zones whose objects are rewritten
# on purpose (staging, curated, metadata, artifacts, logs) drop their old versions after
# lifecycle_days.noncurrent, so versioning costs storage only where history matters.
resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    # S3 Bucket Keys cut KMS requests (and their cost) by orders of magnitude for Spark's many reads.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  # Housekeeping for the whole bucket: incomplete multipart uploads (an interrupted upload or Spark
  # task) and the delete markers left once every version of a key has expired.
  rule {
    id     = "bucket-housekeeping"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.lifecycle_days.abort_multipart
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  # Zones whose objects expire: the current version after `days`, the replaced ones a day later.
  dynamic "rule" {
    for_each = local.expiring_rules
    content {
      id     = rule.key
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }
      expiration {
        days = rule.value.days
      }
      noncurrent_version_expiration {
        noncurrent_days = 1
      }
    }
  }

  # Zones rewritten on purpose keep their current objects and drop the replaced versions; raw keeps
  # its history unless lifecycle_days.raw_noncurrent is set (an overwrite of raw is refused anyway:
  # by the orchestrator's If-None-Match and by DenyRawVersionDeletion below).
  dynamic "rule" {
    for_each = local.noncurrent_rules
    content {
      id     = "${rule.key}-noncurrent"
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }
      noncurrent_version_expiration {
        noncurrent_days = rule.value.days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.lake]
}

# --- Bucket policy -------------------------------------------------------------------------------
data "aws_iam_policy_document" "bucket" {
  # TLS only: any request over plain HTTP is refused, whoever sends it.
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      local.bucket_arn,
      "${local.bucket_arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # Deny uploads that ask for anything but SSE-KMS. A request with no encryption header is encrypted
  # by the bucket default above (the SDK clients and EMRFS send none), so the classic
  # "deny when the header is absent" form would refuse every upload of the orchestrator; what must
  # never land is an object encrypted differently (SSE-S3, SSE-C) or not with the lake key.
  statement {
    sid       = "DenyNonKmsEncryptedUploads"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }

  statement {
    sid       = "DenyUploadsWithAnotherKmsKey"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [local.kms_key_arn]
    }
  }

  statement {
    sid       = "DenySseCUploads"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption-customer-algorithm"
      values   = ["false"]
    }
  }

  # Raw is write-once: no principal may delete a version of it (lifecycle expiry is not subject to
  # bucket policies, so lifecycle_days.raw_noncurrent still works).
  dynamic "statement" {
    for_each = var.deny_raw_version_deletion ? [1] : []
    content {
      sid       = "DenyRawVersionDeletion"
      effect    = "Deny"
      actions   = ["s3:DeleteObjectVersion"]
      resources = ["${local.bucket_arn}/${local.zone_prefixes.raw}*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "lake" {
  bucket = aws_s3_bucket.lake.id
  policy = data.aws_iam_policy_document.bucket.json

  # A policy can only be put once the public access block allows the bucket to be configured.
  depends_on = [aws_s3_bucket_public_access_block.lake]
}
