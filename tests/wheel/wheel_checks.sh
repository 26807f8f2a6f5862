#!/usr/bin/env bash
# The wheel as a user installs and uses it: run as that (unprivileged) user,
# in its home, with a clean environment. Used by wheel_user_test.sh (this
# machine's Python) and matrix_test.sh (inside the Debian roots), so it needs
# only bash, coreutils, grep and the Python under test.
#
#   bash wheel_checks.sh WHEEL PYTHON SET CAIRO
#
# SET is `full` or `small` (quicker: version, one run whose status 3 comes
# back, and the Python loop). CAIRO is `yes` (the reports must be
# written: HTML with its figures, PDF starting with %PDF) or `no` (they must
# fail with the one line naming libcairo2). Steps:
#   1. a venv made with PYTHON, and pip's own tag check: one of the wheel's
#      tags is among packaging.tags.sys_tags() of that Python (else pip would
#      refuse it; the tags are printed);
#   2. pip install --no-index WHEEL;
#   3. carbontracker --version, a simulated-CPU run, exit statuses (3; full
#      set: 143 for SIGTERM, 127, 2 for a bad option, epoch markers);
#   4. a run on a fake NVIDIA Grace node's hwmon power meters (the CPU figure
#      per socket equal to the truth);
#   5. the README's Python loop for three epochs (simulated CPU);
#   6. (full set) parser.print_aggregate and parse_all_logs on the logs: the
#      epochs and a non-zero energy, the aggregate the exact sum of the runs;
#   7. (full set) the reports of the logs, by the command and by
#      carbontracker.report.generate_report_from_logs.
set -euo pipefail
wheel=$1 python=$2 set=$3 cairo=$4
cd "$HOME"
fail() { echo "FAIL: $*" >&2; exit 1; }
t0=$SECONDS
step() { echo "== [$((SECONDS - t0)) s] $*"; }

step "venv with $python ($("$python" -c 'import sys, platform; print(sys.version.split()[0], platform.machine(), *platform.libc_ver())'))"
"$python" -m venv "$HOME/venv" || fail "$python -m venv failed: install python3-venv"
export PATH=$HOME/venv/bin:$PATH

step "pip's tag check"
python - "$wheel" <<'EOF' || fail "pip would refuse $(basename "$wheel"): none of its tags is supported by this Python (above)"
import sys
from pip._vendor.packaging import tags
from pip._vendor.packaging.utils import parse_wheel_filename
name = sys.argv[1].rsplit("/", 1)[-1]
wheel_tags = parse_wheel_filename(name)[3]
supported = list(tags.sys_tags())
# By name: Debian's de-vendored pip of Debian 11 may hand out Tag objects of
# two copies of packaging, which never compare equal.
match = sorted({str(t) for t in wheel_tags} & {str(t) for t in supported})
print("wheel tags:", " ".join(sorted(str(t) for t in wheel_tags)))
print("this Python's most specific tags:", " ".join(str(t) for t in supported[:4]), f"... ({len(supported)} in all)")
print("supported:", " ".join(match) if match else "NONE")
sys.exit(0 if match else 1)
EOF

step "pip install --no-index"
pip install -q --no-index "$wheel" || fail "pip install --no-index $(basename "$wheel") failed"
[ "$(command -v carbontracker)" = "$HOME/venv/bin/carbontracker" ] ||
  fail "carbontracker is not the venv's: $(command -v carbontracker)"
[ "$(head -c 4 "$HOME/venv/bin/carbontracker" | od -An -c | tr -d ' ')" = '177ELF' ] ||
  fail "the venv's carbontracker is not the executable"

step "carbontracker --version"
version=$(carbontracker --version)
[ "$version" = "carbontracker 0.1.0" ] || fail "--version printed '$version'"

step "a simulated-CPU run"
out=$(carbontracker --sim-cpu X --sim-cpu-tdp 100 --json cli.json -- sleep 1)
echo "$out"
grep -qF "Using simulated CPU: X with TDP: 50.00W (at 50% utilization)" <<<"$out" ||
  fail "no simulated-CPU line in the output"
grep -qF "Actual consumption" <<<"$out" || fail "no actual consumption in the output"

step "exit statuses"
st=0; carbontracker --log_dir "" --sim-cpu X --sim-cpu-tdp 100 -- sh -c 'exit 3' >/dev/null || st=$?
[ "$st" = 3 ] || fail "exit 3 gave status $st"
if [ "$set" = full ]; then
  st=0; carbontracker --log_dir "" --sim-cpu X --sim-cpu-tdp 100 -- sh -c 'kill -TERM $$' >/dev/null || st=$?
  [ "$st" = 143 ] || fail "SIGTERM gave status $st, expected 143"
  st=0; carbontracker --log_dir "" --sim-cpu X --sim-cpu-tdp 100 -- no-such-command-ct >/dev/null 2>&1 || st=$?
  [ "$st" = 127 ] || fail "a missing command gave status $st, expected 127"
  st=0; carbontracker --no-such-option -- true >/dev/null 2>&1 || st=$?
  [ "$st" = 2 ] || fail "a bad option gave status $st, expected 2"
  # Epoch markers through CARBONTRACKER_EPOCH_FD.
  out=$(carbontracker --log_dir "" --sim-cpu X --sim-cpu-tdp 100 --epochs 2 -- sh -c \
    'for i in 1 2; do echo epoch_start >&$CARBONTRACKER_EPOCH_FD; echo epoch_end >&$CARBONTRACKER_EPOCH_FD; done')
  grep -qF "Actual consumption for 2 epoch(s):" <<<"$out" || fail "epoch markers not counted: $out"
fi

step "a Grace node's hwmon power meters (2 sockets, 4 rails each), as this user reads them"
# The layout of an NVIDIA Grace (Hopper) node, files mode 0444 as the kernel
# makes them: per socket the Module, Grace (= CPU + SysIO), CPU and SysIO
# rails, in microwatts. The CPU figure is each socket's Grace rail, read at a
# constant power, so the energy is that power times the run's duration.
rm -rf "$HOME/hwmon"
n=0
for socket in 0 1; do
  for rail in "Module:$((700 + socket * 10))" "Grace:$((200 + socket * 20))" \
              "CPU:$((160 + socket * 20))" "SysIO:40"; do
    d=$HOME/hwmon/hwmon$n/device
    mkdir -p "$d"
    echo power_meter >"$HOME/hwmon/hwmon$n/name"
    echo "${rail%%:*} Power Socket $socket" >"$d/power1_oem_info"
    echo "${rail#*:}000000" >"$d/power1_average"
    echo 50 >"$d/power1_average_interval"
    chmod 0444 "$HOME/hwmon/hwmon$n/name" "$d"/*
    n=$((n + 1))
  done
done
out=$(CARBONTRACKER_HWMON_ROOT=$HOME/hwmon CARBONTRACKER_POWERCAP_ROOT=$HOME/no-powercap \
      carbontracker --log_dir "" --components cpu --json grace.json -- sleep 1) ||
  fail "the run on the Grace layout failed: $out"
grep -F "components were found" <<<"$out" || fail "no components line: $out"
grep -qF "CPU with device(s) grace:0, grace:1." <<<"$out" || fail "the Grace sockets were not found: $out"
python - <<'EOF' || fail "the Grace figures are wrong (above)"
import json
r = json.load(open("grace.json"))
s = r["total"]["duration_s"]
devices = {d["name"]: d for d in r["devices"]}
for name, watts in (("grace:0", 200.0), ("grace:1", 220.0)):
    d = devices[name]
    print(f"{name}: {d['energy_j']:.6f} J over {s:.6f} s, truth {watts * s:.6f} J ({d['provenance']})")
    assert d["component"] == "cpu" and d["provenance"] == "measured", d
    assert abs(d["energy_j"] - watts * s) <= 1e-6 * watts * s, (d, watts * s)
assert abs(r["total"]["energy_j"] - 420.0 * s) <= 1e-6 * 420.0 * s, r["total"]
EOF

step "the README's Python loop, three epochs"
cat >train.py <<'EOF'
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
assert r["total"]["energy_kwh_with_pue"] > 0, r["total"]
print("python run kWh with PUE:", r["total"]["energy_kwh_with_pue"])
with open("py.kwh", "w") as f:
    f.write(repr(r["total"]["energy_kwh_with_pue"]))
EOF
out=$(python train.py)
echo "$out"
grep -qF "Actual consumption for 3 epoch(s):" <<<"$out" || fail "the Python run printed no actual consumption"
[ "$(ls logs | grep -c '_carbontracker.jsonl$')" = 2 ] || fail "expected 2 JSONL logs in logs/: $(ls logs)"
if [ "$set" != full ]; then
  step "PASS (small set)"
  exit 0
fi

step "parser: print_aggregate, parse_all_logs"
cat >aggregate.py <<'EOF'
import json
from carbontracker import parser

parser.print_aggregate(log_dir="./logs")
kwh, co2eq_g, _ = parser.aggregate_consumption(log_dir="./logs")
cli = json.load(open("cli.json"))["total"]["energy_kwh_with_pue"]
py = float(open("py.kwh").read())
logs = parser.parse_all_logs(log_dir="./logs")
assert len(logs) == 2, logs
# The runs are sorted by file name, which begins with the process id: not
# the order they ran in once pids wrap (pid_max can be 32768) or gain a
# digit. The Python run is the one with three epochs and a prediction.
py_runs = [run for run in logs if run["actual"]["epochs"] == 3]
assert len(py_runs) == 1 and py_runs[0]["pred"]["epochs"] == 3, logs
for run in logs:
    assert run["actual"]["energy (kWh)"] > 0 and run["actual"]["co2eq (g)"] > 0, run
    assert not run["early_stop"], run
print("aggregate kWh:", kwh, "= cli run", cli, "+ python run", py)
# Both runs have JSONL logs, so the aggregate is their exact sum.
assert cli > 0 and py > 0 and abs(kwh - (cli + py)) <= 1e-12 * kwh, (kwh, cli, py)
EOF
out=$(python aggregate.py)
echo "$out"
sentence=$(grep -E "^The training of models in this work is estimated to use [0-9.]+ kWh of electricity" <<<"$out") ||
  fail "print_aggregate printed no sentence"
kwh_text=$(sed -E 's/.* use ([0-9.]+) kWh of electricity.*/\1/' <<<"$sentence")

step "reports (libcairo2 expected: $cairo)"
cat >report.py <<'EOF'
import sys
from carbontracker import report
from carbontracker.exceptions import CarbonTrackerError
try:
    report.generate_report_from_logs("./logs", sys.argv[1])
except CarbonTrackerError as e:
    print(f"{type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
EOF
for fmt in html pdf; do
  st=0; err=$(carbontracker --report logs --output "r.$fmt" 2>&1 >/dev/null) || st=$?
  pst=0; perr=$(python report.py "py.$fmt" 2>&1 >/dev/null) || pst=$?
  if [ "$cairo" = yes ]; then
    [ "$st" = 0 ] || fail "carbontracker --report logs --output r.$fmt: status $st: $err"
    [ "$pst" = 0 ] || fail "generate_report_from_logs(logs, py.$fmt): status $pst: $perr"
    for f in "r.$fmt" "py.$fmt"; do
      if [ "$fmt" = pdf ]; then
        [ "$(head -c 5 "$f")" = "%PDF-" ] || fail "$f does not start with %PDF-"
        [ "$(stat -c %s "$f")" -gt 10000 ] || fail "$f is only $(stat -c %s "$f") bytes"
      else
        grep -qF "$kwh_text kWh" "$f" || fail "$f lacks the aggregate's $kwh_text kWh"
        [ "$(grep -c '<svg' "$f")" -ge 3 ] || fail "$f lacks its three charts"
      fi
    done
    echo "r.$fmt: $(stat -c %s "r.$fmt") bytes"
  else
    for e in "$st:$err" "$pst:$perr"; do
      echo "${e#*:}"
      [ "${e%%:*}" = 1 ] || fail "a $fmt report without libcairo2 gave status ${e%%:*}, expected 1"
      grep -qF "apt-get install libcairo2" <<<"${e#*:}" || fail "the $fmt report's error does not name libcairo2: ${e#*:}"
      [ "$(grep -c . <<<"${e#*:}")" = 1 ] || fail "the $fmt report's error is not one line: ${e#*:}"
    done
    [ ! -e "r.$fmt" ] && [ ! -e "py.$fmt" ] || fail "a failed $fmt report left a file"
  fi
done
step "PASS (full set)"
