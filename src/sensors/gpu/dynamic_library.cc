#include "sensors/gpu/dynamic_library.h"

#include <dlfcn.h>

namespace carbontracker {

std::unique_ptr<DynamicLibrary> DynamicLibrary::open_first(
    const std::vector<std::string>& candidates, std::string* reason) {
  std::string tried;
  for (const std::string& name : candidates) {
    dlerror();
    if (void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL))
      return std::unique_ptr<DynamicLibrary>(new DynamicLibrary(handle, name));
    const char* err = dlerror();
    std::string why = err ? err : "unknown dlopen error";
    // dlerror() repeats the name first: "libx.so: cannot open shared object file: ...".
    if (why.rfind(name + ": ", 0) == 0) why.erase(0, name.size() + 2);
    if (!tried.empty()) tried += ", ";
    // "Not there" is the usual case on machines without the hardware: say it briefly.
    tried += why == "cannot open shared object file: No such file or directory"
                 ? name
                 : name + " (" + why + ")";
  }
  if (reason) *reason = "tried " + tried;
  return nullptr;
}

DynamicLibrary::~DynamicLibrary() { dlclose(handle_); }

void* DynamicLibrary::symbol(const char* name) const { return dlsym(handle_, name); }

std::string bind_symbols(const DynamicLibrary& lib, std::initializer_list<SymbolBinding> table) {
  std::string missing;
  for (const SymbolBinding& entry : table) {
    *entry.slot = nullptr;
    if (entry.chosen) *entry.chosen = -1;
    int i = 0;
    for (const char* name : entry.names) {
      if (void* address = lib.symbol(name)) {
        *entry.slot = address;
        if (entry.chosen) *entry.chosen = i;
        break;
      }
      ++i;
    }
    if (!*entry.slot && entry.required && missing.empty()) missing = *entry.names.begin();
  }
  return missing;
}

}  // namespace carbontracker
