// Carbon-intensity sources. The tracker asks current() at every sampling tick
// and boundary, so current() must be cheap and never block on the network:
// sources that fetch do so on their own thread and return the best value known.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "carbontracker/environment.h"
#include "energy/intensity_feed.h"

namespace carbontracker {

class Clock;

class IntensitySource : public IntensityFeed {
 public:
  // current() (IntensityFeed): the value valid now; never blocks on the network.
  // The average forecast over the next duration_s seconds, if a provider
  // offers one; may block up to a bounded timeout (called once, at prediction).
  virtual std::optional<IntensityValue> forecast(double duration_s) = 0;
  // Keys for live providers ({"electricitymaps": KEY}); unknown names throw
  // Error(kInvalidArgument, "Invalid API name '<name>' given.").
  virtual void set_api_keys(const std::map<std::string, std::string>& keys);
  // Lines to say once at start (e.g. how the location was detected).
  virtual std::vector<std::string> notes() { return {}; }
  // Seconds between refreshes, shown in the "fetched every N s" line.
  virtual double refresh_interval_s() const { return 900; }
};

struct IntensityOptions {
  const Environment* env = nullptr;
  const Clock* clock = nullptr;
  std::string region;  // explicit region, overrides env.region
  bool offline = false;
  double refresh_interval_s = 900;
  std::map<std::string, std::string> api_keys;
  // For tests: called on the background thread at the start of each refresh
  // cycle (an exception from it stands for an internal error).
  std::function<void()> cycle_hook;
};

// The source the tracker uses. Defined by the intensity module.
std::unique_ptr<IntensitySource> make_intensity_source(const IntensityOptions& options);

// The original's fallback: 481 gCO2/kWh (WORLD_2019_CARBON_INTENSITY).
inline constexpr double kWorldDefaultIntensity = 481.0;

}  // namespace carbontracker
