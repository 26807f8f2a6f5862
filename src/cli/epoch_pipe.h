// The epoch pipe's text: the lines a command writes on CARBONTRACKER_EPOCH_FD
// ("epoch_start", "epoch_end", optionally tagged " rank=N"), cut into lines
// of bounded length, and the markers they stand for.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace carbontracker {

// Cuts bytes read from the pipe into lines. A line ends at "\n" ("\r\n" too);
// one longer than kMaxLineBytes cannot be a marker: it is not kept whole (the
// memory it takes stays bounded, whatever a writer sends) and is passed on as
// too long once its end comes.
class EpochLineSplitter {
 public:
  static constexpr size_t kMaxLineBytes = 4096;

  // on_line(text, too_long): text is the line without its end, or its first
  // kMaxLineBytes bytes when too_long.
  using LineFn = std::function<void(const std::string& text, bool too_long)>;

  // Appends bytes; calls on_line for every line they complete.
  void feed(const char* data, size_t size, const LineFn& on_line);

 private:
  std::string pending_;
  bool too_long_ = false;  // the line in progress is past the cap
};

enum class EpochMarker {
  kStart,      // epoch_start (untagged or rank=0)
  kEnd,        // epoch_end (untagged or rank=0)
  kOtherRank,  // a marker of rank > 0: only rank 0's count
  kUnknown,    // anything else
};

// What a line of the pipe says. Several ranks may write markers: a marker
// tagged " rank=N" counts only for rank 0.
EpochMarker parse_epoch_marker(const std::string& line);

// text made safe to show on a terminal: control characters and DEL written
// as \xNN, and at most max_bytes of it, followed by "..." when cut.
std::string printable(const std::string& text, size_t max_bytes = 200);

}  // namespace carbontracker
