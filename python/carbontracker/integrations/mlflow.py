"""MLflow: ``log_run`` puts a tracked run into an MLflow run.

::

    import mlflow
    from carbontracker.integrations import mlflow as ct_mlflow

    with mlflow.start_run():
        ...  # training with a CarbonTracker(log_dir="logs", ...)
        ct_mlflow.log_run(tracker)          # or ct_mlflow.log_run("logs")

It logs, to the active run (or the run ``run_id``):

- metrics: the run's totals (``carbontracker/total_energy_kwh``,
  ``carbontracker/total_co2eq_g``, ``carbontracker/total_duration_s``,
  ``carbontracker/epochs_completed``, the prediction and the actual
  consumption when the tracker made them) and, per epoch, a metric history
  with step = the epoch's number (``carbontracker/energy_kwh``,
  ``carbontracker/co2eq_g``, ``carbontracker/power_w``,
  ``carbontracker/duration_s``); energy and CO2eq include the PUE;
- params: the tracker's options (``carbontracker.<option>``; never
  ``api_keys``);
- artifacts, under ``carbontracker/``: the run's log files and its HTML
  report (``carbontracker_report.html``, the file that
  ``carbontracker --report`` and :mod:`carbontracker.report` make).

A log directory stands for its most recent run (the newest
``*_carbontracker.jsonl``).
"""

import json
import os
import tempfile
import time

from carbontracker.integrations._common import OPTION_NAMES, PREFIX

try:
    import mlflow
    from mlflow.entities import Metric, Param
except ImportError as e:
    raise ImportError("carbontracker.integrations.mlflow needs MLflow: pip install mlflow") from e

__all__ = ["log_run"]

ARTIFACT_PATH = "carbontracker"
REPORT_NAME = "carbontracker_report.html"
_SECRET_OPTIONS = {"api_keys"}
_MAX_PARAM = 6000


def log_run(tracker_or_log_dir, run_id=None):
    """Logs a tracked run to MLflow; returns the MLflow run id.

    Args:
        tracker_or_log_dir: a :class:`carbontracker.tracker.CarbonTracker`
            (stop it first for the final totals) or a log directory.
        run_id: the MLflow run; None = the active run.

    Raises:
        ValueError: no run_id and no active run, or a log directory without
            a run (no ``*_carbontracker.jsonl``).
    """
    if run_id is None:
        active = mlflow.active_run()
        if active is None:
            raise ValueError("no active MLflow run: call log_run inside mlflow.start_run(), or pass run_id")
        run_id = active.info.run_id
    if isinstance(tracker_or_log_dir, (str, bytes, os.PathLike)):
        record = _from_log_dir(os.fsdecode(os.fspath(tracker_or_log_dir)))
    else:
        record = _from_tracker(tracker_or_log_dir)

    client = mlflow.tracking.MlflowClient()
    now = int(time.time() * 1000)
    metrics = [Metric(k, float(v), now, 0) for k, v in _totals(record).items()]
    for step, epoch in record["epochs"]:
        for k, v in _epoch_metrics(epoch, record["pue"]).items():
            metrics.append(Metric(k, float(v), now, step))
    params = [Param(f"carbontracker.{k}", _param_text(v)) for k, v in sorted(record["options"].items())
              if k not in _SECRET_OPTIONS]
    for i in range(0, max(len(metrics), len(params)), 100):  # MLflow's limit per batch
        client.log_batch(run_id, metrics=metrics[i:i + 100], params=params[i:i + 100])

    files = [f for f in record["files"] if os.path.isfile(f)]
    for f in files:
        client.log_artifact(run_id, f, artifact_path=ARTIFACT_PATH)
    jsonl = [f for f in files if f.endswith("_carbontracker.jsonl")]
    if jsonl:
        from carbontracker import report

        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, REPORT_NAME)
            report.generate_report_from_log(jsonl[0], out)
            client.log_artifact(run_id, out, artifact_path=ARTIFACT_PATH)
    return run_id


def _from_tracker(tracker):
    r = tracker.results
    options = {k: getattr(tracker, k) for k in OPTION_NAMES if hasattr(tracker, k)}
    t = r["total"]
    return {
        "options": options,
        "pue": r.get("pue", 1.0),
        "epochs": [(e["index"], {"energy_j": e["energy_j"], "co2_g": e["co2eq_g"], "duration_s": e["duration_s"]})
                   for e in r.get("epochs", []) if not e.get("partial")],
        "totals": {"energy_kwh": t["energy_kwh_with_pue"], "co2eq_g": t["co2eq_g_with_pue"],
                   "duration_s": t["duration_s"], "epochs_completed": t["epochs_completed"]},
        "prediction": r.get("prediction"),
        "actual": r.get("actual"),
        "files": tracker.log_files,
    }


def _from_log_dir(log_dir):
    try:
        names = [n for n in os.listdir(log_dir) if n.endswith("_carbontracker.jsonl")]
    except OSError as e:
        raise ValueError(f"cannot read the log directory {log_dir}: {e.strerror}") from None
    if not names:
        raise ValueError(f"no run in {log_dir} (no *_carbontracker.jsonl): pass the tracker's log_dir")
    jsonl = max((os.path.join(log_dir, n) for n in names), key=lambda p: (os.path.getmtime(p), p))
    stem = jsonl[: -len("_carbontracker.jsonl")]
    record = {"options": {}, "pue": 1.0, "epochs": [], "totals": {}, "prediction": None, "actual": None,
              "files": sorted(os.path.join(log_dir, n) for n in os.listdir(log_dir)
                              if os.path.join(log_dir, n).startswith(stem + "_carbontracker"))}
    epochs = {}
    with open(jsonl, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            kind = ev.get("event")
            if kind == "run_start":
                record["options"] = ev.get("options") or {}
                record["pue"] = ev.get("pue", 1.0)
            elif kind == "epoch" and not ev.get("partial"):
                epochs[ev["index"]] = {"energy_j": sum(ev["energy_j"]), "co2_g": sum(ev["co2_g"]),
                                       "duration_s": ev["duration_s"]}
            elif kind == "prediction":
                record["prediction"] = ev
            elif kind == "totals":
                record["totals"] = {"energy_kwh": ev["energy_kwh_with_pue"], "co2eq_g": ev["co2_g_with_pue"],
                                    "duration_s": ev["duration_s"], "epochs_completed": ev["epochs_completed"]}
                record["actual"] = ev.get("actual")
    record["epochs"] = sorted(epochs.items())
    if not record["totals"]:  # a run still going, or killed: the sum of its epochs
        pue = record["pue"]
        record["totals"] = {
            "energy_kwh": sum(e["energy_j"] for e in epochs.values()) * pue / 3.6e6,
            "co2eq_g": sum(e["co2_g"] for e in epochs.values()) * pue,
            "duration_s": sum(e["duration_s"] for e in epochs.values()),
            "epochs_completed": len(epochs)}
    return record


def _totals(record):
    out = {PREFIX + "total_" + k if k != "epochs_completed" else PREFIX + k: v
           for k, v in record["totals"].items()}
    for name, c in (("predicted", record["prediction"]), ("actual", record["actual"])):
        if c:
            out[f"{PREFIX}{name}_energy_kwh"] = c["energy_kwh"]
            out[f"{PREFIX}{name}_co2eq_g"] = c["co2eq_g"] if "co2eq_g" in c else c["co2_g"]  # JSONL: co2_g
            out[f"{PREFIX}{name}_duration_s"] = c["duration_s"]
            out[f"{PREFIX}{name}_epochs"] = c["epochs"]
    return out


def _epoch_metrics(e, pue):
    d = e["duration_s"]
    return {PREFIX + "energy_kwh": e["energy_j"] * pue / 3.6e6, PREFIX + "co2eq_g": e["co2_g"] * pue,
            PREFIX + "power_w": e["energy_j"] / d if d > 0 else 0.0, PREFIX + "duration_s": d}


def _param_text(v):
    if v is None:
        return "None"
    text = os.fspath(v) if isinstance(v, os.PathLike) else str(v)
    return text[:_MAX_PARAM]
