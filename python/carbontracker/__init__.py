"""carbontracker: track and predict the energy and carbon footprint of training.

A reimplementation of the carbontracker package on a C++ core, with the
original's Python API::

    from carbontracker.tracker import CarbonTracker

    tracker = CarbonTracker(epochs=max_epochs)
    for epoch in range(max_epochs):
        tracker.epoch_start()
        ...  # train one epoch
        tracker.epoch_end()
    tracker.stop()

and its log parser (``from carbontracker import parser``). Callbacks for
PyTorch Lightning, the Hugging Face Trainer and Keras, and the export to
MLflow, are in :mod:`carbontracker.integrations` (each imports its framework
only when it is imported itself).
"""

from carbontracker._carbontracker import __version__
from carbontracker.exceptions import (
    CarbonTrackerError,
    ComponentError,
    InputError,
    InvalidArgumentError,
    OutputError,
    UserQuit,
)

__all__ = [
    "__version__",
    "CarbonTrackerError",
    "ComponentError",
    "InputError",
    "InvalidArgumentError",
    "OutputError",
    "UserQuit",
]
