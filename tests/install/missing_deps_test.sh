#!/usr/bin/env bash
# A missing Debian -dev package stops CMake's configuration with one line that
# names it (CMakeLists.txt, ct_require): each of fmt, nlohmann-json, libcurl and
# cairo is hidden in turn from a fresh configure with Debian's compiler.
#
#   bash tests/install/missing_deps_test.sh SOURCE_DIR
set -euo pipefail
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

check() {  # check PACKAGE [cmake arguments...] : configure, expect one line naming PACKAGE
  local package=$1; shift
  local out st=0
  out=$(cmake -S "$src" -B "$work/$package" -G Ninja -DCT_BUILD_TESTS=OFF -DCT_BUILD_BENCH=OFF \
        -DCT_BUILD_PYTHON=OFF "$@" 2>&1) || st=$?
  [ "$st" != 0 ] || fail "configure without $package succeeded"
  local want="carbontracker: $package is missing: apt-get install $package"
  [ "$(grep -c 'is missing' <<<"$out")" = 1 ] || fail "expected one 'is missing' line without $package: $out"
  grep -qxF "   $want" <<<"$out" || fail "no line '$want' in: $out"
  echo "ok: $want"
}
check libfmt-dev -DCMAKE_DISABLE_FIND_PACKAGE_fmt=ON
check nlohmann-json3-dev -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON
check libcurl4-openssl-dev -DCMAKE_DISABLE_FIND_PACKAGE_CURL=ON
PKG_CONFIG_LIBDIR=$work/no-pc check libcairo2-dev
echo "PASS: each missing package named on one line"
