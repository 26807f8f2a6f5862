"""Two builds of the Python package side by side: the import's time and peak
memory, and the cost of one epoch_start() + epoch_end() pair.

    /usr/bin/python3 bench/python_binding.py NEW_DIR [OLD_DIR] [--rounds N]

NEW_DIR and OLD_DIR are what PYTHONPATH would be (e.g. build/python for the
ctypes package on the C interface, and a build of the former pybind11
extension). Each measurement is a fresh interpreter, the two packages
alternating round by round so that the machine's load falls on both alike;
the figures are medians over the rounds.

- import: wall and CPU time (user + system, which preemption on a loaded
  machine does not inflate) of ``import carbontracker.tracker`` in the
  process, and its peak RSS (ru_maxrss) after the import;
- pair: a tracker on a simulated CPU (offline, verbose=0, monitor_epochs=-1,
  update_interval=1), 200 pairs of warm-up, then 20 batches of 500 pairs;
  the median batch's time per pair.
"""

import json
import os
import statistics
import subprocess
import sys

IMPORT = """
import resource, time
t, c = time.perf_counter(), time.process_time()
import carbontracker.tracker
dt, dc = time.perf_counter() - t, time.process_time() - c
import json
print(json.dumps({"import_s": dt, "import_cpu_s": dc, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "file": carbontracker.tracker.__file__}))
"""

PAIRS = """
import json, time
from carbontracker.tracker import CarbonTracker
BATCH, BATCHES, WARMUP = 500, 20, 200
t = CarbonTracker(epochs=BATCH * BATCHES + WARMUP, monitor_epochs=-1, components="cpu", offline=True,
                  update_interval=1, verbose=0, sim_cpu="Bench CPU", sim_cpu_tdp=100)
for _ in range(WARMUP):
    t.epoch_start()
    t.epoch_end()
per_pair = []
for _ in range(BATCHES):
    t0 = time.perf_counter()
    for _ in range(BATCH):
        t.epoch_start()
        t.epoch_end()
    per_pair.append((time.perf_counter() - t0) / BATCH)
t.stop()
print(json.dumps({"pair_s": sorted(per_pair)[len(per_pair) // 2]}))
"""


def run(pythonpath, code):
    env = dict(os.environ, PYTHONPATH=pythonpath)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv):
    rounds = 11
    if "--rounds" in argv:
        i = argv.index("--rounds")
        rounds = int(argv[i + 1])
        del argv[i : i + 2]
    builds = {"ctypes (C interface)": argv[0]}
    if len(argv) > 1:
        builds["pybind11 extension"] = argv[1]
    bare = {"import_s": [], "rss_kb": []}
    figures = {name: {"import_s": [], "import_cpu_s": [], "rss_kb": [], "pair_s": []} for name in builds}
    for _ in range(rounds):
        r = run("", "import json, resource; print(json.dumps({'rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))")
        bare["rss_kb"].append(r["rss_kb"])
        for name, path in builds.items():
            r = run(path, IMPORT)
            figures[name]["import_s"].append(r["import_s"])
            figures[name]["import_cpu_s"].append(r["import_cpu_s"])
            figures[name]["rss_kb"].append(r["rss_kb"])
            figures[name]["pair_s"].append(run(path, PAIRS)["pair_s"])
    print(f"{rounds} rounds, medians; {sys.executable} {sys.version.split()[0]}")
    print(f"{'':24} {'import':>10} {'its CPU':>10} {'peak RSS':>10} {'pair':>10}")
    print(f"{'bare interpreter':24} {'':>10} {'':>10} {statistics.median(bare['rss_kb']) / 1024:8.1f}MB")
    for name, f in figures.items():
        print(f"{name:24} {statistics.median(f['import_s']) * 1e3:8.2f}ms "
              f"{statistics.median(f['import_cpu_s']) * 1e3:8.2f}ms "
              f"{statistics.median(f['rss_kb']) / 1024:8.1f}MB {statistics.median(f['pair_s']) * 1e6:8.2f}us")
    if len(figures) == 2:
        new, old = (statistics.median(f["pair_s"]) for f in figures.values())
        print(f"pair: ctypes / pybind11 = {new / old:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
