"""The distributed option from Python: one process per node measures."""

import pytest

from carbontracker import exceptions
from carbontracker.tracker import CarbonTracker

RANK_1 = {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2",
          "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}


def set_rank(monkeypatch, rank, tmp_path):
    for k, v in RANK_1.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("LOCAL_RANK", str(rank))
    monkeypatch.delenv("CARBONTRACKER_MEASURED_BY", raising=False)
    # Local rank 0 takes the job's node lock: in this test's own directory.
    lock_dir = tmp_path / "run"
    lock_dir.mkdir(mode=0o700, exist_ok=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(lock_dir))


def test_another_local_rank_is_quiet(tmp_path, monkeypatch, capsys, sim_cpu):
    set_rank(monkeypatch, 1, tmp_path)
    tracker = CarbonTracker(epochs=2, monitor_epochs=2, log_dir=tmp_path / "logs", **sim_cpu)
    assert tracker.distributed == "auto"
    assert not tracker.monitoring
    for _ in range(2):
        tracker.epoch_start()
        tracker.epoch_end()
    tracker.stop()
    r = tracker.results
    assert r["distributed"]["measures"] is False
    assert r["distributed"]["message"] == "rank 1 of 2: node measured by local rank 0"
    assert r["distributed"]["rank"] == 1 and r["distributed"]["world_size"] == 2
    assert r["epochs"] == [] and r["total"]["energy_j"] == 0
    assert capsys.readouterr().out == ""
    assert not (tmp_path / "logs").exists()


def test_local_rank_zero_measures(tmp_path, monkeypatch, capsys, sim_cpu):
    set_rank(monkeypatch, 0, tmp_path)
    tracker = CarbonTracker(epochs=1, log_dir=tmp_path / "logs", **sim_cpu)
    tracker.epoch_start()
    tracker.epoch_end()
    r = tracker.results
    assert r["distributed"]["measures"] is True
    assert r["distributed"]["launcher"] == "torchrun"
    assert r["total"]["epochs_completed"] == 1
    # A note: in the standard log, on the console at verbose 2 only.
    assert "rank 0 of 2 (torchrun): measures" not in capsys.readouterr().out
    logs = tmp_path / "logs"
    assert any(p.name.endswith(".jsonl") for p in logs.iterdir())
    standard = next(p for p in logs.iterdir() if p.name.endswith("_carbontracker.log"))
    assert " - rank 0 of 2 (torchrun): measures" in standard.read_text()


def test_off_measures_in_every_rank(tmp_path, monkeypatch, capsys, sim_cpu):
    set_rank(monkeypatch, 1, tmp_path)
    tracker = CarbonTracker(epochs=1, distributed="off", **sim_cpu)
    tracker.epoch_start()
    tracker.epoch_end()
    assert tracker.results["total"]["epochs_completed"] == 1
    assert "distributed=off: rank 1 of 2 (torchrun) measures" in capsys.readouterr().out


def test_a_bad_policy_is_an_invalid_argument(sim_cpu):
    with pytest.raises(exceptions.InvalidArgumentError, match='expected "auto" or "off"'):
        CarbonTracker(epochs=1, distributed="on", **sim_cpu)
