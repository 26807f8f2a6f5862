#!/usr/bin/env bash
# Builds the carbontracker wheels, one per architecture, on an x86_64 machine
# with Zig (scripts/setup-zig.sh) as the compiler, against glibc 2.28:
#
#   bash scripts/build-wheel.sh [x86_64|aarch64|all]     # default all
#   -> build/wheel/carbontracker-0.1.0-py3-none-manylinux_2_28_<arch>.whl
#
# Each wheel holds the Python package (its .py files and libcarbontracker.so,
# the C library they load with ctypes, when the build has it) and the
# `carbontracker` executable (carbontracker-0.1.0.data/scripts/, installed as
# the environment's bin/carbontracker). Nothing in it depends on the Python
# version (tag py3-none), so it installs on every CPython 3.9+; its ELF files
# need glibc >= 2.28 only (the C++ runtime is linked in, libcurl and cairo are
# loaded at run time). The CMake builds are kept in build/wheel/<arch>/cmake
# (with ccache when installed), so a second run only rebuilds what changed.
# `auditwheel show` (pinned, from scripts/setup-zig.sh's venv) checks each
# wheel. Prints the wheels' paths on its last lines. CT_WHEEL_DIR moves
# build/wheel; CT_CACHE_DIR the toolchain (scripts/setup-zig.sh). Needs the
# Debian headers of fmt, nlohmann-json, libcurl and cairo (bash
# scripts/install-deps.sh) and PyPI the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${CT_WHEEL_DIR:-$root/build/wheel}
case ${1:-all} in
  x86_64|aarch64) arches=("$1") ;;
  all) arches=(x86_64 aarch64) ;;
  *) echo "usage: bash scripts/build-wheel.sh [x86_64|aarch64|all]" >&2; exit 2 ;;
esac
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)

zig_dir=$(bash scripts/setup-zig.sh | tail -n 1)
launcher=()
if command -v ccache >/dev/null; then  # zig cc caches well with ccache (direct mode)
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
fi
jobs=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}

wheels=()
for arch in "${arches[@]}"; do
  start=$(date +%s)
  build=$out/$arch/cmake
  stage=$out/$arch/stage
  tag=py3-none-manylinux_2_28_$arch
  # RelWithDebInfo as the gcc build (-O2), stripped at link (-s).
  cmake -S "$root" -B "$build" -G Ninja --log-level=WARNING \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/zig-toolchain.cmake" -DCT_ZIG_DIR="$zig_dir" \
    -DCT_ZIG_TARGET="$arch-linux-gnu.2.28" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_EXE_LINKER_FLAGS=-s -DCMAKE_SHARED_LINKER_FLAGS=-s \
    -DCT_BUILD_TESTS=OFF -DCT_BUILD_BENCH=OFF -DCT_BUILD_PYTHON=ON "${launcher[@]}" >&2
  targets=(carbontracker_cli)
  # grep reads the whole list (no -q): stopping at the match would leave the
  # writer a closed pipe, and pipefail would take its SIGPIPE for no match.
  if cmake --build "$build" --target help | grep '^carbontracker_c:' >/dev/null; then
    targets+=(carbontracker_c carbontracker_python)
  fi
  cmake --build "$build" -j "$jobs" --target "${targets[@]}" >&2

  rm -rf "$stage" "$out/carbontracker-$version-$tag.whl"
  mkdir -p "$stage/carbontracker" "$stage/scripts"
  # The package's modules, its subpackages (carbontracker.integrations) included.
  (cd python && find carbontracker -name '*.py') | while read -r f; do
    install -D -m 0644 "python/$f" "$stage/$f"
  done
  if [ -f "$build/python/carbontracker/libcarbontracker.so" ]; then
    cp "$build/python/carbontracker/libcarbontracker.so" "$stage/carbontracker/"
  fi
  install -m 0755 "$build/carbontracker" "$stage/scripts/carbontracker"
  wheel=$("$zig_dir/bin/python" scripts/make-wheel.py pyproject.toml "$stage" "$tag" "$out")
  "$zig_dir/bin/python" -m auditwheel show "$wheel" >&2
  echo "build-wheel.sh: $arch wheel built in $(( $(date +%s) - start )) s" >&2
  wheels+=("$wheel")
done
printf '%s\n' "${wheels[@]}"
