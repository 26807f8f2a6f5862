#!/usr/bin/env bash
# The wheel, installed and used by a user without root (run as root):
#
#   bash tests/wheel/wheel_user_test.sh [WHEEL_DIR]     # default build/wheel
#
# Takes the x86_64 wheel carbontracker-*-manylinux_2_28_x86_64.whl in
# WHEEL_DIR (made by scripts/build-wheel.sh), checks what its ELF files need,
# creates a fresh user, and as that user (clean environment, cwd = its home)
# runs tests/wheel/wheel_checks.sh with Debian's python3: a venv, pip's tag
# check, pip install --no-index, the `carbontracker` command (version, a
# simulated-CPU run, exit statuses, epoch markers), the README's Python loop
# for three epochs, the parser and the HTML and PDF reports.
# At the end no file owned by the user may exist outside its home, and
# WHEEL_DIR must be unchanged. The user and its home are removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wheel_dir=$(cd "${1:-$here/../../build/wheel}" 2>/dev/null && pwd) || {
  echo "FAIL: no wheel directory ${1:-build/wheel}: build the wheel with bash scripts/build-wheel.sh" >&2
  exit 1
}
python=${CT_WHEEL_PYTHON:-/usr/bin/python3}

fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (the test creates a user with useradd)"
command -v useradd >/dev/null || fail "useradd not found (Debian package passwd)"
"$python" -c "import venv, ensurepip" 2>/dev/null ||
  fail "$python cannot make virtual environments: install python3-venv (bash scripts/install-deps.sh)"

shopt -s nullglob
wheels=("$wheel_dir"/carbontracker-*-py3-none-manylinux_2_28_x86_64.whl)
[ ${#wheels[@]} = 1 ] ||
  fail "expected one carbontracker-*-py3-none-manylinux_2_28_x86_64.whl in $wheel_dir, found ${#wheels[@]}: run bash scripts/build-wheel.sh x86_64"
wheel=${wheels[0]}
echo "wheel: $wheel"
before=$(cd "$wheel_dir" && find . -maxdepth 1 -printf '%p %s %T@\n' | sort)

work=$(mktemp -d)
user=ctwheel$$
home=/home/$user
cleanup() {
  userdel -r "$user" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# What the wheel holds, and what its ELF files load: glibc only (the C++
# runtime, fmt and nlohmann-json compiled in, libcurl opened with dlopen;
# libpthread and libdl are glibc's own before 2.34).
"$python" - "$wheel" "$work/unpacked" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
want = ["carbontracker/__init__.py", "carbontracker/tracker.py", "carbontracker/parser.py",
        "carbontracker/__main__.py", "carbontracker/_carbontracker.py",
        "carbontracker/libcarbontracker.so", "carbontracker-0.1.0.data/scripts/carbontracker"]
missing = [w for w in want if w not in names]
assert not missing, f"wheel lacks {missing}: {names}"
assert not any("/usr/local" in n for n in names), names
EOF
allowed="libc.so.6 libpthread.so.0 libdl.so.2 ld-linux-x86-64.so.2"
for elf in "$work"/unpacked/carbontracker-0.1.0.data/scripts/carbontracker "$work"/unpacked/carbontracker/libcarbontracker.so; do
  needed=$(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  for lib in $needed; do
    [[ " $allowed " == *" $lib "* ]] || fail "$(basename "$elf") needs $lib (allowed: $allowed)"
  done
  ! readelf -d "$elf" | grep -Eq '\((RPATH|RUNPATH)\)' || fail "$(basename "$elf") has an RPATH/RUNPATH"
  ! grep -aq /usr/local "$elf" || fail "$(basename "$elf") mentions /usr/local"
done
echo "ELF dependencies: only $allowed"

# A uid of its own, and the files some earlier user of that uid left (tar
# archives keep uids): afterwards any other file of that uid outside the home
# was written by the test's user.
uid=$((61000 + $$ % 3000))
while getent passwd "$uid" >/dev/null; do uid=$((uid + 1)); done
owned_outside_home() {  # find fails on files that vanish meanwhile (other builds): its list stands
  { find / \( -path /proc -o -path /sys -o -path "$home" \) -prune -o -uid "$uid" -print 2>/dev/null || true; } | sort
}
useradd -m -d "$home" -u "$uid" -s /bin/sh "$user"
owned_before=$(owned_outside_home)
cp "$wheel" "$home/"
chown "$user:" "$home/$(basename "$wheel")"

# As the user: a clean environment, no pip configuration of this machine.
as_user() {
  (cd "$home" && runuser -u "$user" -- env -i HOME="$home" USER="$user" LANG=C.UTF-8 \
      PATH="$home/venv/bin:/usr/bin:/bin" PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 \
      PIP_DISABLE_PIP_VERSION_CHECK=1 "$@")
}

# The user's part, the same as in the Debian roots of matrix_test.sh: the
# venv, pip's tag check, the command, the Python loop, the parser, the reports
# (libcairo2 is installed here, by scripts/install-deps.sh).
install -o "$user" -g "$(id -g "$user")" -m 0644 "$here/wheel_checks.sh" "$home/"
as_user bash "$home/wheel_checks.sh" "$home/$(basename "$wheel")" "$python" full yes ||
  fail "the user's checks failed"

# The logs are in the home; nothing the user owns is anywhere else, and the
# wheel directory is as it was.
[ "$(ls "$home/logs" | grep -c '_carbontracker.jsonl$')" = 2 ] || fail "expected 2 JSONL logs in $home/logs: $(ls "$home/logs")"
stray=$(comm -13 <(echo "$owned_before") <(owned_outside_home))
[ -z "$stray" ] || fail "files written outside $home: $stray"
after=$(cd "$wheel_dir" && find . -maxdepth 1 -printf '%p %s %T@\n' | sort)
[ "$before" = "$after" ] || fail "$wheel_dir changed during the test"
echo "PASS: the wheel works for an unprivileged user; nothing written outside $home"
