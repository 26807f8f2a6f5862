#!/usr/bin/env bash
# The wheel, installed and used by a user without root (run as root):
#
#   bash tests/wheel/wheel_user_test.sh [WHEEL_DIR]     # default build/wheel
#
# Takes the x86_64 wheel carbontracker-*-manylinux_2_28_x86_64.whl in
# WHEEL_DIR (made by scripts/build-wheel.sh), checks what its ELF files need, creates a fresh
# user, and as that user (clean environment, cwd = its home) creates a venv
# with Debian's python3, installs the wheel with --no-index, and runs the
# `carbontracker` command (version, a simulated-CPU run, exit statuses,
# epoch markers), the README's Python loop for three epochs and the parser.
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

as_user "$python" -m venv "$home/venv"
as_user pip install -q --no-index "$home/$(basename "$wheel")"

[ "$(as_user sh -c 'command -v carbontracker')" = "$home/venv/bin/carbontracker" ] ||
  fail "carbontracker is not the venv's: $(as_user sh -c 'command -v carbontracker')"
[ "$(head -c 4 "$home/venv/bin/carbontracker" | od -An -c | tr -d ' ')" = '177ELF' ] ||
  fail "the venv's carbontracker is not the executable"

version=$(as_user carbontracker --version)
[ "$version" = "carbontracker 0.1.0" ] || fail "--version printed '$version'"

out=$(as_user carbontracker --sim-cpu X --sim-cpu-tdp 100 --json cli.json -- sleep 1)
echo "$out"
grep -qF "Using simulated CPU: X with TDP: 50.00W (at 50% utilization)" <<<"$out" ||
  fail "no simulated-CPU line in the output"
grep -qF "Actual consumption" <<<"$out" || fail "no actual consumption in the output"

# Exit statuses as the C++ binary's: the command's, 128 + signal, 127.
st=0; as_user carbontracker --log_dir "" --sim-cpu X --sim-cpu-tdp 100 -- sh -c 'exit 3' >/dev/null || st=$?
[ "$st" = 3 ] || fail "exit 3 gave status $st"
st=0; as_user carbontracker --log_dir "" --sim-cpu X --sim-cpu-tdp 100 -- sh -c 'kill -TERM $$' >/dev/null || st=$?
[ "$st" = 143 ] || fail "SIGTERM gave status $st, expected 143"
st=0; as_user carbontracker --log_dir "" --sim-cpu X --sim-cpu-tdp 100 -- no-such-command-ct >/dev/null 2>&1 || st=$?
[ "$st" = 127 ] || fail "a missing command gave status $st, expected 127"
st=0; as_user carbontracker --no-such-option -- true >/dev/null 2>&1 || st=$?
[ "$st" = 2 ] || fail "a bad option gave status $st, expected 2"
# Epoch markers through CARBONTRACKER_EPOCH_FD.
out=$(as_user carbontracker --log_dir "" --sim-cpu X --sim-cpu-tdp 100 --epochs 2 -- sh -c \
  'for i in 1 2; do echo epoch_start >&$CARBONTRACKER_EPOCH_FD; echo epoch_end >&$CARBONTRACKER_EPOCH_FD; done')
grep -qF "Actual consumption for 2 epoch(s):" <<<"$out" || fail "epoch markers not counted: $out"

cat >"$work/train.py" <<'EOF'
from carbontracker.tracker import CarbonTracker

max_epochs = 3
tracker = CarbonTracker(epochs=max_epochs, monitor_epochs=max_epochs, log_dir="./logs",
                        sim_cpu="X", sim_cpu_tdp=100)
for epoch in range(max_epochs):
    tracker.epoch_start()
    sum(i * i for i in range(200000))  # the training
    tracker.epoch_end()
tracker.stop()

r = tracker.results
assert [e["index"] for e in r["epochs"]] == [1, 2, 3], r["epochs"]
for e in r["epochs"]:  # 100 W TDP x 0.5 utilisation
    assert abs(e["devices"][0]["energy_j"] - 50.0 * e["duration_s"]) <= 1e-9 * 50.0 * e["duration_s"] + 1e-12, e
assert r["actual"]["epochs"] == 3 and r["prediction"]["epochs"] == 3, r
print("python run kWh with PUE:", r["total"]["energy_kwh_with_pue"])
with open("py.kwh", "w") as f:
    f.write(repr(r["total"]["energy_kwh_with_pue"]))
EOF
cp "$work/train.py" "$home/train.py"
chown "$user:" "$home/train.py"
out=$(as_user python train.py)
echo "$out"
grep -qF "Actual consumption for 3 epoch(s):" <<<"$out" || fail "the Python run printed no actual consumption"

cat >"$home/aggregate.py" <<'EOF'
import json, re
from carbontracker import parser

parser.print_aggregate(log_dir="./logs")
kwh, co2eq_g, _ = parser.aggregate_consumption(log_dir="./logs")
cli = json.load(open("cli.json"))["total"]["energy_kwh_with_pue"]
py = float(open("py.kwh").read())
logs = parser.parse_all_logs(log_dir="./logs")
assert len(logs) == 2, logs
print("aggregate kWh:", kwh, "= cli run", cli, "+ python run", py)
# Both runs have JSONL logs, so the aggregate is their exact sum.
assert cli > 0 and py > 0 and abs(kwh - (cli + py)) <= 1e-12 * kwh, (kwh, cli, py)
EOF
chown "$user:" "$home/aggregate.py"
out=$(as_user python aggregate.py)
echo "$out"
grep -Eq "^The training of models in this work is estimated to use [0-9.]+ kWh of electricity" <<<"$out" ||
  fail "print_aggregate printed no sentence"

# The logs are in the home; nothing the user owns is anywhere else, and the
# wheel directory is as it was.
[ "$(ls "$home/logs" | grep -c '_carbontracker.jsonl$')" = 2 ] || fail "expected 2 JSONL logs in $home/logs: $(ls "$home/logs")"
stray=$(comm -13 <(echo "$owned_before") <(owned_outside_home))
[ -z "$stray" ] || fail "files written outside $home: $stray"
after=$(cd "$wheel_dir" && find . -maxdepth 1 -printf '%p %s %T@\n' | sort)
[ "$before" = "$after" ] || fail "$wheel_dir changed during the test"
echo "PASS: the wheel works for an unprivileged user; nothing written outside $home"
