"""The C++ core as seen by the rest of the package (tracker.py, parser.py,
report.py, __main__.py): the C interface of ``libcarbontracker.so``
(include/carbontracker/carbontracker.h, doc/c-api.md) through ctypes.

The library is the file beside this module, or the path in the environment
variable ``CARBONTRACKER_LIBRARY``. Nothing here depends on the Python
version: the same library serves every interpreter.

Implementation details:
 - Every C function's argument and result types are declared once, in
   ``_FUNCTIONS``; a status other than CT_OK becomes the exception class of
   carbontracker/exceptions.py in one place, ``_raise``.
 - ctypes releases the interpreter lock during each call, so other Python
   threads run while the core works; the confirm callback takes it back.
 - A tracker's console text is kept by the library ("console": "buffer")
   and written to ``sys.stdout`` by the Python thread that made the call,
   after each call that reports text waiting (CT_OUTPUT) and before the
   stop_and_confirm prompt is answered. Text the tracker's own threads write
   never takes the interpreter lock: it waits for the next call.
 - A Python exception raised by ``input()`` in the confirm callback (Ctrl-C)
   aborts the call (CT_CONFIRM_ABORT) and is raised again, unchanged, when
   the call returns.
"""

import builtins
import ctypes
import math
import os
import sys
import weakref

from carbontracker import exceptions

__all__ = [
    "__version__",
    "Tracker",
    "run_cli",
    "parse_logs",
    "parse_all_logs",
    "aggregate_consumption",
    "read_std_log",
    "read_output_log",
    "read_run",
    "parse_duration",
    "generate_report",
    "aggregate_sentence",
    "aggregate_uncertainty",
]

LIBRARY_ENV = "CARBONTRACKER_LIBRARY"


def _library_path():
    return os.environ.get(LIBRARY_ENV) or os.path.join(os.path.dirname(os.path.abspath(__file__)), "libcarbontracker.so")


def _load():
    path = _library_path()
    try:
        return ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(
            f"carbontracker: cannot load its C library ({e}); reinstall the package, or set "
            f"{LIBRARY_ENV} to the path of libcarbontracker.so"
        ) from None


# Status codes (carbontracker.h).
CT_OK = 0
CT_ERROR_CALLBACK_ABORTED = 7
CT_ERROR_NO_MEMORY = 8
CT_OUTPUT = 100
CT_CONFIRM_ANSWER = 0
CT_CONFIRM_NO_ANSWER = 1
CT_CONFIRM_ABORT = 2

_c_int, _c_double, _c_size_t, _c_char_p, _c_void_p = (
    ctypes.c_int, ctypes.c_double, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p,
)
_P = ctypes.POINTER
_CONFIRM_FN = ctypes.CFUNCTYPE(_c_int, _c_void_p, _P(ctypes.c_char), _c_size_t)
_NO_CONFIRM = _CONFIRM_FN()  # NULL: the core reads stdin

# name: (result type, argument types). Strings the library hands out are
# taken as void pointers, copied, then released with ct_free.
_FUNCTIONS = {
    "ct_version": (_c_char_p, []),
    "ct_last_error_code": (_c_int, []),
    "ct_last_error_message": (_c_char_p, []),
    "ct_free": (None, [_c_void_p]),
    "ct_tracker_create": (_c_int, [_c_char_p, _CONFIRM_FN, _c_void_p, _P(_c_void_p)]),
    "ct_tracker_epoch_start": (_c_int, [_c_void_p]),
    "ct_tracker_epoch_end": (_c_int, [_c_void_p]),
    "ct_tracker_stop": (_c_int, [_c_void_p]),
    "ct_tracker_close": (_c_int, [_c_void_p]),
    "ct_tracker_free": (None, [_c_void_p]),
    "ct_tracker_set_api_keys": (_c_int, [_c_void_p, _c_char_p]),
    "ct_tracker_monitoring": (_c_int, [_c_void_p, _P(_c_int)]),
    "ct_tracker_results": (_c_int, [_c_void_p, _P(_c_void_p)]),
    "ct_tracker_take_output": (_c_int, [_c_void_p, _P(_c_void_p), _P(_c_size_t)]),
    "ct_parse_logs": (_c_int, [_c_char_p, _c_char_p, _c_char_p, _P(_c_void_p)]),
    "ct_parse_all_logs": (_c_int, [_c_char_p, _c_int, _P(_c_void_p)]),
    "ct_aggregate_consumption": (_c_int, [_c_char_p, _c_int, _P(_c_void_p)]),
    "ct_read_std_log": (_c_int, [_c_char_p, _c_size_t, _P(_c_void_p)]),
    "ct_read_output_log": (_c_int, [_c_char_p, _c_size_t, _P(_c_void_p)]),
    "ct_read_run": (_c_int, [_c_char_p, _P(_c_void_p)]),
    "ct_parse_duration": (_c_int, [_c_char_p, _P(_c_double), _P(_c_int)]),
    "ct_aggregate_sentence": (_c_int, [_c_double, _c_double, _c_char_p, _P(_c_void_p)]),
    "ct_aggregate_uncertainty": (_c_int, [_c_char_p, _P(_c_void_p)]),
    "ct_generate_report": (_c_int, [_c_char_p, _c_char_p, _P(_c_void_p)]),
    "ct_run_cli": (_c_int, [_c_int, _P(_c_char_p), _P(_c_int)]),
    "ct_running_library_threads": (_c_int, [_P(_c_int)]),
}

_lib = _load()
for _name, (_restype, _argtypes) in _FUNCTIONS.items():
    _f = getattr(_lib, _name)
    _f.restype = _restype
    _f.argtypes = _argtypes
del _name, _restype, _argtypes, _f

__version__ = _lib.ct_version().decode()

# Status -> exception class (carbontracker::ErrorCode, exceptions.py).
_ERRORS = {
    1: exceptions.InvalidArgumentError,
    2: exceptions.ComponentError,
    3: exceptions.OutputError,
    4: exceptions.UserQuit,
    5: exceptions.InputError,
    6: exceptions.CarbonTrackerError,
    CT_ERROR_NO_MEMORY: MemoryError,
}


def _error(status):
    """The exception for a failed call's status, with its message (read
    before any other call on this thread replaces it)."""
    message = (_lib.ct_last_error_message() or b"").decode("utf-8", "replace")
    return _ERRORS.get(status, exceptions.CarbonTrackerError)(message)


def _raise(status):
    raise _error(status)


def _check(status):
    if status != CT_OK:
        _raise(status)


def _take_string(pointer):
    """The text of a string the library handed out, which is released."""
    if not pointer.value:
        return ""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8", "replace")
    finally:
        _lib.ct_free(pointer)


_json_module = None


def _json():
    """The json module, imported at its first use: it brings in `re`, which
    `import carbontracker` does not need (BENCHMARKS.md)."""
    global _json_module
    if _json_module is None:
        import json

        _json_module = json
    return _json_module


def _take_json(pointer):
    return _json().loads(_take_string(pointer))


def _bytes(text):
    """UTF-8 of a str (any str: lone surrogates pass through as bytes)."""
    return text.encode("utf-8", "surrogatepass")


def _path(value):
    """A path as the bytes the file system uses (None stays None)."""
    return None if value is None else os.fsencode(value)


def _json_value(value):
    # JSON has no number for infinities and NaN: the library reads these
    # strings instead.
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _write_out(text):
    """Console text to whatever sys.stdout is now; a failing stream drops it."""
    try:
        out = sys.stdout
        if out is None:
            return
        out.write(text)
        out.flush()
    except Exception:  # the console is where a report would go
        pass


class Tracker:
    """One core tracker (the C interface's ct_tracker).

    ``options`` is the dict of every TrackerOptions value tracker.py passes;
    with ``confirm_through_input`` stop_and_confirm's answers are read with
    :func:`input` (else from the process's stdin by the core).

    A tracker whose monitoring has ended is released by the library at once
    (threads joined, files closed); its result stays readable.
    """

    __slots__ = ("_h", "_error", "_confirm", "__weakref__")

    def __init__(self, options, confirm_through_input=True):
        self._h = _c_void_p()
        self._error = None
        self._confirm = _NO_CONFIRM
        options = {key: _json_value(value) for key, value in options.items()}
        options["console"] = "buffer"
        if confirm_through_input and options.get("stop_and_confirm"):
            ref = weakref.ref(self)  # no cycle: `del tracker` releases it at once

            def confirm(user, answer, size):
                me = ref()
                return CT_CONFIRM_NO_ANSWER if me is None else me._answer(answer, size)

            self._confirm = _CONFIRM_FN(confirm)
        # A failed creation writes the text it had to the process's stdout:
        # what Python printed so far goes first.
        if sys.stdout is not None:
            try:
                sys.stdout.flush()
            except Exception:
                pass
        status = _lib.ct_tracker_create(_bytes(_json().dumps(options)), self._confirm, None, ctypes.byref(self._h))
        if status:
            self._after(status)

    def __del__(self):
        h = getattr(self, "_h", None)
        if not h:
            return
        self._h = None
        try:
            _lib.ct_tracker_close(h)  # reports an epoch in progress, as stop()
            self._flush(h)
        except Exception:  # interpreter shutdown
            pass
        finally:
            _lib.ct_tracker_free(h)

    def epoch_start(self):
        status = _lib.ct_tracker_epoch_start(self._h)
        if status:
            self._after(status)

    def epoch_end(self):
        status = _lib.ct_tracker_epoch_end(self._h)
        if status:
            self._after(status)

    def stop(self):
        status = _lib.ct_tracker_stop(self._h)
        if status:
            self._after(status)

    def close(self):
        """Stops if still monitoring, then releases the core tracker (threads
        joined, files closed). Idempotent."""
        status = _lib.ct_tracker_close(self._h)
        if status:
            self._after(status)

    def set_api_keys(self, keys):
        status = _lib.ct_tracker_set_api_keys(self._h, _bytes(_json().dumps({str(k): str(v) for k, v in keys.items()})))
        if status:
            self._after(status)

    def results(self):
        record = _c_void_p()
        status = _lib.ct_tracker_results(self._h, ctypes.byref(record))
        if status:
            self._after(status)
        return _take_json(record)

    @property
    def monitoring(self):
        flag = _c_int()
        status = _lib.ct_tracker_monitoring(self._h, ctypes.byref(flag))
        if status:
            self._after(status)
        return bool(flag.value)

    def _after(self, status):
        """After a call that did not return CT_OK: writes the console text,
        then raises for an error."""
        error = None
        if status != CT_OUTPUT:
            error = _error(status)
            if status == CT_ERROR_CALLBACK_ABORTED and self._error is not None:
                error, self._error = self._error, None
        if self._h:
            self._flush()
        if error is not None:
            try:
                raise error
            finally:
                error = None

    def _flush(self, h=None):
        text, size = _c_void_p(), _c_size_t()
        if _lib.ct_tracker_take_output(h or self._h, ctypes.byref(text), ctypes.byref(size)) or not text.value:
            return
        try:
            data = ctypes.string_at(text.value, size.value)
        finally:
            _lib.ct_free(text)
        _write_out(data.decode("utf-8", "replace"))

    def _answer(self, answer, size):
        """stop_and_confirm's answer, read with Python's input() so notebooks
        and redirected sys.stdin work. EOF is "no answer"; any other
        exception aborts the call and is raised again when it returns."""
        try:
            self._flush()  # the prompt first
            try:
                line = builtins.input()
            except EOFError:
                return CT_CONFIRM_NO_ANSWER
            if not isinstance(line, str):  # input() replaced by something odd
                line = ""
            data = line.encode("utf-8", "replace")[: max(size - 1, 0)] + b"\0"
            ctypes.memmove(answer, data, len(data))
            return CT_CONFIRM_ANSWER
        except BaseException as e:  # KeyboardInterrupt at the prompt
            self._error = e
            return CT_CONFIRM_ABORT


def run_cli(args):
    """Runs the carbontracker command line (args[0] is the program name);
    returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    argv = (_c_char_p * len(args))(*[os.fsencode(a) for a in args])
    status = _c_int()
    _check(_lib.ct_run_cli(len(args), argv, ctypes.byref(status)))
    return status.value


def _threads_running():
    """Threads started by carbontracker in this process and not joined yet."""
    count = _c_int()
    _check(_lib.ct_running_library_threads(ctypes.byref(count)))
    return count.value


def _value_and_warnings(function, *args):
    out = _c_void_p()
    _check(function(*args, ctypes.byref(out)))
    result = _take_json(out)
    return result["value"], result["warnings"]


def parse_logs(log_dir, std_log_file="", output_log_file=""):
    return _value_and_warnings(_lib.ct_parse_logs, _path(log_dir), _path(std_log_file), _path(output_log_file))


def parse_all_logs(log_dir, recursive=False):
    return _value_and_warnings(_lib.ct_parse_all_logs, _path(log_dir), int(bool(recursive)))


def aggregate_consumption(log_dir, recursive=False):
    return _value_and_warnings(_lib.ct_aggregate_consumption, _path(log_dir), int(bool(recursive)))


def _read_text(function, text):
    data = _bytes(text)
    out = _c_void_p()
    _check(function(data, len(data), ctypes.byref(out)))
    return _take_json(out)


def read_std_log(text):
    """The standard log's components (devices, powers, durations, energies),
    durations, early stop and epoch count."""
    return _read_text(_lib.ct_read_std_log, text)


def read_output_log(text):
    """The output log's actual and predicted consumption blocks."""
    return _read_text(_lib.ct_read_output_log, text)


def read_run(files):
    """One run from {'std'|'output'|'jsonl': (path, text or None, problem)};
    returns (parse_all_logs entry or None, warnings)."""
    files_json = _json().dumps({kind: [path, text, problem] for kind, (path, text, problem) in files.items()})
    return _value_and_warnings(_lib.ct_read_run, _bytes(files_json))


def parse_duration(text):
    """'H:MM:SS' or 'H:MM:SS.ss' in seconds, or None."""
    seconds, valid = _c_double(), _c_int()
    _check(_lib.ct_parse_duration(_bytes(text), ctypes.byref(seconds), ctypes.byref(valid)))
    return seconds.value if valid.value else None


def generate_report(path, output):
    """Writes the report of a log file or directory to output (.pdf, .html,
    .svg, .png); returns the warnings about skipped files."""
    out = _c_void_p()
    _check(_lib.ct_generate_report(_path(path), _path(output), ctypes.byref(out)))
    return _take_json(out)


def aggregate_sentence(energy_kwh, co2eq_g, equivalents):
    """The original's sentence for a paper."""
    pairs = _bytes(_json().dumps([[str(unit), _json_value(float(value))] for unit, value in equivalents]))
    out = _c_void_p()
    _check(_lib.ct_aggregate_sentence(float(energy_kwh), float(co2eq_g), pairs, ctypes.byref(out)))
    return _take_string(out)


def aggregate_uncertainty(energy_kwh, co2eq_g, runs, uncertainties):
    """The interval of totals the caller summed: ``uncertainties`` are the
    "uncertainty" dicts of the counted blocks that have one. Returns
    {"uncertainty": dict | None, "runs_with_uncertainty": int,
    "uncertainty_sentence": str, "note": str} (include/carbontracker/carbontracker.h)."""
    data = _bytes(_json().dumps({
        "energy (kWh)": _json_value(float(energy_kwh)),
        "co2eq (g)": _json_value(float(co2eq_g)),
        "runs": int(runs),
        "uncertainties": list(uncertainties),
    }))
    out = _c_void_p()
    _check(_lib.ct_aggregate_uncertainty(data, ctypes.byref(out)))
    return _take_json(out)
