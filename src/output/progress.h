// The progress line: one status line kept on the terminal's last row while a
// run is measured, redrawn at each sampling tick.
//
// Implementation details: the line lives outside a scroll region (DECSTBM)
// that covers every row but the last, as apt's progress bar does. Everything
// else written to the terminal (the wrapped program's output, our own
// messages) scrolls above it and is never overwritten; each redraw is one
// write(2) (save cursor, go to the last row, erase it, text, restore cursor),
// which the terminal driver does not interleave with other writers. finish()
// gives the whole screen back and erases the line.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace carbontracker {

struct ProgressFigures {
  int epochs_completed = 0;
  int epochs_planned = 0;
  bool in_epoch = false;
  double elapsed_s = 0;
  // Power per component over the last tick ("gpu", 300.0), in output order.
  std::vector<std::pair<std::string, double>> power_w;
  double energy_kwh = 0;  // so far, with PUE
  double co2_g = 0;       // so far, with PUE
  // After the prediction: the expected totals of all planned epochs and the
  // time still to go.
  std::optional<double> predicted_energy_kwh;
  std::optional<double> predicted_co2_g;
  std::optional<double> remaining_s;
};

// The line's text, cut to `width` columns (0: no limit), e.g.
// "CarbonTracker: epoch 2/10 | 0:01:05 | gpu 300.0 W, cpu 62.5 W | 12.3 Wh,
//  5.81 g CO2eq | predicted 12.500 kWh, 5.810 kg CO2eq, 4:08:40 to go" (Wh
// below 1 kWh, kg from 1000 g).
std::string progress_text(const ProgressFigures& f, int width = 0);

class ProgressLine {
 public:
  // Draws on fd (not owned), which must be a terminal (see wanted()).
  explicit ProgressLine(int fd);
  ~ProgressLine();  // finish()
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // True when fd is a terminal whose size is known and verbose >= 1.
  static bool wanted(int fd, int verbose);

  // Redraws the line (reserving the last row on the first call, and again
  // after a resize). Thread-safe.
  void draw(const ProgressFigures& figures);
  // Erases the line and gives the last row back to the scroll region. Safe
  // to call more than once.
  void finish();

 private:
  void write_all(const std::string& s);

  const int fd_;
  std::mutex mu_;  // guards the members below
  int rows_ = 0;   // the terminal's rows when the region was set; 0: not set
  bool finished_ = false;
};

}  // namespace carbontracker
