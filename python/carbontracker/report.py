"""Reports of carbontracker logs, for papers: PDF, HTML, SVG or PNG.

    from carbontracker import report

    report.generate_report_from_log("logs/1234.5678_..._carbontracker_output.log",
                                    "carbon_report.pdf")
    report.generate_report_from_logs("./logs", "carbon_report.html")

The output's extension chooses the format: ``.pdf`` (the whole report),
``.html`` (one self-contained file: inline SVG charts and CSS, no script,
nothing fetched), ``.svg`` or ``.png`` (the charts alone). The report holds
the totals with and without PUE, the carbon intensity used with its source
and location, the sentence of ``carbontracker --parse`` for papers, the
energy per component and device with its provenance, the prediction against
the actual consumption, and charts of power over time, energy per epoch and
CO2eq per epoch with the intensity. It is made by the C++ core with cairo,
loaded when a report is made: the rest of the package works without it.

A log file or directory that holds no run raises
:class:`carbontracker.exceptions.OutputError`, as does an output that cannot
be written; an extension that names no format raises
:class:`carbontracker.exceptions.InvalidArgumentError` (a ``ValueError``).
Files skipped while reading give a
:class:`carbontracker.exceptions.CarbonTrackerWarning` each.
"""

import os
import warnings

from carbontracker import _carbontracker
from carbontracker.exceptions import CarbonTrackerWarning

__all__ = ["generate_report_from_log", "generate_report_from_logs"]


def _generate(path, output_path):
    for w in _carbontracker.generate_report(os.fspath(path), os.fspath(output_path)):
        warnings.warn(w, CarbonTrackerWarning, stacklevel=3)


def generate_report_from_log(log_file_path, output_path):
    """Writes the report of one run to ``output_path`` (the original's function).

    ``log_file_path`` is one of the run's log files (``*_carbontracker.log``,
    ``*_carbontracker_output.log`` or ``*_carbontracker.jsonl``); the files
    sharing its stem are read with it. A log directory is accepted too.
    """
    _generate(log_file_path, output_path)


def generate_report_from_logs(log_dir, output_path="carbon_report.pdf"):
    """Writes the report of every run in ``log_dir``: the aggregate first,
    then one section per run."""
    _generate(log_dir, output_path)
