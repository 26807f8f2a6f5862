"""Lightning DDP, 2 processes (lightning_ddp.py): the node is measured once
and each figure is logged once."""

import csv
import json
import os
import subprocess
import sys

import pytest
from conftest import BINARY_DIR, HERE, P, PUE


def test_ddp_measures_once_and_logs_once(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(BINARY_DIR / "python"), OMP_NUM_THREADS="1",
               CARBONTRACKER_OFFLINE="1")
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    p = subprocess.run([sys.executable, str(HERE / "lightning_ddp.py"), str(tmp_path)], env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    ranks = []
    for r in (0, 1):
        with open(tmp_path / f"result_{r}.json") as f:
            ranks.append(json.load(f))
    r0, r1 = ranks[0]["results"], ranks[1]["results"]
    assert r0["distributed"]["measures"] and not r1["distributed"]["measures"]
    assert r1["distributed"]["measured_by"]
    # One run's logs, the measuring rank's.
    logs = sorted(os.listdir(tmp_path / "logs"))
    assert len([n for n in logs if n.endswith("_carbontracker.log")]) == 1, logs
    assert ranks[1]["log_files"] == [] and len(ranks[0]["log_files"]) >= 2
    # Printed once: the consumption blocks come from rank 0 only.
    assert p.stdout.count("Actual consumption for 2 epoch(s):") == 1, p.stdout
    # Logged once: one row per epoch, with rank 0's figures.
    with open(tmp_path / "csv" / "run" / "version_0" / "metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r.get(P + "energy_kwh")]
    assert len(rows) == 2
    epochs = [e for e in r0["epochs"] if not e["partial"]]
    for row, e in zip(rows, epochs):
        assert float(row[P + "energy_kwh"]) == pytest.approx(e["energy_j"] * PUE / 3.6e6, rel=1e-6)
        assert float(row[P + "power_w"]) == pytest.approx(50.0, rel=1e-6)
