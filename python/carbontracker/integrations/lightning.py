"""PyTorch Lightning 2.x: ``CarbonTrackerCallback``.

::

    from carbontracker.integrations.lightning import CarbonTrackerCallback

    trainer = Trainer(max_epochs=10, callbacks=[CarbonTrackerCallback(monitor_epochs=-1, log_dir="logs")])
    trainer.fit(model, data)

Works with ``lightning`` (``lightning.pytorch``) and ``pytorch_lightning``:
the callback is a ``Callback`` of whichever is installed (of both when both
are). Hooks:

- ``on_train_start``: makes the tracker with ``epochs`` = the epochs still
  planned (``max_epochs`` less the current epoch, fewer when ``max_steps``
  ends training sooner) unless ``epochs`` is given;
- ``on_train_epoch_start``/``on_train_epoch_end``: ``epoch_start()``/
  ``epoch_end()``; Lightning runs the validation of an epoch before
  ``on_train_epoch_end``, so it counts as part of the epoch;
- ``on_train_end`` (finished, early stopping) and ``on_exception``
  (KeyboardInterrupt, an exception in a step; the exception is Lightning's to
  raise) and ``teardown``: ``stop()``.

Figures (:data:`carbontracker.integrations.METRIC_NAMES`) go to every logger
of the trainer (``logger.log_metrics``, step = the global step, with
``epoch``). Under DDP the trackers of a node leave the measuring to one
process (its local rank 0): only that one logs, and loggers log on global rank
0 only, so a figure is logged once (on several nodes: node 0's).
"""

import math
import os

from carbontracker.integrations._common import Session

_modules = []
try:
    import lightning.pytorch as _lightning

    _modules.append(_lightning)
except ImportError:
    pass
try:
    import pytorch_lightning as _pytorch_lightning

    _modules.append(_pytorch_lightning)
except ImportError:
    pass
if not _modules:
    raise ImportError("carbontracker.integrations.lightning needs PyTorch Lightning 2.x: "
                      "pip install lightning (or pytorch-lightning)")

__all__ = ["CarbonTrackerCallback"]


class CarbonTrackerCallback(*(m.Callback for m in _modules)):
    """Tracks the training's energy and carbon footprint with a
    :class:`carbontracker.tracker.CarbonTracker` made from ``tracker_options``
    (any of its arguments; ``epochs`` defaults to the planned epochs)."""

    def __init__(self, **tracker_options):
        super().__init__()
        self._session = Session(tracker_options)

    @property
    def tracker(self):
        """The run's CarbonTracker (None before training starts); readable after it ends."""
        return self._session.tracker

    def on_train_start(self, trainer, pl_module):
        _export_ranks(trainer)
        self._session.start(_planned_epochs(trainer))

    def on_train_epoch_start(self, trainer, pl_module):
        self._session.epoch_start()

    def on_train_epoch_end(self, trainer, pl_module):
        self._log(trainer, self._session.epoch_end(), trainer.current_epoch)

    def on_train_end(self, trainer, pl_module):
        self._log(trainer, self._session.stop(), trainer.current_epoch)

    def on_exception(self, trainer, pl_module, exception):
        self._session.stop(quiet=True)

    def teardown(self, trainer, pl_module, stage):
        if stage == "fit":
            self._session.stop(quiet=True)

    @staticmethod
    def _log(trainer, figures, epoch):
        if not figures:
            return
        metrics = dict(figures, epoch=float(epoch))
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=trainer.global_step)


def _planned_epochs(trainer):
    epochs = trainer.max_epochs if trainer.max_epochs is not None and trainer.max_epochs > 0 else 1
    epochs = max(1, epochs - trainer.current_epoch)
    batches = trainer.num_training_batches
    if trainer.max_steps and trainer.max_steps > 0 and batches and math.isfinite(batches):
        steps_left = max(0, trainer.max_steps - trainer.global_step)
        epochs = min(epochs, max(1, math.ceil(steps_left / batches)))
    return epochs


def _export_ranks(trainer):
    """Lightning's own DDP launcher sets no RANK/WORLD_SIZE: name them, as
    torchrun does, so that the tracker finds the node's other processes."""
    if trainer.world_size > 1 and "RANK" not in os.environ:
        os.environ["RANK"] = str(trainer.global_rank)
        os.environ["WORLD_SIZE"] = str(trainer.world_size)
        os.environ.setdefault("LOCAL_RANK", str(trainer.local_rank))
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
