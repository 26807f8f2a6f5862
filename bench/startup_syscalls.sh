#!/usr/bin/env bash
# System calls of the wrapper's start-up, for hosts where they are dear
# (gVisor, microVMs): `strace -f -c` of `carbontracker ... -- true` against
# `true` itself, run from a scratch directory with Debian's default PATH (the
# command's PATH search costs one execve per directory before /usr/bin).
#
# Usage: bench/startup_syscalls.sh [CLI] (default build/carbontracker)
# Needs strace. Prints one line per run: total calls, and calls beyond `true`'s.
# TRACE=1 also writes the full traces to $OUT_DIR (default /tmp).
set -euo pipefail
cli="$(realpath "${1:-build/carbontracker}")"
[ -x "$cli" ] || { echo "no CLI at $cli: build it first" >&2; exit 1; }
out_dir="${OUT_DIR:-/tmp}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

count() {  # total system calls of "$@", children included
  strace -f -c -o "$work/summary" "$@" >/dev/null 2>&1 || true
  awk '$NF == "total" { print $4 }' "$work/summary"
}

base=$(count true)
printf '%-50s %5s %s\n' "true" "$base" ""
run() {
  local label="$1"; shift
  local n; n=$(count "$@")
  printf '%-50s %5s (+%s)\n' "$label" "$n" "$((n - base))"
  if [ "${TRACE:-0}" = 1 ]; then
    strace -f -o "$out_dir/startup_$(echo "$label" | tr -c 'a-z0-9' '_').trace" "$@" >/dev/null 2>&1 || true
  fi
  rm -rf "$work/logs"
}
run 'carbontracker --offline --log_dir "" -- true' "$cli" --offline --log_dir "" -- true
run 'carbontracker --offline -- true' "$cli" --offline -- true
