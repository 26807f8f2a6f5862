#!/usr/bin/env python3
"""A real Prometheus scrapes a tracked run; its series equal the run's figures.

Usage: prometheus_test.py CARBONTRACKER_CLI

Starts Prometheus on loopback (scrape interval 1 s, storage in a temporary
directory), runs the CLI with simulated devices (GPU 200 W, CPU 100 W x 0.5)
around a command that marks three 2-second epochs, queries Prometheus's HTTP
API while the run goes on and after it, and compares with the --json record.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

GPU_W, CPU_W = 200.0, 50.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(port, expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]


def by_component(result):
    return {s["metric"]["component"]: float(s["value"][1]) for s in result}


def wait_for(what, fn, timeout_s):
    end = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > end:
            sys.exit(f"FAIL: timed out waiting for {what}")
        time.sleep(0.25)


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def main():
    cli = os.path.abspath(sys.argv[1])
    prom = shutil.which("prometheus")
    if not prom:
        sys.exit("FAIL: prometheus is not installed (scripts/install-deps.sh installs it)")
    work = tempfile.mkdtemp(prefix="ct_prometheus_")
    metrics_port, prom_port = free_port(), free_port()
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write(
            "global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: carbontracker\n"
            "    honor_labels: true\n"  # keep the run's own job label
            f"    static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]\n"
        )
    prom_log = open(os.path.join(work, "prometheus.log"), "w")
    server = None
    run = None
    passed = False
    try:
        server = subprocess.Popen(
            [prom, f"--config.file={work}/prometheus.yml", f"--storage.tsdb.path={work}/data",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=prom_log, stderr=subprocess.STDOUT, start_new_session=True)

        def ready():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/-/ready", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return server.poll() is not None and sys.exit(
                    f"FAIL: prometheus exited with status {server.returncode}; its log follows")
        wait_for("prometheus to be ready", ready, 30)

        record = os.path.join(work, "run.json")
        child = ("for i in 1 2 3; do echo epoch_start >&$CARBONTRACKER_EPOCH_FD; sleep 2; "
                 "echo epoch_end >&$CARBONTRACKER_EPOCH_FD; done; sleep 3")
        env = dict(os.environ, SLURM_JOB_ID="4242", SLURM_PROCID="0")
        run = subprocess.Popen(
            [cli, "--log_dir", "", "--json", record, "--offline", "--no-progress",
             "--metrics-port", str(metrics_port), "--update-interval", "0.5", "--epochs", "3",
             "--sim-gpu", "G", "--sim-gpu-watts", str(GPU_W), "--sim-gpu-util", "1",
             "--sim-cpu", "C", "--sim-cpu-tdp", "100", "--", "sh", "-c", child],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)

        # While the run goes on: the power of each component, and the labels.
        power = wait_for("power series during the run",
                         lambda: by_component(query(prom_port, "carbontracker_power_watts")), 20)
        assert run.poll() is None, "the run ended before Prometheus scraped it"
        assert set(power) == {"gpu", "cpu"}, power
        assert close(power["gpu"], GPU_W) and close(power["cpu"], CPU_W), power
        series = query(prom_port, "carbontracker_energy_joules_total")
        for s in series:
            m = s["metric"]
            assert m["job"] == "4242" and m["rank"] == "0", m
            assert m["provenance"] == "simulated", m
            assert m["node"] == socket.gethostname(), m
        assert {s["metric"]["device"] for s in series} == {"G", "C"}, series
        planned = query(prom_port, "carbontracker_epochs_planned")
        assert float(planned[0]["value"][1]) == 3, planned
        info = query(prom_port, "carbontracker_info")
        version = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout
        assert info[0]["metric"]["version"] == version.split()[-1], info
        during = by_component(query(prom_port, "carbontracker_energy_joules_total"))

        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, (run.returncode, err)
        assert "Address already in use" not in err, err
        with open(record) as f:
            rec = json.load(f)
        # The last values scraped (the run sleeps 3 s after its last epoch,
        # serving the final figures) against the record.
        time.sleep(1.5)
        last = lambda name: by_component(query(prom_port, f"last_over_time({name}[1m])"))
        energy = last("carbontracker_energy_joules_total")
        co2 = last("carbontracker_co2eq_grams_total")
        assert all(energy[c] >= during[c] for c in energy), (during, energy)
        for d in rec["devices"]:
            c = d["component"]
            # The counters also hold the moments before the first
            # epoch_start (the shell starting: milliseconds, up to a second
            # on a loaded machine), which no epoch covers.
            w = GPU_W if c == "gpu" else CPU_W
            assert d["energy_j"] <= energy[c] + 1e-9 <= d["energy_j"] + 1.0 * w, (c, d, energy)
            assert d["co2eq_g"] <= co2[c] + 1e-12, (c, d, co2)
            assert co2[c] <= d["co2eq_g"] * (1 + 1.0 * w / d["energy_j"]), (c, d, co2)
            assert close(d["energy_j"], 6 * w, rel=0.1), (c, d)  # three 2 s epochs
        completed = query(prom_port, "last_over_time(carbontracker_epochs_completed[1m])")
        assert float(completed[0]["value"][1]) == rec["total"]["epochs_completed"] == 3
        predicted = query(prom_port, "last_over_time(carbontracker_predicted_energy_joules[1m])")
        assert close(float(predicted[0]["value"][1]), rec["prediction"]["energy_kwh"] * 3.6e6), (
            predicted, rec["prediction"])
        intensity = query(prom_port,
                          "last_over_time(carbontracker_carbon_intensity_grams_per_kwh[1m])")
        assert close(float(intensity[0]["value"][1]), rec["intensities"][-1]["g_per_kwh"])
        # The target is down once the run has ended.
        up = wait_for("the target to be down",
                      lambda: [s for s in query(prom_port, "up") if s["value"][1] == "0"], 10)
        print(f"OK: Prometheus scraped power {power}, energy {energy} J, co2 {co2} g; "
              f"record {[(d['component'], d['energy_j']) for d in rec['devices']]}; up {up}")
        passed = True
    finally:
        # Every process of both groups ends on every path (the run's command
        # and Prometheus's children too), also when one has exited already.
        for proc, sig in ((run, signal.SIGKILL), (server, signal.SIGTERM)):
            if proc is None:
                continue
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        prom_log.close()
        if not passed:
            with open(prom_log.name, errors="replace") as f:
                print(f"--- prometheus.log:\n{f.read()[-4000:]}", flush=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
