#!/usr/bin/env bash
# Wall time and peak RSS of the original (from PyPI, scripts/setup-original.sh)
# and ours on the same simulated run, measured together on one machine, for
# BENCHMARKS.md. Without network for both (a refusing proxy).
#
#   scripts/bench-original.sh [BUILD] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build} runs=${2:-5}
venvs=$build/venvs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 \
       HTTPS_PROXY=http://127.0.0.1:9 no_proxy= NO_PROXY= MPLCONFIGDIR=$venvs/mplconfig
sim=(--sim-cpu "Sim CPU" --sim-cpu-tdp 100 --sim-gpu "Sim GPU" --sim-gpu-watts 200)
orig247="$venvs/original-2.4.7/bin/carbontracker --log_dir $work/o ${sim[*]@Q} sleep 1"
ours="$build/carbontracker --log_dir $work/u ${sim[*]@Q} sleep 1"
api_orig="$venvs/original-2.4.7/bin/python tests/original/drive_api.py $work/ao"
api_ours="PYTHONPATH=$build/python /usr/bin/python3 tests/original/drive_api.py $work/au"

echo "== CLI, simulated CPU + GPU, 'sleep 1' (2.1.2 has no simulated components)"
hyperfine -N --warmup 1 --runs "$runs" -n "original 2.4.7" "$orig247" -n ours "$ours" 2>&1 | grep -v "^ *$"
echo "== embedded API, 3 epochs of 0.3 s (tests/original/drive_api.py)"
hyperfine --warmup 1 --runs "$runs" -n "original 2.4.7" "$api_orig" -n ours "$api_ours" 2>&1 | grep -v "^ *$"
echo "== parse_all_logs of the same logs (ours of the API runs above)"
declare -A parse
for v in 2.1.2 2.4.7; do
  parse[$v]="$venvs/original-$v/bin/python -c 'import sys; from carbontracker import parser; parser.parse_all_logs(sys.argv[1])' $work/au"
done
hyperfine --warmup 1 --runs "$runs" -n "original 2.1.2" "${parse[2.1.2]}" -n "original 2.4.7" "${parse[2.4.7]}" \
  -n ours "PYTHONPATH=$build/python /usr/bin/python3 -c 'import sys; from carbontracker import parser; parser.parse_all_logs(sys.argv[1])' $work/au" 2>&1 | grep -v "^ *$"
echo "== peak RSS (/usr/bin/time -v), one run each"
rss() { /usr/bin/time -v bash -c "$2" 2>&1 >/dev/null | awk -v n="$1" '/Maximum resident/ {printf "%-28s %7.1f MiB\n", n, $6/1024}'; }
rss "CLI original 2.4.7" "$orig247"
rss "CLI ours" "$ours"
rss "API original 2.4.7" "$api_orig"
rss "API ours" "$api_ours"
rss "parse original 2.1.2" "${parse[2.1.2]}"
rss "parse original 2.4.7" "${parse[2.4.7]}"
rss "parse ours" "PYTHONPATH=$build/python /usr/bin/python3 -c 'import sys; from carbontracker import parser; parser.parse_all_logs(sys.argv[1])' $work/au"
