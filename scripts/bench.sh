#!/usr/bin/env bash
# `npm run bench -- <name>`: benchmarks on demand (never part of npm test).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
exec node "$root/bench/run.mjs" "$@"
