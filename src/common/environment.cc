#include "carbontracker/environment.h"

#include <cstdlib>

extern char** environ;

namespace carbontracker {

Environment Environment::from_process_env() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env.vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  auto set = [&](const char* name, std::string& field) {
    if (auto it = env.vars.find(name); it != env.vars.end() && !it->second.empty())
      field = it->second;
  };
  set("CARBONTRACKER_POWERCAP_ROOT", env.powercap_root);
  set("CARBONTRACKER_PROC_ROOT", env.proc_root);
  set("CARBONTRACKER_DEV_ROOT", env.dev_root);
  set("CARBONTRACKER_SYS_ROOT", env.sys_root);
  set("CARBONTRACKER_HWMON_ROOT", env.hwmon_root);
  set("CARBONTRACKER_NVML_LIBRARY", env.nvml_library);
  set("CARBONTRACKER_ROCM_SMI_LIBRARY", env.rocm_smi_library);
  set("CARBONTRACKER_REGION", env.region);
  set("TZ", env.tz);
  std::string offline = env.var("CARBONTRACKER_OFFLINE");
  env.offline = !offline.empty() && offline != "0" && offline != "false";
  std::string xdg = env.var("XDG_CACHE_HOME");
  std::string home = env.var("HOME");
  if (!xdg.empty())
    env.cache_dir = xdg + "/carbontracker";
  else if (!home.empty())
    env.cache_dir = home + "/.cache/carbontracker";
  return env;
}

std::string Environment::var(const std::string& name, const std::string& fallback) const {
  auto it = vars.find(name);
  return it == vars.end() ? fallback : it->second;
}

bool Environment::has_var(const std::string& name) const { return vars.count(name) != 0; }

}  // namespace carbontracker
