"""What every callback shares: the tracker's options, its life cycle and the
figures of each epoch. Imports no framework."""

import inspect
import warnings

from carbontracker.tracker import CarbonTracker

PREFIX = "carbontracker/"

#: The names of the logged figures and what they hold. Energy and CO2eq
#: include the PUE, as in the tracker's own reports; power is the measured
#: devices' average draw (energy without PUE / duration).
METRIC_NAMES = {
    PREFIX + "energy_kwh": "energy of the epoch, kWh (with PUE)",
    PREFIX + "co2eq_g": "CO2eq of the epoch, g (with PUE)",
    PREFIX + "power_w": "average power of the epoch's devices, W",
    PREFIX + "duration_s": "duration of the epoch, s",
    PREFIX + "predicted_energy_kwh": "predicted energy of all planned epochs, kWh (once made)",
    PREFIX + "predicted_co2eq_g": "predicted CO2eq of all planned epochs, g (once made)",
    PREFIX + "predicted_duration_s": "predicted duration of all planned epochs, s (once made)",
    PREFIX + "total_energy_kwh": "energy of the run so far, kWh (with PUE; at the end)",
    PREFIX + "total_co2eq_g": "CO2eq of the run so far, g (with PUE; at the end)",
    PREFIX + "total_duration_s": "duration of the monitored epochs, s (at the end)",
    PREFIX + "epochs_monitored": "epochs monitored, a partial one included (at the end)",
}

OPTION_NAMES = tuple(p for p in inspect.signature(CarbonTracker.__init__).parameters if p != "self")


def check_options(options):
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise TypeError(f"unknown CarbonTracker option(s) {', '.join(unknown)}; "
                        f"the options are: {', '.join(OPTION_NAMES)}")
    return dict(options)


def epoch_figures(epoch, pue):
    duration = epoch["duration_s"]
    return {
        PREFIX + "energy_kwh": epoch["energy_j"] * pue / 3.6e6,
        PREFIX + "co2eq_g": epoch["co2eq_g"] * pue,
        PREFIX + "power_w": epoch["energy_j"] / duration if duration > 0 else 0.0,
        PREFIX + "duration_s": duration,
    }


class Session:
    """One tracker for one training run, driven by a callback's hooks.

    ``start`` makes the tracker (one per training), ``epoch_start``/``epoch_end``
    are idempotent per epoch, ``epoch_end`` and ``stop`` return the new
    figures to log (empty on a process whose node another process measures,
    so that a distributed job logs each figure once). After ``stop`` the
    tracker stays readable (``results``, ``log_files``)."""

    def __init__(self, options):
        self.options = check_options(options)
        self.tracker = None
        self.stopped = False
        self.in_epoch = False
        self._logged = set()  # epoch indices whose figures were returned
        self._predicted = False

    @property
    def running(self):
        return self.tracker is not None and not self.stopped

    def start(self, planned_epochs):
        """Makes the run's tracker. A tracker still running from an earlier
        training that ended without a hook of this session (an exception the
        framework does not report) is stopped first: each training is a run."""
        if self.running:
            self.stop(quiet=True)
        options = dict(self.options)
        options.setdefault("epochs", max(1, int(planned_epochs)))
        self.tracker = CarbonTracker(**options)
        self.stopped = False
        self.in_epoch = False
        self._logged = set()
        self._predicted = False
        return self.tracker

    def epoch_start(self):
        if not self.running or self.in_epoch:
            return
        self.in_epoch = True
        self.tracker.epoch_start()

    def epoch_end(self):
        if not self.running or not self.in_epoch:
            return {}
        self.in_epoch = False
        self.tracker.epoch_end()
        return self.figures()

    def measures(self):
        """False on a process that leaves its node's measuring to another."""
        if self.tracker is None:
            return False
        return bool(self.tracker.results.get("distributed", {}).get("measures", True))

    def figures(self, final=False):
        """The figures not returned yet: each new completed epoch's (a partial
        one counts in the totals only), the prediction once made and, with
        final, the totals."""
        if self.tracker is None:
            return {}
        r = self.tracker.results
        if not r.get("distributed", {}).get("measures", True):
            return {}
        pue = r.get("pue", 1.0)
        out = {}
        for e in r.get("epochs", []):
            if e["index"] in self._logged or e.get("partial"):
                continue
            self._logged.add(e["index"])
            out.update(epoch_figures(e, pue))  # one new epoch per hook in practice
        p = r.get("prediction")
        if p and not self._predicted:
            self._predicted = True
            out[PREFIX + "predicted_energy_kwh"] = p["energy_kwh"]
            out[PREFIX + "predicted_co2eq_g"] = p["co2eq_g"]
            out[PREFIX + "predicted_duration_s"] = p["duration_s"]
        if final:
            t = r["total"]
            out[PREFIX + "total_energy_kwh"] = t["energy_kwh_with_pue"]
            out[PREFIX + "total_co2eq_g"] = t["co2eq_g_with_pue"]
            out[PREFIX + "total_duration_s"] = t["duration_s"]
            out[PREFIX + "epochs_monitored"] = float(len(r.get("epochs", [])))
        return out

    def stop(self, quiet=False):
        """Stops the tracker (an epoch in progress counts as partial) and
        returns the final figures. With quiet (training is ending on an
        exception) a failure of the tracker is a warning, so that the
        training's own exception is the one that propagates."""
        if not self.running:
            return {}
        self.stopped = True
        self.in_epoch = False
        try:
            self.tracker.stop()
            return self.figures(final=True)
        except Exception as e:  # noqa: BLE001
            if not quiet:
                raise
            warnings.warn(f"carbontracker: stopping the tracker failed: {e}", RuntimeWarning,
                          stacklevel=2)
            return {}
