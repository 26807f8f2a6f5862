// Helpers shared by the C interface's tests (capi_test.cc, capi_parse_test.cc).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "carbontracker/carbontracker.h"

namespace carbontracker::capi_test {

// Reads the JSON the library handed out (strict: a NaN in it throws; the tests
// that expect one look at the text).
inline nlohmann::json parse(const char* text) { return nlohmann::json::parse(text); }

// Takes ownership of a string the library handed out.
inline std::string take(char* s) {
  std::string out = s ? s : "";
  ct_free(s);
  return out;
}

inline std::string last_message() { return ct_last_error_message(); }

}  // namespace carbontracker::capi_test
