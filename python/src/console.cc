#include "console.h"

#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace carbontracker::python {

namespace {

// True when this thread may block on the GIL: it has a Python thread state
// (the main thread, a threading.Thread) and the interpreter is not going away.
bool may_take_gil() {
#if PY_VERSION_HEX >= 0x030D0000
  bool finalizing = Py_IsFinalizing();
#else
  bool finalizing = _Py_IsFinalizing();
#endif
  return Py_IsInitialized() && !finalizing && PyGILState_GetThisThreadState() != nullptr;
}

}  // namespace

PythonConsoleBuf::int_type PythonConsoleBuf::overflow(int_type ch) {
  if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
  std::lock_guard<std::mutex> lock(mu_);
  pending_.push_back(traits_type::to_char_type(ch));
  return ch;
}

std::streamsize PythonConsoleBuf::xsputn(const char* s, std::streamsize n) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.append(s, static_cast<size_t>(n));
  return n;
}

int PythonConsoleBuf::sync() {
  flush_to_python();
  return 0;
}

void PythonConsoleBuf::flush_to_python() {
  if (!may_take_gil()) return;
  py::gil_scoped_acquire gil;
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    text.swap(pending_);
  }
  if (text.empty()) return;
  try {
    py::object out = py::module_::import("sys").attr("stdout");
    if (out.is_none()) return;
    // Device names come from the hardware: never fail on a stray byte.
    PyObject* str =
        PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
    if (!str) throw py::error_already_set();
    out.attr("write")(py::reinterpret_steal<py::str>(str));
    out.attr("flush")();
  } catch (py::error_already_set& e) {
    // Nowhere to report it: the console is where the report would go.
    e.restore();
    PyErr_Clear();
  }
}

}  // namespace carbontracker::python
