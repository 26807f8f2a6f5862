#include "tracker/prediction.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/format.h"

namespace carbontracker {

EpochTotals complete_epochs(const std::vector<EpochRecord>& epochs) {
  EpochTotals t;
  for (const EpochRecord& e : epochs) {
    if (e.partial) continue;
    t.count += 1;
    t.energy_j += e.total_energy_j();
    t.duration_s += e.duration_s;
    t.co2_g += e.total_co2_g();
  }
  return t;
}

double remaining_s(const EpochTotals& done, int planned_epochs) {
  return std::max(0.0, static_cast<double>(planned_epochs) - done.count) * done.mean_duration_s();
}

PredictionIntensity prediction_intensity(const std::optional<IntensityValue>& forecast,
                                         const IntensityValue& now, double remaining_s) {
  PredictionIntensity p;
  if (forecast) {
    p.g_per_kwh = forecast->g_per_kwh;
    p.message = fmt::format(
        "Carbon intensity for the next {} is predicted to be {:.2f} gCO2/kWh at detected "
        "location: {}.",
        format_duration(remaining_s), p.g_per_kwh, forecast->location);
    p.note = "forecast: " + forecast->source;
  } else if (now.live) {
    p.g_per_kwh = now.g_per_kwh;
    p.message = fmt::format("Current carbon intensity is {:.2f} gCO2/kWh at detected location: {}.",
                            p.g_per_kwh, now.location);
    if (remaining_s > 0) p.message += " No forecast is available: the prediction uses this value.";
    p.note = "current value, no forecast available: " + now.source;
  } else {
    p.g_per_kwh = now.g_per_kwh;
    p.message = now.default_description;
    p.note = "average value, no live data: " + now.source;
  }
  return p;
}

Consumption predicted_consumption(const EpochTotals& done, int planned_epochs, double pue,
                                  const PredictionIntensity& intensity) {
  double remaining_epochs = std::max(0.0, static_cast<double>(planned_epochs) - done.count);
  Consumption c;
  c.epochs = planned_epochs;
  c.duration_s = planned_epochs * done.mean_duration_s();
  c.energy_kwh = planned_epochs * done.mean_energy_j() * pue / kJoulesPerKwh;
  c.co2_g =
      (done.co2_g + remaining_epochs * done.mean_energy_j() / kJoulesPerKwh * intensity.g_per_kwh) *
      pue;
  c.intensity_g_per_kwh = c.energy_kwh > 0 ? c.co2_g / c.energy_kwh : intensity.g_per_kwh;
  c.intensity_note = intensity.note;
  return c;
}

Consumption actual_consumption(const RunResult& run, int completed, double pue,
                               const std::vector<IntensityRecord>& intensities) {
  Consumption c;
  c.epochs = completed;
  c.duration_s = run.duration_s();
  double e = run.energy_j(false);
  c.energy_kwh = e * pue / kJoulesPerKwh;
  c.co2_g = run.co2_g(true);
  c.intensity_g_per_kwh =
      e > 0 ? run.co2_g(false) / (e / kJoulesPerKwh)
            : (intensities.empty() ? kWorldDefaultIntensity : intensities.back().g_per_kwh);
  c.intensity_note = intensities.size() > 1 ? "energy-weighted average of the values used"
                                            : "the value used throughout";
  return c;
}

}  // namespace carbontracker
