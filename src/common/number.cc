#include "common/number.h"

#include <locale.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace carbontracker {

namespace {

locale_t c_locale() {
  // The C locale is built in: newlocale reads no file for it.
  static const locale_t loc = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return loc;
}

}  // namespace

std::optional<double> parse_c_double(std::string_view s) {
  if (s.empty() || s.size() > 400) return std::nullopt;
  const char c = s.front();
  if (!(c == '-' || c == '.' || (c >= '0' && c <= '9') || c == 'i' || c == 'I' || c == 'n' ||
        c == 'N'))
    return std::nullopt;
  std::string_view body = s.front() == '-' ? s.substr(1) : s;
  if (body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) return std::nullopt;
  char buf[402];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  locale_t loc = c_locale();
  if (loc == static_cast<locale_t>(nullptr)) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = strtod_l(buf, &end, loc);
  if (end != buf + s.size()) return std::nullopt;
  if (errno == ERANGE && (std::isinf(v) || v == 0)) return std::nullopt;
  return v;
}

}  // namespace carbontracker
