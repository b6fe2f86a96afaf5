#!/usr/bin/env bash
# One idempotent set-up for a fresh machine: Java check, npm ci, the pinned Python venv, the build.
# Both README commands (`npm run demo`, `npm test`) call it; each step is skipped when already done.
# The venv lives in a cache outside the repo (keyed by the pins) so clean clones reuse it.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf 'bootstrap: %s\n' "$*" >&2; }

cache_dir="${OP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/open-payments}"
mkdir -p "$cache_dir"

# --- Java 17+ (Spark 3.5 runs on it; EMR 7 uses it too) -----------------------------------------
java_major() { java -version 2>&1 | sed -nE 's/.*version "([0-9]+)(\.[0-9]+)*.*/\1/p' | head -n1; }
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Java 17 (openjdk-17-jre-headless) from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    say "Java 17+ is required: install openjdk-17-jre-headless (or set JAVA_HOME) and rerun"; exit 5
  fi
fi

# --- Node dependencies ------------------------------------------------------------------------------
lock_sha="$(sha256sum package-lock.json | cut -c1-16)"
if [ "$(cat node_modules/.bootstrap-lock 2>/dev/null || true)" != "$lock_sha" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lock_sha" > node_modules/.bootstrap-lock
else
  say "node modules up to date"
fi

# --- Python venv from pinned requirements -----------------------------------------------------------
python_bin="${OP_PYTHON:-python3}"
py_key="$( { cat python/requirements.txt python/constraints.txt; "$python_bin" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)"
venv="$cache_dir/venv-$py_key"
if [ ! -f "$venv/.complete" ]; then
  say "creating Python venv at $venv (pyspark, dbt, pytest; first time takes a few minutes)"
  rm -rf "$venv"
  "$python_bin" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -r python/requirements.txt -c python/constraints.txt >&2
  touch "$venv/.complete"
else
  say "python venv up to date ($venv)"
fi
if [ "$(readlink .venv 2>/dev/null || true)" != "$venv" ]; then
  rm -f .venv
  ln -s "$venv" .venv
fi

# --- Build the CLI (incremental) --------------------------------------------------------------------
say "building orchestrator"
npx --no-install tsc -b orchestrator
chmod +x orchestrator/dist/cli/main.js 2>/dev/null || true
say "ready"
