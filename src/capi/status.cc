#include "capi/status.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "carbontracker/error.h"

namespace carbontracker::capi {
namespace {

thread_local int t_code = CT_OK;
thread_local std::string t_message;

int status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return CT_ERROR_INVALID_ARGUMENT;
    case ErrorCode::kComponent:
      return CT_ERROR_COMPONENT;
    case ErrorCode::kIo:
      return CT_ERROR_IO;
    case ErrorCode::kUserQuit:
      return CT_ERROR_USER_QUIT;
    case ErrorCode::kInput:
      return CT_ERROR_INPUT;
    case ErrorCode::kInternal:
      return CT_ERROR_INTERNAL;
  }
  return CT_ERROR_INTERNAL;
}

// Appends `text` to `out` with every ill-formed UTF-8 sequence replaced by
// U+FFFD (one per maximal ill-formed subpart, as Unicode recommends).
void append_utf8(std::string& out, std::string_view text) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t k = 1;
    while (k < len && i + k < n) {
      unsigned char b = s[i + k];
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) break;
      ++k;
    }
    if (k == len) {
      out.append(text.substr(i, len));
    } else {
      out += kReplacement;
    }
    i += k;
  }
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_utf8(out, text);
  return out;
}

namespace {

int fail(int code, std::string_view message) noexcept {
  t_code = code;
  try {
    t_message = valid_utf8(message);
  } catch (...) {
    t_message.clear();
  }
  return code;
}

}  // namespace

void clear_error() noexcept {
  t_code = CT_OK;
  t_message.clear();
}

int fail_current_exception() noexcept {
  try {
    throw;
  } catch (const CallbackAborted&) {
    return fail(CT_ERROR_CALLBACK_ABORTED, "the confirm callback aborted the call");
  } catch (const Error& e) {
    return fail(status_of(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(CT_ERROR_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(CT_ERROR_INTERNAL, e.what());
  } catch (...) {
    return fail(CT_ERROR_INTERNAL, "unknown error");
  }
}

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

void require(const void* p, const char* function, const char* argument) {
  if (!p) invalid(std::string(function) + ": " + argument + " is NULL");
}

char* copy_out(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

namespace {

bool has_non_finite(const json& j) {
  switch (j.type()) {
    case json::value_t::number_float:
      return !std::isfinite(j.get<double>());
    case json::value_t::array:
    case json::value_t::object:
      for (const json& v : j)
        if (has_non_finite(v)) return true;
      return false;
    default:
      return false;
  }
}

std::string dump_replacing(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void write_extended(const json& j, std::string& out) {
  switch (j.type()) {
    case json::value_t::number_float: {
      double d = j.get<double>();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        out += j.dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    case json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const json& v : j) {
        if (!first) out.push_back(',');
        first = false;
        write_extended(v, out);
      }
      out.push_back(']');
      return;
    }
    case json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, v] : j.items()) {
        if (!first) out.push_back(',');
        first = false;
        out += dump_replacing(json(k));
        out.push_back(':');
        write_extended(v, out);
      }
      out.push_back('}');
      return;
    }
    default:
      out += dump_replacing(j);
  }
}

// JSON text of j; a number that is not finite is written NaN, Infinity or
// -Infinity (as Python's json does), which plain JSON cannot say.
std::string to_text(const json& j) {
  if (!has_non_finite(j)) return dump_replacing(j);
  std::string out;
  write_extended(j, out);
  return out;
}

}  // namespace

int give_json(const json& j, char** out) {
  *out = copy_out(to_text(j));
  return CT_OK;
}

json parse_json_arg(const char* text, const char* function, const char* argument) {
  require(text, function, argument);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    invalid(std::string(function) + ": " + argument + " is not valid JSON (" + e.what() + ")");
  }
}

std::map<std::string, std::string> string_map(const json& j, const std::string& what) {
  if (!j.is_object()) invalid(what + ": expected a JSON object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) invalid(what + ": the value of \"" + k + "\" is not a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace carbontracker::capi

// The definitions take their C linkage from the header's declarations.

int ct_last_error_code(void) { return carbontracker::capi::t_code; }

const char* ct_last_error_message(void) { return carbontracker::capi::t_message.c_str(); }

void ct_free(void* p) { std::free(p); }
