"""stop_and_confirm reads its answer through Python's input() (so notebooks
and redirected sys.stdin work); "n" is SystemExit(0), as in the original."""

import builtins
import subprocess
import sys
import textwrap

import pytest

from carbontracker import exceptions
from carbontracker.tracker import CarbonTracker


def answers(monkeypatch, *values):
    """Makes input() return `values` in turn (an exception instance is raised)."""
    it = iter(values)
    calls = []

    def fake_input(prompt=""):
        calls.append(prompt)
        value = next(it)
        if isinstance(value, BaseException):
            raise value
        return value

    monkeypatch.setattr(builtins, "input", fake_input)
    return calls


def make(sim_cpu, **kwargs):
    return CarbonTracker(epochs=3, monitor_epochs=3, stop_and_confirm=True, components="cpu", **sim_cpu, **kwargs)


def test_yes_after_an_unrecognised_answer_continues(monkeypatch, sim_cpu, capsys):
    calls = answers(monkeypatch, "maybe", "Y")
    tracker = make(sim_cpu)
    tracker.epoch_start()
    tracker.epoch_end()
    assert len(calls) == 2
    assert tracker.monitoring
    out = capsys.readouterr().out
    tail = out[out.index("Predicted consumption") :]
    assert "CarbonTracker: Continue training (y/n)?\n" in tail
    assert tail.index("Continue training (y/n)?") < tail.index("Input not recognized. Try again (y/n):")
    assert tail.index("Input not recognized") < tail.index("CarbonTracker: Continuing...")
    tracker.epoch_start()
    tracker.epoch_end()
    tracker.stop()
    assert len(tracker.results["epochs"]) == 2


def test_no_raises_system_exit_zero(monkeypatch, sim_cpu, capsys):
    answers(monkeypatch, "n")
    tracker = make(sim_cpu)
    tracker.epoch_start()
    with pytest.raises(SystemExit) as info:
        tracker.epoch_end()
    assert info.value.code == 0
    assert isinstance(info.value, exceptions.UserQuit)
    assert not tracker.monitoring
    assert "CarbonTracker: Quitting..." in capsys.readouterr().out
    tracker.epoch_start()  # monitoring has ended: no-ops
    tracker.stop()


def test_end_of_input_raises_input_error(monkeypatch, sim_cpu):
    answers(monkeypatch, EOFError())
    tracker = make(sim_cpu)
    tracker.epoch_start()
    with pytest.raises(exceptions.InputError, match="no answer could be read") as info:
        tracker.epoch_end()
    assert isinstance(info.value, EOFError) and isinstance(info.value, RuntimeError)
    assert not tracker.monitoring


def test_end_of_input_with_ignore_errors_continues_unmonitored(monkeypatch, sim_cpu, capsys):
    answers(monkeypatch, EOFError())
    tracker = make(sim_cpu, ignore_errors=True)
    tracker.epoch_start()
    tracker.epoch_end()
    assert not tracker.monitoring
    assert "Continued training without monitoring..." in capsys.readouterr().out


def test_ctrl_c_at_the_prompt_raises_keyboard_interrupt(monkeypatch, sim_cpu):
    answers(monkeypatch, KeyboardInterrupt())
    tracker = make(sim_cpu)
    tracker.epoch_start()
    with pytest.raises(KeyboardInterrupt):
        tracker.epoch_end()
    # The tracker is still usable: stop() reports what was measured.
    tracker.stop()
    assert tracker.results["actual"]["epochs"] == 1


SCRIPT = textwrap.dedent(
    """
    from carbontracker.tracker import CarbonTracker
    t = CarbonTracker(epochs=2, monitor_epochs=2, stop_and_confirm=True, components="cpu",
                      sim_cpu="X", sim_cpu_tdp=10, offline=True)
    t.epoch_start()
    t.epoch_end()
    print("not reached")
    """
)


@pytest.mark.parametrize("stdin, status, text", [("n\n", 0, "Quitting..."), ("", 1, "InputError")])
def test_real_stdin_in_a_process(subprocess_env, stdin, status, text):
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], input=stdin, capture_output=True, text=True,
        env=subprocess_env, timeout=120,
    )
    assert proc.returncode == status, proc.stderr
    assert text in proc.stdout + proc.stderr
    assert "not reached" not in proc.stdout
