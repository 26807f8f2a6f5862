"""Exceptions raised by carbontracker.

The original carbontracker ends the whole process with ``sys.exit(70)`` when
it fails inside the library (no usable component, an unwritable log
directory, ...). This package raises an exception instead, so the caller
decides. All of them derive from :class:`CarbonTrackerError`, a
:class:`RuntimeError`. With ``ignore_errors=True`` the tracker reports the
failure, stops monitoring and lets training continue instead of raising
(invalid constructor arguments are raised regardless, as in the original).

* :class:`InvalidArgumentError` -- constructor arguments rejected; also a
  :class:`ValueError`, which is what the original raises, with the same
  messages.
* :class:`ComponentError` -- a requested component has no usable device, or
  no component at all is available.
* :class:`OutputError` -- a log file or the JSON record could not be written.
* :class:`InputError` -- ``stop_and_confirm`` could not read an answer (end of
  input); also an :class:`EOFError`.
* :class:`CarbonTrackerWarning` -- (a warning, not raised) a log file the
  parser skipped.
* :class:`UserQuit` -- ``stop_and_confirm`` was answered ``n``. It is a
  :class:`SystemExit` with status 0, exactly what the original raises
  (``sys.exit(0)``): uncaught, the program ends with status 0; a training
  script that wants to go on can catch it.
"""


class CarbonTrackerError(RuntimeError):
    """A failure of the tracker (the original exits with status 70 instead)."""


class InvalidArgumentError(CarbonTrackerError, ValueError):
    """Invalid constructor arguments (the original raises ValueError)."""


class ComponentError(CarbonTrackerError):
    """A requested component has no usable device."""


class OutputError(CarbonTrackerError):
    """A log file or the JSON record could not be written."""


class InputError(CarbonTrackerError, EOFError):
    """stop_and_confirm found no answer to read (end of input)."""


class UserQuit(SystemExit):
    """stop_and_confirm was answered "n": SystemExit with status 0, as the original."""

    def __init__(self, message="Session ended by user."):
        super().__init__(0)
        self.message = message

    def __str__(self):
        return self.message


class CarbonTrackerWarning(UserWarning):
    """A log file the parser skipped (unreadable or holding nothing usable)."""


__all__ = [
    "CarbonTrackerWarning",
    "CarbonTrackerError",
    "InvalidArgumentError",
    "ComponentError",
    "OutputError",
    "InputError",
    "UserQuit",
]
