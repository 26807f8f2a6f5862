// JCGM 101 validation (its section 8): the analytic interval [y - U-,
// y + U+] (FigureUncertainty::interval) against the Monte Carlo propagation
// of the same input distributions through the same model, 200,000 draws
// with a fixed seed; each end within 5 % of the Monte Carlo interval's
// width (percentiles 2.275 and 97.725, the probability of k = 2). The
// figures are printed; doc/uncertainty.md quotes them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "model/uncertainty_budget.h"

namespace carbontracker {
namespace {

constexpr double kJPerKwh = 3.6e6;
constexpr int kDraws = 200000;

DeviceInfo rapl_package() {
  return {"cpu:0", ComponentKind::kCpu, Provenance::kMeasured, "RAPL energy counter /x", ""};
}
DeviceInfo nvml_power() {
  return {"gpu:0", ComponentKind::kGpu, Provenance::kMeasured,
          "NVML power (nvmlDeviceGetPowerUsage), sampled at 10 Hz", ""};
}
DeviceInfo estimated_dram() {
  return {"dram:0 (estimated)", ComponentKind::kCpu, Provenance::kEstimated,
          "estimated: 0.392 W/GB (Cloud Carbon Footprint) x 64 GB", ""};
}
DeviceInfo estimated_cpu() {
  return {"cpu:0 (estimated)", ComponentKind::kCpu, Provenance::kEstimated, "estimated: 16 vCPUs",
          ""};
}

// Each end of `f`'s interval against the Monte Carlo one of `draws`.
void expect_same_interval(std::vector<double> draws, const FigureUncertainty& f,
                          const std::string& what) {
  std::sort(draws.begin(), draws.end());
  const double lo = draws[static_cast<size_t>(0.02275 * draws.size())];
  const double hi = draws[static_cast<size_t>(0.97725 * draws.size())];
  const ExpandedInterval i = f.interval();
  const double width = hi - lo, sym = f.expanded();
  EXPECT_LE(std::fabs((f.value - i.minus) - lo), 0.05 * width)
      << what << ": lower end " << f.value - i.minus << ", Monte Carlo " << lo;
  EXPECT_LE(std::fabs((f.value + i.plus) - hi), 0.05 * width)
      << what << ": upper end " << f.value + i.plus << ", Monte Carlo " << hi;
  std::printf(
      "%s: ends off by %.2f %% and %.2f %% of the width (first-order -+U: %.2f %% and "
      "%.2f %%)\n",
      what.c_str(), 100 * std::fabs((f.value - i.minus) - lo) / width,
      100 * std::fabs((f.value + i.plus) - hi) / width,
      100 * std::fabs((f.value - sym) - lo) / width, 100 * std::fabs((f.value + sym) - hi) / width);
  // Where the interval is clearly skewed, the symmetric first-order one
  // misses the Monte Carlo ends by more: the check can tell them apart.
  if (i.plus > 1.2 * i.minus) {
    EXPECT_GT(std::fabs((f.value + sym) - hi), 0.03 * width) << what;
  }
}

// One window's inputs: devices with their energy and sampling error, the
// class of the intensity, the PUE given or the default.
struct Window {
  const char* name;
  std::vector<DeviceInfo> devices;
  std::vector<double> energy_j, sampling_j;
  const char* intensity;
  const char* intensity_key;
  bool pue_given;
};

constexpr double kIntensity = 300;  // g/kWh

Uncertainty analytic(const Window& w) {
  const double pue = w.pue_given ? 1.2 : 1.58;
  UncertaintyBudget budget(w.devices, pue, w.pue_given, "intel");
  std::vector<DeviceFigure> figures(w.devices.size());
  for (size_t i = 0; i < figures.size(); ++i) {
    figures[i].energy_j = w.energy_j[i];
    figures[i].co2_g = w.energy_j[i] / kJPerKwh * kIntensity;
    figures[i].sampling_var_j2 = w.sampling_j[i] * w.sampling_j[i];
    figures[i].sampling_var_co2_g2 = std::pow(w.sampling_j[i] / kJPerKwh * kIntensity, 2);
  }
  return budget.window(figures, {w.intensity, w.intensity_key, "test"});
}

// One draw of the window's true figures, Y = sum_d (E_d (1 + b_d) + s_d) x
// PUE (1 + p) [x CI (1 + c)], with the PUE factor `p_factor` and the
// intensity factor `c_factor` drawn by the caller (shared or not).
std::pair<double, double> draw(const Window& w, std::mt19937_64& rng, double p_factor,
                               double c_factor) {
  const UncertaintyTable& t = UncertaintyTable::embedded();
  std::normal_distribution<double> n01(0, 1);
  double joules = 0;
  for (size_t i = 0; i < w.devices.size(); ++i)
    joules +=
        w.energy_j[i] * (1 + t.get(device_class(w.devices[i], "intel")).relative_u * n01(rng)) +
        w.sampling_j[i] * n01(rng);
  const double kwh = joules / kJPerKwh * (w.pue_given ? 1.2 : 1.58 * p_factor);
  return {kwh, kwh * kIntensity * c_factor};
}

double factor(std::mt19937_64& rng, const char* cls) {
  std::normal_distribution<double> n01(0, 1);
  return 1 + UncertaintyTable::embedded().get(cls).relative_u * n01(rng);
}

TEST(UncertaintyPropagation, AnalyticIntervalMatchesMonteCarloForEachMix) {
  // From a product of mild factors to the estimate at the world average
  // (relative U near 150 %).
  const std::vector<Window> windows = {
      {"RAPL + NVML polled + estimated DRAM, table intensity, default PUE",
       {rapl_package(), nvml_power(), estimated_dram()},
       {1.0e6, 3.0e6, 0.4e6},
       {2e3, 4e4, 0},
       "intensity:table",
       "intensity:table:DK:2023",
       false},
      {"RAPL alone, live intensity, given PUE",
       {rapl_package()},
       {1.0e6},
       {2e3},
       "intensity:live",
       "intensity:live:DK",
       true},
      {"estimated CPU, forecast intensity, default PUE",
       {estimated_cpu()},
       {2.0e6},
       {0},
       "intensity:forecast",
       "intensity:forecast:DK",
       false},
      {"estimated CPU, world average, default PUE",
       {estimated_cpu()},
       {2.0e6},
       {0},
       "intensity:world",
       "intensity:world",
       false},
  };
  for (const Window& w : windows) {
    Uncertainty u = analytic(w);
    std::mt19937_64 rng(77);
    std::vector<double> energy, co2;
    for (int n = 0; n < kDraws; ++n) {
      double p = factor(rng, "pue:default"), c = factor(rng, w.intensity);
      auto [e, g] = draw(w, rng, p, c);
      energy.push_back(e);
      co2.push_back(g);
    }
    expect_same_interval(energy, u.energy_kwh, std::string(w.name) + ", energy");
    expect_same_interval(co2, u.co2_g, std::string(w.name) + ", CO2eq");
  }
}

TEST(UncertaintyPropagation, SumOfRunsAtDifferentIntensities) {
  // Two runs with one default PUE but intensities of their own: the
  // estimate at the world average beside RAPL at a live value three times
  // its size. Each run's device terms multiply only its own intensity; the
  // sum takes them as spread in proportion (doc/uncertainty.md), which this
  // checks against the true model.
  const Window a{"A", {estimated_cpu()}, {1.0e6}, {0}, "intensity:world", "intensity:world", false};
  const Window b{"B", {rapl_package()}, {3.0e6}, {0}, "intensity:live", "intensity:live:SE", false};
  Uncertainty ua = analytic(a), ub = analytic(b);
  FigureUncertainty energy = sum_uncertainty({ua.energy_kwh, ub.energy_kwh});
  FigureUncertainty co2 = sum_uncertainty({ua.co2_g, ub.co2_g});
  std::mt19937_64 rng(78);
  std::vector<double> energy_draws, co2_draws;
  for (int n = 0; n < kDraws; ++n) {
    double p = factor(rng, "pue:default");
    auto [ea, ga] = draw(a, rng, p, factor(rng, a.intensity));
    auto [eb, gb] = draw(b, rng, p, factor(rng, b.intensity));
    energy_draws.push_back(ea + eb);
    co2_draws.push_back(ga + gb);
  }
  expect_same_interval(energy_draws, energy, "two runs at two intensities, energy");
  expect_same_interval(co2_draws, co2, "two runs at two intensities, CO2eq");
}

}  // namespace
}  // namespace carbontracker
