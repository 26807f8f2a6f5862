#include "output/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include "common/number.h"

namespace carbontracker {

namespace {

std::string clock_text(double s) {
  long t = static_cast<long>(round_half_away(std::max(0.0, s)));
  return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
}

// Wh below 1 kWh, so that a short run shows more than zeros.
std::string energy_text(double kwh) {
  return kwh < 1 ? fmt::format("{:.1f} Wh", kwh * 1000) : fmt::format("{:.3f} kWh", kwh);
}

std::string co2_text(double g) {
  return g < 1000 ? fmt::format("{:.2f} g CO2eq", g) : fmt::format("{:.3f} kg CO2eq", g / 1000);
}

}  // namespace

std::string progress_text(const ProgressFigures& f, int width) {
  int epoch = f.in_epoch ? std::min(f.epochs_completed + 1, f.epochs_planned) : f.epochs_completed;
  std::string s = fmt::format("CarbonTracker: epoch {}/{} | {}", epoch, f.epochs_planned,
                              clock_text(f.elapsed_s));
  if (!f.power_w.empty()) {
    s += " |";
    for (size_t i = 0; i < f.power_w.size(); ++i)
      s += fmt::format("{} {} {:.1f} W", i ? "," : "", f.power_w[i].first, f.power_w[i].second);
  }
  s += " | " + energy_text(f.energy_kwh) + ", " + co2_text(f.co2_g);
  if (f.predicted_energy_kwh && f.predicted_co2_g) {
    s += " | predicted " + energy_text(*f.predicted_energy_kwh) + ", " +
         co2_text(*f.predicted_co2_g);
    if (f.remaining_s) s += fmt::format(", {} to go", clock_text(*f.remaining_s));
  }
  if (width > 0 && static_cast<int>(s.size()) > width) s.resize(static_cast<size_t>(width));
  return s;
}

ProgressLine::ProgressLine(int fd) : fd_(fd) {}

ProgressLine::~ProgressLine() { finish(); }

bool ProgressLine::wanted(int fd, int verbose) {
  if (verbose < 1 || !isatty(fd)) return false;
  winsize ws{};
  return ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 2 && ws.ws_col >= 10;
}

void ProgressLine::write_all(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = write(fd_, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a terminal gone away: nothing to do about it
    done += static_cast<size_t>(n);
  }
}

void ProgressLine::draw(const ProgressFigures& figures) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  winsize ws{};
  if (ioctl(fd_, TIOCGWINSZ, &ws) != 0 || ws.ws_row < 2 || ws.ws_col < 10) return;
  std::string out;
  if (ws.ws_row != rows_) {
    if (rows_ == 0) {
      // A new row at the bottom, so that the region's shrinking hides nothing;
      // the cursor goes back to where it was (the start of an empty line).
      out += "\n\0337";
      out += fmt::format("\033[1;{}r", ws.ws_row - 1);
      out += "\0338\033[1A";
    } else {
      // Resized: the old line is erased (a taller terminal would keep it
      // in the scrolling rows) and the region set anew.
      out += fmt::format("\0337\033[{};1H\033[2K\033[1;{}r\0338", rows_, ws.ws_row - 1);
    }
    rows_ = ws.ws_row;
  }
  out += fmt::format("\0337\033[{};1H\033[2K{}\0338", rows_, progress_text(figures, ws.ws_col - 1));
  write_all(out);
}

void ProgressLine::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (rows_ == 0) return;
  winsize ws{};
  int rows = ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 ? ws.ws_row : rows_;
  // The whole screen scrolls again (setting the region homes the cursor,
  // hence the save and restore), and the line is erased.
  write_all(fmt::format("\0337\033[1;{}r\0338\0337\033[{};1H\033[2K\0338", rows, rows));
}

}  // namespace carbontracker
