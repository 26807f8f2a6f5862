// The library's version.
#pragma once

namespace carbontracker {

// The library version, e.g. "0.1.0".
const char* version();

}  // namespace carbontracker
