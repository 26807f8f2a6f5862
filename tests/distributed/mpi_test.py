"""Real Open MPI: `mpirun -n 2` of a small program using the embedded C++ API
(mpi_ranks.cc) on a fake powercap tree whose energy is known:

  local-rank  Open MPI names the local rank: local rank 0 measures, once
  lock        the program hides the local rank: the first rank to take the
              node lock measures, once

usage: mpi_test.py HELPER MPI_RANKS CARBONTRACKER WORKDIR
"""

import json
import os
import shutil
import subprocess
import sys
import time

from world import World, check, env_for, read_files, run_job

helper, program, ct, workdir = sys.argv[1:5]
if not shutil.which("mpirun"):
    sys.exit("mpi_test.py: mpirun not found: run scripts/install-deps.sh (openmpi-bin)")
EPOCHS = 2


def scenario(name, extra):
    base = os.path.join(workdir, name)
    shutil.rmtree(base, ignore_errors=True)
    sync, logs = os.path.join(base, "sync"), os.path.join(base, "logs")
    os.makedirs(sync)
    world = World(helper, base)
    env = env_for(world, {"OMPI_MCA_btl": "self,tcp", "OMPI_MCA_btl_tcp_if_include": "lo",
                          "OMPI_MCA_oob_tcp_if_include": "lo"})
    started = time.monotonic()
    job = subprocess.Popen(["mpirun", "-n", "2", "--allow-run-as-root", "--oversubscribe",
                            program, sync, logs, str(EPOCHS)] + extra,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
    truth, out = run_job(world, job, sync, EPOCHS, 1.0, 60)
    print(f"--- {name}: {time.monotonic() - started:.1f} s, truth {truth:.3f} J\n{out}", flush=True)
    check(job.returncode == 0, f"{name}: mpirun succeeded (exit {job.returncode})")
    ranks = []
    for r in (0, 1):
        with open(os.path.join(sync, f"result_{r}.json")) as f:
            ranks.append(json.load(f))
        with open(os.path.join(sync, f"stdout_{r}.txt")) as f:
            ranks[r]["stdout"] = f.read()
    return truth, ranks, logs


def one_measurement(name, truth, ranks, logs):
    measuring = [r for r in ranks if r["results"]["distributed"]["measures"]]
    check(len(measuring) == 1, f"{name}: exactly one rank measures")
    m = measuring[0]
    quiet = [r for r in ranks if r is not m][0]
    e = m["results"]["total"]["energy_j"]
    check(abs(e - truth) <= 0.005 * truth, f"{name}: {e:.3f} J measured, truth {truth:.3f} J")
    check(m["results"]["distributed"]["launcher"] == "openmpi", f"{name}: Open MPI recognised")
    check(quiet["stdout"] == "" and quiet["results"]["epochs"] == [],
          f"{name}: the other rank prints and measures nothing "
          f"({quiet['results']['distributed']['message']})")
    files = read_files(logs)
    check(len(files) == 3 and all(n.startswith(f"{m['pid']}.") for n in files),
          f"{name}: only the measuring rank wrote logs")
    p = subprocess.run([ct, "--parse", logs, "--by", "job", "--format", "json"],
                       capture_output=True, text=True)
    j = json.loads(p.stdout)
    kwh = j["groups"][0]["energy (kWh)"]
    check(j["groups"][0]["job"].startswith("openmpi:") and abs(kwh * 3.6e6 - truth) <= 0.005 * truth,
          f"{name}: --parse --by job gives {kwh * 3.6e6:.3f} J for {j['groups'][0]['job']}")
    return m, quiet


truth, ranks, logs = scenario("local-rank", [])
m, quiet = one_measurement("local-rank", truth, ranks, logs)
check(ranks[0] is m, "local-rank: rank 0 (local rank 0) measures")
check(quiet["results"]["distributed"]["message"] == "rank 1 of 2: node measured by local rank 0",
      "local-rank: rank 1 says who measures for it")

truth, ranks, logs = scenario("lock", ["--no-local-rank"])
m, quiet = one_measurement("lock", truth, ranks, logs)
check(quiet["results"]["distributed"]["measured_by"] ==
      f"pid {m['pid']}, holder of the node lock " +
      m["results"]["distributed"]["message"].split("node lock ", 1)[1],
      f"lock: the other rank names the lock holder ({quiet['results']['distributed']['message']})")
# The lock file stays after the job, as designed; this test removes its own.
os.remove(m["results"]["distributed"]["message"].split("node lock ", 1)[1])
print("mpi tests passed")
