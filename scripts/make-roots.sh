#!/usr/bin/env bash
# Makes the Debian roots that the wheel is tested in (ctest -L wheel-matrix),
# with debootstrap, from the Debian mirror this machine's apt uses:
#
#   bullseye-amd64  Debian 11, Python 3.9, glibc 2.31, WITHOUT libcairo2
#                   (the PDF report's "install libcairo2" message is tested there)
#   trixie-amd64    Debian 13, Python 3.13, with libcairo2 and fonts-dejavu-core
#   bookworm-arm64  Debian 12 arm64, run under qemu-user emulation (binfmt_misc)
#
# Each has python3 and python3-venv (ensurepip, so pip install --no-index works
# without network); --variant=minbase, no recommends. A root lives in
#
#   ${CT_CACHE_DIR:-/var/cache/carbontracker}/roots/<name>-<hash>
#
# where <hash> covers this script but its comments (it holds the package
# lists). A root is made in <name>-<hash>.partial and renamed when complete,
# so an interrupted run leaves only a .partial that the next run removes and
# redoes; a complete root makes a second run return at once. Roots of an older
# hash are removed. The downloaded .debs are kept in roots/debs for a remake.
#
#   sudo bash scripts/make-roots.sh [NAME...]     (default: all three)
#
# Exit status 77 (ctest's skip) when not root, when the mirror cannot be
# reached, or when binfmt_misc cannot run qemu-user (a container without it);
# the reason is written to roots/SKIPPED.
# CT_DEBIAN_MIRROR overrides the mirror.
set -euo pipefail

# name suite arch packages
specs=(
  "bullseye-amd64 bullseye amd64 python3,python3-venv,passwd"
  "trixie-amd64 trixie amd64 python3,python3-venv,passwd,libcairo2,fonts-dejavu-core"
  "bookworm-arm64 bookworm arm64 python3,python3-venv,passwd"
)

self=$(readlink -f "$0")
cache=${CT_CACHE_DIR:-/var/cache/carbontracker}/roots
hash=$(grep -v '^[[:space:]]*#' "$self" | sha256sum | cut -c1-12)  # comments aside

skip() {
  echo "make-roots: SKIPPED: $*" >&2
  { mkdir -p "$cache" && echo "$*" > "$cache/SKIPPED"; } 2>/dev/null || true
  exit 77
}

if [ "${1:-}" = --print-dir ]; then  # the root's directory for a name
  echo "$cache/$2-$hash"
  exit 0
fi

[ "$(id -u)" = 0 ] || skip "make-roots.sh needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null ||
  { echo "make-roots: debootstrap is not installed: run bash scripts/install-deps.sh" >&2; exit 1; }

# The mirror: the first Debian (non-security) URI of apt's sources.
mirror_from_apt() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' "$f"
  done
}
mirror=${CT_DEBIAN_MIRROR:-$(mirror_from_apt | grep -E '/debian/?$' | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}

mkdir -p "$cache/debs"
rm -f "$cache/SKIPPED"

# Removes a directory tree that is not a complete root, after making sure
# nothing is still mounted below it (a chroot test killed mid-way).
remove_tree() {
  local d=$1 m
  [ -e "$d" ] || return 0
  for m in $(awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" || true
  done
  if awk -v d="$d/" 'index($2, d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    echo "make-roots: $d still has mounts below it; not removing it" >&2
    exit 1
  fi
  rm -rf --one-file-system "$d"
}

binfmt_ready() {  # qemu-user for a foreign architecture, through binfmt_misc
  local arch=$1 q
  case $arch in arm64) q=aarch64 ;; *) q=$arch ;; esac
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
      { echo "make-roots: cannot mount binfmt_misc" >&2; return 1; }
  fi
  if [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$q" ]; then
    if command -v update-binfmts >/dev/null && update-binfmts --enable "qemu-$q" >/dev/null 2>&1; then :
    elif [ -f "/usr/lib/binfmt.d/qemu-$q.conf" ]; then
      grep -v '^#' "/usr/lib/binfmt.d/qemu-$q.conf" > /proc/sys/fs/binfmt_misc/register
    fi
  fi
  if ! grep -q '^enabled' "/proc/sys/fs/binfmt_misc/qemu-$q" 2>/dev/null; then
    echo "make-roots: qemu-$q is not registered in binfmt_misc: install qemu-user-static" >&2
    return 1
  fi
  # F (fix binary): the interpreter is opened now, so the root needs no copy.
  grep -q '^flags:.*F' "/proc/sys/fs/binfmt_misc/qemu-$q" ||
    echo "make-roots: warning: qemu-$q is registered without the F flag" >&2
}

make_root() {
  local name=$1 suite=$2 arch=$3 pkgs=$4
  local dir=$cache/$name-$hash part=$cache/$name-$hash.partial start=$SECONDS
  if [ -f "$dir/.ct-root-complete" ]; then
    echo "make-roots: $name: cached in $dir ($(cat "$dir/.ct-root-about" "$dir/.ct-root-size" | paste -sd' '))"
    return 0
  fi
  # An older hash, a half-made one, or a complete-looking one without its stamp.
  local old
  for old in "$cache/$name"-*; do
    [ -e "$old" ] || continue
    echo "make-roots: $name: removing $old"
    remove_tree "$old"
  done
  if [ "$arch" != "$(dpkg --print-architecture)" ]; then
    binfmt_ready "$arch" || skip "qemu-user emulation for $arch is not available (binfmt_misc)"
  fi
  echo "make-roots: $name: debootstrap $suite $arch from $mirror"
  mkdir -p "$part"
  local log=$cache/$name.log
  if ! debootstrap --variant=minbase --arch="$arch" --components=main \
      --include="$pkgs" --cache-dir="$cache/debs" \
      "$suite" "$part" "$mirror" > "$log" 2>&1; then
    tail -n 20 "$log" >&2
    if grep -qE 'Failed getting release file|Couldn.t download|Could not resolve|unable to fetch' "$log"; then
      remove_tree "$part"
      skip "debootstrap cannot reach the Debian archive at $mirror (see $log)"
    fi
    echo "make-roots: $name: debootstrap failed (log: $log)" >&2
    exit 1
  fi
  # No downloaded packages or indexes inside the root.
  rm -rf "$part"/var/cache/apt/archives/*.deb "$part"/var/lib/apt/lists/*_Packages
  local about
  about=$(chroot "$part" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin python3 -c '
import ensurepip, platform, shutil, sys, venv
assert shutil.which("useradd"), "no useradd"
print("Python", sys.version.split()[0], "glibc", platform.libc_ver()[1], platform.machine())') ||
    { echo "make-roots: $name: python3 with venv, or useradd, does not work in the root" >&2; exit 1; }
  du -sh --one-file-system "$part" | cut -f1 > "$part/.ct-root-size"
  printf '%s %s %s\n' "$suite" "$arch" "$pkgs" > "$part/.ct-root-spec"
  echo "$about" > "$part/.ct-root-about"
  touch "$part/.ct-root-complete"
  mv "$part" "$dir"
  echo "make-roots: $name: made in $((SECONDS - start)) s: $about, $(cat "$dir/.ct-root-size"), in $dir"
}

want=("$@")
for spec in "${specs[@]}"; do
  read -r name suite arch pkgs <<< "$spec"
  if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$name"; then
    continue
  fi
  # One maker per root at a time (scripts/test.sh and the ctest fixture).
  exec {lock}> "$cache/.$name.lock"
  flock "$lock"
  make_root "$name" "$suite" "$arch" "$pkgs"
  exec {lock}>&-
done
echo "make-roots: done in $SECONDS s"
