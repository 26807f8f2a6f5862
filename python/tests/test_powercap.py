"""A three-epoch loop on a fake powercap (RAPL) tree: the energy the tracker
reports is the energy the test put into the counters."""

import math
import os
import time

import pytest

from carbontracker.tracker import CarbonTracker

RANGE_UJ = 262143328850


def write_atomic(path, text):
    tmp = path.parent / (path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class FakeZones:
    """intel-rapl:0 (package-0) and intel-rapl:0:1 (dram), as sysfs lays them out."""

    def __init__(self, root, package_uj, dram_uj):
        self.dirs = {"package": root / "intel-rapl:0", "dram": root / "intel-rapl:0:1"}
        names = {"package": "package-0", "dram": "dram"}
        self.uj = {"package": package_uj, "dram": dram_uj}
        for zone, d in self.dirs.items():
            d.mkdir(parents=True)
            (d / "name").write_text(names[zone] + "\n")
            (d / "max_energy_range_uj").write_text(f"{RANGE_UJ}\n")
            write_atomic(d / "energy_uj", f"{self.uj[zone]}\n")

    def add(self, package_j, dram_j, step_j=0.5):
        """Advances the counters by these energies in steps of at most step_j,
        so that a wrap between two readings is always plausible (as a real
        counter read every few milliseconds)."""
        steps = max(1, math.ceil(max(package_j, dram_j) / step_j))
        for _ in range(steps):
            for zone, joules in (("package", package_j), ("dram", dram_j)):
                self.uj[zone] = (self.uj[zone] + round(joules / steps * 1e6)) % RANGE_UJ
                write_atomic(self.dirs[zone] / "energy_uj", f"{self.uj[zone]}\n")
            time.sleep(0.001)


def test_three_epochs_give_the_scripted_energy(tmp_path, monkeypatch, capsys):
    root = tmp_path / "powercap"
    # The package counter wraps during epoch 2.
    zones = FakeZones(root, package_uj=RANGE_UJ - 20_000_000, dram_uj=5_000_000)
    monkeypatch.setenv("CARBONTRACKER_POWERCAP_ROOT", str(root))
    script = [(30.0, 4.0), (45.5, 6.25), (12.0, 1.0)]  # joules per epoch: package, dram

    tracker = CarbonTracker(
        epochs=3, monitor_epochs=3, components="cpu", offline=True, update_interval=0.01,
        log_dir=tmp_path / "logs",
    )
    for package_j, dram_j in script:
        tracker.epoch_start()
        zones.add(package_j, dram_j)
        tracker.epoch_end()
    tracker.stop()

    r = tracker.results
    assert [d["provenance"] for d in r["devices"]] == ["measured", "measured"]
    by_epoch = [e["energy_j"] for e in r["epochs"]]
    for measured, (package_j, dram_j) in zip(by_epoch, script):
        assert measured == pytest.approx(package_j + dram_j, rel=0.005)
    total_j = sum(p + d for p, d in script)
    assert r["total"]["energy_j"] == pytest.approx(total_j, rel=0.005)
    assert r["actual"]["energy_kwh"] == pytest.approx(total_j * 1.58 / 3.6e6, rel=0.005)
    out = capsys.readouterr().out
    assert "went back" not in out  # the wrap was counted, not taken for a reset
    assert f"\tEnergy:\t{total_j * 1.58 / 3.6e6:.6f} kWh" in out
