# shellcheck shell=bash
# Shared helpers for pinned Python venvs kept in the cache outside the repo. Source it, then call
#   venv="$(op_ensure_venv venv-aws python/aws-requirements.txt python/aws-constraints.txt)"
# It follows scripts/bootstrap.sh exactly (same cache dir, same key: requirements + constraints +
# the interpreter's sys.version, first 16 hex of sha256; same `.complete` marker), so bootstrap can
# switch to it later and keep its venv path: `op_ensure_venv venv python/requirements.txt
# python/constraints.txt` names the same directory bootstrap creates today.
# Progress goes to stderr; stdout carries only the venv path.

# The cache root shared by every script of the project (bootstrap.sh uses the same expression).
op_cache_dir() {
  printf '%s\n' "${OP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/open-payments}"
}

# op_venv_path PREFIX REQUIREMENTS CONSTRAINTS -> the keyed venv path (nothing is created).
op_venv_path() {
  local prefix="$1" req="$2" cons="$3" python_bin="${OP_PYTHON:-python3}" key
  key="$( { cat "$req" "$cons"; "$python_bin" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)"
  printf '%s/%s-%s\n' "$(op_cache_dir)" "$prefix" "$key"
}

# op_ensure_venv PREFIX REQUIREMENTS CONSTRAINTS -> creates the venv once (idempotent) and prints its path.
# A venv without `.complete` is a half-finished install (interrupted, failed): it is rebuilt from scratch.
op_ensure_venv() {
  local prefix="$1" req="$2" cons="$3" python_bin="${OP_PYTHON:-python3}" venv
  venv="$(op_venv_path "$prefix" "$req" "$cons")"
  if [ ! -f "$venv/.complete" ]; then
    printf 'venv: creating %s from %s\n' "$venv" "$req" >&2
    # Every step is checked by hand: callers use `$(op_ensure_venv …)`, where bash drops `set -e`,
    # and a failed pip must never be followed by the `.complete` marker.
    if ! { mkdir -p "$(dirname "$venv")" &&
      rm -rf "$venv" &&
      "$python_bin" -m venv "$venv" &&
      "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2 &&
      "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" -c "$cons" >&2 &&
      touch "$venv/.complete"; }; then
      printf 'venv: failed to create %s\n' "$venv" >&2
      return 1
    fi
  fi
  printf '%s\n' "$venv"
}

# op_lock_constraints REQUIREMENTS CONSTRAINTS [COMMAND]: resolve REQUIREMENTS in a fresh throwaway venv and write
# every transitive pin to CONSTRAINTS (what scripts/lock-python.sh does for the main venv).
op_lock_constraints() {
  local req="$1" cons="$2" by="${3:-}" python_bin="${OP_PYTHON:-python3}" tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064  # expand now: the trap must remove this call's own temp dir
  trap "rm -rf '$tmp'; trap - RETURN" RETURN
  if ! { "$python_bin" -m venv "$tmp/venv" &&
    "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2; }; then
    return 1
  fi
  {
    echo "# Generated ${by:+by \`$by\` }from $(basename "$req") on Python $("$python_bin" -c 'import sys; print("%d.%d" % sys.version_info[:2])'); commit changes."
    "$tmp/venv/bin/pip" freeze --all | grep -vE '^(pip|setuptools|wheel)=='
  } >"$cons"
}
