"""Callbacks for training frameworks, and the figures in MLflow.

Each framework is imported only by its own module, so ``import carbontracker``
and ``import carbontracker.integrations`` never import one::

    from carbontracker.integrations.lightning import CarbonTrackerCallback     # PyTorch Lightning
    from carbontracker.integrations.transformers import CarbonTrackerCallback  # Hugging Face Trainer
    from carbontracker.integrations.keras import CarbonTrackerCallback         # Keras 3
    from carbontracker.integrations import mlflow                              # mlflow.log_run(...)

Every callback takes the options of :class:`carbontracker.tracker.CarbonTracker`
(``epochs`` defaults to the framework's planned number of epochs), makes the
tracker when training starts, maps each training epoch (with the validation
that runs inside it) to ``epoch_start()``/``epoch_end()``, and stops the
tracker when training ends for any reason, without hiding the framework's own
exception. The figures of each epoch go to the framework's logger under the
names in :data:`METRIC_NAMES`.
"""

from carbontracker.integrations._common import METRIC_NAMES

__all__ = ["METRIC_NAMES"]
