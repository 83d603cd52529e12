// The decision of http_auth_random, apart from the SDK: find the uuid in httpbin's `/uuid`
// answer (`{"uuid": "0b5f4c1e-..."}`) and let the request through when its last hex digit is
// even. httpbin's uuids are random (version 4), so about half the requests pass.
#pragma once

#include <optional>
#include <string_view>

namespace meshwasm::examples {

inline bool isHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A uuid in its 36-character text form (8-4-4-4-12 hex digits).
inline bool isUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !isHexDigit(text[i])) return false;
  }
  return true;
}

// The value of the top-level "uuid" member of a small JSON object; nullopt when absent or not
// a uuid. Only what httpbin sends is understood: no escapes inside the value.
inline std::optional<std::string_view> findUuid(std::string_view json) {
  constexpr std::string_view kKey = "\"uuid\"";
  const size_t key = json.find(kKey);
  if (key == std::string_view::npos) return std::nullopt;
  size_t i = key + kKey.size();
  auto skipSpace = [&] {
    while (i < json.size() &&
           (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' || json[i] == '\t')) {
      ++i;
    }
  };
  skipSpace();
  if (i >= json.size() || json[i] != ':') return std::nullopt;
  ++i;
  skipSpace();
  if (i >= json.size() || json[i] != '"') return std::nullopt;
  const size_t start = ++i;
  const size_t end = json.find('"', start);
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view value = json.substr(start, end - start);
  if (!isUuid(value)) return std::nullopt;
  return value;
}

// Allow when the uuid's last hex digit is even.
inline bool allowByUuid(std::string_view uuid) {
  if (uuid.empty() || !isHexDigit(uuid.back())) return false;
  const char c = uuid.back();
  const int value = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
  return value % 2 == 0;
}

}  // namespace meshwasm::examples
