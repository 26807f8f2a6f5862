#include "intensity/source.h"

#include <cctype>

#include "carbontracker/error.h"

namespace carbontracker {

void IntensitySource::set_api_keys(const std::map<std::string, std::string>& keys) {
  for (const auto& [name, key] : keys) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "electricitymaps")
      throw Error(ErrorCode::kInvalidArgument, "Invalid API name '" + name + "' given.");
  }
}

}  // namespace carbontracker
