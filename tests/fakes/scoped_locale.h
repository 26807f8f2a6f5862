// Test helper: the first installed locale of a list, made this thread's
// locale (uselocale) for the helper's lifetime, to show that a function does
// not depend on the process's locale.
#pragma once

#include <locale.h>

#include <initializer_list>

namespace carbontracker::testing {

class ScopedThreadLocale {
 public:
  explicit ScopedThreadLocale(std::initializer_list<const char*> names) {
    for (const char* name : names) {
      locale_ = newlocale(LC_ALL_MASK, name, static_cast<locale_t>(nullptr));
      if (installed()) break;
    }
    if (installed()) previous_ = uselocale(locale_);
  }
  ~ScopedThreadLocale() {
    if (!installed()) return;
    uselocale(previous_);
    freelocale(locale_);
  }
  ScopedThreadLocale(const ScopedThreadLocale&) = delete;
  ScopedThreadLocale& operator=(const ScopedThreadLocale&) = delete;

  // False when none of the names is installed here: skip the test.
  bool installed() const { return locale_ != static_cast<locale_t>(nullptr); }

 private:
  locale_t locale_ = static_cast<locale_t>(nullptr);
  locale_t previous_ = static_cast<locale_t>(nullptr);
};

}  // namespace carbontracker::testing
