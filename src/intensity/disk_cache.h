// A small on-disk cache of fetched intensity data, so that repeated runs do
// not hammer the APIs: one JSON file per key under the cache directory
// (XDG_CACHE_HOME/carbontracker), written atomically (temporary file, then
// rename). Entries hold only parsed values and their fetch time, never a
// request, a header or an API key.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace carbontracker {

class DiskCache {
 public:
  // An empty `dir` disables the cache (get() misses, put() does nothing).
  explicit DiskCache(std::string dir) : dir_(std::move(dir)) {}

  // The value stored under `key` if it was stored at most `ttl_s` seconds
  // before `now_unix_s` (and not in the future). Misses on any read or parse
  // error; then, if the file exists but is corrupt (not a regular file,
  // malformed JSON, a missing or mistyped field), sets `*problem` to its path
  // and why. Never throws on the file's content.
  std::optional<nlohmann::json> get(const std::string& key, double now_unix_s, double ttl_s,
                                    std::string* problem = nullptr) const;
  // Stores `value` under `key` with time `now_unix_s`. Returns false (and
  // leaves any older entry intact) if the directory or file cannot be written.
  bool put(const std::string& key, const nlohmann::json& value, double now_unix_s) const;

  // The value of the cache file content `text` as get() reads it: nullopt
  // for another key or an entry out of date, and also, with `*why` set, for
  // content that is not an entry (malformed JSON, a missing or mistyped
  // field). Never throws.
  static std::optional<nlohmann::json> read_entry(const std::string& text, const std::string& key,
                                                  double now_unix_s, double ttl_s,
                                                  const char** why = nullptr);

  // The file name used for `key`: its safe characters plus a hash.
  static std::string file_name(const std::string& key);

 private:
  std::string dir_;
};

// 64-bit FNV-1a, stable across runs and platforms.
uint64_t fnv1a64(const std::string& s);

}  // namespace carbontracker
