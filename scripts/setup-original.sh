#!/usr/bin/env bash
# Installs the original Python carbontracker from PyPI, for the side-by-side
# tests (ctest -L original):
#
#   DIR/original-2.1.2/   venv with carbontracker==2.1.2 (the documented version)
#   DIR/original-2.4.7/   venv with the newest release this was written against
#   DIR/pyfakefs/         pyfakefs (pip --target), for the original's parser tests
#   DIR/original-2.1.2-tests/test_parser.py
#                         the original's parser tests, from its sdist on PyPI
#
# DIR defaults to build/venvs. Idempotent: a part that is complete (it has its
# .ct-ready stamp) is left alone, so a second run costs well under a second.
# Needs python3 with venv and pip's access to PyPI.
#
#   bash scripts/setup-original.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/venvs}
versions=(2.1.2 2.4.7)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Debian's interpreter when there is one (the one the extension is built for;
# pyenv's may come first on PATH).
py=${CT_ORIGINAL_PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}

ready() { [ -f "$1/.ct-ready" ]; }

install_version() {
  local v=$1 venv=$dir/original-$1
  ready "$venv" && return 0
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "carbontracker==$v"
  "$venv/bin/python" -c "import importlib.metadata as m; assert m.version('carbontracker') == '$v'"
  touch "$venv/.ct-ready"
}

install_tools() {
  local target=$dir/pyfakefs tests=$dir/original-2.1.2-tests
  if ! ready "$target"; then
    rm -rf "$target"
    "$py" -m pip --version >/dev/null 2>&1 || install_version 2.1.2
    local pip=("$py" -m pip)
    "$py" -m pip --version >/dev/null 2>&1 || pip=("$dir/original-2.1.2/bin/pip")
    "${pip[@]}" install -q --disable-pip-version-check --target "$target" pyfakefs
    touch "$target/.ct-ready"
  fi
  if ! ready "$tests"; then
    rm -rf "$tests" && mkdir -p "$tests/sdist"
    local pip=("$py" -m pip)
    "$py" -m pip --version >/dev/null 2>&1 || pip=("$dir/original-2.1.2/bin/pip")
    "${pip[@]}" download -q --disable-pip-version-check --no-binary :all: --no-deps \
      carbontracker==2.1.2 -d "$tests/sdist"
    tar -xzf "$tests"/sdist/carbontracker-2.1.2.tar.gz -C "$tests/sdist" \
      carbontracker-2.1.2/tests/test_parser.py
    cp "$tests/sdist/carbontracker-2.1.2/tests/test_parser.py" "$tests/test_parser.py"
    touch "$tests/.ct-ready"
  fi
}

start=$(date +%s)
pids=()
for v in "${versions[@]}"; do
  install_version "$v" > "$dir/setup-$v.log" 2>&1 &
  pids+=($!)
done
# The tools may fall back to the 2.1.2 venv's pip: wait for it first.
wait "${pids[0]}" || { cat "$dir/setup-2.1.2.log"; exit 1; }
install_tools > "$dir/setup-tools.log" 2>&1 || { cat "$dir/setup-tools.log"; exit 1; }
wait "${pids[1]}" || { cat "$dir/setup-2.4.7.log"; exit 1; }
echo "setup-original: $dir ready in $(( $(date +%s) - start )) s"
