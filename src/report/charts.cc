#include "report/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/number.h"
#include "common/text.h"

namespace carbontracker::report {
namespace {

// An epoch's interval in the chart's unit; NaN sides when it has none.
ExpandedInterval scaled_interval(const std::optional<ExpandedInterval>& i, double div) {
  if (!i) return {NAN, NAN};
  return {i->minus / div, i->plus / div};
}

constexpr double kJoulesPerKwh = 3.6e6;

struct Rgb {
  double r, g, b;
};
// Colours that stay apart in grey as well (dark, middle, light).
constexpr Rgb kColours[] = {
    {0.12, 0.31, 0.47}, {0.85, 0.50, 0.13}, {0.45, 0.68, 0.40}, {0.55, 0.27, 0.55}};
const Rgb& colour(size_t i) { return kColours[i % std::size(kColours)]; }

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about
// `target` ticks over `range`.
double nice_step(double range, int target) {
  if (!(range > 0)) return 1;
  double raw = range / target;
  double mag = pow10_int(floor_log10(raw));
  double r = raw / mag;
  return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

std::string tick_label(double v, double step) {
  int decimals = step >= 1 ? 0 : -floor_log10(step * (1 + 1e-9));
  if (std::abs(v) < step * 1e-6) v = 0;
  return fmt::format("{:.{}f}", v, std::min(decimals, 9));
}

struct Axis {
  double lo = 0, hi = 1, step = 1;
};

Axis make_axis(double lo, double hi, int target) {
  if (!(hi > lo)) hi = lo + 1;
  Axis a;
  a.step = nice_step(hi - lo, target);
  a.lo = std::floor(lo / a.step) * a.step;
  a.hi = std::ceil(hi / a.step - 1e-9) * a.step;
  if (a.hi <= a.lo) a.hi = a.lo + a.step;
  return a;
}

void text_at(const CairoApi& c, cairo_t* cr, const std::string& s, double x, double y,
             double align_x, double align_y) {
  cairo_text_extents_t ext;
  c.cairo_text_extents(cr, s.c_str(), &ext);
  c.cairo_move_to(cr, x - ext.width * align_x - ext.x_bearing,
                  y - ext.height * align_y - ext.y_bearing);
  c.cairo_show_text(cr, s.c_str());
}

void set_line_style(const CairoApi& c, cairo_t* cr, size_t i) {
  static const double kDash[] = {6.0, 3.0};
  static const double kDot[] = {1.5, 2.5};
  static const double kDashDot[] = {7.0, 2.5, 1.5, 2.5};
  switch (i % 4) {
    case 0:
      c.cairo_set_dash(cr, nullptr, 0, 0);
      break;
    case 1:
      c.cairo_set_dash(cr, kDash, 2, 0);
      break;
    case 2:
      c.cairo_set_dash(cr, kDot, 2, 0);
      break;
    default:
      c.cairo_set_dash(cr, kDashDot, 4, 0);
  }
  const Rgb& col = colour(i);
  c.cairo_set_source_rgb(cr, col.r, col.g, col.b);
}

// A bar (or legend swatch) filled in series i's style: solid, diagonal
// hatching, cross-hatching, dots; always outlined in black.
void fill_box(const CairoApi& c, cairo_t* cr, size_t i, double x, double y, double w, double h) {
  if (w <= 0 || h <= 0) return;
  const Rgb& col = colour(i);
  c.cairo_save(cr);
  c.cairo_rectangle(cr, x, y, w, h);
  if (i % 4 == 0) {
    c.cairo_set_source_rgb(cr, col.r, col.g, col.b);
    c.cairo_fill(cr);
  } else {
    c.cairo_set_source_rgb(cr, 1 - (1 - col.r) * 0.45, 1 - (1 - col.g) * 0.45,
                           1 - (1 - col.b) * 0.45);
    c.cairo_fill_preserve(cr);
    c.cairo_clip(cr);
    c.cairo_set_source_rgb(cr, 0, 0, 0);
    c.cairo_set_line_width(cr, 0.6);
    c.cairo_set_dash(cr, nullptr, 0, 0);
    const double gap = 4;
    if (i % 4 == 1 || i % 4 == 2) {
      for (double d = -h; d < w + h; d += gap) {
        c.cairo_move_to(cr, x + d, y + h);
        c.cairo_line_to(cr, x + d + h, y);
      }
    }
    if (i % 4 == 2) {
      for (double d = -h; d < w + h; d += gap) {
        c.cairo_move_to(cr, x + d, y);
        c.cairo_line_to(cr, x + d + h, y + h);
      }
    }
    c.cairo_stroke(cr);
    if (i % 4 == 3) {
      for (double yy = y + gap / 2; yy < y + h; yy += gap)
        for (double xx = x + gap / 2; xx < x + w; xx += gap) {
          c.cairo_new_path(cr);
          c.cairo_arc(cr, xx, yy, 0.7, 0, 2 * M_PI);
          c.cairo_fill(cr);
        }
    }
  }
  c.cairo_restore(cr);
  c.cairo_save(cr);
  c.cairo_rectangle(cr, x, y, w, h);
  c.cairo_set_source_rgb(cr, 0, 0, 0);
  c.cairo_set_line_width(cr, w > 3 ? 0.5 : 0.2);
  c.cairo_stroke(cr);
  c.cairo_restore(cr);
}

// Time unit for seconds up to max_s.
std::pair<double, const char*> time_unit(double max_s) {
  if (max_s >= 3 * 3600) return {3600, "h"};
  if (max_s >= 180) return {60, "min"};
  return {1, "s"};
}

std::pair<double, const char*> power_unit(double max_w) {
  return max_w >= 5000 ? std::pair{1000.0, "kW"} : std::pair{1.0, "W"};
}

std::pair<double, const char*> energy_unit(double max_j) {
  if (max_j >= 0.1 * kJoulesPerKwh) return {kJoulesPerKwh, "kWh"};
  if (max_j >= 10000) return {1000, "kJ"};
  return {1, "J"};
}

std::pair<double, const char*> co2_unit(double max_g) {
  if (max_g >= 10000) return {1000, "kg"};
  if (max_g < 0.1) return {1e-3, "mg"};
  return {1, "g"};
}

// A vertical error bar at x from y_low to y_high (device units, y_low
// below), with caps `cap` wide: black, solid, so it reads in grey too.
void error_bar(const CairoApi& c, cairo_t* cr, double x, double y_low, double y_high, double cap) {
  c.cairo_save(cr);
  c.cairo_set_dash(cr, nullptr, 0, 0);
  c.cairo_set_source_rgb(cr, 0, 0, 0);
  c.cairo_set_line_width(cr, 1.0);
  c.cairo_move_to(cr, x, y_low);
  c.cairo_line_to(cr, x, y_high);
  c.cairo_move_to(cr, x - cap / 2, y_low);
  c.cairo_line_to(cr, x + cap / 2, y_low);
  c.cairo_move_to(cr, x - cap / 2, y_high);
  c.cairo_line_to(cr, x + cap / 2, y_high);
  c.cairo_stroke(cr);
  c.cairo_restore(cr);
}

}  // namespace

std::vector<Chart> run_charts(const RunReport& run) {
  std::vector<Chart> charts;
  if (run.power && !run.power->t_s.empty()) {
    Chart ch;
    ch.kind = Chart::Kind::kLines;
    double max_w = 0;
    for (auto& s : run.power->power_w)
      for (double v : s) max_w = std::max(max_w, v);
    auto [tdiv, tname] = time_unit(run.power->t_s.back());
    auto [pdiv, pname] = power_unit(max_w);
    ch.title = "Power over time, per component";
    ch.x_label = fmt::format("time since start ({})", tname);
    ch.y_label = fmt::format("power ({})", pname);
    for (double t : run.power->t_s) ch.x.push_back(t / tdiv);
    for (size_t i = 0; i < run.components.size() && i < run.power->power_w.size(); ++i) {
      Series s{upper(run.components[i]), {}};
      for (double v : run.power->power_w[i]) s.y.push_back(v / pdiv);
      ch.series.push_back(std::move(s));
    }
    charts.push_back(std::move(ch));
  }
  if (!run.epochs.empty()) {
    Chart ch;
    ch.kind = Chart::Kind::kStackedBars;
    double max_j = 0;
    for (const EpochRow& e : run.epochs) {
      double sum = 0;
      for (double v : e.energy_j) sum += v;
      max_j = std::max(max_j, sum);
    }
    auto [ediv, ename] = energy_unit(max_j);
    ch.title = "Energy per epoch, by component (without PUE)";
    ch.x_label = "epoch";
    ch.y_label = fmt::format("energy ({})", ename);
    for (const EpochRow& e : run.epochs) ch.x.push_back(e.index);
    for (size_t i = 0; i < run.components.size(); ++i) {
      Series s{upper(run.components[i]), {}};
      for (const EpochRow& e : run.epochs)
        s.y.push_back(i < e.energy_j.size() ? e.energy_j[i] / ediv : 0);
      ch.series.push_back(std::move(s));
    }
    if (std::any_of(run.epochs.begin(), run.epochs.end(),
                    [](const EpochRow& e) { return e.energy_interval_j.has_value(); })) {
      for (const EpochRow& e : run.epochs)
        ch.error.push_back(scaled_interval(e.energy_interval_j, ediv));
      ch.error_label = "95 % interval";
    }
    charts.push_back(std::move(ch));

    bool has_co2 = std::any_of(run.epochs.begin(), run.epochs.end(),
                               [](const EpochRow& e) { return e.co2_g.has_value(); });
    if (has_co2) {
      Chart co2;
      co2.kind = Chart::Kind::kBarsAndLine;
      double max_g = 0;
      for (const EpochRow& e : run.epochs) max_g = std::max(max_g, e.co2_g.value_or(0));
      auto [gdiv, gname] = co2_unit(max_g);
      co2.title = "CO2eq per epoch (without PUE) and carbon intensity";
      co2.x_label = "epoch";
      co2.y_label = fmt::format("CO2eq ({})", gname);
      co2.y2_label = "intensity (gCO2/kWh)";
      Series bars{"CO2eq", {}};
      co2.line.label = "intensity";
      for (const EpochRow& e : run.epochs) {
        co2.x.push_back(e.index);
        bars.y.push_back(e.co2_g.value_or(NAN) / gdiv);
        co2.line.y.push_back(e.intensity_g_per_kwh.value_or(NAN));
      }
      co2.series.push_back(std::move(bars));
      if (std::any_of(run.epochs.begin(), run.epochs.end(),
                      [](const EpochRow& e) { return e.co2_interval_g.has_value(); })) {
        for (const EpochRow& e : run.epochs)
          co2.error.push_back(scaled_interval(e.co2_interval_g, gdiv));
        co2.error_label = "95 % interval";
      }
      charts.push_back(std::move(co2));
    }
  }
  return charts;
}

void draw_chart(const CairoApi& c, cairo_t* cr, const Chart& chart, double x, double y, double w,
                double h) {
  c.cairo_save(cr);
  c.cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  const bool bars = chart.kind != Chart::Kind::kLines;
  const bool right_axis = chart.kind == Chart::Kind::kBarsAndLine;
  const double left = x + 58, right = x + w - (right_axis ? 58 : 14);
  const double top = y + 36, bottom = y + h - 38;

  // Title.
  c.cairo_set_source_rgb(cr, 0, 0, 0);
  c.cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  c.cairo_set_font_size(cr, 11);
  text_at(c, cr, chart.title, x + w / 2, y + 4, 0.5, 0);
  c.cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  c.cairo_set_font_size(cr, 9);

  // Ranges.
  double xmin = 1e300, xmax = -1e300, ymax = 0, y2max = 0;
  for (double v : chart.x) xmin = std::min(xmin, v), xmax = std::max(xmax, v);
  if (chart.x.empty()) xmin = 0, xmax = 1;
  for (size_t i = 0; i < chart.x.size(); ++i) {
    double stack = 0, top = 0;  // the stack's height; the highest value at i
    for (const Series& s : chart.series) {
      double v = i < s.y.size() && std::isfinite(s.y[i]) ? s.y[i] : 0;
      if (chart.kind == Chart::Kind::kStackedBars)
        stack += std::max(v, 0.0);
      else
        top = std::max(top, v);
    }
    if (chart.kind == Chart::Kind::kStackedBars) top = stack;
    if (i < chart.error.size() && std::isfinite(chart.error[i].plus)) top += chart.error[i].plus;
    ymax = std::max(ymax, top);
    if (i < chart.line.y.size() && std::isfinite(chart.line.y[i]))
      y2max = std::max(y2max, chart.line.y[i]);
  }
  if (bars) xmin -= 0.5, xmax += 0.5;
  Axis xa =
      bars ? Axis{xmin, xmax, std::max(1.0, nice_step(xmax - xmin, 8))} : make_axis(xmin, xmax, 8);
  if (!bars) xmin = xa.lo, xmax = xa.hi;
  if (xmax <= xmin) xmax = xmin + 1;
  Axis ya = make_axis(0, ymax > 0 ? ymax * 1.05 : 1, 5);
  Axis y2a = make_axis(0, y2max > 0 ? y2max * 1.05 : 1, 5);
  auto px = [&](double v) { return left + (v - xmin) / (xmax - xmin) * (right - left); };
  auto py = [&](double v) { return bottom - (v - ya.lo) / (ya.hi - ya.lo) * (bottom - top); };
  auto py2 = [&](double v) { return bottom - (v - y2a.lo) / (y2a.hi - y2a.lo) * (bottom - top); };

  // Grid and ticks.
  c.cairo_set_line_width(cr, 0.4);
  for (double v = ya.lo; v <= ya.hi + ya.step * 1e-6; v += ya.step) {
    static const double kGridDash[] = {1.0, 2.0};
    c.cairo_set_dash(cr, kGridDash, 2, 0);
    c.cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    c.cairo_move_to(cr, left, py(v));
    c.cairo_line_to(cr, right, py(v));
    c.cairo_stroke(cr);
    c.cairo_set_dash(cr, nullptr, 0, 0);
    c.cairo_set_source_rgb(cr, 0, 0, 0);
    c.cairo_move_to(cr, left - 4, py(v));
    c.cairo_line_to(cr, left, py(v));
    c.cairo_stroke(cr);
    text_at(c, cr, tick_label(v, ya.step), left - 6, py(v), 1, 0.5);
  }
  if (right_axis) {
    for (double v = y2a.lo; v <= y2a.hi + y2a.step * 1e-6; v += y2a.step) {
      c.cairo_move_to(cr, right, py2(v));
      c.cairo_line_to(cr, right + 4, py2(v));
      c.cairo_stroke(cr);
      text_at(c, cr, tick_label(v, y2a.step), right + 6, py2(v), 0, 0.5);
    }
  }
  auto x_tick = [&](double v) {
    c.cairo_move_to(cr, px(v), bottom);
    c.cairo_line_to(cr, px(v), bottom + 4);
    c.cairo_stroke(cr);
    text_at(c, cr, tick_label(v, xa.step), px(v), bottom + 6, 0.5, 0);
  };
  if (bars) {
    // Epoch numbers: every one, or the first and the multiples of the step.
    const long step = static_cast<long>(round_half_away(xa.step));
    for (double v : chart.x) {
      long k = static_cast<long>(round_half_away(v));
      if (step <= 1 || k % step == 0 || (k == 1 && step >= 5)) x_tick(v);
    }
  } else {
    for (double v = xa.lo; v <= xa.hi + xa.step * 1e-6; v += xa.step) x_tick(v);
  }

  // Data.
  const double slot = (right - left) / (xmax - xmin);
  const double bar_w = bars ? std::max(0.5, slot * 0.7) : 0;
  if (chart.kind == Chart::Kind::kLines) {
    c.cairo_set_line_width(cr, 1.4);
    for (size_t s = 0; s < chart.series.size(); ++s) {
      set_line_style(c, cr, s);
      bool pen = false;
      for (size_t i = 0; i < chart.x.size() && i < chart.series[s].y.size(); ++i) {
        double v = chart.series[s].y[i];
        if (!std::isfinite(v)) {
          pen = false;
          continue;
        }
        if (pen)
          c.cairo_line_to(cr, px(chart.x[i]), py(v));
        else
          c.cairo_move_to(cr, px(chart.x[i]), py(v));
        pen = true;
      }
      c.cairo_stroke(cr);
    }
  } else {
    for (size_t i = 0; i < chart.x.size(); ++i) {
      double base = 0;
      for (size_t s = 0; s < chart.series.size(); ++s) {
        double v = i < chart.series[s].y.size() ? chart.series[s].y[i] : 0;
        if (!std::isfinite(v) || v <= 0) continue;
        fill_box(c, cr, s, px(chart.x[i]) - bar_w / 2, py(base + v), bar_w,
                 py(base) - py(base + v));
        base += v;
      }
      if (i < chart.error.size() && std::isfinite(chart.error[i].plus) &&
          std::isfinite(chart.error[i].minus) && chart.error[i].plus > 0)
        error_bar(c, cr, px(chart.x[i]), py(std::max(base - chart.error[i].minus, 0.0)),
                  py(base + chart.error[i].plus), std::min(bar_w / 3, 10.0));
    }
    if (right_axis) {
      c.cairo_set_line_width(cr, 1.4);
      set_line_style(c, cr, 1);
      c.cairo_set_source_rgb(cr, 0, 0, 0);
      bool pen = false;
      for (size_t i = 0; i < chart.x.size() && i < chart.line.y.size(); ++i) {
        double v = chart.line.y[i];
        if (!std::isfinite(v)) {
          pen = false;
          continue;
        }
        if (pen)
          c.cairo_line_to(cr, px(chart.x[i]), py2(v));
        else
          c.cairo_move_to(cr, px(chart.x[i]), py2(v));
        pen = true;
      }
      c.cairo_stroke(cr);
      // Markers, so a single epoch still shows its value.
      c.cairo_set_dash(cr, nullptr, 0, 0);
      for (size_t i = 0; i < chart.x.size() && i < chart.line.y.size(); ++i) {
        if (!std::isfinite(chart.line.y[i]) || chart.x.size() > 40) continue;
        c.cairo_new_path(cr);
        c.cairo_arc(cr, px(chart.x[i]), py2(chart.line.y[i]), 2.2, 0, 2 * M_PI);
        c.cairo_fill(cr);
      }
    }
  }

  // Frame and axis labels.
  c.cairo_set_dash(cr, nullptr, 0, 0);
  c.cairo_set_source_rgb(cr, 0, 0, 0);
  c.cairo_set_line_width(cr, 0.8);
  c.cairo_rectangle(cr, left, top, right - left, bottom - top);
  c.cairo_stroke(cr);
  text_at(c, cr, chart.x_label, (left + right) / 2, bottom + 20, 0.5, 0);
  c.cairo_save(cr);
  c.cairo_translate(cr, x + 10, (top + bottom) / 2);
  c.cairo_rotate(cr, -M_PI / 2);
  text_at(c, cr, chart.y_label, 0, 0, 0.5, 0.5);
  c.cairo_restore(cr);
  if (right_axis) {
    c.cairo_save(cr);
    c.cairo_translate(cr, x + w - 8, (top + bottom) / 2);
    c.cairo_rotate(cr, -M_PI / 2);
    text_at(c, cr, chart.y2_label, 0, 0, 0.5, 0.5);
    c.cairo_restore(cr);
  }

  // Legend (between the title and the plot), each entry in its series' style.
  double lx = left, ly = y + 20;
  auto legend_text = [&](const std::string& s) {
    c.cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(c, cr, s, lx + 24, ly + 4, 0, 0.5);
    cairo_text_extents_t ext;
    c.cairo_text_extents(cr, s.c_str(), &ext);
    lx += 24 + ext.x_advance + 12;
  };
  for (size_t s = 0; s < chart.series.size(); ++s) {
    if (bars) {
      fill_box(c, cr, s, lx, ly, 18, 9);
    } else {
      c.cairo_set_line_width(cr, 1.4);
      set_line_style(c, cr, s);
      c.cairo_move_to(cr, lx, ly + 4);
      c.cairo_line_to(cr, lx + 18, ly + 4);
      c.cairo_stroke(cr);
    }
    legend_text(chart.series[s].label);
  }
  if (!chart.error_label.empty()) {
    error_bar(c, cr, lx + 9, ly + 9, ly - 1, 6);
    legend_text(chart.error_label);
  }
  if (right_axis) {
    c.cairo_set_line_width(cr, 1.4);
    set_line_style(c, cr, 1);
    c.cairo_set_source_rgb(cr, 0, 0, 0);
    c.cairo_move_to(cr, lx, ly + 4);
    c.cairo_line_to(cr, lx + 18, ly + 4);
    c.cairo_stroke(cr);
    c.cairo_set_dash(cr, nullptr, 0, 0);
    legend_text(chart.line.label + " (right axis)");
  }
  c.cairo_restore(cr);
}

}  // namespace carbontracker::report
