// A shared library opened with dlopen at run time, and a table-driven way to
// bind its symbols, so that vendor libraries (NVML, ROCm SMI) are needed only
// on the machines that have them and never at build time.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace carbontracker {

class DynamicLibrary {
 public:
  // Opens the first of `candidates` that loads (RTLD_NOW | RTLD_LOCAL).
  // Returns nullptr and sets *reason to "tried A, B (why)" when none does; a
  // candidate that does not exist is named without the loader's message.
  static std::unique_ptr<DynamicLibrary> open_first(const std::vector<std::string>& candidates,
                                                    std::string* reason);
  ~DynamicLibrary();  // dlclose
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;

  // The symbol's address, or nullptr when the library lacks it.
  void* symbol(const char* name) const;
  // The path or soname it was opened by.
  const std::string& name() const { return name_; }

 private:
  DynamicLibrary(void* handle, std::string name) : handle_(handle), name_(std::move(name)) {}
  void* handle_;
  std::string name_;
};

// One entry of a symbol table: the names to try, newest version first, and
// the function pointer to fill. `chosen` receives the index of the name that
// was bound (-1 when none was), for callers whose structures differ by version.
struct SymbolBinding {
  std::initializer_list<const char*> names;
  bool required;
  void** slot;
  int* chosen = nullptr;
};

// Binds every entry. Returns the first required symbol that is missing (its
// newest name), or an empty string when all required ones were found.
std::string bind_symbols(const DynamicLibrary& lib, std::initializer_list<SymbolBinding> table);

// Stores a function pointer of any type in a SymbolBinding slot.
template <typename Fn>
void** slot_of(Fn*& fn) {
  return reinterpret_cast<void**>(&fn);
}

}  // namespace carbontracker
