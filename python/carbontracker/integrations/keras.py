"""Keras 3: ``CarbonTrackerCallback``.

::

    from carbontracker.integrations.keras import CarbonTrackerCallback

    model.fit(x, y, epochs=10, callbacks=[CarbonTrackerCallback(monitor_epochs=-1, log_dir="logs")])

Hooks:

- ``on_train_begin``: makes the tracker with ``epochs`` = ``fit``'s epochs unless
  ``epochs`` is given;
- ``on_epoch_begin``/``on_epoch_end``: ``epoch_start()``/``epoch_end()``;
  ``fit`` runs the validation before ``on_epoch_end``, so it counts as part
  of the epoch;
- ``on_train_end`` (finished, ``EarlyStopping``): ``stop()``. Keras has no
  hook for an exception: the callback wraps the model's train function for
  the run, so that an exception in a training step (KeyboardInterrupt
  included) stops the tracker before it propagates, unchanged.

Figures (:data:`carbontracker.integrations.METRIC_NAMES`) go into the epoch's
``logs``, so ``History`` and the callbacks after this one see them (the final
totals in ``on_train_end``'s ``logs``). Tested on the torch backend.
"""

from carbontracker.integrations._common import Session

try:
    import keras
except ImportError as e:
    raise ImportError("carbontracker.integrations.keras needs Keras 3: pip install keras") from e

__all__ = ["CarbonTrackerCallback"]


class CarbonTrackerCallback(keras.callbacks.Callback):
    """Tracks the training's energy and carbon footprint with a
    :class:`carbontracker.tracker.CarbonTracker` made from ``tracker_options``
    (any of its arguments; ``epochs`` defaults to ``fit``'s epochs)."""

    def __init__(self, **tracker_options):
        super().__init__()
        self._session = Session(tracker_options)
        self._wrapped = None  # (model, the train function it had)

    @property
    def tracker(self):
        """The run's CarbonTracker (None before training starts); readable after it ends."""
        return self._session.tracker

    def on_train_begin(self, logs=None):
        params = self.params or {}
        epochs = params.get("epochs") or 1
        self._session.start(epochs)
        self._wrap_train_function()

    def on_epoch_begin(self, epoch, logs=None):
        self._session.epoch_start()

    def on_epoch_end(self, epoch, logs=None):
        figures = self._session.epoch_end()
        if logs is not None:
            logs.update(figures)

    def on_train_end(self, logs=None):
        self._unwrap_train_function()
        figures = self._session.stop()
        if logs is not None:
            logs.update(figures)

    def _wrap_train_function(self):
        model = self.model
        original = getattr(model, "train_function", None)
        if model is None or original is None:
            return
        session = self._session

        def train_function(*args, **kwargs):
            try:
                return original(*args, **kwargs)
            except BaseException:
                self._unwrap_train_function()
                session.stop(quiet=True)
                raise

        self._wrapped = (model, original)
        model.train_function = train_function

    def _unwrap_train_function(self):
        if self._wrapped is not None:
            model, original = self._wrapped
            self._wrapped = None
            model.train_function = original
