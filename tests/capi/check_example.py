"""Runs a C-interface example (examples/c/track.c, examples/fortran/track.f90)
and checks what it printed, logged and read back:

    python3 check_example.py PROGRAM LOG_DIR

The program tracks three epochs on a simulated 40 W CPU at 50 % (20 W)."""

import glob
import json
import os
import re
import shutil
import subprocess
import sys


def fail(message):
    print(f"check_example: {message}", file=sys.stderr)
    sys.exit(1)


def main(program, log_dir):
    shutil.rmtree(log_dir, ignore_errors=True)
    os.makedirs(log_dir)
    proc = subprocess.run([program, log_dir], capture_output=True, text=True, timeout=100)
    out = proc.stdout
    if proc.returncode != 0:
        fail(f"{program} exited with {proc.returncode}: {proc.stderr}")
    lines = out.splitlines()
    if not re.fullmatch(r"carbontracker \d+\.\d+\.\d+", lines[0]):
        fail(f"first line {lines[0]!r}")

    def at(text):
        if text not in out:
            fail(f"{text!r} not printed:\n{out}")
        return out.index(text)

    at("CarbonTracker: The following components were found: CPU with device(s) Example CPU.")
    # The console and the program's own lines in order: the prediction after
    # the first epoch, the actual consumption at the end of the third.
    if not at("Predicted consumption for 3 epoch(s):") < at("epoch 1: ") < at("epoch 2: ") \
            < at("Actual consumption for 3 epoch(s):") < at("epoch 3: "):
        fail(f"console and program lines out of order:\n{out}")

    record = json.loads(next(line for line in lines if line.startswith("result: "))[len("result: "):])
    epochs = record["epochs"]
    if [e["index"] for e in epochs] != [1, 2, 3] or any(e["partial"] for e in epochs):
        fail(f"epochs {epochs}")
    for e in epochs:
        if abs(e["energy_j"] - 20.0 * e["duration_s"]) > 1e-9 + 1e-6 * e["energy_j"]:
            fail(f"epoch {e['index']}: {e['energy_j']} J over {e['duration_s']} s is not 20 W")
    if record["actual"]["epochs"] != 3 or not record["finished"]:
        fail(f"actual {record['actual']}, finished {record['finished']}")
    if record["devices"][0]["name"] != "Example CPU":
        fail(f"devices {record['devices']}")
    # The printed block says the record's energy (with PUE, 12 decimals).
    block = out[at("Actual consumption for 3 epoch(s):"):]
    printed = float(re.search(r"Energy:\s+([0-9.]+) kWh", block).group(1))
    if printed <= 0 or abs(printed - record["actual"]["energy_kwh"]) > 1e-12:
        fail(f"printed {printed} kWh, record {record['actual']['energy_kwh']} kWh")

    logs = glob.glob(os.path.join(log_dir, "*_carbontracker_output.log"))
    if len(logs) != 1:
        fail(f"output logs in {log_dir}: {logs}")
    with open(logs[0], encoding="utf-8") as f:
        if "Actual consumption for 3 epoch(s):" not in f.read():
            fail(f"{logs[0]} has no actual consumption block")

    invalid = next((line for line in lines if line.startswith("invalid options: ")), "")
    if not invalid.startswith("invalid options: status 1: ") or "epochs" not in invalid:
        fail(f"the invalid options said {invalid!r}")
    print(f"{os.path.basename(program)}: 3 epochs, {record['actual']['energy_kwh']:.9f} kWh: ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
