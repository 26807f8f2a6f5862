// The intensity source the tracker uses (make_intensity_source): a value from
// the offline table at once, then live values from a background thread.
//
// Location, in order, each step said in notes(): the region option or
// CARBONTRACKER_REGION; IP geolocation (background, 2 s limit); the system
// time zone through zone.tab; else unknown (world average). Until geolocation
// answers, the time-zone country gives the first value. With `offline` (or
// CARBONTRACKER_OFFLINE=1) no thread is started and no request is made.
//
// The background thread geolocates once (cached 24 h), then every
// refresh_interval_s fetches the live value from the first suitable provider
// (Electricity Maps with a key, carbonintensity.org.uk for GB, Energi Data
// Service for DK), falling back to the next one and finally to the table, and
// prefetches the provider's forecast. Live answers are cached on disk for
// min(10 min, refresh interval).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>

#include "common/counted_thread.h"
#include "intensity/http.h"
#include "intensity/providers.h"
#include "intensity/source.h"
#include "intensity/table.h"

namespace carbontracker {

class DetectingIntensitySource : public IntensitySource {
 public:
  // Throws Error(kInvalidArgument) for an unknown API name in options.api_keys.
  // Makes no network access itself; `options.env` may be null (process
  // defaults are not read then: an empty Environment is used).
  explicit DetectingIntensitySource(const IntensityOptions& options);
  // Stops the background thread, cancelling any transfer at once.
  ~DetectingIntensitySource() override;

  IntensityValue current() override;
  std::optional<IntensityValue> forecast(double duration_s) override;
  void set_api_keys(const std::map<std::string, std::string>& keys) override;
  // The lines queued since the previous call: location detection at start,
  // later a live source failing, recovering or changing.
  std::vector<std::string> notes() override;
  double refresh_interval_s() const override { return refresh_interval_s_; }

  // For tests: waits (real time) until the background thread has finished
  // `cycles` refresh cycles; false on timeout or when there is no thread.
  bool wait_for_cycles(int cycles, double timeout_s);
  // For tests: asks the background thread to refresh now.
  void refresh_now();

 private:
  enum class TableReason { kPending, kFailed, kOffline };
  IntensityValue table_value(const Location& where, TableReason reason) const;
  void run();
  void cycle();
  bool geolocate_once();
  void fetch_live();
  // After an exception in a cycle: says so once, falls back to the table and
  // stops using the disk cache (takes mu_).
  void internal_error(const std::string& what);
  void note(std::string line);  // needs mu_ held
  // Says once per file that a corrupt cache file is ignored (takes mu_).
  void cache_corrupt(const std::string& problem);
  ProviderConfig config_snapshot();

  const Environment env_;
  const Clock* clock_;
  const IntensityTable& table_;
  const bool offline_;
  const double refresh_interval_s_;
  const double forecast_wait_s_;
  // The background thread waits this long before its first request, so a
  // command that ends sooner never loads libcurl or touches the network.
  const double network_start_delay_s_;
  ProviderConfig config_;  // guarded by mu_ (the key may change)
  Stopper stopper_;
  const std::function<void()> cycle_hook_;
  std::atomic<bool> use_cache_{true};

  std::mutex mu_;
  std::condition_variable cv_;
  IntensityValue current_;
  Location location_;
  bool explicit_location_ = false;
  bool geolocation_done_ = false;
  std::deque<std::string> notes_;
  std::string last_failure_;                   // to say a repeated failure once
  std::set<std::string> corrupt_cache_files_;  // said once each
  std::vector<Segment> forecast_segments_;
  std::string forecast_provider_;
  int cycles_done_ = 0;
  bool refresh_requested_ = false;
  bool stopping_ = false;
  bool internal_error_said_ = false;
  CountedThread worker_;
};

}  // namespace carbontracker
