"""The tracker: ``CarbonTracker``, with the original carbontracker's API.

Typical use::

    from carbontracker.tracker import CarbonTracker

    tracker = CarbonTracker(epochs=max_epochs)
    for epoch in range(max_epochs):
        tracker.epoch_start()
        train_one_epoch()
        tracker.epoch_end()
    tracker.stop()

or, with the epoch context (the end of an epoch is marked also when the
block raises)::

    with CarbonTracker(epochs=max_epochs, monitor_epochs=-1) as tracker:
        for epoch in range(max_epochs):
            with tracker.epoch():
                train_one_epoch()

The measuring, the console and log output and the carbon accounting are done
by the C++ core; the Python interpreter lock is released while it works, so
other Python threads (data loaders) keep running, and Ctrl-C interrupts
training as usual.
"""

import contextlib
import os

from carbontracker import _carbontracker
from carbontracker.exceptions import InvalidArgumentError

__all__ = ["CarbonTracker"]


class CarbonTracker:
    """Tracks and predicts the energy consumption and carbon footprint of training.

    After ``epochs_before_pred`` epochs the predicted consumption of all
    ``epochs`` is printed; after ``monitor_epochs`` epochs the actual
    consumption is printed and monitoring ends. :meth:`stop` ends monitoring
    early and reports what was measured, including an epoch in progress.

    Args:
        epochs (int): Total number of epochs planned (> 0); used for the prediction.
        epochs_before_pred (int): Epochs after which the prediction is printed.
            0 = never; -1 = ``epochs``. Default 1.
        monitor_epochs (int): Epochs after which the actual consumption is
            printed and monitoring ends; -1 = ``epochs``. Must be > 0 and
            >= ``epochs_before_pred``. Default 1.
        update_interval (float): Seconds between two sampling ticks (> 0).
            Energy counters are also read at every epoch boundary, so
            per-epoch energy does not depend on it. Default 10.
        interpretable (bool): Add the "This is equivalent to: ... km travelled
            by car" lines. Default True.
        stop_and_confirm (bool): After the prediction, ask "Continue training
            (y/n)?" and read the answer with :func:`input` (so it works in
            notebooks). "n" raises :class:`carbontracker.exceptions.UserQuit`,
            a ``SystemExit(0)`` as in the original. Default False.
        ignore_errors (bool): On a failure, print it, stop monitoring and let
            training continue instead of raising
            :class:`carbontracker.exceptions.CarbonTrackerError`. Default False.
        components (str): "all", "cpu", "gpu" or "gpu,cpu". Default "all".
        devices_by_pid (bool): Only count GPUs running this process or its
            children. Default False.
        log_dir (str | os.PathLike | None): Directory for the log files
            (created); None = console only. Default None.
        log_file_prefix (str): Prefix of the log file names. Default "".
        verbose (int): > 0 prints the output messages to the console. Default 1.
        decimal_precision (int): Digits after the point in the consumption
            blocks. Default 6.
        api_keys (dict | None): ``{"electricitymaps": KEY}``. Default None.
        sim_cpu (str | None): Name of a simulated CPU; needs ``sim_cpu_tdp``.
        sim_cpu_tdp (float | None): Watts of the simulated CPU.
        sim_cpu_util (float | None): Its utilisation, 0..1 (None = 0.5).
        sim_gpu (str | None): Name of a simulated GPU; needs ``sim_gpu_watts``.
        sim_gpu_watts (float | None): Watts of the simulated GPU.
        sim_gpu_util (float | None): Its utilisation, 0..1 (None = 0.5).
        pue (float): Power usage effectiveness multiplying the reported
            totals (>= 1). Default 1.58 (the original's constant).
        region (str | None): Zone or country code for the carbon intensity;
            None = detect. Default None.
        offline (bool): No network access at all. Default False.
        json_path (str | os.PathLike | None): Write the run's JSON record (the
            same as the command line's ``--json``) there when monitoring ends.
        metrics_port (int | None): Serve live metrics in the Prometheus text
            format at ``http://metrics_address:metrics_port/metrics`` while the
            tracker monitors (as ``--metrics-port``). None = no endpoint.
        metrics_address (str): The address the endpoint binds to (an IPv4 or
            IPv6 literal). Default "127.0.0.1".
        metrics_textfile (str | os.PathLike | None): Write the same text
            atomically to this file at each tick, for node_exporter's textfile
            collector (as ``--metrics-textfile``).
        distributed (str): "auto" (default): under torchrun, Slurm or MPI
            one process per node measures (local rank 0, or the first to take
            a node lock); the others measure nothing, print nothing and write
            no logs, and their ``results["distributed"]`` says who measures
            for them. "off": every process measures what it sees.

    Raises:
        carbontracker.exceptions.InvalidArgumentError: invalid arguments (a
            ``ValueError``, with the original's messages).
        carbontracker.exceptions.CarbonTrackerError: the tracker cannot work
            (no usable component, unwritable log directory) and
            ``ignore_errors`` is False.
    """

    def __init__(
        self,
        epochs,
        epochs_before_pred=1,
        monitor_epochs=1,
        update_interval=10,
        interpretable=True,
        stop_and_confirm=False,
        ignore_errors=False,
        components="all",
        devices_by_pid=False,
        log_dir=None,
        log_file_prefix="",
        verbose=1,
        decimal_precision=6,
        api_keys=None,
        sim_cpu=None,
        sim_cpu_tdp=None,
        sim_cpu_util=None,
        sim_gpu=None,
        sim_gpu_watts=None,
        sim_gpu_util=None,
        pue=1.58,
        region=None,
        offline=False,
        json_path=None,
        metrics_port=None,
        metrics_address="127.0.0.1",
        metrics_textfile=None,
        distributed="auto",
    ):
        options = {
            "epochs": _int("epochs", epochs),
            "epochs_before_pred": _int("epochs_before_pred", epochs_before_pred),
            "monitor_epochs": _int("monitor_epochs", monitor_epochs),
            "update_interval": float(update_interval),
            "interpretable": bool(interpretable),
            "stop_and_confirm": bool(stop_and_confirm),
            "ignore_errors": bool(ignore_errors),
            "components": str(components),
            "devices_by_pid": bool(devices_by_pid),
            "log_dir": _path(log_dir),
            "log_file_prefix": str(log_file_prefix or ""),
            "verbose": int(verbose),
            "decimal_precision": _int("decimal_precision", decimal_precision),
            "api_keys": _api_keys(api_keys),
            "sim_cpu": None if sim_cpu is None else str(sim_cpu),
            "sim_cpu_tdp": _opt_float(sim_cpu_tdp),
            "sim_cpu_util": _opt_float(sim_cpu_util),
            "sim_gpu": None if sim_gpu is None else str(sim_gpu),
            "sim_gpu_watts": _opt_float(sim_gpu_watts),
            "sim_gpu_util": _opt_float(sim_gpu_util),
            "pue": float(pue),
            "region": "" if region is None else str(region),
            "offline": bool(offline),
            "json_path": _path(json_path),
            "metrics_port": 0 if metrics_port is None else _int("metrics_port", metrics_port),
            "metrics_address": str(metrics_address),
            "metrics_textfile": _path(metrics_textfile),
            "distributed": str(distributed),
        }
        self.epochs = options["epochs"]
        self.epochs_before_pred = options["epochs_before_pred"]
        self.monitor_epochs = options["monitor_epochs"]
        self.update_interval = options["update_interval"]
        self.interpretable = options["interpretable"]
        self.stop_and_confirm = options["stop_and_confirm"]
        self.ignore_errors = options["ignore_errors"]
        self.components = options["components"]
        self.devices_by_pid = options["devices_by_pid"]
        self.log_dir = log_dir
        self.log_file_prefix = options["log_file_prefix"]
        self.verbose = options["verbose"]
        self.decimal_precision = options["decimal_precision"]
        self.api_keys = api_keys
        self.sim_cpu = sim_cpu
        self.sim_cpu_tdp = sim_cpu_tdp
        self.sim_cpu_util = sim_cpu_util
        self.sim_gpu = sim_gpu
        self.sim_gpu_watts = sim_gpu_watts
        self.sim_gpu_util = sim_gpu_util
        self.pue = options["pue"]
        self.region = region
        self.offline = options["offline"]
        self.json_path = json_path
        self.metrics_port = metrics_port
        self.metrics_address = options["metrics_address"]
        self.metrics_textfile = metrics_textfile
        self.distributed = options["distributed"]
        before = _run_files(options["log_dir"], options["log_file_prefix"])
        self._core = _carbontracker.Tracker(options)
        # The run's files share a stem: "<log_dir>/[prefix_]pid.id_time".
        new = sorted(_run_files(options["log_dir"], options["log_file_prefix"]) - before)
        self._log_stem = None
        if new:
            d, name = os.path.split(new[0])
            self._log_stem = os.path.join(d, name[: name.rindex("_carbontracker")])

    def epoch_start(self):
        """Marks the start of an epoch. Does nothing once monitoring has ended."""
        self._core.epoch_start()

    def epoch_end(self):
        """Marks the end of an epoch; prints the prediction and the actual
        consumption when their epoch is reached. Does nothing once monitoring
        has ended."""
        self._core.epoch_end()

    def stop(self):
        """Ends monitoring: reports the actual consumption of the epochs so
        far (an epoch in progress counts as partial), then joins the tracker's
        threads and closes its files. Safe to call more than once."""
        self._core.close()

    @contextlib.contextmanager
    def epoch(self):
        """One epoch as a ``with`` block: :meth:`epoch_start` on entry,
        :meth:`epoch_end` on exit, also when the block raises (the exception
        then propagates unchanged)::

            with CarbonTracker(epochs=3, monitor_epochs=-1) as tracker:
                for _ in range(3):
                    with tracker.epoch():
                        train_one_epoch()
        """
        self.epoch_start()
        try:
            yield self
        except BaseException:
            try:
                self.epoch_end()
            except Exception:  # the training's own exception wins
                pass
            raise
        self.epoch_end()

    @property
    def log_files(self):
        """The paths of the log files of this tracker's run (standard and
        output logs, JSONL record, error log once written), sorted; empty
        without ``log_dir`` or on a process that leaves the measuring to
        another (``results["distributed"]``)."""
        if not self._log_stem:
            return []
        d, stem = os.path.split(self._log_stem)
        try:
            names = os.listdir(d)
        except OSError:
            return []
        return sorted(os.path.join(d, n) for n in names if n.startswith(stem + "_carbontracker"))

    def set_api_keys(self, api_dict):
        """Sets API keys for live carbon-intensity sources,
        ``{"electricitymaps": KEY}`` (names are case-insensitive)."""
        self._core.set_api_keys(_api_keys(api_dict))

    @property
    def results(self):
        """The run so far as a dict: the same record as the command line's
        ``--json`` (devices, per-epoch energy and CO2eq, totals, prediction,
        actual consumption, intensities, messages). A fresh copy each time."""
        return self._core.results()

    @property
    def monitoring(self):
        """True until the actual consumption is reported, stop() is called or
        an ignored error ends monitoring."""
        return self._core.monitoring

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        return False


def _run_files(log_dir, prefix):
    """This process's carbontracker files in log_dir (their names start with
    [prefix_]pid.), as a set of paths."""
    if not log_dir:
        return set()
    start = f"{prefix}_{os.getpid()}." if prefix else f"{os.getpid()}."
    try:
        names = os.listdir(log_dir)
    except OSError:
        return set()
    return {os.path.join(log_dir, n) for n in names if n.startswith(start) and "_carbontracker" in n}


def _int(name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if float(value) != int(value):
                raise ValueError
            value = int(value)
        except (TypeError, ValueError, OverflowError):
            raise TypeError(f"Argument {name} expected an integer, got {value!r}.") from None
    if not -(2**31) <= value < 2**31:
        raise InvalidArgumentError(f"Argument {name} expected a 32-bit integer, got {value}.")
    return value


def _opt_float(value):
    return None if value is None else float(value)


def _path(value):
    if value is None:
        return ""
    value = os.fspath(value)
    return os.fsdecode(value) if isinstance(value, bytes) else value


def _api_keys(keys):
    if keys is None:
        return {}
    if not isinstance(keys, dict):
        raise TypeError(f"api_keys expected a dict {{name: key}}, got {type(keys).__name__}.")
    return {str(k): str(v) for k, v in keys.items()}
