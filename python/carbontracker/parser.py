"""Reading carbontracker log directories, with the original's functions, keys and units.

    from carbontracker import parser

    logs = parser.parse_all_logs(log_dir="./logs/")
    first_log = parser.parse_logs(log_dir="./logs/", std_log_file=..., output_log_file=...)
    energy_kwh, co2eq_g, equivalents = parser.aggregate_consumption(log_dir="./logs/")
    parser.print_aggregate(log_dir="./logs/")

Reads the original's logs (1.x and 2.x) and ours. Results are plain Python
lists, dicts and floats (the original returns numpy arrays for the per-epoch
power, energy and duration values: ``numpy.array(value)`` gives them back).
A file that cannot be read or holds nothing usable is skipped with a
:class:`carbontracker.exceptions.CarbonTrackerWarning`; an unreadable
directory raises :class:`carbontracker.exceptions.OutputError`.
"""

import os
import warnings

from carbontracker import _carbontracker
from carbontracker.exceptions import CarbonTrackerWarning

__all__ = ["parse_logs", "parse_all_logs", "aggregate_consumption", "print_aggregate"]


def parse_logs(log_dir, std_log_file=None, output_log_file=None):
    """Per-component figures of one run.

    Reads the standard log ``std_log_file`` (a path, as ``parse_all_logs``
    returns them, or a name in ``log_dir``); ``output_log_file`` is accepted for compatibility and not read, as
    in the original. With either left out, the most recent pair in
    ``log_dir`` is used.

    Returns:
        ``{component: {"avg_power_usages (W)": [[W, ...], ...] | None,
        "avg_energy_usages (J)": [[J, ...], ...] | None,
        "epoch_durations (s)": [s, ...] | None, "devices": [str, ...]}}``,
        one list entry per epoch; energy is power x duration, without PUE.
    """
    if std_log_file is None or output_log_file is None:
        std_log_file = output_log_file = None
    else:
        # The original opens the names as given (parse_all_logs returns them
        # joined to log_dir); the core looks them up in log_dir.
        std_log_file, output_log_file = (
            os.path.abspath(f) if os.path.isfile(f) else f for f in (std_log_file, output_log_file)
        )
    value, messages = _carbontracker.parse_logs(
        _path(log_dir), _path(std_log_file), _path(output_log_file)
    )
    _warn(messages)
    return value


def parse_all_logs(log_dir):
    """One dict per run in ``log_dir``, sorted by file name::

        {"output_filename": str, "standard_filename": str,
         "components": parse_logs(...), "early_stop": bool,
         "actual": {...} | None, "pred": {...} | None}

    with ``actual`` and ``pred`` = ``{"epochs": int, "duration (s)": float | None,
    "energy (kWh)": float, "co2eq (g)": float, "equivalents": {unit: float} | None}``.
    """
    value, messages = _carbontracker.parse_all_logs(_path(log_dir))
    _warn(messages)
    return value


def aggregate_consumption(log_dir):
    """Totals over every run in ``log_dir``: ``(energy_kwh, co2eq_g, {unit: value})``.

    Each run contributes its actual consumption, or its prediction when it
    has no actual consumption.
    """
    value, messages = _carbontracker.aggregate_consumption(_path(log_dir))
    _warn(messages)
    return value["energy (kWh)"], value["co2eq (g)"], dict(value["equivalents"] or {})


def print_aggregate(log_dir):
    """Prints the original's sentence for a paper: "The training of models in
    this work is estimated to use ... kWh of electricity contributing to ...
    kg of CO2eq. ... Measured by carbontracker (https://github.com/lfwa/carbontracker)."
    """
    value, messages = _carbontracker.aggregate_consumption(_path(log_dir))
    _warn(messages)
    print(value["sentence"])




def _path(value):
    if value is None:
        return ""
    value = os.fspath(value)
    return os.fsdecode(value) if isinstance(value, bytes) else value


def _warn(messages):
    for message in messages:
        warnings.warn(message, CarbonTrackerWarning, stacklevel=3)
