#include "report/cairo_api.h"

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>

#include "carbontracker/error.h"

namespace carbontracker::report {

const CairoApi& cairo() {
  static CairoApi api;
  static std::string problem;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = dlopen("libcairo.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      problem = std::string("cannot load libcairo.so.2 (") + dlerror() +
                "): install cairo to make reports (Debian: apt-get install libcairo2 "
                "fonts-dejavu-core)";
      return;
    }
#define CT_CAIRO_LOAD(name)                                                                 \
  api.name = reinterpret_cast<decltype(&::name)>(dlsym(lib, #name));                        \
  if (!api.name) {                                                                          \
    problem = "libcairo.so.2 lacks " #name ": install cairo 1.16 or later to make reports"; \
    dlclose(lib);                                                                           \
    api = CairoApi{};                                                                       \
    return;                                                                                 \
  }
    CT_CAIRO_FUNCTIONS(CT_CAIRO_LOAD)
#undef CT_CAIRO_LOAD
  });
  if (!problem.empty()) throw Error(ErrorCode::kIo, problem);
  return api;
}

}  // namespace carbontracker::report
