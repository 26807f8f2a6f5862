"""Test set-up: the package under test is the one built in the CMake build
tree (PYTHONPATH=build/python, as ctest sets it). Every tracker runs offline
with simulated or fake hardware, so the tests need no RAPL, GPU or network."""

import os
import pathlib
import sys

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("CT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BINARY_DIR = pathlib.Path(os.environ.get("CT_BINARY_DIR", SOURCE_DIR / "build"))

if not any(pathlib.Path(p, "carbontracker", "tracker.py").exists() for p in sys.path if p):
    sys.path.insert(0, str(BINARY_DIR / "python"))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes a few seconds")


@pytest.fixture
def sim_cpu():
    """Arguments for one simulated CPU of 100 W x 0.5 = 50 W, offline."""
    return {"sim_cpu": "Test CPU", "sim_cpu_tdp": 100.0, "offline": True, "update_interval": 0.05}


@pytest.fixture
def source_dir():
    return SOURCE_DIR


@pytest.fixture
def binary_dir():
    return BINARY_DIR


@pytest.fixture
def subprocess_env():
    """Environment for a child Python that imports the same package."""
    env = dict(os.environ)
    import carbontracker

    pkg_parent = str(pathlib.Path(carbontracker.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([pkg_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env
