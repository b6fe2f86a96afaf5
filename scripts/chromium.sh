#!/usr/bin/env bash
# Headless Chromium for the HTML report's browser test (driven by playwright-core with
# executablePath, so no browser download): Debian's `chromium` package, installed when missing.
# Usage: scripts/chromium.sh install | path
set -euo pipefail
LOG_NAME=chromium
# shellcheck source=scripts/lib/log.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/log.sh"

find_chromium() {
  command -v chromium || command -v chromium-browser || return 1
}

install() {
  find_chromium >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium (headless browser for the report test)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
  else
    die 3 "Chromium is missing: install Debian's chromium package (apt-get install chromium)"
  fi
}

case "${1:-}" in
  install) install ;;
  path) install && find_chromium ;;
  *) die 2 "usage: $0 install | path" ;;
esac
