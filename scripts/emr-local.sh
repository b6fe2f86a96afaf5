#!/usr/bin/env bash
# Jars for the local EMR Serverless emulator (tests/emr-serverless): its spark-submit reads and writes
# s3:// through the s3a connector, which pyspark does not bundle. The connector must match pyspark's
# own Hadoop (3.3.4 for pyspark 3.5.5), so both jars are pinned in scripts/aws-local.versions.
#
# Usage: scripts/emr-local.sh install | jars | versions
#   install   download the jars from Maven Central into the cache outside the repo (idempotent; each
#             checked against the pinned SHA-1 and Maven's .sha1), then print their paths
#   jars      print the cached jar paths, one a line (exit 1 when not installed)
#   versions  print the pinned coordinates
#
# Environment:
#   OP_CACHE_DIR   cache root (default ~/.cache/open-payments); jars go to $OP_CACHE_DIR/jars/
#   MAVEN_REPO     override the repository base URL (default from scripts/aws-local.versions)
# Exit codes: 2 usage, 1 download or checksum failure, or not installed (jars).
set -euo pipefail

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$self")/.." && pwd)"
# shellcheck source=scripts/lib/venv.sh
source "$root/scripts/lib/venv.sh" # op_cache_dir: the same cache root as bootstrap and aws-local
repo_override="${MAVEN_REPO:-}"
# shellcheck source=scripts/aws-local.versions
source "$root/scripts/aws-local.versions"
MAVEN_REPO="${repo_override:-$MAVEN_REPO}"

LOG_NAME=emr-local
# shellcheck source=scripts/lib/log.sh
source "$root/scripts/lib/log.sh"

jars_dir="$(op_cache_dir)/jars"

# group:artifact:version:sha1, one line per jar (the order is the --jars order).
artifacts() {
  printf '%s\n' \
    "org.apache.hadoop:hadoop-aws:$HADOOP_AWS_VERSION:$HADOOP_AWS_SHA1" \
    "com.amazonaws:aws-java-sdk-bundle:$AWS_JAVA_SDK_BUNDLE_VERSION:$AWS_JAVA_SDK_BUNDLE_SHA1"
}

jar_path() { printf '%s/%s-%s.jar\n' "$jars_dir" "$2" "$3"; }

# Take an exclusive lock on FILE for the rest of the shell: parallel test files may install at once on
# a cold cache, and two downloads racing into one name would waste 280 MB each (as in aws-local.sh).
with_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
}

# fetch_jar GROUP ARTIFACT VERSION SHA1: download into a temp name, check, rename into place, so an
# interrupted or corrupt download never sits under the final name.
fetch_jar() {
  local group="$1" artifact="$2" version="$3" pinned="$4" dest url tmp maven_sha1 actual
  dest="$(jar_path "$@")"
  if [ -f "$dest" ]; then
    say "$artifact $version up to date ($dest)"
    return
  fi
  url="$MAVEN_REPO/${group//.//}/$artifact/$version/$artifact-$version.jar"
  tmp="$dest.$$.part"
  # shellcheck disable=SC2064  # expand now: remove this call's own temp file on any exit
  trap "rm -f '$tmp'" EXIT
  say "downloading $url"
  curl -fsSL --retry 3 --retry-delay 2 -o "$tmp" "$url" || die 1 "download failed: $url"
  # Maven's .sha1 files sometimes carry the file name after the digest: keep the first word only.
  maven_sha1="$(curl -fsSL --retry 3 "$url.sha1" | awk '{print $1; exit}')" || die 1 "could not fetch $url.sha1"
  actual="$(sha1sum "$tmp" | cut -d' ' -f1)"
  [ "$actual" = "$maven_sha1" ] || die 1 "$artifact-$version.jar: sha1 $actual does not match Maven's $maven_sha1"
  [ "$actual" = "$pinned" ] || die 1 "$artifact-$version.jar: sha1 $actual does not match the pin $pinned (scripts/aws-local.versions)"
  mv "$tmp" "$dest"
  trap - EXIT
  say "installed $dest ($(du -h "$dest" | cut -f1))"
}

cmd_jars() {
  local group artifact version sha1 path missing=0
  while IFS=: read -r group artifact version sha1; do
    path="$(jar_path "$group" "$artifact" "$version")"
    if [ -f "$path" ]; then printf '%s\n' "$path"; else missing=1; fi
  done < <(artifacts)
  [ $missing -eq 0 ] || die 1 "jars not installed in $jars_dir (run: bash scripts/emr-local.sh install)"
}

cmd_install() {
  with_lock "$jars_dir/.install.lock"
  local group artifact version sha1
  while IFS=: read -r group artifact version sha1; do
    fetch_jar "$group" "$artifact" "$version" "$sha1"
  done < <(artifacts)
  cmd_jars
}

cmd_versions() {
  artifacts | cut -d: -f1-3 | sed 's|$| (scripts/aws-local.versions)|'
}

case "${1:-}" in
install) cmd_install ;;
jars) cmd_jars ;;
versions) cmd_versions ;;
*)
  sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
