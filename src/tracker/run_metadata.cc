#include "tracker/run_metadata.h"

#include "carbontracker/version.h"
#include "common/host.h"

namespace carbontracker {

const char* const kClusterVars[6] = {"SLURM_JOB_ID",   "SLURM_PROCID", "SLURM_NODEID",
                                     "SLURM_JOB_NAME", "RANK",         "LOCAL_RANK"};

RunMetadata collect_run_metadata(const Environment& env) {
  RunMetadata meta;
  meta.version = version();
  meta.hostname = host_name();
  for (const char* name : kClusterVars)
    if (env.has_var(name)) meta.cluster[name] = env.var(name);
  return meta;
}

std::string run_metadata_json(const RunMetadata& meta) {
  // ordered_json keeps "hostname" first, then kClusterVars order.
  nlohmann::ordered_json j;
  j["hostname"] = meta.hostname;
  for (const char* name : kClusterVars)
    if (auto it = meta.cluster.find(name); it != meta.cluster.end()) j[name] = it->second;
  for (auto& [k, v] : meta.cluster)
    if (!j.contains(k)) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace carbontracker
