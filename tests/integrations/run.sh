#!/usr/bin/env bash
# Runs one of the framework test files with the venv of
# scripts/setup-integrations.sh (made by the integrations_setup test; the
# script returns its path at once when it is ready).
#   run.sh TEST_FILE.py   (env: CT_BINARY_DIR, CT_FAKE_POWERCAP_HELPER)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$(bash "$here/../../scripts/setup-integrations.sh" | tail -n 1)
if [ ! -x "$venv/bin/python" ]; then
  echo "no venv for the integration tests: run scripts/setup-integrations.sh (needs PyPI)" >&2
  exit 1
fi
cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
