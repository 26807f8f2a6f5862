// The consumption figures of the console's blocks: the prediction for all
// planned epochs, made from the epochs measured so far, and the actual
// consumption when monitoring ends. Pure computations: the tracker asks the
// intensity source and says the results.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "carbontracker/results.h"
#include "intensity/source.h"

namespace carbontracker {

inline constexpr double kJoulesPerKwh = 3.6e6;

// The sums over the complete epochs (partial ones are left out).
struct EpochTotals {
  int count = 0;
  double energy_j = 0;  // without PUE, devices counted in the totals
  double duration_s = 0;
  double co2_g = 0;  // without PUE
  double mean_energy_j() const { return count ? energy_j / count : 0; }
  double mean_duration_s() const { return count ? duration_s / count : 0; }
};
EpochTotals complete_epochs(const std::vector<EpochRecord>& epochs);

// Seconds the planned epochs not yet measured will take at the measured mean
// (0 when as many epochs as planned, or more, are measured).
double remaining_s(const EpochTotals& done, int planned_epochs);

// The intensity a prediction applies to the remaining epochs, with the
// sentence the console says about it and the note kept in the record.
struct PredictionIntensity {
  double g_per_kwh = 0;
  std::string message;  // e.g. "Current carbon intensity is 123.00 gCO2/kWh at ..."
  std::string note;     // e.g. "forecast: Electricity Maps (live)"
};
// The forecast over the remaining time when there is one; else the live value
// now (saying, when epochs remain, that no forecast is available); else the
// default value's own description.
PredictionIntensity prediction_intensity(const std::optional<IntensityValue>& forecast,
                                         const IntensityValue& now, double remaining_s);

// All planned epochs at the measured mean: the measured epochs' CO2eq plus
// the remaining epochs' energy at the prediction's intensity, PUE applied.
// Requires done.count > 0.
Consumption predicted_consumption(const EpochTotals& done, int planned_epochs, double pue,
                                  const PredictionIntensity& intensity);

// What was measured: `completed` epochs (a partial one's energy included),
// PUE applied; the intensity is the energy-weighted average of the values
// used, or (no energy) the last value fetched, or the world default.
Consumption actual_consumption(const RunResult& run, int completed, double pue,
                               const std::vector<IntensityRecord>& intensities);

}  // namespace carbontracker
