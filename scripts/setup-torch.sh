#!/usr/bin/env bash
# Installs PyPI's torch 2.13.0 (CPU build) in a venv, for the torchrun tests
# (ctest -L distributed):
#
#   DIR/torch-2.13.0/   venv with torch==2.13.0 (CPU build; no numpy, which the tests
#                       do not need)
#
# DIR defaults to build/venvs. Idempotent: a complete venv (with its
# .ct-ready stamp) is left alone. The version is pinned: Debian's
# python3-torch 1.13 does not work (its torchrun fails on Python 3.11).
#
#   bash scripts/setup-torch.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/venvs}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
py=${CT_TORCH_PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}
venv=$dir/torch-2.13.0
[ -f "$venv/.ct-ready" ] && exit 0
rm -rf "$venv"
"$py" -m venv "$venv"
# --no-compile: byte-compiling torch's thousands of modules would take longer than
# the tests that use them.
"$venv/bin/pip" install -q --no-compile --disable-pip-version-check "torch==2.13.0"
"$venv/bin/python" -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
touch "$venv/.ct-ready"
