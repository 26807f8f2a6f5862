#include "intensity/disk_cache.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace carbontracker {

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string DiskCache::file_name(const std::string& key) {
  std::string safe;
  for (char c : key) {
    if (safe.size() >= 60) break;
    safe += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  }
  return fmt::format("intensity-{}-{:016x}.json", safe, fnv1a64(key));
}

std::optional<nlohmann::json> DiskCache::get(const std::string& key, double now_unix_s,
                                             double ttl_s, std::string* problem) const {
  if (dir_.empty()) return std::nullopt;
  const std::filesystem::path path = std::filesystem::path(dir_) / file_name(key);
  auto corrupt = [&](const char* why) -> std::optional<nlohmann::json> {
    if (problem) *problem = fmt::format("{} ({})", path.string(), why);
    return std::nullopt;
  };
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return std::nullopt;
  if (!std::filesystem::is_regular_file(status)) return corrupt("not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return corrupt("unreadable");
  std::stringstream text;
  text << in.rdbuf();
  const char* why = nullptr;
  auto value = read_entry(text.str(), key, now_unix_s, ttl_s, &why);
  if (why) return corrupt(why);
  return value;
}

std::optional<nlohmann::json> DiskCache::read_entry(const std::string& text, const std::string& key,
                                                    double now_unix_s, double ttl_s,
                                                    const char** why) {
  auto corrupt = [&](const char* what) -> std::optional<nlohmann::json> {
    if (why) *why = what;
    return std::nullopt;
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return corrupt("malformed JSON");
  if (!j.is_object()) return corrupt("not a JSON object");
  auto k = j.find("key");
  auto t = j.find("stored_unix_s");
  auto v = j.find("value");
  if (k == j.end() || !k->is_string() || t == j.end() || !t->is_number() || v == j.end())
    return corrupt("missing or mistyped fields");
  if (k->get<std::string>() != key) return std::nullopt;  // another key with the same name
  double age = now_unix_s - t->get<double>();
  if (!(age >= 0 && age <= ttl_s)) return std::nullopt;
  return *v;
}

bool DiskCache::put(const std::string& key, const nlohmann::json& value, double now_unix_s) const {
  if (dir_.empty()) return false;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  std::filesystem::path final_path = std::filesystem::path(dir_) / file_name(key);
  std::filesystem::path tmp = final_path;
  static std::atomic<unsigned> counter{0};
  tmp += fmt::format(".tmp{}.{}", static_cast<long>(::getpid()), counter++);
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return false;
    nlohmann::json j = {{"key", key}, {"stored_unix_s", now_unix_s}, {"value", value}};
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace carbontracker
