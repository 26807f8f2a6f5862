// Data files compiled into the library (data/*.csv, see data/README.md).
#pragma once

#include <string_view>

namespace carbontracker {

// The bytes of data/<name> as embedded at build time, or an empty view if no
// such file was embedded.
std::string_view embedded_file(std::string_view name);

}  // namespace carbontracker
