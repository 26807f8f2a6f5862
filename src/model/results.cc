#include "carbontracker/results.h"

namespace carbontracker {

namespace {
double sum_counted(const std::vector<double>& values, const std::vector<bool>& beside) {
  double sum = 0;
  for (size_t i = 0; i < values.size(); ++i)
    if (i >= beside.size() || !beside[i]) sum += values[i];
  return sum;
}
}  // namespace

double EpochRecord::total_energy_j() const { return sum_counted(energy_j, beside); }

double EpochRecord::total_co2_g() const { return sum_counted(co2_g, beside); }

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
