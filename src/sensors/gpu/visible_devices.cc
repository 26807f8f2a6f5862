#include "sensors/gpu/visible_devices.h"

#include <algorithm>
#include <cctype>

#include "common/number.h"
#include "common/text.h"

namespace carbontracker {
namespace {

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    size_t comma = s.find(',');
    out.push_back(trim(s.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// The entry's board index, or nullopt with *why set.
std::optional<unsigned> resolve_entry(std::string_view entry, const std::vector<std::string>& uuids,
                                      const MigResolver& resolve_mig, std::string* mig_uuid,
                                      std::string* why) {
  if (entry.empty()) {
    *why = "empty entry";
    return std::nullopt;
  }
  if (std::all_of(entry.begin(), entry.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (entry.size() > 9) {
      *why = "no such GPU index";
      return std::nullopt;
    }
    unsigned index = *parse_integer<unsigned>(entry);  // at most 9 digits
    if (index >= uuids.size()) {
      *why = "no such GPU index (" + std::to_string(uuids.size()) + " GPU(s))";
      return std::nullopt;
    }
    return index;
  }
  if (starts_with_nocase(entry, "MIG-")) {
    if (resolve_mig) {
      if (auto parent = resolve_mig(entry)) {
        *mig_uuid = std::string(entry);
        return parent;
      }
    }
    // The pre-R470 form "MIG-GPU-<uuid>/<gi>/<ci>" names the board itself.
    std::string_view rest = entry.substr(4);
    size_t slash = rest.find('/');
    if (starts_with_nocase(rest, "GPU-") && slash != std::string_view::npos) {
      std::string_view board = rest.substr(0, slash);
      for (size_t i = 0; i < uuids.size(); ++i) {
        if (uuids[i].size() == board.size() && starts_with_nocase(uuids[i], board)) {
          *mig_uuid = std::string(entry);
          return static_cast<unsigned>(i);
        }
      }
    }
    *why = "no such MIG instance";
    return std::nullopt;
  }
  if (starts_with_nocase(entry, "GPU-")) {
    std::optional<unsigned> found;
    int matches = 0;
    for (size_t i = 0; i < uuids.size(); ++i) {
      if (starts_with_nocase(uuids[i], entry)) {
        found = static_cast<unsigned>(i);
        ++matches;
      }
    }
    if (matches == 1) return found;
    *why = matches == 0 ? "no GPU has this UUID" : "UUID prefix matches several GPUs";
    return std::nullopt;
  }
  *why = "neither a GPU index nor a GPU-/MIG- UUID";
  return std::nullopt;
}

}  // namespace

VisibleSelection select_visible_gpus(const std::optional<std::string>& value,
                                     const std::vector<std::string>& gpu_uuids,
                                     const MigResolver& resolve_mig, std::string_view var_name) {
  VisibleSelection sel;
  if (!value) {
    for (size_t i = 0; i < gpu_uuids.size(); ++i)
      sel.gpus.push_back({static_cast<unsigned>(i), ""});
    return sel;
  }
  std::string_view text = trim(*value);
  if (text.empty() || text == "NoDevFiles") return sel;

  std::vector<std::string_view> entries = split_commas(text);
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string mig_uuid, why;
    std::optional<unsigned> index =
        resolve_entry(entries[i], gpu_uuids, resolve_mig, &mig_uuid, &why);
    if (!index) {
      std::string w = std::string(var_name) + "=\"" + *value + "\": invalid entry \"" +
                      std::string(entries[i]) + "\" (" + why + ")";
      if (i + 1 < entries.size()) {
        w += "; it and every entry after it (";
        for (size_t j = i + 1; j < entries.size(); ++j) {
          if (j > i + 1) w += ", ";
          w += "\"" + std::string(entries[j]) + "\"";
        }
        w += ") are ignored, as the GPU runtime does";
      } else {
        w += "; it is ignored, as the GPU runtime does";
      }
      w += sel.gpus.empty() ? ", so no GPU is measured"
                            : ", so only the GPU(s) before it are measured";
      sel.warning = std::move(w);
      break;
    }
    bool seen = std::any_of(sel.gpus.begin(), sel.gpus.end(),
                            [&](const VisibleGpu& g) { return g.index == *index; });
    if (!seen) sel.gpus.push_back({*index, std::move(mig_uuid)});
  }
  return sel;
}

}  // namespace carbontracker
