// Results of a tracked run, available programmatically (Tracker::result()).
// Every output (console text, log files, --json) is formatted from these
// structures, so no two outputs can disagree.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "carbontracker/device.h"
#include "carbontracker/intensity_record.h"
#include "carbontracker/uncertainty.h"

namespace carbontracker {

struct EpochRecord {
  int index = 0;         // 1-based
  bool partial = false;  // still in progress when stop() was called
  double start_unix_s = 0;
  double duration_s = 0;
  // Per device (same order as RunResult::devices), without PUE.
  std::vector<double> energy_j;
  std::vector<double> co2_g;
  // Devices that had no reading at all in this epoch (e.g. lost mid-run).
  std::vector<bool> missing;
  // Devices reported beside the totals (the node figure), not summed in them.
  std::vector<bool> beside;
  // The epoch's energy (kWh) and CO2eq (g), with PUE, and their uncertainty;
  // absent for figures read from logs written before intervals existed.
  std::optional<Uncertainty> uncertainty;

  double total_energy_j() const;  // without PUE, devices beside the total left out
  double total_co2_g() const;     // without PUE, devices beside the total left out
};

// A consumption block: "Predicted consumption for N epoch(s):" or "Actual consumption ...".
struct Consumption {
  int epochs = 0;  // epochs the figures cover (completed ones for the actual block)
  double duration_s = 0;
  double energy_kwh = 0;           // with PUE
  double co2_g = 0;                // with PUE
  double intensity_g_per_kwh = 0;  // the intensity behind co2_g (energy-weighted average)
  std::string intensity_note;      // e.g. "forecast" or "current value, no forecast available"
  // Uncertainty of energy_kwh and co2_g (doc/uncertainty.md); absent for
  // figures read from logs written before intervals existed.
  std::optional<Uncertainty> uncertainty;
};

// Where this process stands in a distributed job (torchrun, Slurm, MPI).
// Numbers are -1 where the launcher does not say.
struct DistributedInfo {
  std::string policy = "auto";  // the `distributed` option: "auto" or "off"
  std::string launcher;         // "torchrun", "openmpi", "mpich", "slurm"; empty: none found
  std::string job;              // the job's identity (SLURM_JOB_ID, torchrun run id ...)
  std::string step;             // Slurm step id, else empty
  int rank = -1;
  int world_size = -1;
  int local_rank = -1;
  int node = -1;   // index of the node in the job
  int nodes = -1;  // nodes in the job (or step)
  // This process measures its node. False: another process does, and this
  // one measures nothing, prints nothing by default and writes no logs.
  bool measures = true;
  // Who measures the node for this process: "local rank 0", "the holder of
  // the node lock PATH", "the carbontracker wrapper (pid N)"; empty when
  // this process measures.
  std::string measured_by;
  // The one line said about the decision, e.g. "rank 3 of 8: node measured
  // by local rank 0"; empty when no launcher was found under "auto".
  std::string message;
  // This process measures, and the node may be counted by more than one
  // process (distributed="off", or no node lock could be taken): the message
  // is then said at verbose 1, not only at verbose 2.
  bool may_double_count = false;
};

struct RunResult {
  std::vector<DeviceInfo> devices;
  std::vector<EpochRecord> epochs;
  std::vector<IntensityRecord> intensities;
  double pue = 1.58;
  int planned_epochs = 0;
  std::optional<Consumption> prediction;
  std::optional<Consumption> actual;
  bool finished = false;              // monitoring has ended (actual reported, or stop())
  bool interrupted = false;           // stop() before monitor_epochs were completed
  std::vector<std::string> messages;  // warnings said during the run, in order
  DistributedInfo distributed;

  // Sums over all recorded epochs (partial ones included).
  double energy_j(bool with_pue) const;
  double co2_g(bool with_pue) const;
  double duration_s() const;
  // Energy of one component (sum of its devices), without PUE.
  double component_energy_j(ComponentKind kind) const;
};

}  // namespace carbontracker
