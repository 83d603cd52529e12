// The compare-and-swap increment of shared_data, apart from the SDK so it can be tested with
// a store that races. The value is stored as decimal text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meshwasm::examples {

// Strict decimal (no sign, no spaces, no overflow); nullopt otherwise.
inline std::optional<uint64_t> parseCount(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

inline std::string formatCount(uint64_t value) {
  std::string text;
  do {
    text.insert(text.begin(), static_cast<char>('0' + value % 10));
    value /= 10;
  } while (value != 0);
  return text;
}

struct StoredCount {
  std::string text;  // as stored (may be garbage written by someone else)
  uint32_t cas = 0;
};

enum class WriteResult { Ok, CasMismatch, Failed };

struct IncrementResult {
  bool ok = false;
  uint64_t value = 0;     // the value this increment wrote
  int retries = 0;        // CAS mismatches seen before it succeeded
  bool repaired = false;  // the stored text was not a number and counting restarted at 0
};

// Reads, adds one, writes back only if nobody wrote in between; retries on a mismatch up to
// `max_attempts` times. `read()` returns std::optional<StoredCount> (nullopt: absent);
// `write(text, cas)` returns WriteResult. An absent key is created with cas 0.
template <typename Read, typename Write>
IncrementResult incrementSharedCount(Read read, Write write, int max_attempts = 32) {
  IncrementResult result;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    const std::optional<StoredCount> stored = read();
    uint64_t current = 0;
    uint32_t cas = 0;
    if (stored) {
      cas = stored->cas;
      if (std::optional<uint64_t> parsed = parseCount(stored->text)) {
        current = *parsed;
      } else {
        result.repaired = true;
      }
    }
    const uint64_t next = current + 1;
    switch (write(formatCount(next), cas)) {
      case WriteResult::Ok:
        result.ok = true;
        result.value = next;
        return result;
      case WriteResult::CasMismatch: ++result.retries; continue;
      case WriteResult::Failed: return result;
    }
  }
  return result;
}

}  // namespace meshwasm::examples
