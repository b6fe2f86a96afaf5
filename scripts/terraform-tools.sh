#!/usr/bin/env bash
# Offline checks of terraform/: Terraform (fmt, validate) and checkov, pinned and cached outside the
# repo like scripts/aws-local.sh's tools, so only a cold machine pays for the build.
#
# Usage: scripts/terraform-tools.sh install | fmt | validate | checkov | check | versions | lock
#   install   build Terraform with `go install` and the checkov venv into the cache (idempotent)
#   fmt       terraform fmt -check -recursive terraform/ (also a syntax check of every .tf file)
#   validate  terraform validate of every module, example and env, where the AWS provider is available
#             (TF_PLUGIN_DIR, or TF_TOOLS_ONLINE=1 to let init download it); otherwise says why not
#   checkov   checkov over terraform/, offline (--skip-download); zero failed checks or exit 1
#   check     fmt, then validate, then checkov
#   versions  print the pinned versions (scripts/terraform-tools.versions, python/checkov-requirements.txt)
#   lock      regenerate python/checkov-constraints.txt from python/checkov-requirements.txt (commit both)
#
# Environment:
#   OP_CACHE_DIR     cache root (default ~/.cache/open-payments), as in scripts/bootstrap.sh
#   TF_PLUGIN_DIR    a provider mirror (directory with registry.terraform.io/hashicorp/aws/...) for validate
#   TF_TOOLS_ONLINE  1: validate may download providers (a machine with access to the Terraform registry)
# Exit codes: 2 usage, 3 a prerequisite is missing (Go, Python), 1 a check failed or a build failed.
set -euo pipefail

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$self")/.." && pwd)"
# shellcheck source=scripts/lib/venv.sh
source "$root/scripts/lib/venv.sh"
# shellcheck source=scripts/terraform-tools.versions
source "$root/scripts/terraform-tools.versions"

LOG_NAME=terraform-tools
# shellcheck source=scripts/lib/log.sh
source "$root/scripts/lib/log.sh"
# shellcheck source=scripts/lib/go-tool.sh
source "$root/scripts/lib/go-tool.sh"

cache_dir="$(op_cache_dir)"
tools_dir="$cache_dir/tools"
tf_dir="$tools_dir/terraform-$TERRAFORM_VERSION"
tf_bin="$tf_dir/bin/terraform"
ck_req="$root/python/checkov-requirements.txt"
ck_cons="$root/python/checkov-constraints.txt"
tf_root="$root/terraform"

# No calls home: Terraform's version/security-bulletin check (checkpoint) would reach the internet.
export CHECKPOINT_DISABLE=1
# A TF_CLI_CONFIG_FILE naming a missing file only makes every command print a warning: drop it.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "$TF_CLI_CONFIG_FILE" ]; then unset TF_CLI_CONFIG_FILE; fi

# --- install ----------------------------------------------------------------------------------------
# CGO_ENABLED=0 and -s -w as HashiCorp's release builds.
install_terraform() {
  op_go_install terraform "$TERRAFORM_VERSION" "$TERRAFORM_MODULE" "$TERRAFORM_GO_MIN" "$tf_dir" "-s -w"
}

install_checkov() {
  [ -f "$ck_cons" ] || die 1 "python/checkov-constraints.txt is missing: run 'bash scripts/terraform-tools.sh lock'"
  command -v "${OP_PYTHON:-python3}" >/dev/null 2>&1 || die 3 "python3 is needed for the checkov venv"
  local venv
  venv="$(op_ensure_venv venv-checkov "$ck_req" "$ck_cons")" || die 1 "could not build the checkov venv (pip output above)"
  say "checkov venv ready ($venv)"
}

cmd_install() {
  with_lock "$tools_dir/.terraform-tools-install.lock"
  op_both install_terraform install_checkov
}

need_terraform() { [ -x "$tf_bin" ] && [ -f "$tf_dir/.complete" ] || (cmd_install); }

# --- checks -----------------------------------------------------------------------------------------
cmd_fmt() {
  need_terraform
  # fmt parses every file, so a syntax error fails here too; -diff shows what to change.
  if "$tf_bin" fmt -check -recursive -diff "$tf_root"; then
    say "fmt: terraform/ is formatted"
  else
    die 1 "fmt: files above need 'terraform fmt' (run: $tf_bin fmt -recursive terraform)"
  fi
}

# Every directory that Terraform can be run in: modules, their examples, envs.
tf_dirs() { find "$tf_root" -name '*.tf' -not -path '*/.terraform/*' -printf '%h\n' | sort -u; }

cmd_validate() {
  need_terraform
  local init_args=(-backend=false -input=false -no-color)
  if [ -n "${TF_PLUGIN_DIR:-}" ]; then
    init_args+=(-plugin-dir="$TF_PLUGIN_DIR")
  elif [ "${TF_TOOLS_ONLINE:-0}" != 1 ]; then
    # Every configuration here uses the hashicorp/aws provider, and validate needs its schema. The
    # provider comes from the Terraform registry only: it is not a Go module that the proxy serves
    # (terraform-provider-aws tags v5.x without a /v5 module path, and the proxy answers 403 for
    # them), so offline there is nothing to validate against. fmt (syntax), checkov (semantics of
    # the resources) and tests/terraform (references between modules, IAM) cover what they can.
    say "validate: skipped, the hashicorp/aws provider cannot be installed offline (set TF_PLUGIN_DIR to a provider mirror, or TF_TOOLS_ONLINE=1 where the Terraform registry is reachable)"
    return 0
  fi
  local dir dirs failed=0 data had_lock
  mapfile -t dirs < <(tf_dirs)
  for dir in "${dirs[@]}"; do
    # A throwaway data dir per run, and a lock file removed again unless it was there: validate
    # leaves the repo as it found it.
    data="$(mktemp -d)"
    had_lock=0
    [ -f "$dir/.terraform.lock.hcl" ] && had_lock=1
    if TF_DATA_DIR="$data" "$tf_bin" -chdir="$dir" init "${init_args[@]}" >"$data/init.log" 2>&1 &&
      TF_DATA_DIR="$data" "$tf_bin" -chdir="$dir" validate -no-color; then
      say "validate: ok ${dir#"$root"/}"
    else
      cat "$data/init.log" >&2 2>/dev/null || true
      say "validate: FAILED ${dir#"$root"/}"
      failed=1
    fi
    [ $had_lock -eq 1 ] || rm -f "$dir/.terraform.lock.hcl"
    rm -rf "$data"
  done
  [ $failed -eq 0 ] || die 1 "validate failed"
}

cmd_checkov() {
  local venv
  venv="$(op_venv_path venv-checkov "$ck_req" "$ck_cons")"
  [ -f "$venv/.complete" ] || (cmd_install)
  # --skip-download: no Bridgecrew/Prisma platform calls, no guideline or policy downloads; every
  # check is the bundled one. Skips live next to the resource as `#checkov:skip=CKV_…: reason`.
  # CHECKOV_* env: no version check against PyPI, no telemetry.
  if CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false BC_SKIP_MAPPING=TRUE ANSI_COLORS_DISABLED=1 \
    "$venv/bin/checkov" --directory "$tf_root" --framework terraform --skip-download \
    --quiet --compact --download-external-modules false "$@"; then
    say "checkov: no failed checks"
  else
    die 1 "checkov: failed checks above (fix them, or skip one inline with '#checkov:skip=CKV_…:reason')"
  fi
}

cmd_versions() {
  echo "terraform $TERRAFORM_MODULE@$TERRAFORM_VERSION (scripts/terraform-tools.versions)"
  grep -E '^[A-Za-z]' "$ck_req" | sed 's|$| (python/checkov-requirements.txt)|'
}

cmd_lock() {
  op_lock_constraints "$ck_req" "$ck_cons" "bash scripts/terraform-tools.sh lock"
  echo "wrote python/checkov-constraints.txt"
}

case "${1:-}" in
install) cmd_install ;;
fmt) cmd_fmt ;;
validate) cmd_validate ;;
checkov)
  shift
  cmd_checkov "$@"
  ;;
check)
  cmd_fmt
  cmd_validate
  cmd_checkov
  ;;
versions) cmd_versions ;;
lock) cmd_lock ;;
*)
  sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
