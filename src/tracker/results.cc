#include "carbontracker/results.h"

#include <numeric>

namespace carbontracker {

const char* component_name(ComponentKind kind) {
  return kind == ComponentKind::kGpu ? "gpu" : "cpu";
}

const char* provenance_name(Provenance p) {
  switch (p) {
    case Provenance::kMeasured:
      return "measured";
    case Provenance::kEstimated:
      return "estimated";
    case Provenance::kSimulated:
      return "simulated";
  }
  return "measured";
}

double EpochRecord::total_energy_j() const {
  return std::accumulate(energy_j.begin(), energy_j.end(), 0.0);
}

double EpochRecord::total_co2_g() const { return std::accumulate(co2_g.begin(), co2_g.end(), 0.0); }

double RunResult::energy_j(bool with_pue) const {
  double sum = 0;
  for (const EpochRecord& e : epochs) sum += e.total_energy_j();
  return with_pue ? sum * pue : sum;
}

double RunResult::co2_g(bool with_pue) const {
  double sum = 0;
  for (const EpochRecord& e : epochs) sum += e.total_co2_g();
  return with_pue ? sum * pue : sum;
}

double RunResult::duration_s() const {
  double sum = 0;
  for (const EpochRecord& e : epochs) sum += e.duration_s;
  return sum;
}

double RunResult::component_energy_j(ComponentKind kind) const {
  double sum = 0;
  for (const EpochRecord& e : epochs)
    for (size_t i = 0; i < e.energy_j.size() && i < devices.size(); ++i)
      if (devices[i].component == kind) sum += e.energy_j[i];
  return sum;
}

}  // namespace carbontracker
