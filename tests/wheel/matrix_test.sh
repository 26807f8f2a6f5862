#!/usr/bin/env bash
# The wheel installed and used in a Debian root made by scripts/make-roots.sh
# (ctest -L wheel-matrix), as root:
#
#   bash tests/wheel/matrix_test.sh NAME [WHEEL_DIR | WHEEL]
#
# NAME: bullseye-amd64 (Python 3.9, glibc 2.31, no libcairo2: the reports must
# fail with the line naming libcairo2), trixie-amd64 (Python 3.13, libcairo2:
# HTML and PDF reports), bookworm-arm64 (under qemu-user: the small set of
# wheel_checks.sh). The wheel is the carbontracker-*-manylinux*_<machine>.whl
# for the root's architecture in WHEEL_DIR (default build/wheel), or WHEEL.
#
# The cached root is never changed: the test runs in a private mount namespace
# on an overlay of it (the root read-only below, an empty directory above),
# with /proc, /dev and /sys bound in; the namespace, and with it every mount,
# ends with the test however it ends, and the upper directory is removed on
# exit. In it: a user made with the root's useradd, the wheel copied into its
# home, and tests/wheel/wheel_checks.sh run as that user with the root's own
# python3. Afterwards the upper directory holds exactly what was written: any
# file outside the user's home (a new one, or a deletion) fails the test.
#
# Exit status 77 (skipped) when not root, or when the root could not be made
# (scripts/make-roots.sh skipped: its reason is printed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
name=${1:?usage: matrix_test.sh NAME [WHEEL_DIR | WHEEL]}
wheel_arg=$(readlink -m "${2:-$src/build/wheel}")

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "the wheel matrix needs root (chroot, mount, useradd)"

# In a private mount namespace from here on: mounts cannot outlive the test.
if [ -z "${CT_MATRIX_NS:-}" ]; then
  exec env CT_MATRIX_NS=1 unshare --mount --propagation private bash "$0" "$@"
fi

cache=${CT_CACHE_DIR:-/var/cache/carbontracker}/roots
root=$(bash "$src/scripts/make-roots.sh" --print-dir "$name")
if [ ! -f "$root/.ct-root-complete" ]; then
  [ ! -f "$cache/SKIPPED" ] || skip "no $name root: $(cat "$cache/SKIPPED")"
  fail "no $name root in $root: make it with bash scripts/make-roots.sh $name"
fi
read -r suite arch _ < "$root/.ct-root-spec"
case $arch in
  amd64) machine=x86_64 set=full ;;
  arm64) machine=aarch64 set=small ;;  # emulated: slow
  *) fail "no wheel architecture for $arch" ;;
esac
case $name in
  trixie-*) cairo=yes ;;
  *) cairo=no ;;
esac
[ "$cairo" = no ] || [ -e "$root/usr/share/doc/libcairo2" ] || fail "$name root lacks libcairo2"
[ "$cairo" = yes ] || [ ! -e "$root/usr/share/doc/libcairo2" ] || fail "$name root has libcairo2"
[ "$set" = full ] || set=${CT_MATRIX_SET:-$set}

if [ -f "$wheel_arg" ]; then
  wheel=$(readlink -f "$wheel_arg")
else
  shopt -s nullglob
  wheels=("$wheel_arg"/carbontracker-*-manylinux*_"$machine".whl)
  shopt -u nullglob
  [ ${#wheels[@]} = 1 ] ||
    fail "expected one carbontracker-*-manylinux*_$machine.whl in $wheel_arg, found ${#wheels[@]}: build it with bash scripts/build-wheel.sh"
  wheel=${wheels[0]}
fi
echo "root: $root ($suite $arch, $(cat "$root/.ct-root-size")); wheel: $wheel"

t0=$SECONDS
run=$(mktemp -d "${TMPDIR:-/tmp}/ct-matrix-$name.XXXXXX")
cleanup() {
  local st=$?
  for m in "$run/merged/sys" "$run/merged/dev/pts" "$run/merged/dev" "$run/merged/proc" "$run/merged"; do
    mountpoint -q "$m" && umount -l "$m"
  done
  rm -rf --one-file-system "$run"
  echo "matrix $name: $((SECONDS - t0)) s, status $st"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$run"/{upper,work,merged}
mount -t overlay overlay -o "lowerdir=$root,upperdir=$run/upper,workdir=$run/work" "$run/merged"
mount --rbind /proc "$run/merged/proc"  # not read-only: qemu reads /proc/self/*
mount --rbind /dev "$run/merged/dev"
mount --rbind /sys "$run/merged/sys"
in_root() { chroot "$run/merged" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

user=ctuser home=/home/ctuser
in_root useradd -m -d "$home" -s /bin/sh "$user"
uid=$(in_root id -u "$user") gid=$(in_root id -g "$user")
install -o "$uid" -g "$gid" -m 0644 "$wheel" "$here/wheel_checks.sh" "$run/merged$home/"
# What is written from now on is the user's.
(cd "$run/upper" && find . -mindepth 1 | sort) > "$run/written-before"

st=0
chroot --userspec="$uid:$gid" --groups="$gid" "$run/merged" /usr/bin/env -i \
  HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 PATH=/usr/bin:/bin \
  PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
  /bin/bash "$home/wheel_checks.sh" "$home/$(basename "$wheel")" /usr/bin/python3 "$set" "$cairo" ||
  st=$?
[ "$st" = 0 ] || fail "the checks in the $name root failed (status $st)"

# Nothing outside the home: new files, changed files (copied up) and
# deletions (whiteouts) all live in the upper directory. A directory copied up
# because something was created in it and removed again (/tmp) is fine.
(cd "$run/upper" && find . -mindepth 1 | sort) > "$run/written-after"
stray=$(comm -13 "$run/written-before" "$run/written-after" | grep -v "^\./home/$user\(/\|$\)" |
  while read -r p; do [ -d "$run/upper/$p" ] && [ ! -L "$run/upper/$p" ] && [ -d "$root/$p" ] || echo "$p"; done)
[ -z "$stray" ] || fail "written outside $home in the $name root: $(echo $stray)"
left=$(cd "$run/merged/tmp" && find . -mindepth 1 | head -5)
[ -z "$left" ] || fail "left in /tmp: $left"
echo "PASS: $name ($set set, libcairo2: $cairo); nothing written outside $home"
