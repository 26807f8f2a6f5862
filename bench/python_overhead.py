"""Overhead of CarbonTracker on a Python training loop (whole-process and per call).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py loop tracked
    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py loop untracked
        one three-epoch numpy loop (the same work), for hyperfine to compare;
    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py calls [host]
        the cost of one epoch_start() + epoch_end() pair, of `results` and of
        a tracker's construction + stop(), averaged in-process; with a
        simulated CPU, or with "host" this machine's own CPU sensor (RAPL, or
        the /proc-based estimate).

Trackers use a simulated CPU (this machine has no energy counter) and no
network; update_interval is 1 s so the sampling thread ticks during the loop.
"""

import sys
import time

import numpy as np

from carbontracker.tracker import CarbonTracker

EPOCHS = 3


def work(rng, a):
    # About a second (unloaded) of float64 matrix products on one core.
    for _ in range(20):
        a = np.tanh(a @ rng.standard_normal((a.shape[1], a.shape[1])) * 0.01)
    return a


SIMULATED = {"sim_cpu": "Bench CPU", "sim_cpu_tdp": 100}


def make_tracker(epochs=EPOCHS, devices=SIMULATED):
    return CarbonTracker(
        epochs=epochs, monitor_epochs=-1, components="cpu", offline=True, update_interval=1,
        verbose=0, **devices
    )


def loop(tracked):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 400))
    tracker = make_tracker() if tracked else None
    for _ in range(EPOCHS):
        if tracker:
            tracker.epoch_start()
        a = work(rng, a)
        if tracker:
            tracker.epoch_end()
    if tracker:
        tracker.stop()


def calls(devices, n=2000):
    tracker = make_tracker(epochs=n, devices=devices)
    t0 = time.perf_counter()
    for _ in range(n):
        tracker.epoch_start()
        tracker.epoch_end()
    pair_us = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    for _ in range(200):
        tracker.results
    results_us = (time.perf_counter() - t0) / 200 * 1e6
    epochs = len(tracker.results["epochs"])
    tracker.stop()
    assert epochs == n
    t0 = time.perf_counter()
    for _ in range(50):
        make_tracker(devices=devices).stop()
    lifecycle_ms = (time.perf_counter() - t0) / 50 * 1e3
    print(f"devices: {', '.join(d['name'] for d in tracker.results['devices'])}")
    print(f"epoch_start+epoch_end: {pair_us:.1f} us per pair ({n} pairs)")
    print(f"results with {epochs} epochs: {results_us:.1f} us")
    print(f"construct + stop: {lifecycle_ms:.2f} ms")


if __name__ == "__main__":
    if sys.argv[1:2] == ["loop"]:
        loop(sys.argv[2] == "tracked")
    else:
        # "calls" (simulated CPU) or "calls host" (this machine's RAPL or CPU estimate).
        calls({} if sys.argv[2:3] == ["host"] else SIMULATED)
