# Messages of the project's shell scripts: `say` to stderr with the script's name, `die CODE MSG`.
# Source it after setting LOG_NAME (e.g. LOG_NAME=aws-local).
say() { printf '%s: %s\n' "${LOG_NAME:-script}" "$*" >&2; }
die() {
  local code="$1"
  shift
  say "error: $*"
  exit "$code"
}
