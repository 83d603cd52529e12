#include "meshwasm/gateway/header_map.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <tuple>

namespace meshwasm::gateway {

namespace {

constexpr uint64_t kEveryByte = 0x0101010101010101;

// Eight bytes lower-cased at once: a byte in 'A'..'Z' gets bit 5 set, every other byte (bytes
// >= 0x80 included) is kept. No carry crosses a byte: the sums stay below 0x100 per byte.
inline uint64_t lowerWord(uint64_t w) {
  uint64_t low7 = w & (0x7f * kEveryByte);
  uint64_t at_least_a = low7 + (0x80 - 'A') * kEveryByte;   // high bit: byte >= 'A'
  uint64_t above_z = low7 + (0x80 - 'Z' - 1) * kEveryByte;  // high bit: byte > 'Z'
  uint64_t upper = at_least_a & ~above_z & ~w & (0x80 * kEveryByte);
  return w | (upper >> 2);
}

// Header names are lower-cased for every entry added: a word at a time (the last word overlaps
// the previous one when the length is no multiple of 8; lower-casing twice changes nothing).
void lowerInPlace(char* p, size_t n) {
  if (n >= 8) {
    uint64_t w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::memcpy(&w, p + i, 8);
      w = lowerWord(w);
      std::memcpy(p + i, &w, 8);
    }
    if (i < n) {
      std::memcpy(&w, p + n - 8, 8);
      w = lowerWord(w);
      std::memcpy(p + n - 8, &w, 8);
    }
    return;
  }
  if (n >= 4) {
    uint32_t head, tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    head = static_cast<uint32_t>(lowerWord(head));
    tail = static_cast<uint32_t>(lowerWord(tail));
    std::memcpy(p, &head, 4);
    std::memcpy(p + n - 4, &tail, 4);
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    if (p[i] >= 'A' && p[i] <= 'Z') p[i] = static_cast<char>(p[i] - 'A' + 'a');
  }
}

}  // namespace

std::string toLower(std::string_view s) {
  std::string out(s);
  lowerInPlace(out.data(), out.size());
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

// Equal bytes of two names of the same length, compared in place (names are short: a call to
// memcmp cost more than the comparison).
inline bool sameBytes(const char* a, const char* b, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a0, b0, a1, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4 && n < 8) {
    uint32_t a0, b0, a1, b1;
    std::memcpy(&a0, a, 4);
    std::memcpy(&b0, b, 4);
    std::memcpy(&a1, a + n - 4, 4);
    std::memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  return std::memcmp(a, b, n) == 0;
}

// Sizes first (most names differ in length), then the exact bytes (names are stored and
// mostly looked up lower-case), then case-insensitively.
inline bool sameName(std::string_view stored, std::string_view name) {
  return stored.size() == name.size() &&
         (sameBytes(stored.data(), name.data(), name.size()) || equalsIgnoreCase(stored, name));
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
  lowerInPlace(e.first.data(), e.first.size());
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  bool placed = false;
  auto out = entries_.begin();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (sameName(it->first, name)) {
      if (placed) continue;
      it->second.assign(value);
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
  if (value->size() == 3 && p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
      p[2] >= '0' && p[2] <= '9') {
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');  // the usual three digits
  }
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
