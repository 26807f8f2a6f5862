#!/usr/bin/env bash
# Start-up cost of carbon intensity in the CLI: the whole run of
# `carbontracker ... true` (start-up, launch of the wrapped command, report,
# exit) with --offline, with the providers' URLs on a closed local port
# (connection refused at once), and on a silent local server that accepts
# connections and never answers (the request hangs; a request pending at exit
# must be cancelled, not awaited). Only loopback addresses are used. Each is
# timed with `true` (shorter than the network thread's 250 ms start delay)
# and with `sleep 1` (the network thread is mid-request at exit).
#
# Usage: bench/intensity_startup.sh [BUILD_DIR] (default build)
# Needs hyperfine. Prints hyperfine's table; results go to
# $OUT_DIR/intensity_startup.md (default /tmp).
set -euo pipefail
build="${1:-build}"
cli="$build/carbontracker"
[ -x "$cli" ] || { echo "build the CLI first: cmake --build $build --target carbontracker_cli" >&2; exit 1; }
out_dir="${OUT_DIR:-/tmp}"
work="$(mktemp -d)"
# A server on loopback that accepts connections and never answers.
port_file="$work/port"
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(128)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$port_file" &
silent_pid=$!
trap 'kill $silent_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
silent="http://127.0.0.1:$(cat "$port_file")"
export XDG_CACHE_HOME="$work/cache"   # no cached geolocation between runs
export TZ=Europe/Copenhagen
export CARBONTRACKER_POWERCAP_ROOT="$work/none" CARBONTRACKER_PROC_ROOT="$work/none"
export CARBONTRACKER_NVML_LIBRARY="$work/none.so" CARBONTRACKER_ROCM_SMI_LIBRARY="$work/none.so"
unset CARBONTRACKER_OFFLINE CARBONTRACKER_REGION
base="$cli --sim-cpu Bench --sim-cpu-tdp 100 --log_dir $work/logs --verbose 0"
urls() {
  echo "CARBONTRACKER_IPGEO_URL=$1 CARBONTRACKER_ELECTRICITYMAPS_URL=$1" \
       "CARBONTRACKER_CARBONINTENSITY_UK_URL=$1 CARBONTRACKER_ENERGIDATASERVICE_URL=$1"
}
hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-markdown "$out_dir/intensity_startup.md" \
  -n offline "env $(urls http://127.0.0.1:9) $base --offline true" \
  -n refused "env $(urls http://127.0.0.1:9) $base true" \
  -n silent "env $(urls "$silent") $base true" \
  -n "offline, sleep 1" "env $(urls http://127.0.0.1:9) $base --offline sleep 1" \
  -n "refused, sleep 1" "env $(urls http://127.0.0.1:9) $base sleep 1" \
  -n "silent, sleep 1" "env $(urls "$silent") $base sleep 1"

# Start-up to launch: the wrapped command stamps the time it starts; the
# difference from just before exec is the CLI's start-up (plus one `date`).
launch() {  # $1 name, rest: command prefix
  local name="$1"; shift
  local samples=()
  for _ in $(seq "${RUNS:-30}"); do
    local t0 t1
    t0=$(date +%s%N)
    env "$@" sh -c "date +%s%N > $work/launched" >/dev/null
    t1=$(cat "$work/launched")
    samples+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk -v n="$name" \
    '{a[NR]=$1; s+=$1} END {printf "%-10s launch latency: median %.1f ms, mean %.1f ms, max %.1f ms (%d runs)\n", n, a[int((NR+1)/2)]/1000, s/NR/1000, a[NR]/1000, NR}'
}
echo
# shellcheck disable=SC2046
launch offline $(urls http://127.0.0.1:9) $base --offline
# shellcheck disable=SC2046
launch refused $(urls http://127.0.0.1:9) $base
# shellcheck disable=SC2046
launch silent $(urls "$silent") $base
