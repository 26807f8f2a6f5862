#!/usr/bin/env bash
# System calls of the wrapper's start-up, for hosts where they are dear
# (gVisor, microVMs): `strace -f` of `carbontracker ... -- true` against
# `true` itself, run from a scratch directory with Debian's default PATH (the
# command's PATH search costs one execve per directory before /usr/bin).
#
# Usage: bench/startup_syscalls.sh [CLI] (default build/carbontracker)
# Needs strace. Prints one line per run: total calls (`strace -f -c`), calls
# beyond `true`'s, and the wrapper's own: those of its process, the child's
# (the command's, its PATH search included) left out.
# TRACE=1 also writes the full traces to $OUT_DIR (default /tmp).
# MAX_OWN=N: exit 1 when a run's own calls are N or more (the test suite).
set -euo pipefail
cli="$(realpath "${1:-build/carbontracker}")"
[ -x "$cli" ] || { echo "no CLI at $cli: build it first" >&2; exit 1; }
command -v strace >/dev/null || { echo "strace is not installed (apt-get install strace)" >&2; exit 1; }
out_dir="${OUT_DIR:-/tmp}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

count() {  # total system calls of "$@", children included
  strace -f -c -o "$work/summary" "$@" >/dev/null 2>&1 || true
  awk '$NF == "total" { print $4 }' "$work/summary"
}
own() {  # system calls of the first process only (the wrapper's)
  strace -f -o "$work/trace" "$@" >/dev/null 2>&1 || true
  local pid; pid=$(awk 'NR == 1 { print $1 }' "$work/trace")
  awk -v p="$pid" '$1 == p && !/resumed>/ && !/^[0-9]+ +(\+\+\+|---)/' "$work/trace" | wc -l
}

base=$(count true)
printf '%-50s %5s %6s %s\n' "run" "total" "beyond" "own"
printf '%-50s %5s %6s %s\n' "true" "$base" "" ""
status=0
run() {
  local label="$1"; shift
  local n o; n=$(count "$@"); rm -rf "$work/logs"
  o=$(own "$@"); rm -rf "$work/logs"
  printf '%-50s %5s %6s %s\n' "$label" "$n" "+$((n - base))" "$o"
  if [ -n "${MAX_OWN:-}" ] && [ "$o" -ge "$MAX_OWN" ]; then
    echo "FAIL: $label makes $o system calls of its own (goal: under $MAX_OWN)" >&2
    status=1
  fi
  if [ "${TRACE:-0}" = 1 ]; then
    strace -f -o "$out_dir/startup_$(echo "$label" | tr -c 'a-z0-9' '_').trace" "$@" >/dev/null 2>&1 || true
    rm -rf "$work/logs"
  fi
}
run 'carbontracker --offline --log_dir "" -- true' "$cli" --offline --log_dir "" -- true
run 'carbontracker --offline -- true' "$cli" --offline -- true
exit $status
