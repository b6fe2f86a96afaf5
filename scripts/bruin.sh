#!/usr/bin/env bash
# The Bruin CLI for bruin/ (the Open Payments pipeline as Bruin assets), built from the Go module
# proxy at a pinned version without replace directives, with CGO (its DuckDB driver needs it).
#
# Usage: scripts/bruin.sh install | validate
#   install   go install github.com/bruin-data/bruin@$BRUIN_VERSION into the cache (idempotent)
#   validate  install, then `bruin validate` the pipeline
#
# Status here: the module proxy this project can reach answers 403 Forbidden for
# github.com/bruin-data/bruin (its version list and v0.11.366), so `install` fails with that reason
# and CI does not run Bruin; tests/bruin/pipeline.test.ts checks the pipeline's files instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/venv.sh
source "$root/scripts/lib/venv.sh"
LOG_NAME=bruin
# shellcheck source=scripts/lib/log.sh
source "$root/scripts/lib/log.sh"

BRUIN_VERSION="${BRUIN_VERSION:-v0.11.366}"
bin_dir="$(op_cache_dir)/tools/bruin-$BRUIN_VERSION/bin"

install() {
  [ -x "$bin_dir/bruin" ] && return 0
  command -v go >/dev/null 2>&1 || die 3 "Go is required to build Bruin"
  mkdir -p "$bin_dir"
  say "building github.com/bruin-data/bruin@$BRUIN_VERSION (CGO) — several minutes the first time"
  if ! CGO_ENABLED=1 GOBIN="$bin_dir" GOFLAGS=-mod=mod go install "github.com/bruin-data/bruin@$BRUIN_VERSION" 2>"$bin_dir/../build.log"; then
    die 3 "cannot build Bruin $BRUIN_VERSION: $(head -c 400 "$bin_dir/../build.log")"
  fi
}

case "${1:-}" in
  install) install ;;
  validate) install && "$bin_dir/bruin" validate --config-file "$root/bruin/.bruin.yml" "$root/bruin/open_payments" ;;
  *) die 2 "usage: $0 install | validate" ;;
esac
