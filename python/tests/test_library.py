"""The package's native part is the C library libcarbontracker.so beside it
(doc/c-api.md), or the one CARBONTRACKER_LIBRARY names."""

import os
import subprocess
import sys

import pytest

import carbontracker
from carbontracker import _carbontracker, exceptions


def run_python(env, code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_the_library_beside_the_package_is_loaded():
    here = os.path.dirname(os.path.abspath(carbontracker.__file__))
    assert _carbontracker._library_path() == os.path.join(here, "libcarbontracker.so")
    assert os.path.isfile(_carbontracker._library_path())


def test_carbontracker_library_names_another_copy(subprocess_env, tmp_path):
    copy = tmp_path / "libcarbontracker.so"
    copy.symlink_to(_carbontracker._library_path())
    env = dict(subprocess_env, CARBONTRACKER_LIBRARY=str(copy))
    proc = run_python(env, "from carbontracker import _carbontracker as c; print(c._lib._name, c.__version__)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{copy} {carbontracker.__version__}\n"


def test_a_missing_library_is_one_line_naming_the_fix(subprocess_env, tmp_path):
    env = dict(subprocess_env, CARBONTRACKER_LIBRARY=str(tmp_path / "nowhere.so"))
    proc = run_python(env, "import carbontracker")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: carbontracker: cannot load its C library (")
    assert str(tmp_path / "nowhere.so") in last
    assert last.endswith("reinstall the package, or set CARBONTRACKER_LIBRARY to the path of libcarbontracker.so")


def test_errors_carry_the_library_message_and_class():
    with pytest.raises(exceptions.InvalidArgumentError, match=r'option "epochs" expects an integer, got "3"'):
        _carbontracker.Tracker({"epochs": "3"})
    with pytest.raises(exceptions.InvalidArgumentError, match=r'unknown option "nonsense"'):
        _carbontracker.Tracker({"epochs": 3, "nonsense": 1})
    with pytest.raises(exceptions.OutputError):
        _carbontracker.parse_all_logs("/nonexistent-dir")
