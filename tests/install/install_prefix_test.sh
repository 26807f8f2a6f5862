#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` keeps every file under P:
#
#   bash tests/install/install_prefix_test.sh BUILD PYDIR PYTHON
#
# PYDIR is where the build installs the Python package (CT_PYTHON_INSTALL_DIR,
# relative to the prefix; an absolute one, as a user may choose, skips the
# test with status 77). Installs into a fresh temporary prefix, checks that
# every installed path is under it, that the command, the library, the
# headers and the package are where expected, and that PYTHON imports the
# package from there.
set -euo pipefail
build=${1:?usage: install_prefix_test.sh BUILD PYDIR PYTHON}
pydir=${2:?usage: install_prefix_test.sh BUILD PYDIR PYTHON}
python=${3:?usage: install_prefix_test.sh BUILD PYDIR PYTHON}
fail() { echo "FAIL: $*" >&2; exit 1; }
case $pydir in  # the user's choice: then --prefix does not move the package
  /*) echo "SKIP: CT_PYTHON_INSTALL_DIR=$pydir is absolute; reconfigure without it to test --prefix"; exit 77 ;;
esac

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
log=$(cmake --install "$build" --prefix "$prefix")
installed=$(sed -n 's/^-- \(Installing\|Up-to-date\): //p' <<<"$log")
[ -n "$installed" ] || fail "cmake --install listed no files: $log"
outside=$(grep -v "^$prefix/" <<<"$installed" || true)
[ -z "$outside" ] || fail "installed outside the prefix $prefix: $outside"

for f in bin/carbontracker lib/libcarbontracker.a lib/libcarbontracker.so \
         include/carbontracker/tracker.h include/carbontracker/carbontracker.h \
         "$pydir/carbontracker/libcarbontracker.so" "$pydir/carbontracker/_carbontracker.py" \
         "$pydir/carbontracker/__init__.py" "$pydir/carbontracker/tracker.py" \
         "$pydir/carbontracker/parser.py"; do
  [ -f "$prefix/$f" ] || fail "$prefix/$f not installed"
done
[ "$("$prefix/bin/carbontracker" --version)" = "carbontracker 0.1.0" ] || fail "the installed command does not run"

where=$(cd "$prefix" && PYTHONPATH="$prefix/$pydir" "$python" -c \
  "import carbontracker.tracker, carbontracker; print(carbontracker.__file__)")
[ "$where" = "$prefix/$pydir/carbontracker/__init__.py" ] || fail "imported from $where"
echo "PASS: $(wc -l <<<"$installed") files under the prefix; package in <prefix>/$pydir"
