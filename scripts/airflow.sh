#!/usr/bin/env bash
# Airflow for this project, on a machine without Docker: its own pinned venv, and a throwaway
# PostgreSQL (Debian's postgresql) for Airflow's metadata database.
#
# Usage: scripts/airflow.sh install | venv | pg-start DIR | pg-stop DIR | test [pytest args] | lock
#   install       create the Airflow venv in the cache outside the repo (idempotent, pinned)
#   venv          print the venv path (installs first)
#   pg-start DIR  initdb a cluster in DIR, start it on a free port (socket and data in DIR), create the
#                 `airflow` database, print AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=…
#   pg-stop DIR   stop that cluster (the files stay until DIR is removed)
#   test          install, start a cluster, run pytest tests/airflow with Airflow pointed at it, stop
#   lock          regenerate python/airflow-constraints.txt from python/airflow-requirements.txt
#
# Without PostgreSQL binaries, `test` falls back to SQLite (OP_AIRFLOW_DB=sqlite forces it) and says so:
# the DAG tests then run on Airflow's SQLite support, which is meant for development only.
# Exit codes: 2 usage, 3 a prerequisite is missing, 4 the database did not come up, 1 other.
set -euo pipefail

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$self")/.." && pwd)"
# shellcheck source=scripts/lib/venv.sh
source "$root/scripts/lib/venv.sh"
LOG_NAME=airflow
# shellcheck source=scripts/lib/log.sh
source "$root/scripts/lib/log.sh"

req="$root/python/airflow-requirements.txt"
cons="$root/python/airflow-constraints.txt"

venv() {
  local lock
  lock="$(op_cache_dir)/locks/airflow-venv.lock"
  mkdir -p "$(dirname "$lock")"
  (
    exec 9>"$lock"
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    op_ensure_venv venv-airflow "$req" "$cons"
  )
}

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { printf '%s\n' "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` system user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
  local dir="$1" bin port
  bin="$(pg_bin)" || die 3 "PostgreSQL binaries not found (Debian: apt-get install postgresql)"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-instructions >"$dir/initdb.log" 2>&1 ||
      die 4 "initdb failed: $(tail -5 "$dir/initdb.log")"
  fi
  port="$(free_port)"
  # Listen on loopback only; the socket lives in DIR (not /var/run/postgresql, which may not exist).
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
    die 4 "PostgreSQL did not start: $(tail -5 "$dir/postgres.log")"
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres airflow 2>/dev/null || true
  printf '%s\n' "$port" >"$dir/port"
  printf 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://postgres@127.0.0.1:%s/airflow\n' "$port"
}

pg_stop() {
  local dir="$1" bin
  bin="$(pg_bin)" || return 0
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
}

run_tests() {
  local v state conn status=0
  v="$(venv)" || die 3 "could not create the Airflow venv"
  state="$(mktemp -d "${TMPDIR:-/tmp}/op-airflow-XXXXXX")"
  chmod 755 "$state"
  # shellcheck disable=SC2064  # expand now: stop this run's own cluster
  trap "pg_stop '$state/pg'; rm -rf '$state'" EXIT
  if [ "${OP_AIRFLOW_DB:-postgres}" != sqlite ] && pg_bin >/dev/null; then
    conn="$(pg_start "$state/pg")"
    conn="${conn#AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=}"
    say "metadata database: PostgreSQL ($conn)"
  else
    conn="sqlite:///$state/airflow.db"
    say "metadata database: SQLite ($conn) — PostgreSQL not available; development fallback"
  fi
  AIRFLOW_HOME="$state/home" \
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$conn" \
    AIRFLOW__CORE__DAGS_FOLDER="$root/airflow/dags" \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__UNIT_TEST_MODE=False \
    OP_AIRFLOW_VENV="$v" \
    "$v/bin/python" -m pytest -q -p no:cacheprovider "$root/tests/airflow" "$@" || status=$?
  return "$status"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  install) venv >/dev/null ;;
  venv) venv ;;
  pg-start) [ $# -eq 1 ] || die 2 "usage: $0 pg-start DIR"; pg_start "$1" ;;
  pg-stop) [ $# -eq 1 ] || die 2 "usage: $0 pg-stop DIR"; pg_stop "$1" ;;
  test) run_tests "$@" ;;
  lock) op_lock_constraints "$req" "$cons" "bash scripts/airflow.sh lock" ;;
  *) die 2 "usage: $0 install | venv | pg-start DIR | pg-stop DIR | test [pytest args] | lock" ;;
esac
