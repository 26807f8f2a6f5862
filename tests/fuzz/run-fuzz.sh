#!/bin/sh
# Runs a fuzz target for a bounded time (a ctest test).
#   run-fuzz.sh FUZZER SEED_CORPUS_DIR SECONDS
# New inputs go to a scratch copy of the corpus, never into the source tree.
# A crash leaves its input in the scratch directory and fails the test;
# reproduce with `FUZZER crash-file`.
set -eu
fuzzer=$1
seeds=$2
seconds=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-fuzz.XXXXXX")
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" 2>"$work/log"
rc=$?
set -e
tail -n 25 "$work/log"
if [ "$rc" -ne 0 ]; then
  echo "$(basename "$fuzzer") FAILED (exit $rc); inputs: $work/artifacts" >&2
  ls -l "$work/artifacts" >&2
  exit "$rc"
fi
rm -rf "$work"
echo "$(basename "$fuzzer"): no failure in ${seconds}s"
