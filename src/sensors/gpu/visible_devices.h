// Which GPUs a CUDA (or ROCm) program sees, from CUDA_VISIBLE_DEVICES and
// friends, mapped onto the physical GPUs the driver library enumerates.
//
// The rules follow CUDA's own parsing: the value is a comma-separated list of
// entries, each a physical index ("0"), a GPU UUID or a unique prefix of one
// ("GPU-8f3c"), or a MIG instance UUID ("MIG-..."), which selects its parent
// board. CUDA stops at the first invalid entry and uses only the entries
// before it; so does this. An empty value or "NoDevFiles" (set by Slurm for
// jobs without GPUs) selects nothing; an absent variable selects every GPU.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace carbontracker {

struct VisibleGpu {
  unsigned index = 0;    // into the physical GPU list
  std::string mig_uuid;  // the MIG instance that selected this board; empty if none
};

struct VisibleSelection {
  std::vector<VisibleGpu> gpus;  // in the variable's order, each board once
  // Names the first invalid entry and those ignored after it; empty if all valid.
  std::string warning;
};

// Resolves a MIG instance UUID to the index of its parent board, or nullopt
// when no such instance exists.
using MigResolver = std::function<std::optional<unsigned>(std::string_view mig_uuid)>;

// value: the variable's value, nullopt when it is not set. gpu_uuids: the
// physical GPUs' UUIDs ("GPU-..."), by index. var_name is used in the warning.
// Never throws; bad input gives a warning and a shorter selection.
VisibleSelection select_visible_gpus(const std::optional<std::string>& value,
                                     const std::vector<std::string>& gpu_uuids,
                                     const MigResolver& resolve_mig,
                                     std::string_view var_name = "CUDA_VISIBLE_DEVICES");

}  // namespace carbontracker
