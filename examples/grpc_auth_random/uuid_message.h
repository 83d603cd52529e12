// The messages of grpc_auth_random, apart from the SDK. The built-in upstream's gRPC service
// (gateway/src/grpc_service.h) answers
//
//   service meshwasm.httpbin.Httpbin { rpc Uuid(UuidRequest) returns (UuidReply); }
//   message UuidRequest {}
//   message UuidReply { string uuid = 1; }
//
// The request is the empty message (zero bytes); the reply is read with a minimal protobuf
// reader that skips unknown fields and rejects truncated input.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace meshwasm::examples {

inline constexpr std::string_view kGrpcService = "meshwasm.httpbin.Httpbin";
inline constexpr std::string_view kGrpcMethod = "Uuid";

namespace protobuf {

// Reads a base-128 varint at `*pos`; false when truncated or longer than 10 bytes.
inline bool readVarint(std::string_view data, size_t* pos, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= data.size()) return false;
    const auto byte = static_cast<uint8_t>(data[(*pos)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

// The last occurrence of length-delimited field `number` (protobuf's rule for singular
// fields); nullopt when absent or the message is malformed.
inline std::optional<std::string_view> findBytesField(std::string_view data, uint32_t number) {
  std::optional<std::string_view> found;
  size_t pos = 0;
  while (pos < data.size()) {
    uint64_t key = 0;
    if (!readVarint(data, &pos, &key)) return std::nullopt;
    const uint64_t field = key >> 3;
    switch (key & 7) {
      case 0: {  // varint
        uint64_t ignored = 0;
        if (!readVarint(data, &pos, &ignored)) return std::nullopt;
        break;
      }
      case 1:  // 64-bit
        if (data.size() - pos < 8) return std::nullopt;
        pos += 8;
        break;
      case 2: {  // length-delimited
        uint64_t length = 0;
        if (!readVarint(data, &pos, &length) || length > data.size() - pos) return std::nullopt;
        if (field == number) found = data.substr(pos, static_cast<size_t>(length));
        pos += static_cast<size_t>(length);
        break;
      }
      case 5:  // 32-bit
        if (data.size() - pos < 4) return std::nullopt;
        pos += 4;
        break;
      default:  // groups (3, 4) and invalid types
        return std::nullopt;
    }
  }
  return found;
}

}  // namespace protobuf

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

// UuidReply.uuid when present and a uuid.
inline std::optional<std::string_view> uuidFromReply(std::string_view message) {
  std::optional<std::string_view> uuid = protobuf::findBytesField(message, 1);
  if (!uuid || !isUuid(*uuid)) return std::nullopt;
  return uuid;
}

// Allow when the uuid's last hex digit is even (the same rule as http_auth_random).
inline bool allowByUuid(std::string_view uuid) {
  if (uuid.empty() || !isHexDigit(uuid.back())) return false;
  const char c = uuid.back();
  const int value = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
  return value % 2 == 0;
}

}  // namespace meshwasm::examples
