"""Process-level behaviour: no leaked threads or file handles, Ctrl-C, and
`python -m carbontracker`."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import carbontracker
from carbontracker import _carbontracker
from carbontracker.tracker import CarbonTracker


def thread_count():
    return len(os.listdir("/proc/self/task"))


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def settled_thread_count(expected):
    """The process's thread count once it is `expected`, or what it is after
    a generous bound. A thread that pthread_join has returned for may still be
    listed in /proc/self/task while the kernel finishes its exit (long enough
    to be seen on a loaded machine), so the kernel's view is waited for; what
    the library joined is checked exactly with _threads_running()."""
    deadline = time.monotonic() + 60
    while thread_count() != expected and time.monotonic() < deadline:
        time.sleep(0.001)
    return thread_count()


def test_no_thread_or_fd_leak_over_100_trackers(tmp_path, sim_cpu):
    def one(i):
        tracker = CarbonTracker(
            epochs=2, monitor_epochs=-1, components="cpu", log_dir=tmp_path / str(i % 3), verbose=0, **sim_cpu
        )
        tracker.epoch_start()
        tracker.epoch_end()
        tracker.stop()
        assert _carbontracker._threads_running() == 0  # joined before stop() returned

    one(-1)  # first use may open lasting handles (e.g. the zone table)
    threads, fds = settled_thread_count(thread_count()), fd_count()
    for i in range(100):
        one(i)
    assert fd_count() == fds
    assert settled_thread_count(threads) == threads


def test_no_leak_when_trackers_are_dropped_without_stop(sim_cpu):
    CarbonTracker(epochs=1, components="cpu", verbose=0, **sim_cpu).stop()
    threads, fds = settled_thread_count(thread_count()), fd_count()
    for _ in range(20):
        tracker = CarbonTracker(epochs=3, monitor_epochs=3, components="cpu", verbose=0, **sim_cpu)
        tracker.epoch_start()
        assert _carbontracker._threads_running() == 1  # its sampling thread
        del tracker
        assert _carbontracker._threads_running() == 0  # joined before `del` returned
    assert fd_count() == fds
    assert settled_thread_count(threads) == threads


LOOP = textwrap.dedent(
    """
    import signal, sys, time
    from carbontracker.tracker import CarbonTracker
    # Ctrl-C raises KeyboardInterrupt as in an interactive Python, even when
    # the tests were started from a shell that ignores SIGINT (a background
    # job: `ctest &`, some CI runners), which this child would inherit.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    tracker = CarbonTracker(epochs=100000, monitor_epochs=-1, components="cpu", sim_cpu="X",
                            sim_cpu_tdp=10, offline=True, update_interval=0.01)
    handled = sys.argv[1] == "handled"
    said = False
    try:
        print("training", flush=True)
        while True:
            tracker.epoch_start()
            x = 0
            for i in range(20000):
                x += i
            time.sleep(0.01)
            tracker.epoch_end()
            if not said:
                print("epoch done", flush=True)
                said = True
    except KeyboardInterrupt:
        if not handled:
            raise
        print("interrupted", flush=True)
        tracker.stop()
        print("stopped", flush=True)
    """
)


@pytest.mark.parametrize("mode", ["handled", "unhandled"])
def test_ctrl_c_interrupts_training(subprocess_env, mode):
    proc = subprocess.Popen(
        [sys.executable, "-c", LOOP, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=subprocess_env,
    )
    try:
        # Interrupt once an epoch has been measured (an event the loop
        # reports), not after a guess at how long start-up takes.
        while proc.stdout.readline() not in ("epoch done\n", ""):
            pass
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if mode == "handled":
        assert proc.returncode == 0, err
        assert "interrupted\n" in out and out.endswith("stopped\n")
        assert "Actual consumption for " in out
        assert "Training was interrupted" not in err
    else:
        assert proc.returncode == -signal.SIGINT, err
        assert "KeyboardInterrupt" in err


def run_module(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "carbontracker", *args], capture_output=True, text=True,
        env=env, timeout=120, **kwargs,
    )


def test_module_version(subprocess_env):
    proc = run_module(subprocess_env, "--version")
    assert proc.returncode == 0
    assert proc.stdout == f"carbontracker {carbontracker.__version__}\n"


def test_module_wraps_a_command_and_returns_its_status(subprocess_env, tmp_path):
    proc = run_module(
        subprocess_env, "--log_dir", str(tmp_path), "--offline", "--components", "cpu",
        "--sim-cpu", "X", "--sim-cpu-tdp", "10", "--json", str(tmp_path / "run.json"),
        "sh", "-c", "echo wrapped; exit 3",
    )
    assert proc.returncode == 3, proc.stderr
    assert "wrapped\n" in proc.stdout
    assert "Actual consumption" in proc.stdout
    assert (tmp_path / "run.json").exists()
    assert len(list(tmp_path.glob("*_carbontracker.log"))) == 1
    assert len(list(tmp_path.glob("*_carbontracker_output.log"))) == 1


def test_module_usage_error_status(subprocess_env):
    proc = run_module(subprocess_env, "--no-such-option")
    assert proc.returncode == 2
    assert "unknown option --no-such-option" in proc.stderr


@pytest.mark.parametrize(
    "args, line",
    [
        (["--pue", "-1"], "argument --pue: expected a number >= 1, got '-1'"),
        (["--update-interval", "0"], "argument --update-interval: expected a number of seconds > 0, got '0'"),
        (["--components", "tpu"], "argument --components: Component name tpu is invalid."),
        (["--epochs", "--offline"], "argument --epochs: expected one argument"),
        (["--offline=1"], "argument --offline: ignored explicit argument '1'"),
    ],
)
def test_module_bad_arguments_exit_2_with_one_line(subprocess_env, tmp_path, args, line):
    proc = run_module(subprocess_env, *args, "sh", "-c", "echo ran", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("carbontracker: error: " + line), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "logs").exists()


def test_module_tracker_failure_exits_70(subprocess_env, tmp_path):
    env = dict(subprocess_env, CARBONTRACKER_NVML_LIBRARY=str(tmp_path / "no-nvml.so"),
               CARBONTRACKER_ROCM_SMI_LIBRARY=str(tmp_path / "no-rocm.so"))
    proc = run_module(env, "--offline", "--log_dir", "", "--components", "gpu", "true", cwd=tmp_path)
    assert proc.returncode == 70, proc.stderr
    assert "No GPU(s) available" in proc.stderr


def test_run_cli_leaves_the_calling_process_as_it_was(subprocess_env, tmp_path):
    """The node mark goes to the command's environment only, the caller's
    SIGCHLD handler still runs after run_cli, and no process of the run (the
    command, the signal witness) is left behind."""
    script = textwrap.dedent("""
        import ctypes, os, signal, subprocess
        from carbontracker._carbontracker import run_cli
        seen = []
        signal.signal(signal.SIGCHLD, lambda *a: seen.append(1))
        status = run_cli(["carbontracker", "--offline", "--log_dir", "", "--verbose", "0",
                          "--sim-cpu", "X", "--sim-cpu-tdp", "10",
                          "sh", "-c", 'echo "$CARBONTRACKER_MEASURED_BY" > mark'])
        libc = ctypes.CDLL(None)
        libc.getenv.restype = ctypes.c_char_p
        print("RESULT status", status)
        print("RESULT mark", libc.getenv(b"CARBONTRACKER_MEASURED_BY"))
        try:
            print("RESULT child left", os.waitpid(-1, os.WNOHANG))
        except ChildProcessError:
            print("RESULT no child left")
        seen.clear()
        subprocess.run(["true"])
        for _ in range(100):
            pass
        print("RESULT sigchld handled", bool(seen))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=subprocess_env, cwd=tmp_path, timeout=120)
    results = [line[7:] for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert results == ["status 0", "mark None", "no child left", "sigchld handled True"], proc.stdout + proc.stderr
    assert (tmp_path / "mark").read_text().strip().endswith("@" + os.uname().nodename)
