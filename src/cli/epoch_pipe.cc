#include "cli/epoch_pipe.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "cli/args.h"

namespace carbontracker {

void EpochLineSplitter::feed(const char* data, size_t size, const LineFn& on_line) {
  // One byte more than the cap is kept, for a '\r' before the '\n'.
  constexpr size_t kKeep = kMaxLineBytes + 1;
  while (size > 0) {
    const char* nl = static_cast<const char*>(std::memchr(data, '\n', size));
    size_t take = nl ? static_cast<size_t>(nl - data) : size;
    size_t room = kKeep - pending_.size();
    if (take > room) too_long_ = true;
    pending_.append(data, std::min(take, room));
    if (!nl) return;
    data += take + 1;
    size -= take + 1;
    std::string line;
    line.swap(pending_);
    bool too_long = too_long_;
    too_long_ = false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > kMaxLineBytes) too_long = true;
    if (too_long) line.resize(std::min(line.size(), kMaxLineBytes));
    on_line(line, too_long);
  }
}

EpochMarker parse_epoch_marker(const std::string& text) {
  std::string line = text;
  if (size_t sp = line.find(" rank="); sp != std::string::npos) {
    int rank = -1;
    if (parse_int(line.substr(sp + 6), rank) && rank >= 0) {
      if (rank > 0)
        return line.compare(0, sp, "epoch_start") == 0 || line.compare(0, sp, "epoch_end") == 0
                   ? EpochMarker::kOtherRank
                   : EpochMarker::kUnknown;
      line.resize(sp);
    }
  }
  if (line == "epoch_start") return EpochMarker::kStart;
  if (line == "epoch_end") return EpochMarker::kEnd;
  return EpochMarker::kUnknown;
}

std::string printable(const std::string& text, size_t max_bytes) {
  std::string out;
  size_t n = std::min(text.size(), max_bytes);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  if (n < text.size()) out += "...";
  return out;
}

}  // namespace carbontracker
