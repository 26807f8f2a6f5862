#include "carbontracker/device.h"

namespace carbontracker {

const char* component_name(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kGpu:
      return "gpu";
    case ComponentKind::kCpu:
      return "cpu";
    case ComponentKind::kNode:
      return "node";
  }
  return "cpu";
}

const char* provenance_name(Provenance p) {
  switch (p) {
    case Provenance::kMeasured:
      return "measured";
    case Provenance::kEstimated:
      return "estimated";
    case Provenance::kSimulated:
      return "simulated";
    case Provenance::kPlatformMeter:
      return "platform power meter";
  }
  return "measured";
}

}  // namespace carbontracker
