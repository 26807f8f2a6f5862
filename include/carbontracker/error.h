// Errors the library reports to its caller. The library never calls exit():
// every failure reaches the caller as one of these exceptions.
#pragma once

#include <stdexcept>
#include <string>

namespace carbontracker {

enum class ErrorCode {
  kInvalidArgument,  // options rejected (the original raises ValueError)
  kComponent,        // a requested component has no usable device
  kIo,               // a log or JSON file could not be written
  kUserQuit,         // stop_and_confirm answered "n" (the original exits 0)
  kInput,            // stop_and_confirm could not read an answer (EOF)
  kInternal,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace carbontracker
