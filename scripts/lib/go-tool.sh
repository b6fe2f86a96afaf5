# Tools built from the Go module proxy into the cache (versitygw, Terraform), shared by
# scripts/aws-local.sh and scripts/terraform-tools.sh. Needs scripts/lib/log.sh (say, die).

# Exclusive lock for the rest of the shell (two concurrent `go install`s into one dir would corrupt it).
with_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
}

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# op_go_install NAME VERSION PACKAGE GO_MIN DEST LDFLAGS
# Builds PACKAGE@VERSION into DEST/bin/NAME once (DEST/.complete marks it done; DEST/BUILDINFO keeps
# `go version -m`). CGO_ENABLED=0: static binaries that survive a C toolchain or libc change. The
# build runs in a scratch dir next to DEST (so no go.mod/go.work of the caller is involved) that is
# renamed into place: an interrupted build never looks installed.
op_go_install() {
  local name="$1" version="$2" package="$3" go_min="$4" dest="$5" ldflags="$6"
  if [ -x "$dest/bin/$name" ] && [ -f "$dest/.complete" ]; then
    say "$name $version up to date ($dest/bin/$name)"
    return
  fi
  command -v go >/dev/null 2>&1 ||
    die 3 "Go >= $go_min is needed to build $name $version (go install from the module proxy); install Go and rerun"
  local gov
  gov="$(go env GOVERSION | sed 's/^go//')"
  version_ge "$gov" "$go_min" || die 3 "$name $version needs Go >= $go_min, found go$gov"
  say "building $name $version with go$gov (first time only: minutes of compiling on 2 cores)"
  local parent tmp log
  parent="$(dirname "$dest")"
  tmp="$parent/.$name-$version.$$"
  log="$parent/$name-$version.build.log"
  rm -rf "$tmp" && mkdir -p "$tmp/bin"
  if ! (cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp/bin" go install -trimpath -ldflags "$ldflags" \
    "$package@$version") >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -rf "$tmp"
    die 1 "go install $package@$version failed (full log: $log)"
  fi
  go version -m "$tmp/bin/$name" | sed "1s|^[^:]*:|$name:|" >"$tmp/BUILDINFO"
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  say "installed $dest/bin/$name"
}

# op_both FN1 FN2: runs two install steps at once (a Go build is CPU, a venv is downloads) as
# background jobs (where `set -e` still holds, unlike in `(…) || …`), waits for both — a failure of
# one never leaves the other running unattended — and exits with the first failure.
op_both() {
  local job1 job2 rc1=0 rc2=0
  "$1" &
  job1=$!
  "$2" &
  job2=$!
  wait "$job1" || rc1=$?
  wait "$job2" || rc2=$?
  [ $rc1 -eq 0 ] || exit $rc1
  [ $rc2 -eq 0 ] || exit $rc2
}
