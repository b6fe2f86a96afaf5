#!/usr/bin/env bash
# Local AWS endpoints for the "aws" target tests, so real AWS SDK clients run against real protocol
# servers on 127.0.0.1 with no internet:
#   S3         versitygw (S3 gateway over a POSIX directory; conditional writes, multipart, ranges)
#   Glue, STS  moto server (in-memory; it also serves EMR Serverless, which we do not rely on)
#
# Usage: scripts/aws-local.sh install | start | stop | env [--export] | status | versions | lock
#   install   build/install both into the cache outside the repo (idempotent, pinned, shared by clones)
#   start     install if missing, start both on free ports, wait until each answers, print the env lines
#             (also written to $AWS_LOCAL_STATE/env); a second start on a running state dir reuses it
#   stop      stop what `start` started for this state dir (data and logs stay until you delete the dir)
#   env       print the env file of the running servers (`--export` prefixes each line for `eval`)
#   status    exit 0 when both servers of this state dir run
#   versions  print the pinned versions (scripts/aws-local.versions, python/aws-requirements.txt)
#   lock      regenerate python/aws-constraints.txt from python/aws-requirements.txt (commit both)
#
# Environment:
#   AWS_LOCAL_STATE            state dir: data, logs, pids, env (default /tmp/op-aws-local-$UID)
#   OP_CACHE_DIR               cache root (default ~/.cache/open-payments), as in scripts/bootstrap.sh
#   AWS_LOCAL_S3_PORT          fixed port for versitygw (default: a free port)
#   AWS_LOCAL_MOTO_PORT        fixed port for moto (default: a free port)
#   AWS_LOCAL_ACCESS_KEY_ID / AWS_LOCAL_SECRET_ACCESS_KEY   static test credentials (default
#                              op-local-access-key / op-local-secret-key)
#   AWS_LOCAL_START_TIMEOUT    seconds to wait for each server to answer (default 60)
#   AWS_LOCAL_OWNER_PID        when set, a watchdog stops the servers once that process is gone (tests
#                              pass their own pid so a crashed test run leaves nothing behind)
# Exit codes: 2 usage, 3 a prerequisite is missing (Go, Python), 4 a server did not come up, 1 other.
set -euo pipefail

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$self")/.." && pwd)"
# shellcheck source=scripts/lib/venv.sh
source "$root/scripts/lib/venv.sh"
# shellcheck source=scripts/aws-local.versions
source "$root/scripts/aws-local.versions"

LOG_NAME=aws-local
# shellcheck source=scripts/lib/log.sh
source "$root/scripts/lib/log.sh"
# shellcheck source=scripts/lib/go-tool.sh
source "$root/scripts/lib/go-tool.sh"

cache_dir="$(op_cache_dir)"
tools_dir="$cache_dir/tools"
vgw_dir="$tools_dir/versitygw-$VERSITYGW_VERSION"
vgw_bin="$vgw_dir/bin/versitygw"
aws_req="$root/python/aws-requirements.txt"
aws_cons="$root/python/aws-constraints.txt"
state="${AWS_LOCAL_STATE:-/tmp/op-aws-local-$(id -u)}"
region=us-east-1
# Fixed, obviously fake test credentials: versitygw's root account; moto accepts any pair.
access_key="${AWS_LOCAL_ACCESS_KEY_ID:-op-local-access-key}"
secret_key="${AWS_LOCAL_SECRET_ACCESS_KEY:-op-local-secret-key}"
start_timeout="${AWS_LOCAL_START_TIMEOUT:-60}"

# --- install ----------------------------------------------------------------------------------------
# CGO_ENABLED=0 (op_go_install): the posix backend needs no C (xattrs go through x/sys); only optional
# RDMA/CUDA object clients use cgo. -X main.Version makes `versitygw --version` report the pin, not "git".
install_versitygw() {
  op_go_install versitygw "$VERSITYGW_VERSION" "$VERSITYGW_MODULE/cmd/versitygw" "$VERSITYGW_GO_MIN" "$vgw_dir" \
    "-s -w -X main.Version=$VERSITYGW_VERSION -X main.Build=go-install"
}

install_moto() {
  [ -f "$aws_cons" ] || die 1 "python/aws-constraints.txt is missing: run 'bash scripts/aws-local.sh lock'"
  command -v "${OP_PYTHON:-python3}" >/dev/null 2>&1 || die 3 "python3 is needed for the moto venv"
  local venv
  venv="$(op_ensure_venv venv-aws "$aws_req" "$aws_cons")" || die 1 "could not build the moto venv (pip output above)"
  say "moto venv ready ($venv)"
}

cmd_install() {
  with_lock "$tools_dir/.aws-local-install.lock"
  op_both install_versitygw install_moto
}

moto_server_bin() { printf '%s/bin/moto_server\n' "$(op_venv_path venv-aws "$aws_req" "$aws_cons")"; }

# --- start / stop -----------------------------------------------------------------------------------
pid_of() { cat "$state/$1.pid" 2>/dev/null || true; }

# Alive means "exists and is no zombie". Where pid 1 does not reap orphans (seen in this sandbox), a
# dead process can stay a zombie for long, and `kill -0` still succeeds on it.
alive() {
  local st
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  st="$(sed -E 's/^.*\) ([A-Z]).*$/\1/' "/proc/$1/stat" 2>/dev/null || true)"
  [ -n "$st" ] && [ "$st" != Z ]
}

# A pid from our pid file counts only while it is alive and still runs the program we started (its
# cmdline names it): a recycled pid of some other process is never signalled.
is_ours() {
  alive "$1" || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

running() { is_ours "$(pid_of versitygw)" versitygw && is_ours "$(pid_of moto)" moto_server; }

# Two distinct free loopback ports, chosen by the OS (bound together so they differ).
free_ports() {
  python3 - <<'PY'
import socket
socks = []
for _ in range(2):
    s = socket.socket(); s.bind(('127.0.0.1', 0)); socks.append(s)
print(' '.join(str(s.getsockname()[1]) for s in socks))
PY
}

# wait_http URL PID EXPECT: poll until URL answers as EXPECTed ("server:NAME" = any status with that
# Server header, "200" = status 200). Exit 0 answered, 3 the process died, 4 timed out.
wait_http() {
  python3 - "$1" "$2" "$3" "$start_timeout" <<'PY'
import sys, time, urllib.request, urllib.error
url, pid, expect, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
# No proxies: the servers are on loopback and an HTTP(S)_PROXY of the environment must not intercept.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
def alive():
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False
def ok(status, headers):
    if expect.startswith('server:'):
        return headers.get('Server', '') == expect[len('server:'):]
    return str(status) == expect
deadline = time.monotonic() + timeout
while True:
    if not alive():
        sys.exit(3)
    try:
        with opener.open(url, timeout=2) as r:
            if ok(r.status, r.headers): sys.exit(0)
    except urllib.error.HTTPError as e:
        if ok(e.code, e.headers): sys.exit(0)
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(4)
    time.sleep(0.1)
PY
}

# launch NAME PORT CMD...: start CMD in its own session (so `stop` can signal its whole process group
# and nothing of it shares our terminal), stdio to NAME.log, and record its pid.
launch() {
  local name="$1"
  shift
  shift # port (only for the log line)
  # 9>&-: the server must not inherit our lock on the state dir, or `stop` would wait on it forever.
  (cd "$state" && exec setsid "$@" </dev/null >>"$state/$name.log" 2>&1 9>&-) &
  echo $! >"$state/$name.pid"
}

# The part of NAME.log written since its last start header (logs are appended across starts).
last_run_log() { awk -v h="== $1 start " 'index($0, h) == 1 { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$state/$1.log"; }

# start_server NAME FIXED_PORT EXPECT PATH CMD_BUILDER: start, wait; retry with a new free port when an
# OS-chosen port was taken between choosing and binding (nothing else retries).
start_server() {
  local name="$1" fixed="$2" expect="$3" path="$4" builder="$5" port rc attempt argv
  for attempt in 1 2 3; do
    if [ -n "$fixed" ]; then port="$fixed"; else port="$(free_ports | cut -d' ' -f1)"; fi
    printf '\n== %s start %s on 127.0.0.1:%s\n' "$name" "$(date -u +%FT%TZ)" "$port" >>"$state/$name.log"
    # The builder prints one argument per line (paths may contain spaces).
    mapfile -t argv < <("$builder" "$port")
    launch "$name" "$port" "${argv[@]}"
    rc=0
    wait_http "http://127.0.0.1:$port$path" "$(pid_of "$name")" "$expect" || rc=$?
    if [ $rc -eq 0 ]; then
      printf -v "${name}_port" '%s' "$port"
      return 0
    fi
    if [ $rc -eq 3 ] && [ -z "$fixed" ] && last_run_log "$name" | grep -qi 'address already in use'; then
      say "$name: port $port was taken meanwhile, retrying ($attempt/3)"
      continue
    fi
    last_run_log "$name" | tail -n 20 >&2 || true
    cmd_stop >/dev/null 2>&1 || true
    if [ $rc -eq 3 ]; then die 4 "$name exited before answering on 127.0.0.1:$port (log: $state/$name.log)"; fi
    die 4 "$name did not answer on 127.0.0.1:$port within ${start_timeout}s (log: $state/$name.log)"
  done
  cmd_stop >/dev/null 2>&1 || true
  die 4 "$name: no free port after 3 attempts (log: $state/$name.log)"
}

versitygw_argv() {
  local meta=()
  # versitygw keeps object metadata (etag, content-type, ACLs) in user xattrs; where the filesystem
  # of the state dir has none (some tmpfs/overlay mounts), keep it in a sidecar directory instead.
  if ! python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.op_probe", b"1"); os.removexattr(sys.argv[1], "user.op_probe")' "$state/s3" 2>/dev/null; then
    mkdir -p "$state/s3-meta"
    meta=(--sidecar "$state/s3-meta")
  fi
  printf '%s\n' "$vgw_bin" --port "127.0.0.1:$1" --region "$region" --quiet posix "${meta[@]}" "$state/s3"
}

moto_argv() { printf '%s\n' "$(moto_server_bin)" -H 127.0.0.1 -p "$1"; }

write_env() {
  local s3="http://127.0.0.1:$versitygw_port" moto="http://127.0.0.1:$moto_port"
  # Only service-specific endpoint variables (no AWS_ENDPOINT_URL): every other service must fail
  # loudly rather than reach a stand-in by accident.
  cat >"$state/env.tmp" <<EOF
AWS_ENDPOINT_URL_S3=$s3
AWS_ENDPOINT_URL_GLUE=$moto
AWS_ENDPOINT_URL_STS=$moto
AWS_ACCESS_KEY_ID=$access_key
AWS_SECRET_ACCESS_KEY=$secret_key
AWS_REGION=$region
AWS_LOCAL_MOTO_URL=$moto
AWS_LOCAL_STATE=$state
EOF
  mv "$state/env.tmp" "$state/env"
}

versitygw_port='' moto_port='' # set by start_server
cmd_start() {
  mkdir -p "$state"
  state="$(cd "$state" && pwd)"
  with_lock "$state/.lock"
  if running && [ -f "$state/env" ]; then
    say "already running in $state"
    cat "$state/env"
    return
  fi
  cmd_stop_unlocked >/dev/null 2>&1 || true # half-started leftovers of an earlier run
  (cmd_install) # in a subshell: its install lock must not replace this state dir's lock (fd 9)
  mkdir -p "$state/s3" "$state/moto"
  export ROOT_ACCESS_KEY_ID="$access_key" ROOT_SECRET_ACCESS_KEY="$secret_key"
  start_server versitygw "${AWS_LOCAL_S3_PORT:-}" server:VERSITYGW / versitygw_argv
  start_server moto "${AWS_LOCAL_MOTO_PORT:-}" 200 /moto-api/ moto_argv
  unset ROOT_ACCESS_KEY_ID ROOT_SECRET_ACCESS_KEY
  write_env
  if [ -n "${AWS_LOCAL_OWNER_PID:-}" ]; then
    (exec setsid bash "$self" __watch "$AWS_LOCAL_OWNER_PID" "$state" </dev/null >>"$state/watchdog.log" 2>&1 9>&-) &
    echo $! >"$state/watchdog.pid"
  fi
  say "S3 (versitygw) on 127.0.0.1:$versitygw_port, Glue/STS (moto) on 127.0.0.1:$moto_port; state $state"
  cat "$state/env"
}

# stop_one NAME WHAT: TERM the process group, wait up to 5 s, then KILL.
stop_one() {
  local name="$1" what="$2" pid _
  pid="$(pid_of "$name")"
  if is_ours "$pid" "$what" && [ "$pid" != "$$" ]; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do is_ours "$pid" "$what" || break; sleep 0.1; done
    if is_ours "$pid" "$what"; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    say "stopped $name ($pid)"
  fi
  rm -f "$state/$name.pid"
}

cmd_stop_unlocked() {
  [ -d "$state" ] || return 0
  stop_one versitygw versitygw
  stop_one moto moto_server
  stop_one watchdog __watch
  rm -f "$state/env"
}

cmd_stop() {
  [ -d "$state" ] || {
    say "nothing to stop ($state does not exist)"
    return 0
  }
  with_lock "$state/.lock"
  cmd_stop_unlocked
}

cmd_env() {
  if ! { [ -f "$state/env" ] && running; }; then
    die 1 "not running in $state (run: bash scripts/aws-local.sh start)"
  fi
  if [ "${1:-}" = --export ]; then sed 's/^/export /' "$state/env"; else cat "$state/env"; fi
}

cmd_status() {
  local ok=0
  if is_ours "$(pid_of versitygw)" versitygw; then say "versitygw running ($(pid_of versitygw))"; else say "versitygw stopped"; ok=1; fi
  if is_ours "$(pid_of moto)" moto_server; then say "moto running ($(pid_of moto))"; else say "moto stopped"; ok=1; fi
  return $ok
}

cmd_versions() {
  echo "versitygw $VERSITYGW_MODULE@$VERSITYGW_VERSION (scripts/aws-local.versions)"
  grep -E '^[A-Za-z]' "$aws_req" | sed 's|$| (python/aws-requirements.txt)|'
}

cmd_lock() {
  op_lock_constraints "$aws_req" "$aws_cons" "bash scripts/aws-local.sh lock"
  echo "wrote python/aws-constraints.txt"
}

# Internal: the watchdog behind AWS_LOCAL_OWNER_PID. Ends on its own once the servers are stopped.
cmd_watch() {
  local owner="$1"
  state="$2"
  while alive "$owner"; do
    [ -f "$state/versitygw.pid" ] || exit 0
    sleep 1
  done
  say "owner process $owner is gone: stopping the servers in $state"
  cmd_stop
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env "${2:-}" ;;
status) cmd_status ;;
versions) cmd_versions ;;
lock) cmd_lock ;;
__watch) cmd_watch "$2" "$3" ;;
*)
  sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
