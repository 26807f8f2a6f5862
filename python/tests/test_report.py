"""carbontracker.report: the original's generate_report_from_log and the
directory form, checked against the parser's figures."""

import html
import pathlib
import struct

import pytest

from carbontracker import exceptions, parser, report
from carbontracker.tracker import CarbonTracker

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "original-logs"


def png_size(path):
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_original_log_file_gives_the_parsers_figures(tmp_path):
    log = next((FIXTURES / "cli_sim_cpu_gpu").glob("*_carbontracker_output.log"))
    out = tmp_path / "r.html"
    report.generate_report_from_log(str(log), str(out))
    text = out.read_text()
    energy, co2, _ = parser.aggregate_consumption(log_dir=str(FIXTURES / "cli_sim_cpu_gpu"))
    assert f"{energy:.6f}" in text
    assert f"{co2:.6f}" in text
    sentence = _sentence(FIXTURES / "cli_sim_cpu_gpu")
    assert html.escape(sentence, quote=False) in text


def _sentence(log_dir):
    import io
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        parser.print_aggregate(log_dir=str(log_dir))
    return buf.getvalue().strip()


def test_tracked_run_directory_every_format(tmp_path, sim_cpu):
    logs = tmp_path / "logs"
    logs.mkdir()
    tracker = CarbonTracker(epochs=2, monitor_epochs=2, log_dir=str(logs), verbose=0, **sim_cpu)
    for _ in range(2):
        tracker.epoch_start()
        import time

        time.sleep(0.3)
        tracker.epoch_end()
    tracker.stop()
    energy, co2, _ = parser.aggregate_consumption(log_dir=str(logs))
    for ext in ("pdf", "html", "svg", "png"):
        out = tmp_path / f"r.{ext}"
        report.generate_report_from_logs(logs, out)
        assert out.stat().st_size > 1000
    text = (tmp_path / "r.html").read_text()
    assert f"{energy:.6f}" in text and f"{co2:.6f}" in text
    assert "Power over time" in text  # samples every 0.05 s
    width, height = png_size(tmp_path / "r.png")
    assert width == 1440 and height == 3 * 540


def test_errors(tmp_path):
    with pytest.raises(exceptions.InvalidArgumentError, match=r"\.pdf, \.html"):
        report.generate_report_from_log(str(FIXTURES / "v212_cli"), str(tmp_path / "r.docx"))
    with pytest.raises(exceptions.OutputError, match="no carbontracker run"):
        report.generate_report_from_logs(tmp_path, tmp_path / "r.pdf")
    with pytest.raises(exceptions.OutputError, match="nope"):
        report.generate_report_from_log(str(tmp_path / "nope.log"), str(tmp_path / "r.pdf"))
