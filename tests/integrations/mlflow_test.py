"""carbontracker.integrations.mlflow.log_run against a real MLflow tracking
server (SQLite backend store, local artifact destination, on 127.0.0.1 at a
free port; started and stopped by the test), read back through its REST API."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import mlflow
import pytest
from conftest import P, PUE

from carbontracker.integrations import mlflow as ct_mlflow
from carbontracker.tracker import CarbonTracker


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    log = open(d / "server.log", "w")
    proc = None
    url = f"http://127.0.0.1:{port}"
    try:
        proc = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "mlflow"), "server", "--host",
             "127.0.0.1", "--port", str(port), "--workers", "1", "--backend-store-uri",
             f"sqlite:///{d / 'mlflow.db'}", "--artifacts-destination", str(d / "artifacts")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(f"mlflow server did not start:\n{(d / 'server.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        # The whole group, even when the server itself has exited: its
        # workers may outlive it.
        if proc is not None:
            try:
                os.killpg(proc.pid, 15)
                proc.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, 9)
                except ProcessLookupError:
                    pass
                proc.wait()
        log.close()


def get(url, endpoint, **params):
    with urllib.request.urlopen(f"{url}{endpoint}?{urllib.parse.urlencode(params)}", timeout=30) as r:
        return json.load(r)


def tracked_run(log_dir):
    tracker = CarbonTracker(epochs=3, monitor_epochs=-1, sim_cpu="Test CPU", sim_cpu_tdp=100.0,
                            offline=True, update_interval=0.05, verbose=0, log_dir=log_dir,
                            api_keys={"electricitymaps": "secret-key"})
    for _ in range(3):
        with tracker.epoch():
            time.sleep(0.05)
    tracker.stop()
    return tracker


def check_run(url, run_id, tracker):
    r = tracker.results
    run = get(url, "/api/2.0/mlflow/runs/get", run_id=run_id)["run"]
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert metrics[P + "total_energy_kwh"] == pytest.approx(r["total"]["energy_kwh_with_pue"], rel=1e-9)
    assert metrics[P + "total_co2eq_g"] == pytest.approx(r["total"]["co2eq_g_with_pue"], rel=1e-9)
    assert metrics[P + "epochs_completed"] == 3
    assert metrics[P + "predicted_energy_kwh"] == pytest.approx(r["prediction"]["energy_kwh"], rel=1e-9)
    assert metrics[P + "actual_energy_kwh"] == pytest.approx(r["actual"]["energy_kwh"], rel=1e-9)
    history = get(url, "/api/2.0/mlflow/metrics/get-history", run_id=run_id,
                  metric_key=P + "energy_kwh")["metrics"]
    assert sorted(m["step"] for m in history) == [1, 2, 3]
    for m in sorted(history, key=lambda m: m["step"]):
        e = r["epochs"][m["step"] - 1]
        assert m["value"] == pytest.approx(50.0 * e["duration_s"] * PUE / 3.6e6, rel=1e-6)
    power = get(url, "/api/2.0/mlflow/metrics/get-history", run_id=run_id, metric_key=P + "power_w")
    assert [m["value"] for m in power["metrics"]] == pytest.approx([50.0] * 3, rel=1e-6)
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params["carbontracker.epochs"] == "3" and params["carbontracker.sim_cpu"] == "Test CPU"
    assert "carbontracker.api_keys" not in params
    assert not any("secret-key" in v for v in params.values())
    files = get(url, "/api/2.0/mlflow/artifacts/list", run_id=run_id, path="carbontracker")["files"]
    names = sorted(os.path.basename(f["path"]) for f in files)
    sizes = {os.path.basename(f["path"]): int(f.get("file_size", 0)) for f in files}
    expected = sorted([os.path.basename(p) for p in tracker.log_files] + ["carbontracker_report.html"])
    assert names == expected
    assert all(sizes[n] > 0 for n in names)


def test_log_run_of_a_tracker_to_the_active_run(server, tmp_path):
    mlflow.set_tracking_uri(server)
    tracker = tracked_run(tmp_path / "logs")
    with mlflow.start_run() as active:
        assert ct_mlflow.log_run(tracker) == active.info.run_id
    check_run(server, active.info.run_id, tracker)


def test_log_run_of_a_log_dir_to_a_given_run(server, tmp_path):
    mlflow.set_tracking_uri(server)
    tracker = tracked_run(tmp_path / "logs")
    run_id = mlflow.tracking.MlflowClient().create_run(
        mlflow.tracking.MlflowClient().get_experiment_by_name("Default").experiment_id).info.run_id
    assert ct_mlflow.log_run(str(tmp_path / "logs"), run_id=run_id) == run_id
    check_run(server, run_id, tracker)


def test_log_run_needs_a_run(server, tmp_path):
    mlflow.set_tracking_uri(server)
    with pytest.raises(ValueError, match="no active MLflow run"):
        ct_mlflow.log_run(tmp_path)
    with mlflow.start_run():
        with pytest.raises(ValueError, match="no run in"):
            ct_mlflow.log_run(str(tmp_path))
