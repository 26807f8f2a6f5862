"""The genuine original and ours, side by side (ctest -L original).

The original comes from PyPI, installed by scripts/setup-original.sh:
carbontracker 2.1.2 (the documented version) and 2.4.7 (the newest release).
Both run without network (a proxy that refuses, so a machine with network
behaves the same): the original's location lookup fails and it falls back,
ours too.

* The same simulated run (CPU 100 W x 0.5, GPU 200 W x 0.5) through 2.4.7 and
  ours, by the CLI and by the embedded API: console text, standard and output
  log compared line by line after masking times, ids and the intensity source
  lines. Each remaining difference must be one of KNOWN_DIFFERENCES, each of
  which names the sentence of README's "Differences from the original" that
  lists it. 2.1.2 has no simulated components (they came in 2.3.0) and finds
  nothing to measure here; for it the parsers (both directions) and the log
  format are compared.
* Energy: the simulated power is constant, so each tool's energy is its
  logged power x its own logged epoch durations x PUE; the tolerance is the
  rounding of what is printed (durations to 0.01 s, energy to the chosen
  decimals). An epoch in which the original took no power sample logs None
  and gets no energy (its sampling bug B2/B3); such an epoch is excluded.
* Parsers: the original's (2.1.2 and 2.4.7) read our logs and return the
  figures we printed; ours reads theirs and returns the figures they printed.
"""

import difflib
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("CT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BINARY_DIR = pathlib.Path(os.environ.get("CT_BINARY_DIR", SOURCE_DIR / "build"))
VENVS = pathlib.Path(os.environ.get("CT_ORIGINAL_VENVS", BINARY_DIR / "venvs"))
OLDEST, NEWEST = "2.1.2", "2.4.7"
HERE = pathlib.Path(__file__).resolve().parent

POWER_W = {"gpu": 100.0, "cpu": 50.0}  # 200 W and 100 W at 50 % utilisation
PUE = 1.58
SIM_CLI = ["--sim-cpu", "Sim CPU", "--sim-cpu-tdp", "100", "--sim-gpu", "Sim GPU", "--sim-gpu-watts", "200"]
# The original's CLI prints 12 decimals and has no option for it.
CLI_PRECISION, API_PRECISION = 12, 9

# No network for either side, also where the machine has some.
NO_NETWORK = {k: "http://127.0.0.1:9" for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}
NO_NETWORK.update(no_proxy="", NO_PROXY="")

# Lines that say where the carbon intensity comes from (location lookup,
# providers, keys, the value used): masked, the sources differ on purpose.
INTENSITY_SOURCE = re.compile(
    r"carbon intensit|geolocation|\bTime zone .* country|\bLocation unknown|API key|intensity provider", re.I
)

# What is left after masking: (side, pattern, the README sentence that lists it).
KNOWN_DIFFERENCES = [
    ("ours", r"^Run metadata: \{.*\}$", "a `Run metadata:` line in the standard log"),
    (
        "ours",
        r"Uncertainty \(95 %\): energy \+\S+ %, CO2eq \+\S+ %",
        "an `Uncertainty (95 %):` line after each consumption block",
    ),
]

# README's "Differences from the original" lives in doc/differences.md.
DIFFERENCES = (SOURCE_DIR / "doc" / "differences.md").read_text()


def original(version, name="python"):
    return str(VENVS / f"original-{version}" / "bin" / name)


def env_for(side):
    env = dict(os.environ, **NO_NETWORK)
    env["MPLCONFIGDIR"] = str(VENVS / "mplconfig")  # 2.4.7 imports matplotlib
    if side == "ours":
        import carbontracker

        env["PYTHONPATH"] = str(pathlib.Path(carbontracker.__file__).resolve().parents[1])
    else:
        env.pop("PYTHONPATH", None)
    return env


def run(cmd, side, cwd):
    p = subprocess.run(cmd, cwd=cwd, env=env_for(side), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{cmd}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stdout


def log_files(log_dir):
    files = {}
    for f in pathlib.Path(log_dir).iterdir():
        for suffix, kind in (
            ("_carbontracker_output.log", "output"),
            ("_carbontracker_err.log", "err"),
            ("_carbontracker.log", "std"),
            ("_carbontracker.jsonl", "jsonl"),
        ):
            if f.name.endswith(suffix):
                assert kind not in files, f"two {kind} files in {log_dir}"
                files[kind] = f
                break
    return files


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(,\d+)? - ")
DURATION = re.compile(r"\b\d+:\d\d:\d\d(\.\d+)?\b")
NUMBER = re.compile(r"\d+\.\d+(e[-+]?\d+)?")


def masked(text):
    """The lines of a console text or log file, times, ids, the version and
    the figures (consumption blocks, power lines) masked, intensity source
    lines left out (with 2.1.2's traceback of its failed location lookup)."""
    lines = []
    raw = [TIMESTAMP.sub("", line) for line in text.splitlines()]
    skip = set()
    for i, line in enumerate(raw):
        if line.endswith("Traceback (most recent call last):"):
            end = raw.index("", i) if "" in raw[i:] else len(raw)
            if any("IPLocationError" in l for l in raw[i:end]):  # only the location lookup's
                skip.update(range(i, end + 1))
    for i, line in enumerate(raw):
        if i in skip:
            continue
        if INTENSITY_SOURCE.search(line):
            continue
        line = re.sub(r"^(Average power usage \(W\) for \w+:) \S+$", r"\1 <W>", line)
        line = DURATION.sub("<T>", line)
        line = re.sub(r"^carbontracker version .*", "carbontracker version <V>", line)
        if line.startswith("\t"):  # the figures of a consumption block
            line = NUMBER.sub("<N>", line)
        lines.append(line)
    return lines


def unglued(console):
    """The original prints from two threads (its banners from the caller's,
    its messages from the monitoring thread) and Python's print writes a
    line's text and its newline in two writes, so on a pipe a message may
    land in the middle of a banner line and the newline after it. Split such
    lines and drop the empty lines left, on both sides."""
    text = re.sub(r"(?<=[^\n])(?=CarbonTracker: )", "\n", console)
    return "".join(l for l in text.splitlines(keepends=True) if l.strip())


def unexplained(orig_text, ours_text):
    """Lines that differ after masking and are not KNOWN_DIFFERENCES."""
    a, b = masked(orig_text), masked(ours_text)
    left = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for side, lines in (("original", a[i1:i2]), ("ours", b[j1:j2])):
            for line in lines:
                if not any(s == side and re.search(p, line) for s, p, _ in KNOWN_DIFFERENCES):
                    left.append(f"{side}: {line!r}")
    return left


def figures(std_text, out_text):
    """What a run printed: per-epoch durations and powers (std log), the
    consumption blocks and the average intensity (output log)."""
    durations = [float(h) * 3600 + float(m) * 60 + float(s)
                 for h, m, s in re.findall(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", std_text)]
    powers = {}
    for comp, value in re.findall(r"Average power usage \(W\) for (\w+): (\S+)", std_text):
        powers.setdefault(comp, []).append(None if value == "None" else float(value))
    blocks = {}
    for kind, text in re.findall(r"(Actual|Predicted) consumption[^\n]*\n((?:\t[^\n]*\n?)+)", out_text):
        blocks.setdefault(kind.lower(), {
            "energy": float(re.search(r"Energy:\s*(\S+) kWh", text).group(1)),
            "co2": float(re.search(r"CO2eq:\s*(\S+) g", text).group(1)),
            "digits": len(re.search(r"Energy:\s*\d+\.(\d+)", text).group(1)),
        })
    intensity = float(re.search(r"Average carbon intensity during training was (\S+) gCO2", out_text).group(1))
    return {"durations": durations, "powers": powers, "intensity": intensity, **blocks}


def energy_tolerance_kwh(n_epochs, digits):
    """Printed durations are rounded to 0.01 s, the energy to `digits` decimals."""
    return sum(POWER_W.values()) * PUE / 3.6e6 * 0.005 * n_epochs + 0.5 * 10.0**-digits


def check_energy(fig, who, power_w=POWER_W):
    """The actual energy is the logged power x the logged durations x PUE, for
    the epochs that have a power (each logged power is `power_w`, when given);
    returns (energy per second of measured epochs, its tolerance, epochs
    without a sample)."""
    comps = list(fig["powers"])
    sampled = [i for i in range(len(fig["durations"])) if all(fig["powers"][c][i] is not None for c in comps)]
    if power_w is not None:
        assert sorted(comps) == sorted(power_w), who
        for c, watts in power_w.items():
            for i in sampled:
                assert fig["powers"][c][i] == watts, (who, c, i)
    seconds = sum(fig["durations"][i] for i in sampled)
    watts = [sum(fig["powers"][c][i] for c in comps) for i in sampled]
    expected = sum(w * fig["durations"][i] for w, i in zip(watts, sampled)) * PUE / 3.6e6
    digits = fig["actual"]["digits"]
    tolerance = sum(w * PUE / 3.6e6 * 0.005 for w in watts) + 0.5 * 10.0**-digits
    assert fig["actual"]["energy"] == pytest.approx(expected, abs=tolerance), (who, fig)
    co2 = fig["actual"]["energy"] * fig["intensity"]
    assert fig["actual"]["co2"] == pytest.approx(co2, abs=fig["actual"]["energy"] * 0.005 + 10.0**-digits), (who, fig)
    missed = len(fig["durations"]) - len(sampled)
    if not sampled:  # the original took no sample at all: no energy
        return None, None, missed
    return fig["actual"]["energy"] / seconds, tolerance / seconds, missed


def compare(orig_dir, ours_dir, orig_console, ours_console, n_epochs, version=NEWEST):
    o, u = log_files(orig_dir), log_files(ours_dir)
    assert f"carbontracker version {version}\n" in o["std"].read_text()  # the genuine original ran
    # Files: ours adds the JSONL file; the original's err file holds its
    # intensity source warnings only (ours has no error to write).
    assert set(u) == {"std", "output", "jsonl"}
    assert set(o) - {"err"} == {"std", "output"}
    if "err" in o:
        assert all(INTENSITY_SOURCE.search(l) for l in o["err"].read_text().splitlines() if TIMESTAMP.match(l))
    for what, a, b in (
        ("console", unglued(orig_console), unglued(ours_console)),
        ("standard log", o["std"].read_text(), u["std"].read_text()),
        ("output log", o["output"].read_text(), u["output"].read_text()),
    ):
        assert unexplained(a, b) == [], what
    fo = figures(o["std"].read_text(), o["output"].read_text())
    fu = figures(u["std"].read_text(), u["output"].read_text())
    assert len(fo["durations"]) == len(fu["durations"]) == n_epochs
    rate_o, tol_o, _ = check_energy(fo, "original")
    rate_u, tol_u, missed_u = check_energy(fu, "ours")
    assert missed_u == 0
    if rate_o is None:
        return fo, fu
    # Energy per second of epoch: the same simulated power, so equal within
    # the rounding of the printed durations and energies of both.
    assert rate_o == pytest.approx(rate_u, abs=tol_o + tol_u)
    print(f"energy per second: original {rate_o * 3.6e6:.4f} J/s, ours {rate_u * 3.6e6:.4f} J/s "
          f"(+-{(tol_o + tol_u) * 3.6e6:.4f}); total energy original {fo['actual']['energy']:.9g} kWh "
          f"over {sum(fo['durations']):.2f} s, ours {fu['actual']['energy']:.9g} kWh over {sum(fu['durations']):.2f} s")
    return fo, fu


def test_known_differences_are_in_the_readme():
    for _, _, sentence in KNOWN_DIFFERENCES:
        assert sentence in DIFFERENCES


def test_cli_side_by_side_with_the_newest(tmp_path):
    cmd = ["sleep", "2"]
    orig_out = run([original(NEWEST, "carbontracker"), "--log_dir", "o", *SIM_CLI, *cmd], "original", tmp_path)
    ours_out = run([str(BINARY_DIR / "carbontracker"), "--log_dir", "u", *SIM_CLI,
                    "--decimal-precision", str(CLI_PRECISION), *cmd], "ours", tmp_path)
    fo, fu = compare(tmp_path / "o", tmp_path / "u", orig_out, ours_out, 1)
    assert fo["actual"]["digits"] == fu["actual"]["digits"] == CLI_PRECISION


def test_api_side_by_side_with_the_newest(tmp_path):
    orig_out = run([original(NEWEST), str(HERE / "drive_api.py"), "o"], "original", tmp_path)
    ours_out = run([sys.executable, str(HERE / "drive_api.py"), "u"], "ours", tmp_path)
    fo, fu = compare(tmp_path / "o", tmp_path / "u", orig_out, ours_out, 3)
    for f in (fo, fu):
        assert f["actual"]["digits"] == f["predicted"]["digits"] == API_PRECISION
        # The prediction: the first epoch's energy x 3.
        first = sum(POWER_W.values()) * f["durations"][0] * PUE / 3.6e6
        assert f["predicted"]["energy"] == pytest.approx(3 * first, abs=3 * energy_tolerance_kwh(1, API_PRECISION))


ORIGINAL_PARSE = """
import json, sys
from carbontracker import parser
def plain(o):
    return o.tolist() if hasattr(o, "tolist") else str(o)
print(json.dumps({"file": parser.__file__, "runs": parser.parse_all_logs(sys.argv[1]),
                  "aggregate": parser.aggregate_consumption(sys.argv[1])}, default=plain))
"""


def original_parse(version, log_dir):
    # -I: not the working directory's package (ctest runs in build/python).
    out = subprocess.run([original(version), "-I", "-c", ORIGINAL_PARSE, str(log_dir)], env=env_for("original"),
                         capture_output=True, text=True, timeout=120, check=True).stdout
    parsed = json.loads(out)
    assert parsed["file"].startswith(str(VENVS / f"original-{version}")), parsed["file"]
    return parsed


@pytest.fixture(scope="module")
def our_api_logs(tmp_path_factory):
    d = tmp_path_factory.mktemp("ours")
    run([sys.executable, str(HERE / "drive_api.py"), "logs"], "ours", d)
    return d / "logs"


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_the_original_parser_reads_our_logs(version, our_api_logs):
    f = log_files(our_api_logs)
    printed = figures(f["std"].read_text(), f["output"].read_text())
    parsed = original_parse(version, our_api_logs)
    (run_,) = parsed["runs"]
    assert run_["standard_filename"] == str(f["std"]) and run_["output_filename"] == str(f["output"])
    for c, watts in POWER_W.items():
        comp = run_["components"][c]
        assert comp["avg_power_usages (W)"] == [[watts]] * 3
        assert comp["epoch_durations (s)"] == printed["durations"]
        assert comp["avg_energy_usages (J)"] == [[watts * d] for d in printed["durations"]]
    assert run_["components"]["gpu"]["devices"] == ["Sim GPU"]
    assert run_["components"]["cpu"]["devices"] == ["Sim CPU"]
    assert run_["early_stop"] is False
    for key, kind in (("actual", "actual"), ("pred", "predicted")):
        assert run_[key]["energy (kWh)"] == printed[kind]["energy"]
        assert run_[key]["co2eq (g)"] == printed[kind]["co2"]
    assert run_["pred"]["epochs"] == 3
    # The original's bugs P1 and P3: the actual epoch count always reads 1,
    # so the aggregate takes the prediction (README, Parser).
    assert run_["actual"]["epochs"] == 1
    assert parsed["aggregate"][0] == printed["predicted"]["energy"]


def test_our_parser_reads_the_newest_logs(tmp_path):
    from carbontracker import parser

    run([original(NEWEST), str(HERE / "drive_api.py"), "o"], "original", tmp_path)
    f = log_files(tmp_path / "o")
    printed = figures(f["std"].read_text(), f["output"].read_text())
    (run_,) = parser.parse_all_logs(tmp_path / "o")
    for c, watts in POWER_W.items():
        comp = run_["components"][c]
        assert comp["epoch_durations (s)"] == printed["durations"]
        assert comp["avg_power_usages (W)"] == [[p] for p in printed["powers"][c]]
    for key, kind in (("actual", "actual"), ("pred", "predicted")):
        assert run_[key]["epochs"] == 3
        assert run_[key]["energy (kWh)"] == printed[kind]["energy"]
        assert run_[key]["co2eq (g)"] == printed[kind]["co2"]
    energy, co2, _ = parser.aggregate_consumption(tmp_path / "o")
    assert (energy, co2) == (printed["actual"]["energy"], printed["actual"]["co2"])


FIXTURES = SOURCE_DIR / "tests" / "fixtures" / "original-logs"


@pytest.mark.parametrize("name", ["v212_api_two_gpus", "v212_cli"])
def test_both_parsers_read_logs_of_2_1_2_alike(name):
    """Logs written by the genuine 2.1.2 (tests/fixtures/original-logs, see its
    README): its own parser and ours agree, but for its documented bugs."""
    from carbontracker import parser

    theirs = original_parse(OLDEST, FIXTURES / name)
    ours = parser.parse_all_logs(FIXTURES / name)
    assert len(theirs["runs"]) == len(ours) == 1
    t, u = theirs["runs"][0], ours[0]
    for key in ("output_filename", "standard_filename", "early_stop"):
        assert t[key] == u[key]
    for c in t["components"]:
        for key in ("avg_power_usages (W)", "avg_energy_usages (J)", "epoch_durations (s)"):
            assert t["components"][c][key] == u["components"][c][key], (c, key)
        # P5: the original keeps the space after each comma.
        assert [d.strip() for d in t["components"][c]["devices"]] == u["components"][c]["devices"]
    for key in ("actual", "pred"):
        if t[key] is None:
            assert u[key] is None
            continue
        for field in ("duration (s)", "energy (kWh)", "co2eq (g)", "equivalents"):
            assert t[key][field] == u[key][field], (key, field)
    if t["pred"] is not None:
        assert t["pred"]["epochs"] == u["pred"]["epochs"]


HELPER = BINARY_DIR / "tests" / "fakes" / "fake_powercap_helper"
RAPL_W = 40.0


@pytest.fixture
def fake_rapl(tmp_path):
    """A powercap tree (one package) that the helper advances at 40 W."""
    root, ready = tmp_path / "powercap", tmp_path / "ready"
    helper = subprocess.Popen([str(HELPER), "--root", str(root), "--trace", f"{RAPL_W}:1000",
                               "--truth", str(tmp_path / "truth"), "--ready", str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():  # waits for a condition, not for a time
            assert helper.poll() is None and time.monotonic() < deadline, "fake_powercap_helper did not start"
            time.sleep(0.01)
        yield root
    finally:
        helper.terminate()
        helper.wait(timeout=30)


def test_api_side_by_side_with_2_1_2_on_fake_rapl(tmp_path, fake_rapl):
    """2.1.2 has no simulated components, so both read the same fake RAPL
    tree (2.1.2 through its module constant RAPL_DIR, ours through
    CARBONTRACKER_POWERCAP_ROOT). Its power comes from 1 s samples, ours from
    the counter at the epoch boundaries: our energy is our logged power x
    durations x PUE; how far each power is from the 40 W is printed, not
    asserted (it depends on the scheduling of the helper and of the 1 s
    window)."""
    orig_out = run([original(OLDEST), str(HERE / "drive_rapl.py"), "o", str(fake_rapl), "original"], "original", tmp_path)
    ours_out = run([sys.executable, str(HERE / "drive_rapl.py"), "u", str(fake_rapl), "ours"], "ours", tmp_path)
    o, u = log_files(tmp_path / "o"), log_files(tmp_path / "u")
    assert f"carbontracker version {OLDEST}\n" in o["std"].read_text()
    assert set(u) == {"std", "output", "jsonl"} and set(o) - {"err"} == {"std", "output"}
    for what, a, b in (
        ("console", orig_out, ours_out),
        ("standard log", o["std"].read_text(), u["std"].read_text()),
        ("output log", o["output"].read_text(), u["output"].read_text()),
    ):
        assert unexplained(a, b) == [], what
    fo = figures(o["std"].read_text(), o["output"].read_text())
    fu = figures(u["std"].read_text(), u["output"].read_text())
    assert "cpu:0" in o["std"].read_text() and "cpu:0" in u["std"].read_text()
    _, _, missed_u = check_energy(fu, "ours", power_w=None)
    assert missed_u == 0 and len(fu["durations"]) == len(fo["durations"]) == 2
    # 2.1.2's energy and its logged power come from different sets of its 1 s
    # samples (a sample in flight at epoch_end is logged late, bug B2), so
    # its energy is not its logged power x duration: what it is is printed.
    implied_w = fo["actual"]["energy"] * 3.6e6 / PUE / sum(fo["durations"])
    assert fo["actual"]["energy"] > 0
    print(f"2.1.2 on fake RAPL at {RAPL_W} W: original per-epoch power {fo['powers']['cpu']}, "
          f"energy / duration {implied_w:.3f} W; ours {fu['powers']['cpu']}")


NODE_W = 312.5  # a platform power meter (hwmon power_meter), beside the simulated CPU and GPU


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_the_original_parser_reads_our_logs_with_a_node_figure(version, tmp_path):
    meter = tmp_path / "hwmon" / "hwmon0"
    meter.mkdir(parents=True)
    (meter / "name").write_text("power_meter\n")
    (meter / "power1_average").write_text(f"{int(NODE_W * 1e6)}\n")
    (meter / "power1_average_interval").write_text("1000\n")
    env = dict(env_for("ours"), CARBONTRACKER_HWMON_ROOT=str(tmp_path / "hwmon"))
    cmd = [str(BINARY_DIR / "carbontracker"), "--log_dir", "logs", *SIM_CLI, "--", "sleep", "1"]
    p = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "NODE with device(s) meter:0." in p.stdout
    f = log_files(tmp_path / "logs")
    printed = figures(f["std"].read_text(), f["output"].read_text())
    parsed = original_parse(version, tmp_path / "logs")
    (run_,) = parsed["runs"]
    # The node is one more component to it, with the meter's power ...
    assert run_["components"]["node"]["devices"] == ["meter:0"]
    assert run_["components"]["node"]["avg_power_usages (W)"] == [[NODE_W]]
    for c, watts in POWER_W.items():
        assert run_["components"][c]["avg_power_usages (W)"] == [[watts]]
    # ... and the consumption it reads is ours, the CPU + GPU sum without the node.
    assert run_["actual"]["energy (kWh)"] == printed["actual"]["energy"]
    duration = printed["durations"][0]
    assert printed["actual"]["energy"] == pytest.approx(
        sum(POWER_W.values()) * duration * PUE / 3.6e6, abs=energy_tolerance_kwh(1, printed["actual"]["digits"]))
    assert parsed["aggregate"][0] == printed["actual"]["energy"]
