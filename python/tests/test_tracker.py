"""CarbonTracker's Python API on the C++ core: arguments, validation,
results, console output and errors."""

import re

import pytest

import carbontracker
from carbontracker import exceptions
from carbontracker.tracker import CarbonTracker


def run_epochs(tracker, n):
    for _ in range(n):
        tracker.epoch_start()
        tracker.epoch_end()


def test_construction_with_every_argument(tmp_path, capsys):
    tracker = CarbonTracker(
        epochs=4,
        epochs_before_pred=2,
        monitor_epochs=3,
        update_interval=0.5,
        interpretable=False,
        stop_and_confirm=False,
        ignore_errors=False,
        components="gpu, CPU",
        devices_by_pid=True,
        log_dir=tmp_path / "logs",
        log_file_prefix="run",
        verbose=2,
        decimal_precision=3,
        api_keys={"electricitymaps": "not-a-real-key"},
        sim_cpu="Test CPU",
        sim_cpu_tdp=80,
        sim_cpu_util=0.25,
        sim_gpu="Test GPU",
        sim_gpu_watts=300.0,
        sim_gpu_util=1.0,
        pue=1.2,
        region="DK",
        offline=True,
        json_path=tmp_path / "run.json",
    )
    assert tracker.monitoring
    run_epochs(tracker, 3)
    assert not tracker.monitoring
    tracker.stop()

    r = tracker.results
    assert r["planned_epochs"] == 4
    assert r["pue"] == 1.2
    assert r["finished"] is True and r["interrupted"] is False
    assert [(d["name"], d["component"], d["provenance"]) for d in r["devices"]] == [
        ("Test GPU", "gpu", "simulated"),
        ("Test CPU", "cpu", "simulated"),
    ]
    assert r["prediction"]["epochs"] == 4
    assert r["actual"]["epochs"] == 3
    # 300 W x 1.0 and 80 W x 0.25: every epoch's energy is power x duration.
    for epoch in r["epochs"]:
        gpu, cpu = epoch["devices"]
        assert gpu["energy_j"] == pytest.approx(300.0 * epoch["duration_s"], rel=1e-9, abs=1e-9)
        assert cpu["energy_j"] == pytest.approx(20.0 * epoch["duration_s"], rel=1e-9, abs=1e-9)

    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert len(files) == 3  # standard, output and JSONL logs; no err log without an error
    assert all(name.startswith("run_") for name in files)
    assert files[0].endswith("_carbontracker.jsonl")
    assert files[1].endswith("_carbontracker.log") and files[2].endswith("_carbontracker_output.log")
    assert (tmp_path / "run.json").exists()

    out = capsys.readouterr().out
    assert "Using simulated GPU: Test GPU with power consumption: 300.00W (at 100% utilization)" in out
    assert "Using simulated CPU: Test CPU with TDP: 20.00W (at 25% utilization)" in out
    assert "This is equivalent to" not in out  # interpretable=False
    assert re.search(r"\tEnergy:\t\d+\.\d{3} kWh\n", out)  # decimal_precision=3


def test_defaults_are_the_c_api_defaults(sim_cpu):
    tracker = CarbonTracker(epochs=2, **sim_cpu)
    assert (tracker.epochs_before_pred, tracker.monitor_epochs, tracker.decimal_precision) == (1, 1, 6)
    assert tracker.pue == 1.58 and tracker.interpretable and tracker.verbose == 1
    tracker.stop()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"epochs": 3, "monitor_epochs": 0},
            "Argument monitor_epochs expected a value in {-1, >0, >=epochs_before_pred}, got 0.",
        ),
        (
            {"epochs": 3, "epochs_before_pred": 3, "monitor_epochs": 2},
            "Argument monitor_epochs expected a value in {-1, >0, >=epochs_before_pred}, got 2.",
        ),
        (
            {"epochs": 3, "sim_cpu": "X"},
            "When using simulated CPU (sim_cpu), you must also specify the CPU TDP (sim_cpu_tdp)",
        ),
        (
            {"epochs": 3, "sim_gpu": "X"},
            "When using simulated GPU (sim_gpu), you must also specify the GPU power consumption "
            "(sim_gpu_watts)",
        ),
        ({"epochs": 0}, "Argument epochs expected a value > 0, got 0."),
    ],
)
def test_invalid_arguments_raise_the_original_messages(kwargs, message):
    with pytest.raises(ValueError) as info:
        CarbonTracker(offline=True, **kwargs)
    assert str(info.value) == message
    assert isinstance(info.value, exceptions.InvalidArgumentError)
    assert isinstance(info.value, carbontracker.CarbonTrackerError)
    assert isinstance(info.value, RuntimeError)


def test_invalid_arguments_raise_even_with_ignore_errors():
    with pytest.raises(ValueError, match="monitor_epochs"):
        CarbonTracker(epochs=3, monitor_epochs=0, ignore_errors=True, offline=True)


def test_sim_values_without_a_name_are_ignored_as_in_the_original(sim_cpu):
    tracker = CarbonTracker(epochs=1, sim_gpu_watts=100, sim_gpu_util=0.3, components="cpu", **sim_cpu)
    assert [d["name"] for d in tracker.results["devices"]] == ["Test CPU"]
    tracker.stop()


def test_missing_component_raises_a_carbontracker_error():
    with pytest.raises(exceptions.ComponentError, match=r"No GPU\(s\) available") as info:
        CarbonTracker(epochs=1, components="gpu", offline=True)
    assert isinstance(info.value, RuntimeError)


def test_ignore_errors_reports_and_lets_training_continue(capsys):
    tracker = CarbonTracker(epochs=2, components="gpu", ignore_errors=True, offline=True)
    assert not tracker.monitoring
    run_epochs(tracker, 2)  # no-ops
    tracker.stop()
    out = capsys.readouterr().out
    assert "Ignored error: No GPU(s) available" in out
    assert "Continued training without monitoring..." in out
    assert tracker.results["epochs"] == []


def test_results_after_each_epoch_and_at_the_end(sim_cpu):
    tracker = CarbonTracker(epochs=3, monitor_epochs=3, components="cpu", **sim_cpu)
    seen = []
    for _ in range(3):
        tracker.epoch_start()
        tracker.epoch_end()
        seen.append(len(tracker.results["epochs"]))
    assert seen == [1, 2, 3]
    final = tracker.results
    assert final["finished"] and final["actual"]["epochs"] == 3
    assert final["total"]["epochs_completed"] == 3
    total_j = sum(e["energy_j"] for e in final["epochs"])
    assert final["total"]["energy_j"] == pytest.approx(total_j)
    assert final["total"]["energy_kwh_with_pue"] == pytest.approx(total_j * 1.58 / 3.6e6)
    tracker.stop()
    assert tracker.results == final


def test_a_stray_epoch_end_is_ignored_with_one_warning(sim_cpu, capsys):
    tracker = CarbonTracker(epochs=2, components="cpu", **sim_cpu)
    tracker.epoch_end()  # no epoch started: not a 0-second epoch, no prediction
    r = tracker.results
    assert r["epochs"] == [] and r.get("prediction") is None
    warning = "epoch_end() was called without epoch_start(); it is ignored."
    assert r["messages"] == [warning]
    assert capsys.readouterr().out.count(warning) == 1
    run_epochs(tracker, 1)
    r = tracker.results
    assert [e["index"] for e in r["epochs"]] == [1]
    assert r["prediction"]["energy_kwh"] > 0


def test_stop_reports_an_epoch_in_progress_as_partial(sim_cpu, capsys):
    tracker = CarbonTracker(epochs=5, monitor_epochs=-1, components="cpu", **sim_cpu)
    run_epochs(tracker, 2)
    tracker.epoch_start()
    tracker.stop()
    r = tracker.results
    assert r["interrupted"] is True
    assert [e["partial"] for e in r["epochs"]] == [False, False, True]
    assert "Actual consumption for 2 epoch(s):" in capsys.readouterr().out
    tracker.stop()  # a second stop() does nothing
    run_epochs(tracker, 1)  # neither does training on
    assert len(tracker.results["epochs"]) == 3


FLOAT = r"(\d+\.\d{6})"
BLOCK = (
    r"CarbonTracker: \nTITLE\n\tTime:\t(\d+:\d\d:\d\d)\n\tEnergy:\t" + FLOAT + r" kWh\n"
    r"\tCO2eq:\t" + FLOAT + r" g\n\tThis is equivalent to:\n\t" + FLOAT + r" km travelled by car\n"
)


def test_printed_blocks_match_the_original_format(sim_cpu, capsys):
    tracker = CarbonTracker(epochs=2, monitor_epochs=2, components="cpu", **sim_cpu)
    print("before epoch 1")
    tracker.epoch_start()
    tracker.epoch_end()
    print("after epoch 1")
    tracker.epoch_start()
    tracker.epoch_end()
    print("after epoch 2")
    out = capsys.readouterr().out
    r = tracker.results

    pred = re.search(BLOCK.replace("TITLE", re.escape("Predicted consumption for 2 epoch(s):")), out)
    actual = re.search(BLOCK.replace("TITLE", re.escape("Actual consumption for 2 epoch(s):")), out)
    assert pred and actual, out
    for match, figures in ((pred, r["prediction"]), (actual, r["actual"])):
        _, energy, co2, km = match.groups()
        assert energy == f"{figures['energy_kwh']:.6f}"
        assert co2 == f"{figures['co2eq_g']:.6f}"
        assert km == f"{figures['co2eq_g'] / 107.5:.6f}"
    # The tracker's output is in order with the program's own prints.
    positions = [
        out.index("before epoch 1"),
        pred.start(),
        out.index("after epoch 1"),
        actual.start(),
        out.index("CarbonTracker: Finished monitoring."),
        out.index("after epoch 2"),
    ]
    assert positions == sorted(positions)
    assert out.startswith("Using simulated CPU: Test CPU with TDP: 50.00W (at 50% utilization)\n")
    assert "CarbonTracker: The following components were found: CPU with device(s) Test CPU.\n" in out


def test_verbose_zero_prints_no_output_messages(sim_cpu, capsys):
    tracker = CarbonTracker(epochs=1, verbose=0, components="cpu", **sim_cpu)
    run_epochs(tracker, 1)
    assert "CarbonTracker:" not in capsys.readouterr().out


def test_unwritable_log_dir_raises_output_error(tmp_path, sim_cpu):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(exceptions.OutputError, match="log"):
        CarbonTracker(epochs=1, log_dir=blocker / "logs", components="cpu", **sim_cpu)


def test_context_manager_stops(sim_cpu):
    with CarbonTracker(epochs=3, monitor_epochs=3, components="cpu", **sim_cpu) as tracker:
        run_epochs(tracker, 1)
    assert not tracker.monitoring
    assert tracker.results["interrupted"] is True


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", carbontracker.__version__)


def test_results_polled_from_another_thread_while_training(sim_cpu):
    import threading

    tracker = CarbonTracker(epochs=50, monitor_epochs=-1, components="cpu", verbose=0, **sim_cpu)
    seen = []
    done = threading.Event()

    def poll():
        while not done.is_set():
            seen.append(len(tracker.results["epochs"]))
            tracker.monitoring

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        run_epochs(tracker, 30)
        tracker.stop()
    finally:
        done.set()
        thread.join()
    assert seen == sorted(seen)  # epochs only ever accumulate
    assert len(tracker.results["epochs"]) == 30


@pytest.mark.parametrize(
    "kwargs, error",
    [({"epochs": 2**40}, ValueError), ({"epochs": "three"}, TypeError), ({"epochs": 2.5}, TypeError)],
)
def test_argument_types_are_checked(kwargs, error):
    with pytest.raises(error, match="Argument epochs expected"):
        CarbonTracker(offline=True, **kwargs)


def test_an_integral_float_is_accepted_for_epochs(sim_cpu):
    tracker = CarbonTracker(epochs=3.0, components="cpu", **sim_cpu)
    assert tracker.results["planned_epochs"] == 3
    tracker.stop()


def test_set_api_keys(sim_cpu, capsys):
    tracker = CarbonTracker(epochs=2, components="cpu", **sim_cpu)
    tracker.set_api_keys({"ElectricityMaps": "key"})
    assert tracker.monitoring
    with pytest.raises(carbontracker.CarbonTrackerError, match="Invalid API name 'bogus' given."):
        tracker.set_api_keys({"bogus": "key"})
    # As the original's error handler: the failure is reported and monitoring ends.
    assert "CarbonTracker: CRITICAL - Invalid API name 'bogus' given." in capsys.readouterr().out
    assert not tracker.monitoring
    with pytest.raises(TypeError, match="api_keys expected a dict"):
        tracker.set_api_keys([("electricitymaps", "key")])


def test_metrics_endpoint_and_textfile(sim_cpu, tmp_path):
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    textfile = tmp_path / "carbontracker.prom"
    # Monitoring goes on after epoch 1: the endpoint is served while it does.
    tracker = CarbonTracker(epochs=2, monitor_epochs=2, metrics_port=port,
                            metrics_textfile=textfile, **sim_cpu)
    assert (tracker.metrics_port, tracker.metrics_address) == (port, "127.0.0.1")
    run_epochs(tracker, 1)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE carbontracker_energy_joules_total counter" in text
    energy = re.search(
        r'^carbontracker_energy_joules_total\{component="cpu",device="Test CPU",'
        r'provenance="simulated"[^}]*\} (\S+)$', text, re.M)
    assert energy, text
    # After the only epoch: the counter holds at least that epoch's energy.
    assert float(energy.group(1)) >= tracker.results["epochs"][0]["devices"][0]["energy_j"]
    assert re.search(r"^carbontracker_epochs_completed(\{[^}]*\})? 1$", text, re.M)
    assert re.search(r"^carbontracker_epochs_planned(\{[^}]*\})? 2$", textfile.read_text(), re.M)
    tracker.stop()
    # Monitoring has ended: the endpoint is closed; the textfile keeps the last figures.
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert re.search(r"^carbontracker_epochs_completed(\{[^}]*\})? 1$", textfile.read_text(), re.M)


def test_metrics_options_are_checked():
    with pytest.raises(ValueError, match="metrics_port expected a TCP port"):
        CarbonTracker(epochs=1, offline=True, metrics_port=70000)
    with pytest.raises(ValueError, match="metrics_address expected an IPv4 or IPv6 address"):
        CarbonTracker(epochs=1, offline=True, metrics_port=9000, metrics_address="localhost")
