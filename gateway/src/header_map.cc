#include "meshwasm/gateway/header_map.h"

#include <algorithm>
#include <cstdint>
#include <tuple>

namespace meshwasm::gateway {

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

namespace {

// Sizes first (most names differ in length), then the exact bytes (names are stored and
// mostly looked up lower-case), then case-insensitively.
inline bool sameName(std::string_view stored, std::string_view name) {
  return stored.size() == name.size() && (stored == name || equalsIgnoreCase(stored, name));
}

}  // namespace

std::optional<std::string_view> HeaderMap::get(std::string_view name) const {
  for (const auto& [k, v] : entries_) {
    if (sameName(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string> HeaderMap::getJoined(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& [k, v] : entries_) {
    if (!sameName(k, name)) continue;
    if (out) {
      out->push_back(',');
      out->append(v);
    } else {
      out = v;
    }
  }
  return out;
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  Entry& e = entries_.emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                                   std::forward_as_tuple(value));
  for (char& c : e.first) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  bool placed = false;
  auto out = entries_.begin();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (sameName(it->first, name)) {
      if (placed) continue;
      it->second = std::string(value);
      placed = true;
    }
    if (out != it) *out = std::move(*it);
    ++out;
  }
  entries_.erase(out, entries_.end());
  if (!placed) add(name, value);
}

size_t HeaderMap::remove(std::string_view name) {
  size_t before = entries_.size();
  std::erase_if(entries_, [&](const Entry& e) { return sameName(e.first, name); });
  return before - entries_.size();
}

std::optional<int> statusCode(const HeaderMap& headers) {
  auto value = headers.get(":status");
  if (!value) return std::nullopt;
  // atoi's reading (leading white space, a sign, then digits up to the first other character)
  // without its locale machinery; values beyond int saturate instead of being undefined.
  const char* p = value->data();
  const char* end = p + value->size();
  while (p != end && (*p == ' ' || (*p >= '\t' && *p <= '\r'))) ++p;
  bool negative = false;
  if (p != end && (*p == '+' || *p == '-')) negative = *p++ == '-';
  int64_t n = 0;
  for (; p != end && *p >= '0' && *p <= '9'; ++p) {
    n = std::min<int64_t>(n * 10 + (*p - '0'), int64_t{INT32_MAX} + 1);
  }
  if (negative) return static_cast<int>(std::max<int64_t>(-n, INT32_MIN));
  return static_cast<int>(std::min<int64_t>(n, INT32_MAX));
}

size_t HeaderMap::byteSize() const {
  size_t n = 0;
  for (const auto& [k, v] : entries_) n += k.size() + v.size();
  return n;
}

}  // namespace meshwasm::gateway
