#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root), builds carbontracker and runs
# the demo: a small MLP trained by SGD, tracked through the C++ API
# (prediction after epoch 1, actual consumption at the end), then the same
# program under the command-line wrapper with epoch markers, then the Python
# example through the Python package, then the parser over all their logs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target mlp_demo carbontracker_cli carbontracker_python
echo
echo "== 1. The C++ API: examples/mlp_demo.cc (logs in ./logs)"
./build/mlp_demo --epochs 3 --log_dir ./logs
echo
echo "== 2. The wrapper: carbontracker --epochs 3 -- mlp_demo --markers"
./build/carbontracker --epochs 3 --log_dir ./logs --json ./logs/demo-run.json -- \
  ./build/mlp_demo --markers --epochs 3
echo
echo "== 3. The Python package: examples/train_mlp.py (numpy MLP, the original's API)"
PYTHONPATH=build/python /usr/bin/python3 examples/train_mlp.py --epochs 3 --log-dir ./logs
echo
echo "== 4. All runs so far, aggregated from ./logs by the parser"
./build/carbontracker --parse ./logs
echo
echo "The machine-readable record of run 2 is in ./logs/demo-run.json."
