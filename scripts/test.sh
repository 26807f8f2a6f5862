#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root), builds everything and runs the
# whole test suite: the C++ tests, the Python tests, the side-by-side tests
# against the original from PyPI (ctest -L original), the wheel in Debian
# roots made by scripts/make-roots.sh (ctest -L wheel-matrix), and the C++
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer and
# ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)
# ccache (installed by install-deps.sh) keeps compiled objects between runs
# outside the clone: a second run rebuilds only what changed, wherever the
# clone is (CCACHE_BASEDIR makes the paths relative, and CCACHE_NOHASHDIR lets
# the builds with debug information hit across clones too).
export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true

# The original's venvs and the wheels' toolchain (Zig, auditwheel) download
# while the builds compile.
mkdir -p build
{ bash scripts/setup-original.sh build/venvs && bash scripts/setup-zig.sh; } > build/setup-original.log 2>&1 &
setup_pid=$!
# So do the Debian roots of the wheel matrix (ctest -L wheel-matrix; cached).
roots_pid=
integ_pid=
if [ -z "${CT_TEST_BUILD_ONLY:-}" ]; then
  bash scripts/make-roots.sh > build/make-roots.log 2>&1 &
  roots_pid=$!
  # And the frameworks' venv of ctest -L integrations (cached).
  bash scripts/setup-integrations.sh > build/setup-integrations.log 2>&1 &
  integ_pid=$!
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"

for san in address,undefined thread; do
  dir=build-${san%%,*}
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCT_SANITIZE=$san \
        -DCT_BUILD_PYTHON=OFF -DCT_BUILD_BENCH=OFF
  cmake --build "$dir" -j"$jobs"
done
if [ -n "${CT_TEST_BUILD_ONLY:-}" ]; then  # scripts/test-under-load.sh builds through here
  wait "$setup_pid" || { cat build/setup-original.log; exit 1; }
  exit 0
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp"
echo "== sanitizers: address + undefined"
ctest --test-dir build-address --output-on-failure -j"$jobs" -LE no-sanitizer
echo "== sanitizers: thread"
ctest --test-dir build-thread --output-on-failure -j"$jobs" -LE no-sanitizer
wait "$setup_pid" || { cat build/setup-original.log; exit 1; }
cat build/setup-original.log
# Its failure or skip is reported again by the wheel_matrix_roots test.
wait "$roots_pid" || true
cat build/make-roots.log
wait "$integ_pid" || { cat build/setup-integrations.log; exit 1; }
echo "== full suite"
ctest --test-dir build --output-on-failure -j"$jobs"
