"""Shared by the distributed tests: a fake powercap tree whose energy the test
controls (tests/fakes/fake_powercap_helper, frozen between epochs), and the
file handshake with the training processes.

The helper starts frozen (no power). For each epoch the training processes
start their epoch, then one of them creates DIR/ready_N; the test thaws the
world, lets it run, freezes it and creates DIR/done_N; the processes end the
epoch when they see it. The energy put into the counters while thawed is the
exact truth of what one measurement of the node must report.
"""

import os
import signal
import subprocess
import time


def wait_for(pred, timeout_s=60.0, what="condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")


class World:
    """fake_powercap_helper: one package at package_w watts, its dram at
    dram_w, in workdir/powercap."""

    def __init__(self, helper, workdir, package_w=60.0, dram_w=6.0):
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.root = os.path.join(workdir, "powercap")
        self.status_path = os.path.join(workdir, "status.txt")
        self.freezes = 0
        self.thaws = 0
        self.proc = subprocess.Popen(
            [helper, "--root", self.root, "--sockets", "1", "--dram-watts", str(dram_w),
             "--step-ms", "2", "--trace", f"{package_w}:1", "--truth",
             os.path.join(workdir, "truth.txt"), "--status", self.status_path, "--ready",
             os.path.join(workdir, "ready"), "--frozen"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(os.path.join(workdir, "ready")) and self.status(),
                 10, "the fake powercap tree")

    def status(self):
        try:
            with open(self.status_path) as f:
                return {k: float(v) for k, v in (line.split() for line in f if line.strip())}
        except (OSError, ValueError):
            return {}

    def energy_j(self):
        return self.status()["energy_j"]

    def thaw(self):
        self.thaws += 1
        self.proc.send_signal(signal.SIGUSR2)
        wait_for(lambda: self.status().get("thaws") == self.thaws
                 and self.status().get("frozen") == 0, 10, "thaw")

    def freeze(self):
        self.freezes += 1
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: self.status().get("freezes") == self.freezes
                 and self.status().get("frozen") == 1, 10, "freeze")
        return self.energy_j()

    def run_epochs(self, sync_dir, epochs, seconds, alive=lambda: True):
        """Serves the ready_N/done_N handshake for `epochs` epochs of
        `seconds` each; returns the truth (J) put into the counters."""
        return run_epochs([self], sync_dir, epochs, seconds, alive)[0]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def run_epochs(worlds, sync_dir, epochs, seconds, alive=lambda: True, readers=("",)):
    """The handshake for several worlds (nodes) at once: waits for
    ready_N<reader> of every reader, runs all worlds for `seconds`, creates
    done_N. Returns each world's truth (J)."""
    for n in range(1, epochs + 1):
        for r in readers:
            path = os.path.join(sync_dir, f"ready_{n}{r}")
            wait_for(lambda: os.path.exists(path) or not alive(), 120, path)
            if not alive():
                raise RuntimeError(f"the job ended before epoch {n}")
        for w in worlds:
            w.thaw()
        time.sleep(seconds)
        for w in worlds:
            w.freeze()
        open(os.path.join(sync_dir, f"done_{n}"), "w").close()
    return [w.energy_j() for w in worlds]


def env_for(world, extra=None):
    env = dict(os.environ)
    env["CARBONTRACKER_POWERCAP_ROOT"] = world.root
    env["CARBONTRACKER_OFFLINE"] = "1"
    env.update(extra or {})
    return env


def kill_job(job):
    """Kills a launcher and, when it leads its own process group (started
    with start_new_session=True), every rank and daemon it started: a killed
    mpirun or torchrun leaves its ranks running otherwise."""
    try:
        if os.getpgid(job.pid) == job.pid:
            os.killpg(job.pid, signal.SIGKILL)
            return
    except ProcessLookupError:
        return
    if job.poll() is None:
        job.kill()


def run_job(world, job, sync_dir, epochs, seconds, timeout_s):
    """Drives the world's epochs while the job (a Popen with stdout piped)
    runs, then waits for it; on any failure kills it (kill_job) and prints
    its output and the ranks' stdout_/stderr_ files in sync_dir before
    raising. Closes the world.
    Returns (truth in J, the job's output)."""
    try:
        truth = world.run_epochs(sync_dir, epochs, seconds, alive=lambda: job.poll() is None)
        out, _ = job.communicate(timeout=timeout_s)
    except BaseException:
        kill_job(job)
        print(job.communicate()[0], flush=True)
        for fname in sorted(os.listdir(sync_dir)):
            if fname.startswith(("stdout_", "stderr_")):
                with open(os.path.join(sync_dir, fname)) as f:
                    print(f"--- {fname}:\n{f.read()}", flush=True)
        raise
    finally:
        world.close()
    return truth, out


def read_files(log_dir):
    out = {}
    if not os.path.isdir(log_dir):
        return out
    for name in sorted(os.listdir(log_dir)):
        with open(os.path.join(log_dir, name), errors="replace") as f:
            out[name] = f.read()
    return out


def check(cond, message):
    if not cond:
        raise AssertionError(message)
    print("ok:", message, flush=True)
