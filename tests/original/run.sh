#!/usr/bin/env bash
# ctest -L original: runs one of the side-by-side tests against the genuine
# original installed by scripts/setup-original.sh. Exit 77 (ctest: skipped)
# when it is not installed.
#
#   run.sh parser|side-by-side PYTHON VENVS_DIR SOURCE_DIR
set -euo pipefail
what=$1 python=$2 venvs=$3 src=$4
for part in original-2.1.2 original-2.4.7 pyfakefs original-2.1.2-tests; do
  if [ ! -f "$venvs/$part/.ct-ready" ]; then
    echo "$venvs/$part is missing: run scripts/setup-original.sh first"
    exit 77
  fi
done
export CT_ORIGINAL_VENVS=$venvs
case $what in
  parser)
    export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$venvs/pyfakefs
    exec "$python" "$src/tests/original/run_parser_tests.py" \
      "$venvs/original-2.1.2-tests/test_parser.py" "$src/doc/original-parser-tests.md" ;;
  side-by-side)
    exec "$python" -m pytest -q -p no:cacheprovider "$src/tests/original/test_side_by_side.py" ;;
  *) echo "unknown test $what"; exit 2 ;;
esac
