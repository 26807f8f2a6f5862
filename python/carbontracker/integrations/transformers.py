"""Hugging Face Trainer: ``CarbonTrackerCallback``.

::

    from carbontracker.integrations.transformers import CarbonTrackerCallback

    trainer = Trainer(model=model, args=args, train_dataset=data,
                      callbacks=[CarbonTrackerCallback(monitor_epochs=-1, log_dir="logs")])
    trainer.train()

Hooks:

- ``on_train_begin``: makes the tracker with ``epochs`` = the epochs still
  planned (``state.num_train_epochs``, which ``max_steps`` bounds) unless
  ``epochs`` is given;
- ``on_epoch_begin``: ``epoch_start()``, after the ``epoch_end()`` of the
  previous epoch. The Trainer evaluates and saves after ``on_epoch_end``
  (``eval_strategy="epoch"``), so an epoch lasts until the next
  ``on_epoch_begin`` or ``on_train_end``, its evaluation included;
- ``on_train_end`` (finished, ``EarlyStoppingCallback``): ``stop()``. The
  Trainer has no hook for an exception: the callback wraps the trainer's
  ``training_step`` for the run, so that an exception in a step
  (KeyboardInterrupt included) stops the tracker before it propagates,
  unchanged.

Figures (:data:`carbontracker.integrations.METRIC_NAMES`) follow the
Trainer's own ``log``: a record ``{..., "epoch", "step"}`` appended to
``state.log_history`` and an ``on_log`` event to every callback (TensorBoard,
MLflow, ... reporters). Under torchrun the process that measures the node logs
them; the others log nothing.
"""

import math
import sys

from carbontracker.integrations._common import Session

try:
    import transformers
except ImportError as e:
    raise ImportError("carbontracker.integrations.transformers needs transformers: "
                      "pip install transformers") from e

__all__ = ["CarbonTrackerCallback"]


class CarbonTrackerCallback(transformers.TrainerCallback):
    """Tracks the training's energy and carbon footprint with a
    :class:`carbontracker.tracker.CarbonTracker` made from ``tracker_options``
    (any of its arguments; ``epochs`` defaults to the planned epochs)."""

    def __init__(self, **tracker_options):
        self._session = Session(tracker_options)
        self._trainer = None
        self._pending_end = False

    @property
    def tracker(self):
        """The run's CarbonTracker (None before training starts); readable after it ends."""
        return self._session.tracker

    def on_train_begin(self, args, state, control, **kwargs):
        planned = state.num_train_epochs or math.ceil(args.num_train_epochs)
        planned = max(1, math.ceil(planned - int(state.epoch or 0)))
        self._session.start(planned)
        self._pending_end = False
        self._trainer = _calling_trainer()
        self._wrap_training_step()

    def on_epoch_begin(self, args, state, control, **kwargs):
        self._finish_epoch(args, state, control)
        self._session.epoch_start()

    def on_epoch_end(self, args, state, control, **kwargs):
        self._pending_end = True

    def on_train_end(self, args, state, control, **kwargs):
        self._unwrap_training_step()
        self._finish_epoch(args, state, control)
        self._log(args, state, control, self._session.stop())
        self._trainer = None

    def _finish_epoch(self, args, state, control):
        if self._pending_end:
            self._pending_end = False
            self._log(args, state, control, self._session.epoch_end())

    def _log(self, args, state, control, figures):
        if not figures:
            return
        logs = dict(figures)
        if state.epoch is not None:
            logs["epoch"] = state.epoch
        state.log_history.append({**logs, "step": state.global_step})
        handler = getattr(self._trainer, "callback_handler", None)
        if handler is not None:
            handler.call_event("on_log", args, state, control, logs=logs)

    def _wrap_training_step(self):
        trainer = self._trainer
        if trainer is None or "training_step" in vars(trainer):
            return
        original = trainer.training_step
        session = self._session

        def training_step(*a, **kw):
            try:
                return original(*a, **kw)
            except BaseException:
                self._unwrap_training_step()
                session.stop(quiet=True)
                raise

        training_step.__carbontracker_original__ = original
        trainer.training_step = training_step

    def _unwrap_training_step(self):
        trainer = self._trainer
        step = vars(trainer).get("training_step") if trainer is not None else None
        if step is not None and hasattr(step, "__carbontracker_original__"):
            del trainer.training_step


def _calling_trainer():
    """The Trainer whose callback handler called this hook (callbacks are not
    given it): the first ``self`` up the stack that is a Trainer."""
    frame = sys._getframe(2)
    for _ in range(12):
        if frame is None:
            break
        obj = frame.f_locals.get("self")
        if isinstance(obj, transformers.Trainer):
            return obj
        frame = frame.f_back
    return None


