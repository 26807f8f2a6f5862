#!/usr/bin/env bash
# Builds carbontracker (and gpu_bench) in build-bundle/ for a GPU machine that has none of this
# project's build dependencies and no network, and copies them with the shared
# libraries they need into one folder:
#
#   scripts/gpu-bundle.sh [OUT_DIR]        (default: build-gpu-bundle, git-ignored)
#
# OUT_DIR/carbontracker, OUT_DIR/gpu_bench and OUT_DIR/lib/*.so*; the programs
# find lib/ through their RPATH ($ORIGIN/lib), so nothing needs
# LD_LIBRARY_PATH (which would leak into the tracked command). carbontracker
# has libstdc++, libgcc and fmt linked in; what gpu_bench loads of them is
# shipped; glibc (2.34 or newer) comes from the machine.
# Then, on the GPU machine: scripts/gpu-check.sh OUT_DIR/carbontracker
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-gpu-bundle}
build=build-bundle
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCT_BUILD_PYTHON=OFF \
  -DCT_BUILD_TESTS=OFF -DCT_BUILD_BENCH=ON \
  '-DCMAKE_BUILD_RPATH=$ORIGIN/lib' \
  '-DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags' >/dev/null
targets=(carbontracker_cli)
# grep reads the whole list: -q would leave the writer a closed pipe (pipefail).
if cmake --build "$build" --target help | grep '^gpu_bench:' >/dev/null; then targets+=(gpu_bench); fi
cmake --build "$build" -j2 --target "${targets[@]}"
rm -rf "$out"
mkdir -p "$out/lib"
programs=("$build/carbontracker")
[ -x "$build/bench/gpu_bench" ] && programs+=("$build/bench/gpu_bench")
for p in "${programs[@]}"; do
  cp "$p" "$out/"
  strip "$out/$(basename "$p")"
  # Every resolved dependency except glibc's own libraries and the loader.
  ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
    grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$out/lib/"; done
done
echo "bundle in $out:"
du -sh "$out"
ls "$out" "$out/lib"
readelf -d "$out/carbontracker" | grep -E 'RPATH|RUNPATH' || echo "warning: no RPATH set" >&2
