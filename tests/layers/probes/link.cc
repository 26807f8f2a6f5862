// A program of the sensors layer, linked with the sensors and common
// libraries only. With CLIMB it calls into the model layer (above sensors),
// whose declaration it was given: it must not link (layers_test.cmake).
#include "carbontracker/results.h"

int main() {
#ifdef CLIMB
  carbontracker::RunResult result;
  return result.energy_j(false) > 0 ? 1 : 0;
#else
  return carbontracker::component_name(carbontracker::ComponentKind::kCpu)[0] == 'c' ? 0 : 1;
#endif
}
