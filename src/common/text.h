// Text helpers for the ASCII words of files, protocols and options: none
// depends on the process's locale (a host program may have set one whose
// letters or white space differ), and bytes outside ASCII are left as they
// are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace carbontracker {

// ASCII white space: ' ', '\t', '\n', '\v', '\f', '\r'.
constexpr bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// s without the ASCII white space at either end (a view into s).
std::string_view trim(std::string_view s);

// 'A'-'Z' lowered, 'a'-'z' raised; every other byte unchanged.
constexpr char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}
constexpr char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - ('a' - 'A')) : c;
}
std::string lower(std::string_view s);
std::string upper(std::string_view s);

// Whether s starts with / contains `part`, ASCII letters compared without
// case.
bool starts_with_nocase(std::string_view s, std::string_view prefix);
bool contains_nocase(std::string_view s, std::string_view part);

// The 64-bit FNV-1a hash of s' bytes: stable across builds and machines, for
// names derived from a longer key (file names), never for security.
uint64_t fnv1a64(std::string_view s);

}  // namespace carbontracker
