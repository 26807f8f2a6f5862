#!/usr/bin/env bash
# Installs the training frameworks the integration tests run against
# (ctest -L integrations) in one venv, made with Debian's python3: PyTorch
# Lightning (as pytorch-lightning and as lightning), transformers with
# accelerate, Keras 3, MLflow, with torch 2.13.0 (CPU) and pytest, all pinned:
#
#   ${CT_CACHE_DIR:-/var/cache/carbontracker}/venv-integrations-<hash>/
#
# where <hash> is the hash of the pinned list below, so a change of a pin makes
# a new venv. Idempotent: a complete venv (with its .ct-ready stamp) is left
# alone and the script returns at once. Prints the venv's path on its last
# line. torch is pinned in the same pip command (the CPU build; an unpinned one
# would pull a multi-GB CUDA build).
#
#   bash scripts/setup-integrations.sh
set -euo pipefail
cd "$(dirname "$0")/.."
pins=(
  torch==2.13.0
  pytorch-lightning==2.6.6
  lightning==2.6.6
  transformers==5.23.0
  accelerate==1.15.0
  keras==3.15.1
  mlflow==3.17.2
  pytest==9.2.0
)
py=${CT_INTEGRATIONS_PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}
hash=$(printf '%s\n' "$("$py" -c 'import sys; print(sys.version_info[:2])')" "${pins[@]}" |
       sha256sum | cut -c1-12)
cache=${CT_CACHE_DIR:-/var/cache/carbontracker}
venv=$cache/venv-integrations-$hash
if [ -f "$venv/.ct-ready" ]; then echo "$venv"; exit 0; fi
mkdir -p "$cache"
start=$(date +%s)
rm -rf "$venv"
# Made in place (a venv's scripts name its path); the stamp marks it complete.
"$py" -m venv "$venv"
# --no-compile: byte-compiling the frameworks' thousands of modules costs more
# than the tests that import a few of them.
"$venv/bin/pip" install -q --no-compile --disable-pip-version-check "${pins[@]}"
"$venv/bin/python" - <<'PY'
import importlib.metadata as m
import torch
assert torch.__version__.startswith("2.13.0"), torch.__version__
for name in ("pytorch-lightning", "lightning", "transformers", "accelerate", "keras", "mlflow"):
    print(name, m.version(name))
PY
# The bytecode of the modules the tests import, written once here (with
# PYTHONDONTWRITEBYTECODE set, every test process would compile them again:
# about 10 s of CPU each).
env -u PYTHONDONTWRITEBYTECODE KERAS_BACKEND=torch "$venv/bin/python" -c "
import accelerate, keras, lightning.pytorch, mlflow, mlflow.server, pytest, pytorch_lightning, torch, transformers
from pytorch_lightning.loggers import CSVLogger
from lightning.pytorch.loggers import CSVLogger
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments
"
touch "$venv/.ct-ready"
echo "setup-integrations: ready in $(( $(date +%s) - start )) s" >&2
echo "$venv"
