#include "common/text.h"

#include <algorithm>

namespace carbontracker {

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper(c);
  return out;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(),
                    [](char a, char b) { return lower(a) == lower(b); });
}

bool contains_nocase(std::string_view s, std::string_view part) {
  return std::search(s.begin(), s.end(), part.begin(), part.end(),
                     [](char a, char b) { return lower(a) == lower(b); }) != s.end();
}

uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 14695981039346656037ull;  // offset basis
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;  // FNV prime
  }
  return h;
}

}  // namespace carbontracker
