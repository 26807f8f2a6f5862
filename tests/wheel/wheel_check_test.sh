#!/usr/bin/env bash
# The two wheels of scripts/build-wheel.sh, checked without installing them:
#
#   bash tests/wheel/wheel_check_test.sh [WHEEL_DIR]     # default build/wheel
#
# For x86_64 and aarch64: the file name's tag, the files (`unzip -l`), the
# executable's mode 0755, the WHEEL and METADATA fields, the ELF machine of
# each ELF file (`readelf -h`), no glibc symbol version above 2.28
# (`objdump -T`), no C++ runtime among the NEEDED libraries, and
# `auditwheel show` (scripts/setup-zig.sh's venv) naming manylinux_2_28.
# Where Debian roots exist under ${CT_CACHE_DIR}/roots, both also run (see
# below): aarch64 under qemu-aarch64-static, x86_64 with glibc 2.31.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wheel_dir=${1:-$here/../../build/wheel}
cache=${CT_CACHE_DIR:-/var/cache/carbontracker}
fail() { echo "FAIL: $*" >&2; exit 1; }
version=0.1.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zig_dir=$(bash "$here/../../scripts/setup-zig.sh" | tail -n 1)

for arch in x86_64 aarch64; do
  wheel=$wheel_dir/carbontracker-$version-py3-none-manylinux_2_28_$arch.whl
  [ -f "$wheel" ] || fail "no $wheel: run bash scripts/build-wheel.sh"
  listing=$(unzip -l "$wheel")
  # Every module of the package, subpackages included, the library and the command.
  for f in $(cd "$here/../../python" && find carbontracker -name '*.py' | sort) \
           carbontracker/libcarbontracker.so carbontracker-$version.data/scripts/carbontracker \
           carbontracker-$version.dist-info/METADATA carbontracker-$version.dist-info/WHEEL \
           carbontracker-$version.dist-info/RECORD; do
    grep -qE " $f\$" <<<"$listing" || fail "$arch: $f not in the wheel: $listing"
  done
  ! grep -qE '\.pyc$|__pycache__|_carbontracker\.cpython' <<<"$listing" ||
    fail "$arch: compiled Python or a CPython extension in the wheel: $listing"
  mode=$(zipinfo "$wheel" "carbontracker-$version.data/scripts/carbontracker" | awk '{print $1}')
  [ "$mode" = "-rwxr-xr-x" ] || fail "$arch: the executable's mode is $mode"

  rm -rf "$work/$arch" && mkdir "$work/$arch" && unzip -q "$wheel" -d "$work/$arch"
  info=$work/$arch/carbontracker-$version.dist-info
  grep -qxF "Tag: py3-none-manylinux_2_28_$arch" "$info/WHEEL" || fail "$arch: WHEEL: $(cat "$info/WHEEL")"
  grep -qxF "Root-Is-Purelib: false" "$info/WHEEL" || fail "$arch: WHEEL is purelib"
  grep -qxF "Requires-Python: >=3.9" "$info/METADATA" || fail "$arch: METADATA: $(cat "$info/METADATA")"
  for minor in 9 10 11 12 13 14; do
    grep -qxF "Classifier: Programming Language :: Python :: 3.$minor" "$info/METADATA" ||
      fail "$arch: no classifier for Python 3.$minor"
  done
  # RECORD: every file but RECORD itself, with its size and sha256.
  "$zig_dir/bin/python" - "$work/$arch" "$info/RECORD" <<'PY'
import base64, csv, hashlib, os, sys
root, record = sys.argv[1], sys.argv[2]
rows = {r[0]: r for r in csv.reader(open(record))}
files = {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}
assert files == set(rows), (files ^ set(rows))
for path, h, size in rows.values():
    if path.endswith("/RECORD"):
        continue
    data = open(os.path.join(root, path), "rb").read()
    want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert (h, int(size)) == (want, len(data)), (path, h, size)
PY

  machine=$([ "$arch" = x86_64 ] && echo "Advanced Micro Devices X86-64" || echo "AArch64")
  elves=0
  while IFS= read -r -d '' f; do
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
    elves=$((elves + 1))
    name=${f#"$work/$arch/"}
    readelf -h "$f" | grep -qE "Machine: +$machine\$" || fail "$arch: $name: $(readelf -h "$f" | grep Machine)"
    newest=$(objdump -T "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
    [ -n "$newest" ] || fail "$arch: $name binds no glibc symbol version"
    [ "$(printf '%s\n2.28\n' "$newest" | sort -V | tail -n 1)" = 2.28 ] ||
      fail "$arch: $name needs GLIBC_$newest (newer than 2.28)"
    needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    ! grep -qE 'libstdc\+\+|libc\+\+|libgcc_s' <<<"$needed" || fail "$arch: $name needs $needed"
    echo "$arch: $name: $(readelf -h "$f" | sed -n 's/.*Machine: *//p'), newest GLIBC_$newest, NEEDED $needed"
  done < <(find "$work/$arch" -type f -print0)
  [ "$elves" -ge 1 ] || fail "$arch: no ELF file in the wheel"

  # auditwheel names the most compatible tag its symbols allow: manylinux_2_28
  # or an older glibc (a wheel consistent with 2.27 is with 2.28 too).
  show=$("$zig_dir/bin/python" -m auditwheel show "$wheel" 2>&1) || fail "$arch: auditwheel show failed: $show"
  tag=$(tr '\n' ' ' <<<"$show" | grep -o 'following platform tag: *"manylinux_2_[0-9]*_[a-z0-9_]*"' |
        grep -o 'manylinux_2_[0-9]*_[a-z0-9_]*' || true)
  [[ $tag =~ ^manylinux_2_([0-9]+)_$arch$ ]] && [ "${BASH_REMATCH[1]}" -le 28 ] ||
    fail "$arch: auditwheel show gives no manylinux_2_28 or older tag: $show"
  echo "$arch: auditwheel show: consistent with $tag"
done

# The executables and the package run elsewhere, where Debian roots exist
# (made under ${CT_CACHE_DIR}/roots by another script; a *.partial one is
# still being made): aarch64 under qemu-aarch64-static with an arm64 glibc
# (and that root's Python), x86_64 with an older glibc than this machine's
# (bullseye: glibc 2.31, Python 3.9). Each: a 2-epoch tracked loop on the
# simulated CPU through the package (ctypes and libcarbontracker.so), and
# the executable's --version and a simulated run.
exe=carbontracker-$version.data/scripts/carbontracker
cat >"$work/loop.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from carbontracker.tracker import CarbonTracker
tracker = CarbonTracker(epochs=2, monitor_epochs=2, log_dir=None, sim_cpu="X", sim_cpu_tdp=100,
                        verbose=0)
for _ in range(2):
    tracker.epoch_start()
    sum(i * i for i in range(20000))
    tracker.epoch_end()
tracker.stop()
r = tracker.results
assert [e["index"] for e in r["epochs"]] == [1, 2], r["epochs"]
for e in r["epochs"]:  # 100 W TDP x 0.5 utilisation
    assert abs(e["devices"][0]["energy_j"] - 50.0 * e["duration_s"]) <= 1e-9 * 50.0 * e["duration_s"] + 1e-12, e
print("python", sys.version.split()[0], "epochs", len(r["epochs"]), "kWh", r["total"]["energy_kwh_with_pue"])
PY
root_of() { ls -d "$cache"/roots/$1/ 2>/dev/null | grep -v '\.partial/$' | head -n 1 || true; }
run_both() {  # ARCH LABEL RUNNER... : the executable and the Python loop through RUNNER
  local arch=$1 label=$2; shift 2
  local out
  out=$("$@" "$work/$arch/$exe" --version)
  [ "$out" = "carbontracker $version" ] || fail "$arch $label: --version printed '$out'"
  out=$("$@" "$work/$arch/$exe" --offline --log_dir "" --sim-cpu X --sim-cpu-tdp 100 -- true 2>&1)
  grep -qF "Actual consumption" <<<"$out" || fail "$arch $label: no actual consumption: $out"
  if [ -n "${python:-}" ]; then
    out=$("$@" "$python" "$work/loop.py" "$work/$arch" 2>&1) || fail "$arch $label: the Python loop failed: $out"
    echo "$arch $label: --version, a simulated run, $(tail -n 1 <<<"$out")"
  else
    echo "$arch $label: --version, a simulated run"
  fi
}
arm_root=$(root_of '*-arm64-*')
if [ -n "$arm_root" ] && [ -e "$arm_root/lib/ld-linux-aarch64.so.1" ] && command -v qemu-aarch64-static >/dev/null; then
  python=$(ls "$arm_root"usr/bin/python3.* 2>/dev/null | grep -E 'python3\.[0-9]+$' | head -n 1 || true)
  run_both aarch64 "under qemu-aarch64-static with $arm_root" qemu-aarch64-static -L "$arm_root"
else
  echo "aarch64: no complete Debian arm64 root in $cache/roots (or no qemu-user-static): not run"
fi
old_root=$(root_of 'bullseye-amd64-*')
ld=${old_root:+${old_root}lib/x86_64-linux-gnu/ld-linux-x86-64.so.2}
if [ -n "$old_root" ] && [ -e "$ld" ]; then
  python=$(ls "$old_root"usr/bin/python3.* 2>/dev/null | grep -E 'python3\.[0-9]+$' | head -n 1 || true)
  run_both x86_64 "with the glibc of $old_root" "$ld" \
    --library-path "${old_root}lib/x86_64-linux-gnu:${old_root}usr/lib/x86_64-linux-gnu"
fi
# The guards of function-local statics that replace libc++abi's
# (src/common/cxa_guard.cc), under 16 racing threads, built with the same
# toolchain: x86_64 here, aarch64 under qemu where the arm64 root exists.
src=$here/../../src/common/cxa_guard.cc
for arch in x86_64 aarch64; do
  cxx=$zig_dir/wrappers/$arch-linux-gnu.2.28/c++
  [ -x "$cxx" ] || fail "no $cxx: run bash scripts/build-wheel.sh $arch"
  "$cxx" -std=c++20 -O2 -Wall -Wextra -Werror "$here/cxa_guard_check.cc" "$src" -o "$work/guard-$arch"
done
echo "x86_64 guards: $("$work/guard-x86_64")" || fail "x86_64: the static-guard check failed"
# Ours, not libc++abi's: no gettid system call (libc++abi's guard makes one
# per static).
strace -f -qq -e trace=gettid -o "$work/guard.strace" "$work/guard-x86_64" >/dev/null ||
  fail "x86_64: the static-guard check failed under strace"
! grep -q gettid "$work/guard.strace" || fail "x86_64: the guards call gettid: libc++abi's are linked"
if [ -n "$arm_root" ] && [ -e "$arm_root/lib/ld-linux-aarch64.so.1" ] && command -v qemu-aarch64-static >/dev/null; then
  echo "aarch64 guards: $(qemu-aarch64-static -L "$arm_root" "$work/guard-aarch64")" ||
    fail "aarch64: the static-guard check failed"
fi
echo "PASS: both wheels: tags, files, modes, ELF machines, GLIBC <= 2.28, no C++ runtime needed"
