"""End-to-end test of `carbontracker --report` (see CMakeLists.txt).

usage: report_e2e_test.py CARBONTRACKER SOURCE_DIR [KEEP_DIR]

With KEEP_DIR, the HTML screenshot and the first PDF page of the GPU+CPU run
are copied there (how doc/report-*.png are made).
"""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from PIL import Image, ImageStat

CT = sys.argv[1]
SRC = sys.argv[2]
KEEP = sys.argv[3] if len(sys.argv) > 3 else None
ORIGINAL = os.path.join(SRC, "tests", "fixtures", "original-logs")
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def epochs_script(n, seconds):
    return ("for i in $(seq %d); do echo epoch_start >&$CARBONTRACKER_EPOCH_FD; sleep %s; "
            "echo epoch_end >&$CARBONTRACKER_EPOCH_FD; done" % (n, seconds))


def tracked(tmp, name, sim, epochs=3):
    logs = os.path.join(tmp, name)
    record = os.path.join(tmp, name + ".json")
    r = run([CT, "--offline", "--log_dir", logs, "--json", record, "--update-interval", "0.1",
             "--epochs", str(epochs), "--verbose", "0", *sim,
             "--", "sh", "-c", epochs_script(epochs, 0.5)])
    check(r.returncode == 0, f"{name}: tracked run exit {r.returncode}: {r.stderr}")
    with open(record) as f:
        return logs, json.load(f)


def parsed(path):
    r = run([CT, "--parse", path, "--format", "json"])
    check(r.returncode == 0, f"--parse {path}: {r.stderr}")
    return json.loads(r.stdout)


def nonblank(png, size, what, tolerance=1):
    im = Image.open(png).convert("L")
    w, h = im.size
    check(abs(w - size[0]) <= tolerance and abs(h - size[1]) <= tolerance,
          f"{what}: size {im.size}, expected {size}")
    stat = ImageStat.Stat(im)
    check(stat.stddev[0] > 10, f"{what}: blank (stddev {stat.stddev[0]:.1f})")
    # Ink in the lower half as well: more than a title line.
    lower = im.crop((0, h // 2, w, h))
    check(ImageStat.Stat(lower).stddev[0] > 5, f"{what}: lower half blank")


def report_case(tmp, name, path, figures, expect_power):
    """Every format for `path`; `figures`: numbers (text) that must be in the HTML and PDF."""
    out = os.path.join(tmp, name + "-report")
    os.makedirs(out)
    for ext in ("pdf", "html", "svg", "png"):
        r = run([CT, "--report", path, "--output", os.path.join(out, "r." + ext)])
        check(r.returncode == 0 and os.path.getsize(os.path.join(out, "r." + ext)) > 1000,
              f"{name}: --report .{ext}: exit {r.returncode} {r.stderr}")
    with open(os.path.join(out, "r.html")) as f:
        html = f.read()
    check("<script" not in html and "src=" not in html and "<link" not in html,
          f"{name}: HTML not self-contained")
    text = run(["pdftotext", "-layout", os.path.join(out, "r.pdf"), "-"]).stdout
    text_flat = " ".join(text.split())
    for fig in figures:
        check(fig in html, f"{name}: {fig} not in the HTML")
        check(fig in text_flat, f"{name}: {fig} not in the PDF text")
    check(("Power over time" in html) == expect_power, f"{name}: power chart presence")
    check(("Power over time" in text) == expect_power, f"{name}: power chart in the PDF")
    # PDF pages as PNG: A4 at 40 dpi.
    run(["pdftoppm", "-r", "40", "-png", os.path.join(out, "r.pdf"), os.path.join(out, "page")])
    pages = sorted(p for p in os.listdir(out) if p.startswith("page"))
    check(len(pages) >= 1, f"{name}: pdftoppm gave no page")
    for p in pages[:1]:
        nonblank(os.path.join(out, p), (331, 468), f"{name}: PDF page {p}")
    shot = os.path.join(out, "html.png")
    # A profile of its own: a Chromium already running on the default
    # profile (another test run) would take the request over and exit.
    r = run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--user-data-dir=" + os.path.join(out, "chromium-profile"),
             "--screenshot=" + shot, "--window-size=1000,1400",
             "file://" + os.path.join(out, "r.html")])
    check(os.path.exists(shot), f"{name}: chromium made no screenshot: {r.stderr[-500:]}")
    if os.path.exists(shot):
        nonblank(shot, (1000, 1400), f"{name}: HTML screenshot", tolerance=0)
    nonblank(os.path.join(out, "r.png"), Image.open(os.path.join(out, "r.png")).size,
             f"{name}: chart PNG")
    return out, html, text_flat


def fixed(x):
    return f"{x:.6f}"


def main():
    tmp = tempfile.mkdtemp(prefix="ct_report_")
    started = time.time()
    try:
        # GPU+CPU (simulated): figures from the --json record.
        logs, rec = tracked(tmp, "gpu_cpu", ["--sim-cpu", "Xeon", "--sim-cpu-tdp", "100",
                                             "--sim-gpu", "A100", "--sim-gpu-watts", "300"])
        a = rec["actual"]
        t = rec["total"]
        figs = [fixed(a["energy_kwh"]), fixed(a["co2eq_g"]), fixed(t["energy_kwh"]),
                fixed(t["co2eq_g"]), fixed(rec["prediction"]["energy_kwh"])]
        for d in rec["devices"]:
            figs.append(d["provenance"])
        out, html, _ = report_case(tmp, "gpu_cpu", logs, figs, expect_power=True)
        check("simulated" in html, "gpu_cpu: provenance")
        if KEEP:
            os.makedirs(KEEP, exist_ok=True)
            shutil.copy(os.path.join(out, "html.png"), os.path.join(KEEP, "report-html.png"))
            run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile",
                 os.path.join(out, "r.pdf"), os.path.join(KEEP, "report-pdf-page1")])

        # CPU only: the original crashes on such logs.
        logs, rec = tracked(tmp, "cpu_only", ["--components", "cpu", "--sim-cpu", "Xeon",
                                              "--sim-cpu-tdp", "100"])
        a = rec["actual"]
        report_case(tmp, "cpu_only", logs, [fixed(a["energy_kwh"]), fixed(a["co2eq_g"]),
                                            fixed(rec["total"]["energy_kwh"])], True)

        # This machine's own CPU sensor (measured by RAPL, or estimated where
        # RAPL is not readable): the provenance and source the run recorded.
        logs, rec = tracked(tmp, "own_cpu", ["--components", "cpu"], epochs=2)
        figs = [fixed(rec["actual"]["energy_kwh"])] + [d["provenance"] for d in rec["devices"]]
        _, html, _ = report_case(tmp, "own_cpu", logs, figs, True)
        for d in rec["devices"]:
            check(d["source"] in html.replace("&amp;", "&"), f"own_cpu: source {d['source']}")

        # Killed: kill -9 after the first epoch, in the second (which would
        # last a minute); the logs lack their last lines. The kill waits for
        # the first epoch in the JSONL log, not for a time that a loaded
        # machine may need more than.
        logs = os.path.join(tmp, "killed")
        p = subprocess.Popen([CT, "--offline", "--log_dir", logs, "--update-interval", "0.1",
                              "--epochs", "5", "--verbose", "0", "--sim-cpu", "X",
                              "--sim-cpu-tdp", "100", "--sim-gpu", "G", "--sim-gpu-watts", "200",
                              "--", "sh", "-c", epochs_script(1, 0.6) + "; " +
                              epochs_script(1, 60)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)

        def first_epoch_logged():
            for f in glob.glob(os.path.join(logs, "*.jsonl")):
                with open(f, errors="replace") as fh:
                    text = fh.read()
                if '{"event":"epoch"' in text and '{"event":"sample"' in text:
                    return True
            return False
        deadline = time.monotonic() + 120
        while not first_epoch_logged() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        check(p.poll() is None, f"killed: the run was still going when killed ({p.returncode})")
        check(first_epoch_logged(), "killed: the first epoch was logged before the kill")
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        agg = parsed(logs)
        check(agg["aggregate"]["runs"] == 1, "killed: one run")
        figs = [fixed(agg["aggregate"]["energy (kWh)"]), fixed(agg["aggregate"]["co2eq (g)"])]
        _, html, _ = report_case(tmp, "killed", logs, figs, expect_power=True)
        check("killed" in html, "killed: status")

        # The original's logs (GPU+CPU, CPU-only, GPU-only).
        for case in ("cli_sim_cpu_gpu", "embedded_3ep_stop_generic_cpu", "v212_cli"):
            d = os.path.join(ORIGINAL, case)
            agg = parsed(d)
            figs = [fixed(agg["aggregate"]["energy (kWh)"]), fixed(agg["aggregate"]["co2eq (g)"]),
                    agg["sentence"]]
            report_case(tmp, case, d, figs, expect_power=False)
        # One file of a run.
        f = [x for x in os.listdir(os.path.join(ORIGINAL, "cli_sim_cpu_gpu"))
             if x.endswith("_output.log")][0]
        r = run([CT, "--report", os.path.join(ORIGINAL, "cli_sim_cpu_gpu", f), "--output",
                 os.path.join(tmp, "one.html")])
        check(r.returncode == 0, f"one file: {r.stderr}")

        # Without cairo (hidden in a private mount namespace; needs root):
        # --report says what to install, tracking is unaffected.
        libs = glob.glob("/usr/lib/*/libcairo.so.2") + glob.glob("/lib/*/libcairo.so.2")
        if os.geteuid() == 0 and shutil.which("unshare") and libs:
            hide = "mount --bind /dev/null %s && exec \"$@\"" % os.path.realpath(libs[0])
            def without_cairo(*args):
                return run(["unshare", "-m", "sh", "-c", hide, "sh", CT, *args])
            r = without_cairo("--report", ORIGINAL + "/v212_cli", "--output",
                              os.path.join(tmp, "nocairo.pdf"))
            check(r.returncode == 1 and "install cairo" in r.stderr,
                  f"without cairo: {r.returncode} {r.stderr}")
            logs = os.path.join(tmp, "nocairo")
            r = without_cairo("--offline", "--log_dir", logs, "--verbose", "0", "--sim-cpu", "X",
                              "--sim-cpu-tdp", "10", "--", "true")
            check(r.returncode == 0 and parsed(logs)["aggregate"]["runs"] == 1,
                  f"tracking without cairo: {r.returncode} {r.stderr}")
        else:
            print("without cairo: not checked (needs root, unshare and libcairo.so.2)")

        # Usage errors exit 2, unreadable input 1, each with one clear line.
        r = run([CT, "--report", ORIGINAL, "--output", os.path.join(tmp, "r.docx")])
        check(r.returncode == 2 and ".pdf, .html, .svg or .png" in r.stderr,
              f"unknown extension: {r.returncode} {r.stderr}")
        r = run([CT, "--report"])
        check(r.returncode == 2 and "expected" in r.stderr, f"no path: {r.returncode} {r.stderr}")
        r = run([CT, "--report", os.path.join(tmp, "nope"), "--output",
                 os.path.join(tmp, "r.pdf")])
        check(r.returncode == 1 and "nope" in r.stderr, f"missing path: {r.returncode} {r.stderr}")
        r = run([CT, "--report", ORIGINAL + "/v212_cli", "--output",
                 os.path.join(tmp, "no/such/dir/r.pdf")])
        check(r.returncode == 1 and "no/such/dir/r.pdf" in r.stderr,
              f"unwritable output: {r.returncode} {r.stderr}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"report_e2e: {time.time() - started:.1f} s, {len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
