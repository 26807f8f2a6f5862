#!/usr/bin/env bash
# Runs the whole test suite (the C++ and Python tests of build/, the C++
# tests under AddressSanitizer + UndefinedBehaviorSanitizer and under
# ThreadSanitizer) several times in a row on a machine made slow on purpose:
# stress-ng keeps every core busy and the suite is pinned to one core.
# Nothing is rerun: every failure counts.
#
#   scripts/test-under-load.sh [RUNS]        (default 3)
#
# Builds what scripts/test.sh builds if it is not there yet. Needs stress-ng
# (installed with apt-get when missing, as root). Prints one line per run
# and ends with "N passed, M failed" (runs); the logs are in
# build/under-load/run-K.log. Exit status 0 only if every run passed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
core=${TEST_UNDER_LOAD_CORE:-0}
stressors=${TEST_UNDER_LOAD_STRESSORS:-2}

if ! command -v stress-ng >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng >/dev/null ||
    { echo "test-under-load: stress-ng is missing (apt-get install stress-ng)" >&2; exit 2; }
fi
for dir in build build-address build-thread; do
  if [ ! -f "$dir/CTestTestfile.cmake" ]; then
    echo "test-under-load: $dir is not built; building as scripts/test.sh does"
    CT_TEST_BUILD_ONLY=1 bash scripts/test.sh || exit 2
    break
  fi
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp"
out=build/under-load
mkdir -p "$out"
stress_pid=
cleanup() { [ -n "$stress_pid" ] && kill "$stress_pid" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT

passed=0 failed=0
for k in $(seq 1 "$runs"); do
  log=$out/run-$k.log
  stress-ng --cpu "$stressors" --timeout 7200 --quiet &
  stress_pid=$!
  start=$(date +%s)
  (
    echo "== run $k: stress-ng --cpu $stressors beside the suite, suite pinned to core $core"
    rc=0
    echo "== sanitizers: address + undefined"
    taskset -c "$core" ctest --test-dir build-address --output-on-failure -j2 -LE no-sanitizer || rc=1
    echo "== sanitizers: thread"
    taskset -c "$core" ctest --test-dir build-thread --output-on-failure -j2 -LE no-sanitizer || rc=1
    echo "== full suite"
    taskset -c "$core" ctest --test-dir build --output-on-failure -j2 || rc=1
    exit $rc
  ) >"$log" 2>&1
  rc=$?
  kill "$stress_pid" 2>/dev/null
  wait "$stress_pid" 2>/dev/null
  stress_pid=
  took=$(($(date +%s) - start))
  summary=$(grep -E 'tests passed|tests failed' "$log" | paste -sd';' -)
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    echo "run $k: passed in ${took} s ($summary)"
  else
    failed=$((failed + 1))
    echo "run $k: FAILED in ${took} s ($summary); failing tests:"
    grep -E '^\s+[0-9]+ - ' "$log" | grep -v '(Skipped)' | sed 's/^/    /'
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
