// The uncertainty budget of a run's figures (doc/uncertainty.md): which
// terms make up the uncertainty of an epoch's energy and CO2eq, of the
// actual consumption and of the prediction, each a standard uncertainty in
// the figure's unit (kWh, g), with PUE applied like the figure itself.
//
// Terms: per device, the source class's relative uncertainty (the sensor's
// or model's systematic error: one key per device, so it adds linearly over
// epochs); per device, the sampling error the engine estimated (independent);
// the carbon intensity's class (CO2eq only; one key per intensity value);
// the PUE's (default 1.58: one key for every run). The prediction adds the
// epoch-to-epoch spread of the measured epochs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "carbontracker/results.h"
#include "carbontracker/uncertainty.h"
#include "energy/sampler.h"
#include "model/uncertainty_table.h"

namespace carbontracker {

// One device's part of a figure, without PUE.
struct DeviceFigure {
  double energy_j = 0;
  double co2_g = 0;
  double sampling_var_j2 = 0;      // variance of the sampling error, J^2
  double sampling_var_co2_g2 = 0;  // the same in CO2eq, g^2
};

class UncertaintyBudget {
 public:
  // devices: the run's devices (RunResult::devices order); pue_given: the
  // user set the PUE (exact) rather than the default 1.58.
  UncertaintyBudget(const std::vector<DeviceInfo>& devices, double pue, bool pue_given,
                    std::string_view cpu_vendor,
                    const UncertaintyTable& table = UncertaintyTable::embedded());

  // The uncertainty of a window's figures (an epoch), with PUE. devices has
  // one entry per device; devices beside the totals (the node figure) are
  // left out, as the figures leave them out.
  Uncertainty window(const std::vector<DeviceFigure>& devices, const IntensityUse& intensity) const;

  // The uncertainty of the sum of windows (the actual consumption): shared
  // keys linearly, sampling in quadrature (one term per device).
  static Uncertainty total(const std::vector<Uncertainty>& windows);
  // The same over a run's epochs (partial ones included); nullopt when there
  // are none or one has no uncertainty.
  static std::optional<Uncertainty> total(const std::vector<EpochRecord>& epochs);

  // The prediction for planned_epochs from the measured complete epochs
  // (each with its uncertainty and total_energy_j()), the rest at
  // remaining_g_per_kwh obtained as `remaining`. Null when no epoch has an
  // uncertainty.
  std::optional<Uncertainty> prediction(const std::vector<EpochRecord>& measured,
                                        int planned_epochs, double remaining_g_per_kwh,
                                        const IntensityUse& remaining) const;

  const std::vector<std::string>& classes() const { return classes_; }
  const UncertaintyTable& table() const { return table_; }

 private:
  const UncertaintyTable& table_;
  std::vector<DeviceInfo> devices_;
  std::vector<std::string> classes_;  // per device
  std::vector<std::string> keys_;     // per device: "sensor:<class>:<name>"
  double pue_;
  bool pue_given_;
};

// Each device's figures between two snapshots of the sampler: the energy
// and CO2eq, the integration variance accumulated inside the window and the
// read-time variance of the two counter readings that bound it.
std::vector<DeviceFigure> window_figures(const Snapshot& start, const Snapshot& end);

// The intensity behind a window [from, to] (unix seconds): the class of the
// values in force during it, the most uncertain one when they differ (the
// window's CO2eq is not split between them). Records are in time order.
IntensityUse window_intensity(const std::vector<IntensityRecord>& records, double from_unix_s,
                              double to_unix_s);

// Student's t for nu degrees of freedom at p = 95.45 % (two-sided, the GUM's
// k = 2 coverage; JCGM 100 table G.2); 2 as nu grows.
double student_t_9545(int nu);

// Unkeyed terms of one source merged in quadrature (the standard
// uncertainty is unchanged; the term list stays short).
FigureUncertainty compact(const FigureUncertainty& figure);

// The source shortened for the console: the text before its last " (...)".
std::string short_source(const std::string& source);

}  // namespace carbontracker
