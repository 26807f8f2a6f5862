"""Real Slurm (Debian's slurmctld, slurmd, munge), started and stopped here:
a controller and two node daemons (n0, n1) on this machine, each node with
its own fake powercap tree at its own known power (n0 60 W, n1 30 W + dram).

  srun    `srun -N 2 -n 4 carbontracker --epochs 2 ... python3 slurm_task.py`:
          one wrapper per task; the local rank 0 of each node measures it,
          the others only run the command (its exit status 3 passes through)
          and print nothing; --parse --by job gives each node's truth and the
          sum
  sbatch  an sbatch job whose step runs the embedded Python API in 4 tasks on
          2 nodes: one measurement per node; with one node's logs removed,
          --parse --by job says "1 node of 2 has logs"

usage: slurm_test.py HELPER CARBONTRACKER PYTHONPATH WORKDIR
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

from world import World, check, read_files, run_epochs, wait_for

helper, ct, pythonpath, workdir = sys.argv[1:5]
if os.geteuid() != 0:
    sys.exit("slurm_test.py: needs root (slurmctld and slurmd run as SlurmUser=root here); "
             "run ctest -L slurm as root")
for tool in ("munged", "slurmctld", "slurmd", "srun", "sbatch", "sinfo"):
    if not shutil.which(tool):
        sys.exit(f"slurm_test.py: {tool} not found: run scripts/install-deps.sh "
                 "(slurmctld, slurmd, slurm-client, munge)")
here = os.path.dirname(os.path.abspath(__file__))
EPOCHS = 2
POWERS = {"n0": 60.0, "n1": 30.0}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def near(value, truth):
    return abs(value - truth) <= 0.005 * truth


class Cluster:
    """munged, slurmctld and two slurmd, as a context manager: every daemon
    started is stopped on every path, also when starting the others fails
    (then, and when the body fails, what each daemon logged is printed).

    CT_SLURM_TEST_BREAK=slurmd starts the node daemons under a node name the
    configuration lacks, so that they exit at once: the test's own check that
    a failed start leaves no daemon running."""

    def __init__(self, base):
        self.base = base
        self.procs = []  # (name, Popen), in start order
        self.logs = {}   # name -> the daemon's own log file

    def __enter__(self):
        try:
            self._start_all()
        except BaseException:
            self.report()
            self.stop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None:
                self.report()
        finally:
            self.stop()
        return False

    def _start_all(self):
        base = self.base
        os.makedirs(os.path.join(base, "state"))
        for n in POWERS:
            os.makedirs(os.path.join(base, "spool", n))
        os.chmod(base, 0o755)
        key = os.path.join(base, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        sock = os.path.join(base, "munge.sock")
        self.start(["munged", "-F", "--force", f"--socket={sock}", f"--key-file={key}",
                    f"--pid-file={base}/munged.pid", f"--log-file={base}/munged.log",
                    f"--seed-file={base}/munged.seed"], "munged", f"{base}/munged.log")
        self.wait(lambda: os.path.exists(sock), 10, "munged's socket")
        host = socket.gethostname().split(".")[0]
        ctld_port, p0, p1 = free_port(), free_port(), free_port()
        self.conf = os.path.join(base, "slurm.conf")
        with open(self.conf, "w") as f:
            f.write(f"""ClusterName=cttest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool/%n
SlurmctldPidFile={base}/slurmctld.pid
SlurmdPidFile={base}/slurmd.%n.pid
SlurmctldLogFile={base}/slurmctld.log
SlurmdLogFile={base}/slurmd.%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=n[0-1] NodeHostname={host} NodeAddr=127.0.0.1 Port=[{p0},{p1}] CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
""")
        os.environ["SLURM_CONF"] = self.conf
        self.start(["slurmctld", "-D", "-f", self.conf], "slurmctld", f"{base}/slurmctld.log")
        broken = os.environ.get("CT_SLURM_TEST_BREAK") == "slurmd"
        for n in POWERS:
            node = "no-such-node" if broken else n
            self.start(["slurmd", "-D", "-N", node, "-f", self.conf], f"slurmd.{n}",
                       f"{base}/slurmd.{node}.log")

        def idle():
            p = subprocess.run(["sinfo", "-h", "-o", "%T %D"], capture_output=True, text=True)
            return p.stdout.split() == ["idle", "2"]
        self.wait(idle, 60, "two idle Slurm nodes")
        self.up = True

    def start(self, cmd, name, log):
        self.logs[name] = log
        with open(os.path.join(self.base, name + ".out"), "w") as out:
            self.procs.append((name, subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)))

    def wait(self, pred, timeout_s, what):
        """wait_for, failing at once when a daemon has exited."""
        def ready():
            for name, p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {p.returncode} while waiting "
                                       f"for {what}; its output and log follow")
            return pred()
        wait_for(ready, timeout_s, what)

    def report(self):
        for name, p in self.procs:
            state = "running" if p.poll() is None else f"exited with status {p.returncode}"
            print(f"--- {name} ({state}):", flush=True)
            for path in (os.path.join(self.base, name + ".out"), self.logs.get(name)):
                if path and os.path.exists(path):
                    with open(path, errors="replace") as f:
                        tail = f.read()[-4000:]
                    print(f"{os.path.basename(path)}:\n{tail}", flush=True)

    def stop(self):
        if getattr(self, "up", False):
            # Jobs still running (a failed test) end with the daemons.
            subprocess.run(["scancel", "--partition=debug"], capture_output=True, timeout=30)
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for _, p in reversed(self.procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def node_root(base):
    return os.path.join(base, "$SLURMD_NODENAME", "powercap")


def serve(name, cmd):
    """Runs cmd while serving the handshake of both nodes' worlds; returns
    (exit status, output, {node: truth J}, sync dir, log dir)."""
    base = os.path.join(workdir, name)
    sync, logs = os.path.join(base, "sync"), os.path.join(base, "logs")
    os.makedirs(sync)
    worlds = {}
    try:
        for n, w in POWERS.items():
            worlds[n] = World(helper, os.path.join(base, n), package_w=w)
        env = dict(os.environ, PYTHONPATH=pythonpath, CARBONTRACKER_OFFLINE="1")
        started = time.monotonic()
        job = subprocess.Popen([c.format(base=base, sync=sync, logs=logs) for c in cmd], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except BaseException:
        for w in worlds.values():
            w.close()
        raise
    try:
        truths = run_epochs(list(worlds.values()), sync, EPOCHS, 1.5,
                            alive=lambda: job.poll() is None, readers=("_0", "_1"))
        out, _ = job.communicate(timeout=120)
    except Exception:
        if job.poll() is None:
            job.kill()
        print(job.communicate()[0], flush=True)
        for log in ("batch.out", "out_0.txt", "out_2.txt"):
            if os.path.exists(os.path.join(base, log)):
                with open(os.path.join(base, log)) as f:
                    print(f"--- {log}:\n{f.read()}", flush=True)
        raise
    finally:
        for w in worlds.values():
            w.close()
    truth = dict(zip(worlds, truths))
    print(f"--- {name}: {time.monotonic() - started:.1f} s, truth {truth}\n{out}", flush=True)
    return job.returncode, out, truth, sync, logs


def parse_by_job(logs):
    p = subprocess.run([ct, "--parse", logs, "--by", "job", "--format", "json"],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"--parse --by job succeeded {p.stderr}")
    return json.loads(p.stdout)


def check_job(name, logs, truth):
    j = parse_by_job(logs)
    check(len(j["groups"]) == 1, f"{name}: one job in the logs")
    g = j["groups"][0]
    total = sum(truth.values())
    check(near(g["energy (kWh)"] * 3.6e6, total),
          f"{name}: --parse --by job: {g['energy (kWh)'] * 3.6e6:.3f} J for job {g['job']}, "
          f"truth {total:.3f} J")
    hosts = {h["host"].split("(node ")[1].rstrip(")"): h["energy (kWh)"] * 3.6e6
             for h in g["hosts"]}
    for i, n in enumerate(POWERS):
        check(near(hosts[str(i)], truth[n]),
              f"{name}: node {i} ({n}): {hosts[str(i)]:.3f} J, truth {truth[n]:.3f} J")
    check(j["warnings"] == [], f"{name}: no warnings {j['warnings']}")
    return g["job"]


base = os.path.join(workdir, "cluster")
shutil.rmtree(workdir, ignore_errors=True)
os.makedirs(base)
with Cluster(base):
    # srun: one wrapper per task.
    task = os.path.join(here, "slurm_task.py")
    rc, out, truth, sync, logs = serve("srun", [
        "srun", "-N", "2", "-n", "4", "--ntasks-per-node=2", "-o", "{base}/out_%t.txt",
        "bash", "-c",
        f"CARBONTRACKER_POWERCAP_ROOT={node_root('{base}')} exec {ct} --epochs {EPOCHS} --pue 1 "
        f"--components cpu --update-interval 0.2 --log_dir {{logs}} "
        f"/usr/bin/python3 {task} {{sync}} {EPOCHS} markers 3"])
    check(rc == 3, f"srun: the command's exit status 3 passed through every wrapper (srun: {rc})")
    outs = []
    for t in range(4):
        with open(os.path.join(workdir, "srun", f"out_{t}.txt")) as f:
            outs.append(f.read())
    standard = [text for name, text in read_files(logs).items()
                if name.endswith("_carbontracker.log")]
    for t, node in ((0, 0), (2, 1)):
        # A note of ours: in the standard log (the console has it at verbose 2 only).
        check(any(f" - rank {t} of 4 (slurm): measures node {node} of 2" in text
                  for text in standard),
              f"srun: task {t} (local rank 0 of node {node}) measures it")
    check(outs[1] == "" and outs[3] == "", "srun: the other tasks' wrappers print nothing")
    check(len(read_files(logs)) == 6, "srun: two nodes' logs (3 files each)")
    check_job("srun", logs, truth)

    # sbatch: the embedded API in every task of a step.
    script = os.path.join(workdir, "job.sh")
    with open(script, "w") as f:
        f.write("#!/bin/bash\n"
                f"srun bash -c 'CARBONTRACKER_POWERCAP_ROOT={node_root(os.path.join(workdir, 'sbatch'))}"
                f" exec /usr/bin/python3 {task} {os.path.join(workdir, 'sbatch', 'sync')} {EPOCHS} "
                f"api {os.path.join(workdir, 'sbatch', 'logs')}'\n")
    rc, out, truth, sync, logs = serve("sbatch", [
        "sbatch", "-W", "-N", "2", "-n", "4", "--ntasks-per-node=2", "-o", "{base}/batch.out",
        script])
    with open(os.path.join(workdir, "sbatch", "batch.out")) as f:
        batch_out = f.read()
    print(batch_out)
    check(rc == 0, f"sbatch: the job succeeded ({rc})")
    results = {}
    for t in range(4):
        with open(os.path.join(sync, f"result_{t}.json")) as f:
            results[t] = json.load(f)
    for t, node in ((0, "n0"), (2, "n1")):
        r = results[t]["results"]
        check(r["distributed"]["measures"] and near(r["total"]["energy_j"], truth[node]),
              f"sbatch: task {t} measures {node}: {r['total']['energy_j']:.3f} J, "
              f"truth {truth[node]:.3f} J")
    for t in (1, 3):
        d = results[t]["results"]["distributed"]
        check(not d["measures"] and d["message"] == f"rank {t} of 4: node measured by local rank 0",
              f"sbatch: task {t}: {d['message']}")
    check("CarbonTracker: rank 1 " not in batch_out and "CarbonTracker: rank 3 " not in batch_out,
          "sbatch: the other tasks print nothing")
    job = check_job("sbatch", logs, truth)
    for name in os.listdir(logs):
        if name.startswith(f"{results[2]['pid']}."):
            os.rename(os.path.join(logs, name), os.path.join(workdir, "sbatch", name))
    j = parse_by_job(logs)
    check(any(w.startswith(f"job {job} step 0: 1 node of 2 has logs") for w in j["warnings"]),
          f"sbatch: a node's logs missing is said: {j['warnings']}")
print("slurm tests passed")
