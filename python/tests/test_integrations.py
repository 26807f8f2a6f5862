"""The framework-independent part of carbontracker.integrations and the
tracker's epoch context (the callbacks themselves are tested against the real
frameworks in tests/integrations)."""

import subprocess
import sys

import pytest

from carbontracker.integrations import METRIC_NAMES, _common
from carbontracker.tracker import CarbonTracker

P = "carbontracker/"


def test_importing_the_package_imports_no_framework(subprocess_env):
    code = ("import sys, carbontracker, carbontracker.tracker, carbontracker.integrations; "
            "loaded = {'torch', 'lightning', 'pytorch_lightning', 'transformers', 'keras', 'mlflow'} "
            "& set(sys.modules); assert not loaded, loaded")
    p = subprocess.run([sys.executable, "-c", code], env=subprocess_env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_epoch_context_marks_each_epoch(sim_cpu):
    with CarbonTracker(epochs=2, monitor_epochs=-1, verbose=0, **sim_cpu) as tracker:
        for _ in range(2):
            with tracker.epoch() as t:
                assert t is tracker
    r = tracker.results
    assert [(e["index"], e["partial"]) for e in r["epochs"]] == [(1, False), (2, False)]
    assert r["total"]["epochs_completed"] == 2
    assert not tracker.monitoring


def test_epoch_context_ends_the_epoch_and_propagates_the_exception(sim_cpu):
    error = RuntimeError("in the training step")
    tracker = CarbonTracker(epochs=3, monitor_epochs=-1, verbose=0, **sim_cpu)
    with pytest.raises(RuntimeError) as raised:
        with tracker:
            with tracker.epoch():
                pass
            with tracker.epoch():
                raise error
    assert raised.value is error
    r = tracker.results
    # Both epochs ended (the second by the context), then stop() reported.
    assert [(e["index"], e["partial"]) for e in r["epochs"]] == [(1, False), (2, False)]
    assert r["interrupted"] and not tracker.monitoring


def test_log_files_are_the_runs_own(tmp_path, sim_cpu):
    (tmp_path / "999999999.1_2000-01-01T000000Z_carbontracker.log").write_text("another run\n")
    tracker = CarbonTracker(epochs=1, verbose=0, log_dir=tmp_path, **sim_cpu)
    with tracker.epoch():
        pass
    tracker.stop()
    names = [p.rsplit("/", 1)[1] for p in tracker.log_files]
    assert all(n.split(".")[0] == str(__import__("os").getpid()) for n in names), names
    suffixes = sorted(n[n.rindex("_carbontracker"):] for n in names)
    assert suffixes == ["_carbontracker.jsonl", "_carbontracker.log", "_carbontracker_output.log"]
    assert CarbonTracker(epochs=1, verbose=0, **sim_cpu).log_files == []


def test_session_figures_per_epoch_prediction_and_totals(sim_cpu):
    s = _common.Session(dict(sim_cpu, monitor_epochs=-1, verbose=0, pue=1.5))
    tracker = s.start(planned_epochs=3)
    assert tracker.epochs == 3
    figures = []
    for _ in range(3):
        s.epoch_start()
        s.epoch_start()  # idempotent
        figures.append(s.epoch_end())
        assert s.epoch_end() == {}
    final = s.stop()
    assert s.stop() == {}
    epochs = tracker.results["epochs"]
    for f, e in zip(figures, epochs):
        assert f[P + "duration_s"] == e["duration_s"]
        assert f[P + "power_w"] == pytest.approx(50.0)  # 100 W x 0.5
        assert f[P + "energy_kwh"] == pytest.approx(50.0 * e["duration_s"] * 1.5 / 3.6e6)
        assert f[P + "co2eq_g"] == pytest.approx(e["co2eq_g"] * 1.5)
    assert P + "predicted_energy_kwh" in figures[0]
    assert not any(P + "predicted_energy_kwh" in f for f in figures[1:])
    assert final[P + "total_energy_kwh"] == pytest.approx(tracker.results["total"]["energy_kwh_with_pue"])
    assert final[P + "epochs_monitored"] == 3
    assert set().union(*figures, final) <= set(METRIC_NAMES)


def test_session_a_new_training_stops_a_leftover_tracker(sim_cpu):
    s = _common.Session(dict(sim_cpu, monitor_epochs=-1, verbose=0))
    first = s.start(planned_epochs=3)
    s.epoch_start()
    second = s.start(planned_epochs=7)
    assert second is not first and second.epochs == 7
    assert not first.monitoring and first.results["interrupted"]
    s.stop()


def test_session_epochs_option_wins_and_unknown_options_are_named(sim_cpu):
    s = _common.Session(dict(sim_cpu, epochs=9, verbose=0))
    assert s.start(planned_epochs=3).epochs == 9
    s.stop()
    with pytest.raises(TypeError, match="unknown CarbonTracker option.*epoch_count"):
        _common.Session({"epoch_count": 3})


class _QuietTracker:
    """A tracker on a process whose node another process measures."""

    def __init__(self, **options):
        self.stopped = False

    epoch_start = epoch_end = lambda self: None

    def stop(self):
        self.stopped = True

    @property
    def results(self):
        return {"distributed": {"measures": False}, "epochs": [
            {"index": 1, "partial": False, "duration_s": 1.0, "energy_j": 5.0, "co2eq_g": 1.0}],
            "prediction": {"energy_kwh": 1, "co2eq_g": 1, "duration_s": 1}, "pue": 1.0,
            "total": {"energy_kwh_with_pue": 1, "co2eq_g_with_pue": 1, "duration_s": 1}}


def test_a_process_that_does_not_measure_logs_nothing(monkeypatch):
    monkeypatch.setattr(_common, "CarbonTracker", _QuietTracker)
    s = _common.Session({})
    s.start(2)
    s.epoch_start()
    assert s.epoch_end() == {}
    assert s.stop() == {} and s.tracker.stopped


class _FailingStop(_QuietTracker):
    def stop(self):
        raise OSError("disk full")


def test_stop_on_an_exception_warns_instead_of_raising(monkeypatch):
    monkeypatch.setattr(_common, "CarbonTracker", _FailingStop)
    s = _common.Session({})
    s.start(2)
    with pytest.warns(RuntimeWarning, match="disk full"):
        assert s.stop(quiet=True) == {}
    s = _common.Session({})
    s.start(2)
    with pytest.raises(OSError):
        s.stop()
