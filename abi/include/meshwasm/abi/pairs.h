// The Proxy-Wasm header-map ("pairs") codec, shared by guest and host.
//
// Layout, all integers u32 little-endian:
//   N                                     number of pairs
//   N x (key_len, value_len)              all lengths first
//   N x (key bytes 0x00 value bytes 0x00) then every string, each NUL-terminated
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshwasm/abi/limits.h"

namespace meshwasm::abi {

using HeaderView = std::pair<std::string_view, std::string_view>;
using HeaderPair = std::pair<std::string, std::string>;

namespace detail {
inline void putU32(char* out, uint32_t v) {
  out[0] = static_cast<char>(v & 0xff);
  out[1] = static_cast<char>((v >> 8) & 0xff);
  out[2] = static_cast<char>((v >> 16) & 0xff);
  out[3] = static_cast<char>((v >> 24) & 0xff);
}
inline uint32_t getU32(const char* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
}  // namespace detail

// Bytes needed to encode `pairs` (any range whose elements have .first/.second
// convertible to std::string_view).
template <typename Range>
size_t pairsEncodedSize(const Range& pairs) {
  size_t size = 4;
  for (const auto& [key, value] : pairs) {
    size += 8 + std::string_view(key).size() + 1 + std::string_view(value).size() + 1;
  }
  return size;
}

// Writes the encoding of `pairs` to `out`, which holds pairsEncodedSize(pairs) bytes.
template <typename Range>
void encodePairsInto(const Range& pairs, char* out) {
  uint32_t count = 0;
  for (const auto& pair : pairs) {
    (void)pair;
    ++count;
  }
  detail::putU32(out, count);
  char* lengths = out + 4;
  char* strings = lengths + size_t{count} * 8;
  for (const auto& [key, value] : pairs) {
    std::string_view k(key);
    std::string_view v(value);
    detail::putU32(lengths, static_cast<uint32_t>(k.size()));
    detail::putU32(lengths + 4, static_cast<uint32_t>(v.size()));
    lengths += 8;
    if (!k.empty()) std::memcpy(strings, k.data(), k.size());
    strings += k.size();
    *strings++ = '\0';
    if (!v.empty()) std::memcpy(strings, v.data(), v.size());
    strings += v.size();
    *strings++ = '\0';
  }
}

template <typename Range>
std::string encodePairs(const Range& pairs) {
  std::string out(pairsEncodedSize(pairs), '\0');
  encodePairsInto(pairs, out.data());
  return out;
}

// Decodes a pairs buffer the way Envoy's host does: views into `buffer`.
// - fewer than 4 bytes: an empty map;
// - more than `max_pairs` pairs or `max_bytes` bytes, a truncated buffer, a missing NUL
//   after any key or value, or trailing bytes: std::nullopt (the caller decides; the host
//   treats it as an empty map).
std::optional<std::vector<HeaderView>> decodePairs(std::string_view buffer,
                                                   uint32_t max_pairs = kMaxPairs,
                                                   size_t max_bytes = kMaxPairsBytes);

}  // namespace meshwasm::abi
