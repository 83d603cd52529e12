#include "meshwasm/abi/pairs.h"

namespace meshwasm::abi {

std::optional<std::vector<HeaderView>> decodePairs(std::string_view buffer, uint32_t max_pairs,
                                                   size_t max_bytes) {
  std::vector<HeaderView> out;
  if (buffer.size() > max_bytes) return std::nullopt;
  if (buffer.size() < 4) return out;
  const uint32_t count = detail::getU32(buffer.data());
  if (count > max_pairs) return std::nullopt;
  // Lengths table must fit (count <= max_pairs keeps this from overflowing).
  const size_t table_end = 4 + size_t{count} * 8;
  if (table_end > buffer.size()) return std::nullopt;
  out.reserve(count);
  size_t pos = table_end;
  for (uint32_t i = 0; i < count; ++i) {
    const char* entry = buffer.data() + 4 + size_t{i} * 8;
    const size_t key_len = detail::getU32(entry);
    const size_t value_len = detail::getU32(entry + 4);
    // key, NUL, value, NUL must all lie inside the buffer.
    if (key_len > buffer.size() - pos || buffer.size() - pos - key_len < 1) return std::nullopt;
    std::string_view key = buffer.substr(pos, key_len);
    pos += key_len;
    if (buffer[pos] != '\0') return std::nullopt;
    ++pos;
    if (value_len > buffer.size() - pos || buffer.size() - pos - value_len < 1) return std::nullopt;
    std::string_view value = buffer.substr(pos, value_len);
    pos += value_len;
    if (buffer[pos] != '\0') return std::nullopt;
    ++pos;
    out.emplace_back(key, value);
  }
  if (pos != buffer.size()) return std::nullopt;  // trailing bytes
  return out;
}

}  // namespace meshwasm::abi
