"""The components option and hwmon power sensors (CARBONTRACKER_HWMON_ROOT):
"all" includes the node figure of a platform power meter where one is found,
"node" asks for it alone, and the node is never part of the totals."""

import pytest

from carbontracker.tracker import CarbonTracker

METER_W = 312.5
GRACE_W = 220.0


def power_meter(root, n, watts, oem=None):
    d = root / f"hwmon{n}"
    d.mkdir(parents=True)
    (d / "name").write_text("power_meter\n")
    (d / "power1_average").write_text(f"{int(watts * 1e6)}\n")
    (d / "power1_average_interval").write_text("50\n")
    if oem:
        (d / "power1_oem_info").write_text(oem + "\n")


def run(tmp_path, components):
    tracker = CarbonTracker(epochs=1, components=components, offline=True, update_interval=0.05,
                            log_dir=None, verbose=0)
    tracker.epoch_start()
    tracker.epoch_end()
    tracker.stop()
    return tracker.results


def test_all_includes_the_node_figure_beside_the_grace_cpu(tmp_path, monkeypatch):
    root = tmp_path / "hwmon"
    power_meter(root, 0, GRACE_W, "Grace Power Socket 0")
    power_meter(root, 1, METER_W, "Module Power Socket 0")
    monkeypatch.setenv("CARBONTRACKER_HWMON_ROOT", str(root))
    monkeypatch.setenv("CARBONTRACKER_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    r = run(tmp_path, "all")
    by_name = {d["name"]: d for d in r["devices"]}
    assert by_name["grace:0"]["component"] == "cpu"
    assert by_name["module:0"]["component"] == "node"
    assert by_name["module:0"]["provenance"] == "platform power meter"
    seconds = r["total"]["duration_s"]
    assert r["components"]["node"]["energy_j"] == pytest.approx(METER_W * seconds, rel=1e-9, abs=1e-9)
    assert r["components"]["node"]["in_total"] is False
    # Only the CPU (and a GPU, if this machine has one) in the totals.
    assert r["total"]["energy_j"] == pytest.approx(
        sum(c["energy_j"] for k, c in r["components"].items() if k != "node"), rel=1e-12)


def test_node_alone(tmp_path, monkeypatch):
    root = tmp_path / "hwmon"
    power_meter(root, 0, METER_W)
    monkeypatch.setenv("CARBONTRACKER_HWMON_ROOT", str(root))
    r = run(tmp_path, "node")
    assert [d["name"] for d in r["devices"]] == ["meter:0"]
    assert r["total"]["energy_j"] == 0
