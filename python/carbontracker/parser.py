"""Reading carbontracker log directories, with the original's functions, keys and units.

    from carbontracker import parser

    logs = parser.parse_all_logs(log_dir="./logs/")
    first_log = parser.parse_logs(log_dir="./logs/", std_log_file=..., output_log_file=...)
    energy_kwh, co2eq_g, equivalents = parser.aggregate_consumption(log_dir="./logs/")
    parser.print_aggregate(log_dir="./logs/")
    interval = parser.aggregate_uncertainty(log_dir="./logs/")  # ours

Logs of carbontracker with intervals (JSONL schema 3) add an "uncertainty"
dict to each ``actual`` and ``pred`` block of ``parse_all_logs`` (and
"epoch_uncertainty" to the run); ``aggregate_uncertainty`` gives the
totals' interval, which ``print_aggregate`` states after the original's
sentence (doc/uncertainty.md, doc/python.md).

Reads the original's logs (1.x and 2.x) and ours. Results are plain Python
lists, dicts and floats (the original returns numpy arrays for the per-epoch
power, energy and duration values: ``numpy.array(value)`` gives them back).
A file that cannot be read or holds nothing usable is skipped with a
:class:`carbontracker.exceptions.CarbonTrackerWarning`; an unreadable
directory raises :class:`carbontracker.exceptions.OutputError`.

The original's module-level helpers are here too, with its signatures and
return shapes (``get_all_logs``, ``get_most_recent_logs``, ``get_devices``,
``get_consumption``, ``get_avg_power_usages``, ``get_epoch_durations``,
``get_time``, ``get_early_stop``, ``get_stats``, ``parse_equivalents``,
``extract_measurements``), and the functions above are built on them the way
the original's are, so tests that patch one of them (``mock.patch
("carbontracker.parser.get_consumption")``) see the effect. Files are listed
with ``os.listdir``/``os.path`` and read with Python's ``open()``, so
file-system fakes such as pyfakefs work; the text is parsed by the C++ core.
doc/original-parser-tests.md lists where the results differ from the
original's and why.
"""

import math
import os
import threading
import warnings

from carbontracker import _carbontracker
from carbontracker.exceptions import CarbonTrackerWarning, OutputError

__all__ = [
    "parse_logs",
    "parse_all_logs",
    "aggregate_consumption",
    "aggregate_uncertainty",
    "print_aggregate",
    "get_all_logs",
    "get_most_recent_logs",
    "get_devices",
    "get_consumption",
    "get_avg_power_usages",
    "get_epoch_durations",
    "get_time",
    "get_early_stop",
    "get_stats",
    "parse_equivalents",
    "extract_measurements",
]

# The totals of this thread's last aggregate_consumption call.
_last = threading.local()

_SUFFIXES = (
    ("carbontracker_output.log", "output"),
    ("carbontracker.log", "std"),
    ("carbontracker.jsonl", "jsonl"),
)


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
    log_dir = _path(log_dir)
    if std_log_file is None or output_log_file is None:
        std_log_file, output_log_file = get_most_recent_logs(log_dir)
        if std_log_file is None:
            _warn([f"{log_dir}: no standard log (*_carbontracker.log) found"])
            return {}
    else:
        # The original opens the names as given (parse_all_logs returns them
        # joined to log_dir); a bare name is looked up in log_dir.
        std_log_file = _path(std_log_file)
        if not os.path.isfile(std_log_file):
            std_log_file = os.path.join(log_dir, std_log_file)
    text, problem = _read(std_log_file)
    if not text:
        _warn([f"{std_log_file}: {problem or 'empty file'}"])
        return {}
    std = _carbontracker.read_std_log(text)
    _warn(f"{std_log_file}: {p}" for p in std["problems"])
    return std["components"]


def parse_all_logs(log_dir):
    """One dict per run in ``log_dir``, sorted by file name::

        {"output_filename": str, "standard_filename": str,
         "components": parse_logs(...), "early_stop": bool,
         "actual": {...} | None, "pred": {...} | None}

    with ``actual`` and ``pred`` = ``{"epochs": int, "duration (s)": float | None,
    "energy (kWh)": float, "co2eq (g)": float, "equivalents": {unit: float} | None}``.
    Standard and output logs are paired by their common stem; a run with our
    JSONL file takes its exact figures from it; an output log without its
    standard log still counts.
    """
    runs = []
    for _, files in sorted(_discover(_path(log_dir)).items()):
        run = _read_run(files)
        if run is not None:
            runs.append(run)
    return runs


def aggregate_consumption(log_dir):
    """Totals over every run in ``log_dir``: ``(energy_kwh, co2eq_g, {unit: value})``.

    Each run contributes its actual consumption, or its prediction when it
    has no actual consumption.
    """
    total = _aggregate(log_dir)
    _last.total = total  # for print_aggregate's interval sentence
    return total.energy_kwh, total.co2eq_g, total.equivalents


def aggregate_uncertainty(log_dir):
    """The interval of aggregate_consumption's totals::

        {"energy (kWh)": float, "co2eq (g)": float, "runs": int,
         "uncertainty": {"k": 2, "energy_kwh": {"value", "minus", "plus", "u",
                                                "expanded", "terms"},
                         "co2_g": {...}} | None,
         "runs_with_uncertainty": int, "sentence": str, "note": str}

    The interval (about 95 % with k = 2) is [value - minus, value + plus],
    wider above than below for a product of uncertain factors; "u" is the
    first-order combined standard uncertainty and "expanded" k x u. Terms of one correlation
    key (one PUE, one table intensity) add linearly across runs, the others
    in quadrature. "uncertainty" is None when no run's log has an interval
    (logs written before intervals existed); "note" then says how many runs
    have none. "sentence" is what print_aggregate adds after the original's
    sentence ("" without intervals).
    """
    total = _aggregate(log_dir)
    interval = _carbontracker.aggregate_uncertainty(
        total.energy_kwh, total.co2eq_g, total.runs, total.uncertainties)
    return {
        "energy (kWh)": total.energy_kwh,
        "co2eq (g)": total.co2eq_g,
        "runs": total.runs,
        "uncertainty": interval["uncertainty"],
        "runs_with_uncertainty": interval["runs_with_uncertainty"],
        "sentence": interval["uncertainty_sentence"],
        "note": interval["note"],
    }


def _aggregate(log_dir):
    log_dir = _path(log_dir)
    output_logs, std_logs = get_all_logs(log_dir)
    total = _Total()
    for output_log, std_log in zip(output_logs, std_logs):
        jsonl = _jsonl_beside(output_log)
        if jsonl is not None:
            run = _read_run({"std": std_log, "output": output_log, "jsonl": jsonl})
            total.add(run and _chosen(run["actual"], run["pred"]), output_log)
            continue
        text, problem = _read(output_log)
        if text is None:
            _warn([f"{output_log}: {problem}; skipped"])
            continue
        actual, pred = get_consumption(text)
        total.add(_chosen(actual, pred), output_log)
    # Runs get_all_logs leaves out: an output log or JSONL file without its
    # pair, or a pair with an empty file.
    paired = set(output_logs) | set(std_logs)
    for _, files in sorted(_discover(log_dir, strict=False).items()):
        if paired & set(files.values()):
            continue
        run = _read_run(files)  # warns about what it cannot count
        block = run and _chosen(run["actual"], run["pred"])
        if block is not None:
            total.add(block, "")
    return total


def print_aggregate(log_dir):
    """Prints the original's sentence for a paper: "The training of models in
    this work is estimated to use ... kWh of electricity contributing to ...
    kg of CO2eq. ... Measured by carbontracker (https://github.com/lfwa/carbontracker)."
    When the logs carry intervals, one sentence with them follows on the same
    line (aggregate_uncertainty's "sentence").
    """
    _last.total = None
    energy_kwh, co2eq_g, equivalents = aggregate_consumption(log_dir)
    sentence = _carbontracker.aggregate_sentence(energy_kwh, co2eq_g, list((equivalents or {}).items()))
    # The totals aggregate_consumption just summed, unless it was replaced
    # (tests patch it, as the original's do).
    total, _last.total = getattr(_last, "total", None), None
    if total is not None and total.uncertainties and (total.energy_kwh, total.co2eq_g) == (energy_kwh, co2eq_g):
        interval = _carbontracker.aggregate_uncertainty(
            total.energy_kwh, total.co2eq_g, total.runs, total.uncertainties)
        if interval["uncertainty_sentence"]:
            sentence += " " + interval["uncertainty_sentence"]
    print(sentence)


def get_all_logs(log_dir):
    """``(output_logs, std_logs)``: the paths of the non-empty output and
    standard logs in ``log_dir`` that form pairs (same stem), in matching
    order, sorted by name. A file without its pair is left out."""
    pairs = {}
    for kind, stem, path in _listing(log_dir):
        if kind in ("output", "std") and os.path.getsize(path) > 0:
            pairs.setdefault(stem, {})[kind] = path
    both = sorted((p["output"], p["std"]) for p in pairs.values() if len(p) == 2)
    return [o for o, _ in both], [s for _, s in both]


def get_most_recent_logs(log_dir):
    """``(std_log, output_log)``: the most recently modified standard and
    output log in ``log_dir``; ``None`` for a kind there is none of (the
    original raises IndexError)."""
    listing = _listing(log_dir)
    newest = []
    for wanted in ("output", "std"):
        paths = sorted((path for kind, _, path in listing if kind == wanted), key=os.path.getmtime)
        newest.append(paths[-1] if paths else None)
    return newest[1], newest[0]


def get_devices(std_log_data):
    """``{component: [device, ...]}`` from the "The following components
    were found:" line (of a standard or an output log)."""
    for reader in (_carbontracker.read_std_log, _carbontracker.read_output_log):
        devices = {c: v["devices"] for c, v in reader(std_log_data)["components"].items() if v["devices"]}
        if devices:
            return devices
    return {}


def get_epoch_durations(std_log_data):
    """The seconds of every "Duration: H:MM:SS.ss" line, in order."""
    return _carbontracker.read_std_log(std_log_data)["epoch_durations (s)"]


def get_avg_power_usages(std_log_data):
    """``{component: [[W, ...], ...]}``, one list per "Average power usage
    (W) for c:" line (``None`` reads as ``[0.0]``)."""
    components = _carbontracker.read_std_log(std_log_data)["components"]
    return {c: v["avg_power_usages (W)"] for c, v in components.items() if v["avg_power_usages (W)"] is not None}


def get_early_stop(std_log_data):
    """Whether "Training was interrupted" occurs (any case)."""
    return _carbontracker.read_std_log(std_log_data)["early_stop"]


def get_consumption(output_log_data):
    """``(actual, pred)``: the first actual and predicted consumption blocks
    of an output log, each ``{"epochs", "duration (s)", "energy (kWh)",
    "co2eq (g)", "equivalents"}`` or ``None``."""
    out = _carbontracker.read_output_log(output_log_data)
    return out["actual"], out["pred"]


def get_time(time_str):
    """Seconds of "H:MM:SS" or "H:MM:SS.ss"; ``None`` when it is neither."""
    return _carbontracker.parse_duration(time_str)


def get_stats(groups):
    """``(energy, co2eq, equivalents)`` from the fields of a consumption
    block as the original's regular expressions group them: ``groups[2]``
    energy, ``groups[3]`` CO2eq, ``groups[4]`` (optional) the equivalents."""
    energy = float(groups[2])
    co2eq = float(groups[3])
    equivalents = parse_equivalents(groups[4]) if len(groups) > 4 and groups[4] is not None else None
    return energy, co2eq, equivalents


def parse_equivalents(lines):
    """``{unit: value}`` from lines "0.007977 km travelled by car"; a line
    whose first word is not a number is skipped with a warning."""
    equivalents = {}
    for line in lines.splitlines():
        value, _, unit = line.strip().partition(" ")
        if not value or not unit.strip():
            continue
        try:
            equivalents[unit.strip()] = float(value)
        except ValueError:
            _warn([f"unable to convert {value!r} to float; equivalent skipped"])
    return equivalents


def extract_measurements(match):
    """A consumption block's dict from the original's regular-expression
    match (or any object with ``groups()``, or the tuple of groups):
    ``(epochs, time, energy, co2eq, equivalents)``, or without the epoch
    count ``(time, energy, co2eq, equivalents)`` (then 1, as the original).
    ``None`` for ``None``."""
    if match is None:
        return None
    groups = tuple(match.groups() if hasattr(match, "groups") else match)
    if len(groups) == 4:
        groups = ("1",) + groups
    energy, co2eq, equivalents = get_stats(groups)
    return {
        "epochs": int(groups[0]),
        "duration (s)": get_time(groups[1]),
        "energy (kWh)": energy,
        "co2eq (g)": co2eq,
        "equivalents": equivalents,
    }


class _Total:
    def __init__(self):
        self.energy_kwh = 0.0
        self.co2eq_g = 0.0
        self.equivalents = {}
        self.runs = 0
        self.uncertainties = []  # the counted blocks' "uncertainty" dicts

    def add(self, block, name):
        if block is None:
            _warn([f"{name}: no consumption report; run not counted"])
            return
        self.runs += 1
        if block.get("uncertainty") is not None:
            self.uncertainties.append(block["uncertainty"])
        if not math.isnan(block["energy (kWh)"]):
            self.energy_kwh += block["energy (kWh)"]
        co2 = block.get("co2eq (g)")
        if co2 is not None and not math.isnan(co2):
            self.co2eq_g += co2
        for unit, value in (block.get("equivalents") or {}).items():
            self.equivalents[unit] = self.equivalents.get(unit, 0) + value


def _chosen(actual, pred):
    """The block that counts: the actual consumption when it has an energy,
    else the prediction."""
    for block in (actual, pred):
        if block is not None and block.get("energy (kWh)") is not None:
            return block
    return None


def _classify(name):
    for suffix, kind in _SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return kind, stem[:-1] if stem.endswith("_") else stem
    return None, None


def _listing(log_dir):
    """``[(kind, stem, path)]`` of the log files in ``log_dir``, in
    ``os.listdir`` order."""
    log_dir = _path(log_dir)
    try:
        names = os.listdir(log_dir)
    except OSError as e:
        raise OutputError(
            f"cannot read the log directory {log_dir}: {e.strerror or e} (give the log_dir the tracker wrote to)"
        ) from e
    listing = []
    for name in names:
        kind, stem = _classify(name)
        path = os.path.join(log_dir, name)
        if kind is not None and os.path.isfile(path):
            listing.append((kind, stem, path))
    return listing


def _discover(log_dir, strict=True):
    """``{stem: {kind: path}}`` of the runs in ``log_dir``."""
    try:
        listing = _listing(log_dir)
    except OutputError:
        if strict:
            raise
        return {}
    runs = {}
    for kind, stem, path in listing:
        runs.setdefault(stem, {})[kind] = path
    return runs


def _jsonl_beside(output_log):
    head, name = os.path.split(output_log)
    kind, _ = _classify(name)
    if kind != "output":
        return None
    path = os.path.join(head, name[: -len("carbontracker_output.log")] + "carbontracker.jsonl")
    return path if os.path.isfile(path) else None


def _read(path):
    """``(text, "")``, or ``(None, why)`` when the file cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(), ""
    except OSError as e:
        return None, f"cannot open: {e.strerror or e}"


def _read_run(files):
    value, messages = _carbontracker.read_run({kind: (path, *_read(path)) for kind, path in files.items()})
    _warn(messages)
    return value


def _path(value):
    if value is None:
        return ""
    value = os.fspath(value)
    return os.fsdecode(value) if isinstance(value, bytes) else value


def _warn(messages):
    for message in messages:
        warnings.warn(message, CarbonTrackerWarning, stacklevel=3)
