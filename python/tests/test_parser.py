"""carbontracker.parser on genuine logs of the original carbontracker (2.3.1):
the results are the figures written in the files, as plain Python values."""

import pathlib
import time
import warnings

import pytest

from conftest import SOURCE_DIR
from carbontracker import parser


def logs_root():
    for candidate in (
        SOURCE_DIR / "tests" / "fixtures" / "original-logs",
        SOURCE_DIR.parent / "shared" / "reference" / "logs",
        pathlib.Path("/work/shared/reference/logs"),
    ):
        if (candidate / "cli_sim_cpu_gpu").is_dir():
            return candidate
    pytest.skip("no copy of the original's logs")


CLI = "cli_sim_cpu_gpu"  # carbontracker --sim-cpu ... --sim-gpu ... sleep 3
CLI_STEM = "13016.744321_2026-11-26T213553Z"
EMBEDDED = "embedded_3ep_stop_generic_cpu"  # Python API, 3 epochs of 1.5 s at 60 W, stop()
EMBEDDED_STEM = "13232.464344_2026-11-26T213606Z"


def test_parse_all_logs_of_a_cli_run():
    log_dir = logs_root() / CLI
    (run,) = parser.parse_all_logs(str(log_dir))
    assert pathlib.Path(run["output_filename"]).name == CLI_STEM + "_carbontracker_output.log"
    assert pathlib.Path(run["standard_filename"]).name == CLI_STEM + "_carbontracker.log"
    assert run["components"] == {
        "gpu": {
            "avg_power_usages (W)": [[200.0]],
            "avg_energy_usages (J)": [[pytest.approx(200.0 * 3.01)]],
            "epoch_durations (s)": [3.01],
            "devices": ["NVIDIA A100-SXM4-40GB"],
        },
        "cpu": {
            "avg_power_usages (W)": [[75.0]],
            "avg_energy_usages (J)": [[pytest.approx(75.0 * 3.01)]],
            "epoch_durations (s)": [3.01],
            "devices": ["Intel Xeon Gold 6248"],
        },
    }
    assert run["early_stop"] is True
    assert run["pred"] is None
    assert run["actual"] == {
        "epochs": 1,
        "duration (s)": 3.0,
        "energy (kWh)": 0.000362738616,
        "co2eq (g)": 0.174477274202,
        "equivalents": {"km travelled by car": 0.001623044411},
    }
    assert type(run["components"]["gpu"]["avg_power_usages (W)"]) is list


def test_parse_all_logs_of_an_api_run_stopped_after_three_epochs():
    (run,) = parser.parse_all_logs(logs_root() / EMBEDDED)
    cpu = run["components"]["cpu"]
    assert cpu["avg_power_usages (W)"] == [[60.0], [60.0], [60.0]]
    assert cpu["epoch_durations (s)"] == [1.5, 1.5, 1.5]
    assert cpu["avg_energy_usages (J)"] == [[90.0], [90.0], [90.0]]
    assert cpu["devices"] == ["AMD EPYC"]
    assert run["pred"] == {
        "epochs": 3,
        "duration (s)": 5.0,
        "energy (kWh)": 0.000118512789,
        "co2eq (g)": 0.057004651514,
        "equivalents": {"km travelled by car": 0.000530275828},
    }
    assert run["actual"]["epochs"] == 2
    assert run["actual"]["energy (kWh)"] == 0.000118515438
    assert run["actual"]["co2eq (g)"] == 0.057005925908


def test_parse_logs_names_a_pair_or_takes_the_most_recent():
    log_dir = logs_root() / EMBEDDED
    named = parser.parse_logs(
        str(log_dir),
        str(log_dir / (EMBEDDED_STEM + "_carbontracker.log")),
        str(log_dir / (EMBEDDED_STEM + "_carbontracker_output.log")),
    )
    assert named == parser.parse_logs(str(log_dir))
    assert list(named) == ["cpu"]
    assert named["cpu"]["epoch_durations (s)"] == [1.5, 1.5, 1.5]


def test_aggregate_consumption_and_print_aggregate(capsys):
    log_dir = logs_root() / EMBEDDED
    energy, co2, equivalents = parser.aggregate_consumption(str(log_dir))
    # The run was stopped early: its actual consumption counts.
    assert (energy, co2) == (0.000118515438, 0.057005925908)
    assert equivalents == {"km travelled by car": 0.000530287683}
    parser.print_aggregate(str(log_dir))
    assert capsys.readouterr().out == (
        f"The training of models in this work is estimated to use {energy:.16f} kWh of electricity "
        f"contributing to {co2 / 1000:.16f} kg of CO2eq. This is equivalent to "
        f"{equivalents['km travelled by car']:.16f} km travelled by car. "
        "Measured by carbontracker (https://github.com/lfwa/carbontracker).\n"
    )


def test_a_log_dir_of_our_own_tracker_round_trips(tmp_path):
    from carbontracker.tracker import CarbonTracker

    tracker = CarbonTracker(
        epochs=3, monitor_epochs=3, components="cpu", sim_cpu="X", sim_cpu_tdp=100,
        offline=True, log_dir=tmp_path, verbose=0, decimal_precision=12,
    )
    for _ in range(3):
        tracker.epoch_start()
        time.sleep(0.05)
        tracker.epoch_end()
    tracker.stop()
    r = tracker.results
    (run,) = parser.parse_all_logs(tmp_path)
    assert run["actual"]["epochs"] == 3
    assert run["actual"]["energy (kWh)"] == pytest.approx(r["actual"]["energy_kwh"], rel=1e-4)
    assert len(run["components"]["cpu"]["epoch_durations (s)"]) == 3


def test_an_unusable_file_is_skipped_with_a_warning(tmp_path):
    (tmp_path / "1.1_2026-01-01T000000Z_carbontracker.log").write_text("garbage\n")
    (tmp_path / "1.1_2026-01-01T000000Z_carbontracker_output.log").write_text("garbage\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        energy, co2, equivalents = parser.aggregate_consumption(tmp_path)
    assert (energy, co2, equivalents) == (0.0, 0.0, {})
    assert caught and all(w.category.__name__ == "CarbonTrackerWarning" for w in caught)


def test_parse_logs_takes_the_file_names_parse_all_logs_returns(monkeypatch):
    monkeypatch.chdir(logs_root())
    (run,) = parser.parse_all_logs(EMBEDDED)  # relative: names relative to the working directory
    assert run["standard_filename"] == f"{EMBEDDED}/{EMBEDDED_STEM}_carbontracker.log"
    again = parser.parse_logs(EMBEDDED, run["standard_filename"], run["output_filename"])
    assert again == run["components"]
    by_name = parser.parse_logs(EMBEDDED, EMBEDDED_STEM + "_carbontracker.log", EMBEDDED_STEM + "_carbontracker_output.log")
    assert by_name == run["components"]
