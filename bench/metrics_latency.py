#!/usr/bin/env python3
"""Latency of the metrics endpoint at 10 scrapes per second during a run.

Usage: metrics_latency.py CARBONTRACKER_CLI [SECONDS]

Runs the CLI (simulated GPU and CPU, a tick every 0.1 s) around `sleep`,
scrapes http://127.0.0.1:PORT/metrics ten times a second for SECONDS
(default 60) with a fresh connection each time, as Prometheus does when
keep-alive is refused, and prints the median, p99 and maximum of the time
from connect to the last byte.
"""
import os
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    took = time.perf_counter() - t0
    assert data.startswith(b"HTTP/1.1 200 OK"), data[:100]
    return took, len(data)


def main():
    cli = os.path.abspath(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60
    port = free_port()
    run = subprocess.Popen(
        [cli, "--log_dir", "", "--offline", "--no-progress", "--metrics-port", str(port),
         "--update-interval", "0.1", "--sim-gpu", "G", "--sim-gpu-watts", "300",
         "--sim-cpu", "C", "--sim-cpu-tdp", "100", "--", "sleep", str(seconds + 3)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        times, size = [], 0
        start = time.monotonic()
        for i in range(int(seconds * 10)):
            wait = start + i * 0.1 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            took, size = scrape(port)
            times.append(took * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(round(0.99 * len(times))) - 1)]
        print(f"{len(times)} scrapes at 10/s, {size} bytes each: median "
              f"{statistics.median(times):.3f} ms, p99 {p99:.3f} ms, max {times[-1]:.3f} ms")
    finally:
        run.terminate()
        run.wait()


if __name__ == "__main__":
    main()
