"""The intervals of schema 3 logs from Python: on each parsed run's blocks,
on the aggregate, and after print_aggregate's sentence."""

import math
import time

from conftest import SOURCE_DIR
from carbontracker import parser

SHARED = SOURCE_DIR / "tests" / "fixtures" / "schema3-logs" / "shared_table"
ORIGINAL = SOURCE_DIR / "tests" / "fixtures" / "original-logs" / "v212_cli"


def test_parsed_runs_carry_their_blocks_interval():
    runs = parser.parse_all_logs(str(SHARED))
    assert len(runs) == 2
    interval = runs[0]["actual"]["uncertainty"]
    assert interval["k"] == 2
    co2 = interval["co2_g"]
    assert math.isclose(co2["u"], math.sqrt(4**2 + 6**2 + 40**2 + 100**2))
    assert math.isclose(co2["expanded"], 2 * co2["u"])
    assert {"source": "intensity: yearly average (DK)", "key": "intensity:table:DK:2023", "u": 100.0,
            "factor": 0.25} in co2["terms"]
    # A product of uncertain factors: the interval reaches further up.
    assert co2["value"] == 400.0
    assert co2["plus"] > co2["minus"] > 0
    assert math.isclose(co2["plus"] + co2["minus"], 2 * co2["expanded"], rel_tol=0.05)
    assert len(runs[0]["epoch_uncertainty"]) == 2


def test_aggregate_interval_keeps_shared_terms_correlated(capsys):
    a = parser.aggregate_uncertainty(str(SHARED))
    assert (a["energy (kWh)"], a["co2eq (g)"], a["runs"], a["runs_with_uncertainty"]) == (5.0, 1000.0, 2, 2)
    # One table intensity (100 + 150 g) and one PUE (40 + 60 g) linearly,
    # the sensors in quadrature.
    expected = math.sqrt(250**2 + 100**2 + 4**2 + 6**2 + 6**2 + 9**2)
    assert math.isclose(a["uncertainty"]["co2_g"]["u"], expected)
    assert a["uncertainty"]["co2_g"]["value"] == 1000.0
    assert a["uncertainty"]["co2_g"]["plus"] > a["uncertainty"]["co2_g"]["minus"]
    assert a["note"] == ""
    assert a["sentence"].startswith("With expanded uncertainties (k = 2, about 95 %), the energy is 5.0 +/- 1.0 kWh")
    parser.print_aggregate(str(SHARED))
    out = capsys.readouterr().out
    assert out.endswith("Measured by carbontracker (https://github.com/lfwa/carbontracker). " + a["sentence"] + "\n")


def test_logs_without_intervals_say_so_and_print_the_original_sentence(capsys):
    runs = parser.parse_all_logs(str(ORIGINAL))
    assert "uncertainty" not in (runs[0]["actual"] or runs[0]["pred"])
    a = parser.aggregate_uncertainty(str(ORIGINAL))
    assert a["uncertainty"] is None and a["runs_with_uncertainty"] == 0 and a["sentence"] == ""
    assert a["note"].startswith("1 of 1 run carries no uncertainty interval")
    parser.print_aggregate(str(ORIGINAL))
    assert capsys.readouterr().out.endswith("Measured by carbontracker (https://github.com/lfwa/carbontracker).\n")


def test_the_trackers_intervals_reach_the_parsed_results(tmp_path):
    from carbontracker.tracker import CarbonTracker

    tracker = CarbonTracker(
        epochs=2, monitor_epochs=2, components="cpu", sim_cpu="X", sim_cpu_tdp=100,
        offline=True, log_dir=tmp_path, verbose=0,
    )
    for _ in range(2):
        tracker.epoch_start()
        time.sleep(0.05)
        tracker.epoch_end()
    tracker.stop()
    r = tracker.results
    tracked = r["actual"]["uncertainty"]
    assert all("uncertainty" in e for e in r["epochs"])
    (run,) = parser.parse_all_logs(tmp_path)
    parsed = run["actual"]["uncertainty"]
    for figure in ("energy_kwh", "co2_g"):
        assert parsed[figure]["terms"] == tracked[figure]["terms"]
        assert math.isclose(parsed[figure]["u"], tracked[figure]["u"], rel_tol=1e-9)
    assert len(run["epoch_uncertainty"]) == 2
    a = parser.aggregate_uncertainty(tmp_path)
    assert a["runs_with_uncertainty"] == 1
    assert math.isclose(a["uncertainty"]["co2_g"]["u"], tracked["co2_g"]["u"], rel_tol=1e-9)
    assert a["sentence"].startswith("With expanded uncertainties (k = 2, about 95 %)")
