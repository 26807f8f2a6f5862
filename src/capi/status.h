// What every entry point of the C interface shares: the calling thread's
// last error, guarded() that turns every exception into a status code (no
// exception leaves src/capi/), argument checks, and JSON going out (invalid
// UTF-8 replaced; a number that is not finite written as Python's json does).
#pragma once

#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

// The ct_* declarations, and so their definitions, are the only symbols with
// default visibility (the target builds with -fvisibility=hidden). Every
// file of src/capi/ takes the declarations from here.
#pragma GCC visibility push(default)
#include "carbontracker/carbontracker.h"
#pragma GCC visibility pop

namespace carbontracker::capi {

using json = nlohmann::json;

// The confirm callback returned CT_CONFIRM_ABORT.
struct CallbackAborted {};

// Clears the calling thread's last error.
void clear_error() noexcept;
// Inside a catch block: the exception being handled as a status code, kept
// with its message as the calling thread's last error.
int fail_current_exception() noexcept;

// Runs body (returning a status) with every exception turned into a status
// and the thread's last error.
template <typename F>
int guarded(F&& body) noexcept {
  clear_error();
  try {
    return body();
  } catch (...) {
    return fail_current_exception();
  }
}

// `text` with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

[[noreturn]] void invalid(const std::string& message);
void require(const void* p, const char* function, const char* argument);

// A copy in memory from malloc (the caller frees it with ct_free).
char* copy_out(std::string_view s);
// *out = the JSON text of j (copy_out); returns CT_OK.
int give_json(const json& j, char** out);
json parse_json_arg(const char* text, const char* function, const char* argument);
// A JSON object of strings; anything else throws Error(kInvalidArgument).
std::map<std::string, std::string> string_map(const json& j, const std::string& what);

// A JSON number, or "NaN", "Infinity" or "-Infinity" (which JSON cannot say).
template <typename Json>
std::optional<double> number_of(const Json& v) {
  if (v.is_number()) return v.template get<double>();
  if (v.is_string()) {
    const std::string& s = v.template get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  return std::nullopt;
}

}  // namespace carbontracker::capi
