#include "carbontracker/version.h"

#ifndef CT_VERSION
#define CT_VERSION "0.0.0"
#endif

namespace carbontracker {

const char* version() { return CT_VERSION; }

}  // namespace carbontracker
