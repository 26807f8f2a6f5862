"""Real torchrun (PyTorch 2.13, CPU, gloo), 2 processes of a DDP loop with the
embedded tracker in every rank, on a fake powercap tree whose energy is known:

  auto     the job's CPU energy is the truth (within 0.5 %), not twice it;
           rank 1 prints nothing and writes no logs; --parse --by job agrees
  off      every rank measures the node: the job's logs add up to twice the
           truth, and --parse --by job says the node is counted twice
  wrapper  `carbontracker --epochs 2 torchrun ...`: the wrapper measures once,
           the ranks' own trackers leave the node to it, and the markers of
           both ranks ("epoch_end rank=R") count once per epoch

usage: torchrun_test.py HELPER CARBONTRACKER PYTHONPATH TORCH_VENV WORKDIR
"""

import json
import os
import shutil
import subprocess
import sys
import time

from world import World, check, env_for, read_files, run_job

helper, ct, pythonpath, venv, workdir = sys.argv[1:6]
here = os.path.dirname(os.path.abspath(__file__))
torchrun = os.path.join(venv, "bin", "torchrun")
EPOCHS = 2
TOL = 0.005


def scenario(name, policy, wrapper):
    base = os.path.join(workdir, name)
    shutil.rmtree(base, ignore_errors=True)
    sync, logs = os.path.join(base, "sync"), os.path.join(base, "logs")
    os.makedirs(sync)
    world = World(helper, base)
    env = env_for(world, {
        "PYTHONPATH": pythonpath, "CT_TEST_SYNC": sync, "CT_TEST_LOG_DIR": logs,
        "CT_TEST_POLICY": policy, "CT_TEST_EPOCHS": str(EPOCHS),
        "CT_TEST_MARKERS": "1" if wrapper else "0", "OMP_NUM_THREADS": "1"})
    cmd = [torchrun, "--standalone", "--nproc_per_node=2", os.path.join(here, "train_ddp.py")]
    if wrapper:
        cmd = [ct, "--epochs", str(EPOCHS), "--pue", "1", "--components", "cpu",
               "--update-interval", "0.2", "--log_dir", logs,
               "--json", os.path.join(base, "wrapper.json")] + cmd
    started = time.monotonic()
    job = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, start_new_session=True)
    truth, out = run_job(world, job, sync, EPOCHS, 1.5, 120)
    print(f"--- {name}: {time.monotonic() - started:.1f} s, truth {truth:.3f} J", flush=True)
    print(out, flush=True)
    check(job.returncode == 0, f"{name}: the job succeeded (exit {job.returncode})")
    ranks = []
    for r in (0, 1):
        with open(os.path.join(sync, f"result_{r}.json")) as f:
            ranks.append(json.load(f))
        with open(os.path.join(sync, f"stdout_{r}.txt")) as f:
            ranks[r]["stdout"] = f.read()
        with open(os.path.join(sync, f"stderr_{r}.txt")) as f:
            ranks[r]["stderr"] = f.read()
    return truth, ranks, logs, out, base


def parse_by_job(logs):
    p = subprocess.run([ct, "--parse", logs, "--by", "job", "--format", "json"],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"--parse --by job succeeded: {p.stderr}")
    return json.loads(p.stdout)


def near(value, truth):
    return abs(value - truth) <= TOL * truth


# auto: one measurement for the node.
truth, ranks, logs, out, _ = scenario("auto", "auto", wrapper=False)
r0, r1 = ranks[0]["results"], ranks[1]["results"]
check(r0["distributed"]["measures"] and r0["distributed"]["launcher"] == "torchrun",
      "rank 0 measures the node")
e0 = r0["total"]["energy_j"]
check(near(e0, truth), f"rank 0 measured {e0:.3f} J, truth {truth:.3f} J (within 0.5 %)")
check(r0["total"]["epochs_completed"] == EPOCHS, "epochs counted once, from rank 0")
# A note of ours: in the standard log (the console has it at verbose 2 only).
check(any(" - rank 0 of 2 (torchrun): measures node 0 of 1" in text
          for name, text in read_files(logs).items() if name.endswith("_carbontracker.log")),
      "rank 0 says in its log that it measures the node")
check(not r1["distributed"]["measures"] and r1["total"]["energy_j"] == 0
      and r1["epochs"] == [], "rank 1 measures nothing")
check(r1["distributed"]["message"] == "rank 1 of 2: node measured by local rank 0",
      "rank 1's results say who measures for it")
check(ranks[1]["stdout"] == "", "rank 1 prints nothing")
check("CarbonTracker" not in ranks[1]["stderr"], "rank 1 writes nothing about carbontracker")
files = read_files(logs)
check(len(files) == 3 and all(n.startswith(f"{ranks[0]['pid']}.") for n in files),
      f"only rank 0 wrote logs: {sorted(files)}")
j = parse_by_job(logs)
check(len(j["groups"]) == 1 and j["groups"][0]["job"].startswith("torchrun:"),
      f"one job in the logs: {[g['job'] for g in j['groups']]}")
kwh = j["groups"][0]["energy (kWh)"]
check(near(kwh * 3.6e6, truth), f"--parse --by job: {kwh * 3.6e6:.3f} J for the job")
check(j["warnings"] == [], f"no warnings: {j['warnings']}")

# off: every rank measures the whole node; the doubling shows.
truth, ranks, logs, out, _ = scenario("off", "off", wrapper=False)
for r in (0, 1):
    e = ranks[r]["results"]["total"]["energy_j"]
    check(near(e, truth), f"off: rank {r} measured the whole node, {e:.3f} J of {truth:.3f} J")
check("distributed=off: rank 1 of 2 (torchrun) measures everything" in ranks[1]["stdout"],
      "off: said in rank 1's output")
j = parse_by_job(logs)
kwh = j["groups"][0]["energy (kWh)"]
check(near(kwh * 3.6e6, 2 * truth), f"off: the job's logs add up to twice the truth "
      f"({kwh * 3.6e6:.3f} J vs {truth:.3f} J)")
check(any("appears in 2 logs" in w for w in j["warnings"]), f"off: --parse warns {j['warnings']}")

# The wrapper around torchrun measures once; the ranks' markers count once.
truth, ranks, logs, out, base = scenario("wrapper", "auto", wrapper=True)
with open(os.path.join(base, "wrapper.json")) as f:
    w = json.load(f)
check(near(w["total"]["energy_j"], truth),
      f"wrapper: {w['total']['energy_j']:.3f} J of {truth:.3f} J")
check(w["total"]["epochs_completed"] == EPOCHS, f"wrapper: {EPOCHS} epochs from two ranks' markers")
for r in (0, 1):
    d = ranks[r]["results"]["distributed"]
    check(not d["measures"] and d["measured_by"].startswith("the carbontracker wrapper (pid "),
          f"wrapper: rank {r}'s tracker leaves the node to the wrapper ({d['message']})")
    check(ranks[r]["stdout"] == "", f"wrapper: rank {r} prints nothing")
check(len(read_files(logs)) == 3, "wrapper: only the wrapper wrote logs")
print("torchrun tests passed")
