#include "intensity/source.h"

#include "carbontracker/error.h"
#include "common/text.h"

namespace carbontracker {

void IntensitySource::set_api_keys(const std::map<std::string, std::string>& keys) {
  for (const auto& [name, key] : keys) {
    if (lower(name) != "electricitymaps")
      throw Error(ErrorCode::kInvalidArgument, "Invalid API name '" + name + "' given.");
  }
}

}  // namespace carbontracker
