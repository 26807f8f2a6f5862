#!/usr/bin/env bash
# Installs the toolchain of the wheels (scripts/build-wheel.sh) from PyPI:
# Zig (the `ziglang` package: clang, lld, libc++ and the glibc stubs of every
# version, so one x86_64 machine builds for x86_64 and aarch64 against
# glibc 2.28) and auditwheel, pinned, in a venv under
#
#   ${CT_CACHE_DIR:-/var/cache/carbontracker}/zig-<version>-<hash of the pins>/
#
# with Zig's own cache (libc++ and the glibc stubs it compiles once per
# target) in its zig-cache/. Prints that directory on its last line. Returns
# at once when it is complete (its .ct-ready stamp). Needs python3 with venv
# and pip's access to PyPI.
#
#   bash scripts/setup-zig.sh
set -euo pipefail
zig_version=0.15.2
tools=("ziglang==$zig_version" auditwheel==6.8.2)
py=${CT_ZIG_PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}
cache=${CT_CACHE_DIR:-/var/cache/carbontracker}
hash=$(printf '%s\n' "${tools[@]}" "$py" | sha256sum | cut -c1-12)
dir=$cache/zig-$zig_version-$hash

if [ ! -f "$dir/.ct-ready" ]; then
  if ! "$py" -c "import venv, ensurepip" 2>/dev/null; then
    echo "setup-zig.sh: $py cannot make virtual environments: install python3-venv (bash scripts/install-deps.sh)" >&2
    exit 2
  fi
  mkdir -p "$cache"
  rm -rf "$dir" "$dir.tmp"
  "$py" -m venv "$dir.tmp"
  "$dir.tmp/bin/python" -m pip install -q --disable-pip-version-check "${tools[@]}"
  # The venv is moved into place whole, so its scripts' #! lines must not name
  # the temporary path: the tools are run as `python -m` and the zig binary.
  zig=$("$dir.tmp/bin/python" -c 'import ziglang, os; print(os.path.dirname(ziglang.__file__))')/zig
  [ "$("$zig" version)" = "$zig_version" ] || { echo "setup-zig.sh: zig $zig_version not installed" >&2; exit 1; }
  mv "$dir.tmp" "$dir"
  touch "$dir/.ct-ready"
fi
echo "$dir"
