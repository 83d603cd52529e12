// Small ASCII string helpers shared by the policy's parser and evaluator.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace meshwasm::header_auth {

inline char asciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

inline bool containsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t start = 0; start + needle.size() <= haystack.size(); ++start) {
    if (equalsIgnoreCase(haystack.substr(start, needle.size()), needle)) return true;
  }
  return false;
}

inline std::string toLowerAscii(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = asciiLower(c);
  return lower;
}

inline bool isBlank(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

// "/a/b?x=1" -> "/a/b" (a fragment never reaches the proxy).
inline std::string_view stripQuery(std::string_view path) {
  size_t question = path.find('?');
  return question == path.npos ? path : path.substr(0, question);
}

// "example.com:8080" -> "example.com", "[::1]:8080" -> "[::1]"; a bare IPv6 address (more than
// one ':' and no brackets) is left alone.
inline std::string_view stripPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == host.npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.find(':');
  if (colon == host.npos || host.find(':', colon + 1) != host.npos) return host;
  return host.substr(0, colon);
}

}  // namespace meshwasm::header_auth

namespace meshwasm::header_auth {

// Decimal text of `value` (std::to_string is avoided: it can pull printf into the guest).
inline std::string decimal(uint64_t value) {
  char digits[20];
  int count = 0;
  do {
    digits[count++] = char('0' + value % 10);
    value /= 10;
  } while (value != 0);
  std::string text;
  while (count > 0) text.push_back(digits[--count]);
  return text;
}

}  // namespace meshwasm::header_auth
