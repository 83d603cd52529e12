// A small, strict JSON reader (RFC 8259) for the plugin configuration.
//
// Why not a library: the policy runs inside the wasm32-wasi guest, built with -fno-exceptions
// and with a 40 KiB budget for the whole header_auth.wasm. nlohmann/json (the JSON library
// available here) reports errors by throwing and is far larger than that budget; this reader
// is a few hundred lines, never throws, and returns a clear message with the byte offset.
//
// Hostile input never crashes it: nesting is limited (kMaxJsonDepth), strings must be valid
// UTF-8 without raw control characters, \u escapes must pair surrogates, numbers follow the
// JSON grammar, and nothing may follow the top-level value. Duplicate object keys are kept
// (in order) so the caller can report them with a path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/status.h"
#include "pod_array.h"

namespace meshwasm::header_auth {

constexpr int kMaxJsonDepth = 32;  // arrays/objects nested deeper are refused
constexpr uint32_t kNoJsonNode = 0xffffffffu;

enum class JsonType : uint8_t { Null, Boolean, Number, String, Array, Object };

// A slice of JsonDocument's string pool.
struct JsonText {
  uint32_t offset = 0;
  uint32_t size = 0;
};

// Plain data (no owning members) so that the node vector stays cheap in code and memory.
struct JsonNode {
  JsonType type = JsonType::Null;
  bool boolean = false;
  bool is_integer = false;  // a Number without fraction or exponent that fits in int64_t
  int64_t integer = 0;
  uint32_t first_child = kNoJsonNode;  // Array elements / Object members, in order
  uint32_t next_sibling = kNoJsonNode;
  uint32_t child_count = 0;
  JsonText key;   // member name, for children of an Object
  JsonText text;  // decoded value of a String
};

class JsonDocument {
 public:
  // Errors read `invalid JSON at byte <offset>: <reason>`.
  static StatusOr<JsonDocument> parse(std::string_view text);

  const JsonNode& root() const { return nodes_[0]; }
  const JsonNode& node(uint32_t index) const { return nodes_[index]; }
  std::string_view key(const JsonNode& node) const { return slice(node.key); }
  std::string_view text(const JsonNode& node) const { return slice(node.text); }
  // The member `key` of an object (the first one if repeated), or nullptr.
  const JsonNode* member(const JsonNode& object, std::string_view key) const;

 private:
  friend class JsonParser;
  std::string_view slice(JsonText text) const {
    return std::string_view(strings_.data() + text.offset, text.size);  // set by the parser
  }
  PodArray<JsonNode> nodes_;
  std::string strings_;  // every decoded key and string, back to back
};

std::string_view jsonTypeName(JsonType type);

}  // namespace meshwasm::header_auth
