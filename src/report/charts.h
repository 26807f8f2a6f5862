// The report's charts, drawn on any cairo surface (PDF, SVG, PNG): one code
// for every format. Axes have ticks and units; series differ by dash
// pattern or hatching as well as by colour, so a black-and-white print
// keeps them apart.
#pragma once

#include <string>
#include <vector>

#include "report/cairo_api.h"
#include "report/report_model.h"

namespace carbontracker::report {

struct Series {
  std::string label;
  std::vector<double> y;  // one value per x
};

struct Chart {
  enum class Kind {
    kLines,        // series as lines over x (power over time)
    kStackedBars,  // series stacked at each x (energy per epoch)
    kBarsAndLine,  // series[0] as bars (left axis), line (right axis)
  };
  Kind kind = Kind::kLines;
  std::string title, x_label, y_label, y2_label;
  std::vector<double> x;
  std::vector<Series> series;
  Series line;  // kBarsAndLine: drawn against the right axis
  // Bar charts: per x, the interval drawn as an error bar on the top of the
  // bar (the stack), reaching error[i].minus below and error[i].plus above
  // it; empty, 0 or NaN: none. In the units of y.
  std::vector<ExpandedInterval> error;
  std::string error_label;  // legend entry of the error bars, e.g. "95 % interval"
};

// The charts a run gets: power over time (when it has samples), energy per
// epoch by component, CO2eq per epoch with the intensity (when it has
// epochs); the epochs' 95 % intervals as error bars where the log has them. Units are scaled to the
// data (W or kW, J/kJ/kWh, s/min/h).
std::vector<Chart> run_charts(const RunReport& run);

// Draws `chart` in the box (x, y, w, h) of `cr`, in points (PDF) or pixels.
void draw_chart(const CairoApi& c, cairo_t* cr, const Chart& chart, double x, double y, double w,
                double h);

// "DejaVu Sans" through fontconfig (Debian's fonts-dejavu-core).
inline constexpr const char* kFontFamily = "DejaVu Sans";

}  // namespace carbontracker::report
