#include "output/progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <string>

namespace carbontracker {
namespace {

ProgressFigures figures() {
  ProgressFigures f;
  f.epochs_completed = 1;
  f.epochs_planned = 10;
  f.in_epoch = true;
  f.elapsed_s = 65.4;
  f.power_w = {{"gpu", 300}, {"cpu", 62.5}};
  f.energy_kwh = 0.012345;
  f.co2_g = 5.8149;
  return f;
}

TEST(ProgressText, ShowsEpochTimePowerEnergyAndCo2) {
  EXPECT_EQ(
      progress_text(figures()),
      "CarbonTracker: epoch 2/10 | 0:01:05 | gpu 300.0 W, cpu 62.5 W | 12.3 Wh, 5.81 g CO2eq");
  ProgressFigures f = figures();
  f.in_epoch = false;
  f.predicted_energy_kwh = 12.5;
  f.predicted_co2_g = 5810;
  f.remaining_s = 4 * 3600 + 520;
  EXPECT_EQ(progress_text(f),
            "CarbonTracker: epoch 1/10 | 0:01:05 | gpu 300.0 W, cpu 62.5 W | 12.3 Wh, 5.81 g CO2eq "
            "| predicted 12.500 kWh, 5.810 kg CO2eq, 4:08:40 to go");
  EXPECT_EQ(progress_text(f, 20), "CarbonTracker: epoch");
}

// What the terminal received, read from the pty's master side.
std::string drain(int master) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(master, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(ProgressLine, KeepsToTheLastRowOfATerminalAndGivesItBack) {
  int master = -1, slave = -1;
  winsize ws{};
  ws.ws_row = 24;
  ws.ws_col = 40;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, &ws), 0);
  fcntl(master, F_SETFL, O_NONBLOCK);
  EXPECT_TRUE(ProgressLine::wanted(slave, 1));
  EXPECT_FALSE(ProgressLine::wanted(slave, 0));
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  EXPECT_FALSE(ProgressLine::wanted(pipe_fds[1], 1));
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  {
    ProgressLine line(slave);
    line.draw(figures());
    std::string first = drain(master);
    // Rows 1..23 scroll; the line is drawn on row 24, cut to 39 columns,
    // with the cursor saved and restored around it.
    EXPECT_NE(first.find("\033[1;23r"), std::string::npos);
    EXPECT_NE(first.find("\0337\033[24;1H\033[2KCarbonTracker: epoch 2/10 | 0:01:05 | g\0338"),
              std::string::npos)
        << first;
    ProgressFigures f = figures();
    f.elapsed_s = 66;
    line.draw(f);
    std::string second = drain(master);
    EXPECT_EQ(second, "\0337\033[24;1H\033[2KCarbonTracker: epoch 2/10 | 0:01:06 | g\0338");
    // A resize sets the region again.
    ws.ws_row = 30;
    ioctl(slave, TIOCSWINSZ, &ws);
    line.draw(f);
    EXPECT_EQ(drain(master),
              "\0337\033[24;1H\033[2K\033[1;29r\0338"
              "\0337\033[30;1H\033[2KCarbonTracker: epoch 2/10 | 0:01:06 | g\0338");
    line.finish();
    EXPECT_EQ(drain(master), "\0337\033[1;30r\0338\0337\033[30;1H\033[2K\0338");
    line.draw(f);  // after finish(): nothing
  }
  EXPECT_EQ(drain(master), "");
  close(master);
  close(slave);
}

}  // namespace
}  // namespace carbontracker
