#!/bin/sh
# Parser benchmark: generates 10,000 runs' logs (our text format, and the same
# with the JSONL file) and times `--parse` against `cat` reading the same
# files (the floor). Needs hyperfine and GNU time.
#
#   scripts/bench-parse.sh [BUILD_DIR] [WORK_DIR] [PARSE_COMMAND]
#
# PARSE_COMMAND defaults to BUILD_DIR/tests/fakes/parse_cli_helper (exactly
# run_parse_command); give "BUILD_DIR/carbontracker --parse" to time the CLI.
set -eu
build=${1:-build}
work=${2:-/tmp/ct-parse-bench}
parse=${3:-$build/tests/fakes/parse_cli_helper}
runs=${RUNS:-10000}

if [ ! -d "$work/text" ]; then
  "$build/tests/fakes/gen_logs_helper" "$work/text" "$runs"
  "$build/tests/fakes/gen_logs_helper" "$work/jsonl" "$runs" --jsonl
fi
echo "files: text $(ls "$work/text" | wc -l) ($(du -sh --apparent-size "$work/text" | cut -f1)), jsonl $(ls "$work/jsonl" | wc -l) ($(du -sh --apparent-size "$work/jsonl" | cut -f1))"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

hyperfine -N -w 2 -r "${ROUNDS:-10}" \
  "sh -c 'find $work/text -type f -exec cat {} + > /dev/null'" \
  "$parse $work/text" \
  "sh -c 'find $work/jsonl -type f -exec cat {} + > /dev/null'" \
  "sh -c 'find $work/jsonl -name *.jsonl -exec cat {} + > /dev/null'" \
  "$parse $work/jsonl" \
  "$parse $work/text --format json" \
  "$parse $work/jsonl --by job"

for cmd in "sh -c 'find $work/text -type f -exec cat {} + > /dev/null'" "$parse $work/text" "$parse $work/jsonl" \
           "$parse $work/text --format json" "$parse $work/jsonl --by job"; do
  rss=$(eval "/usr/bin/time -f %M $cmd" 2>&1 >/dev/null | tail -n 1)
  echo "peak RSS ${rss} KiB: $cmd"
done
