"""Shared by the framework tests (run with the venv of
scripts/setup-integrations.sh; the package under test comes from the build
tree, CT_BINARY_DIR/python, never from the venv).

Two kinds of hardware, each with a known truth:
  sim       a simulated CPU of 100 W x 0.5 = 50 W: an epoch's energy is
            exactly 50 W x its duration;
  powercap  a fake powercap tree (tests/fakes/fake_powercap_helper), frozen
            (0 W) except while a training step holds it thawed
            (Hardware.work, called in the first step of every epoch): the
            energy it put into the counters is the truth, which the tracker
            must report within 0.5 %.
"""

import os
import pathlib
import sys
import time

import pytest

os.environ["KERAS_BACKEND"] = "torch"  # before anything imports keras
HERE = pathlib.Path(__file__).resolve().parent
SOURCE_DIR = HERE.parents[1]
BINARY_DIR = pathlib.Path(os.environ.get("CT_BINARY_DIR", SOURCE_DIR / "build"))
sys.path.insert(0, str(BINARY_DIR / "python"))
sys.path.insert(0, str(SOURCE_DIR / "tests" / "distributed"))  # world.py

import carbontracker  # noqa: E402

assert pathlib.Path(carbontracker.__file__).resolve().is_relative_to(BINARY_DIR.resolve()), \
    f"testing {carbontracker.__file__}, not the build tree's package"

from carbontracker import parser  # noqa: E402

P = "carbontracker/"
PUE = 1.58
SIM_W = 50.0
TOL = 0.005


class Hardware:
    def __init__(self, kind, tmp_path, monkeypatch):
        self.kind = kind
        self.world = None
        self.truths = []  # J put into the counters by each work()
        self.options = {"offline": True, "update_interval": 0.05, "verbose": 0,
                        "log_dir": str(tmp_path / "logs"), "monitor_epochs": -1}
        if kind == "sim":
            self.options.update(sim_cpu="Test CPU", sim_cpu_tdp=100.0)
        else:
            from world import World

            helper = os.environ.get("CT_FAKE_POWERCAP_HELPER",
                                    str(BINARY_DIR / "tests" / "fakes" / "fake_powercap_helper"))
            self.world = World(helper, str(tmp_path / "world"))
            monkeypatch.setenv("CARBONTRACKER_POWERCAP_ROOT", self.world.root)
            self.options.update(components="cpu")

    def work(self, seconds=0.3):
        """Called inside a training step: the hardware draws power for a while."""
        if self.world is None:
            time.sleep(0.05)
            return
        before = self.world.energy_j()
        self.world.thaw()
        time.sleep(seconds)
        self.truths.append(self.world.freeze() - before)

    def close(self):
        if self.world is not None:
            self.world.close()


@pytest.fixture(params=["sim", "powercap"])
def hardware(request, tmp_path, monkeypatch):
    hw = Hardware(request.param, tmp_path, monkeypatch)
    yield hw
    hw.close()


@pytest.fixture
def sim(tmp_path, monkeypatch):
    return Hardware("sim", tmp_path, monkeypatch)


def log_text(hw, suffix):
    logs = pathlib.Path(hw.options["log_dir"])
    files = sorted(logs.glob("*" + suffix))
    assert len(files) == 1, f"one run's {suffix} in {sorted(p.name for p in logs.iterdir())}"
    return files[0].read_text()


def check_epochs(hw, tracker, figures, n):
    """The tracker measured n complete epochs with the hardware's truth, and
    figures (one dict of logged values per epoch, read back from the
    framework's logger) hold each epoch's figures."""
    epochs = [e for e in tracker.results["epochs"] if not e["partial"]]
    assert len(epochs) == n
    assert len(figures) == n, figures
    for i, (e, f) in enumerate(zip(epochs, figures)):
        if hw.kind == "sim":
            truth_j = SIM_W * e["duration_s"]
        else:
            truth_j = hw.truths[i]
        assert e["energy_j"] == pytest.approx(truth_j, rel=TOL if hw.world else 1e-6)
        assert f[P + "energy_kwh"] == pytest.approx(e["energy_j"] * PUE / 3.6e6, rel=1e-6)
        assert f[P + "co2eq_g"] == pytest.approx(e["co2eq_g"] * PUE, rel=1e-6)
        assert f[P + "power_w"] == pytest.approx(e["energy_j"] / e["duration_s"], rel=1e-6)
        if hw.kind == "sim":
            assert f[P + "power_w"] == pytest.approx(SIM_W, rel=1e-6)


def check_logs(hw, epochs_done, planned, early, partial=False):
    """The logs: epochs_done epochs (the last partial with partial), the
    prediction for `planned` after epoch 1, the actual consumption of the
    epochs done, and "interrupted" when stopped early."""
    std = log_text(hw, "_carbontracker.log")
    out = log_text(hw, "_carbontracker_output.log")
    runs = parser.parse_all_logs(hw.options["log_dir"])
    assert len(runs) == 1
    run = runs[0]
    durations = run["components"]["cpu"]["epoch_durations (s)"]
    assert len(durations) == epochs_done
    assert f"Epoch {epochs_done}:" in std and f"Epoch {epochs_done + 1}:" not in std
    assert run["pred"]["epochs"] == planned
    assert out.index(f"Predicted consumption for {planned} epoch(s):") < out.index("Actual consumption")
    # A partial epoch is in the logs, and its energy in the totals, but the
    # actual consumption's count is of complete epochs.
    assert run["actual"]["epochs"] == epochs_done - (1 if partial else 0)
    assert run["early_stop"] == early
    if early:
        assert f"Training was interrupted before all {planned} epochs were monitored." in std
    return run
