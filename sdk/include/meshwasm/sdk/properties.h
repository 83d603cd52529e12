// Host properties addressed by path segments (`{"request", "path"}`, sent NUL-joined).
// Values are encoded as the host gives them: strings raw, integers 8 bytes little-endian,
// booleans 1 byte, maps in the pairs format.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/sdk/common.h"

namespace meshwasm::sdk {

using PropertyPath = std::span<const std::string_view>;

// Segments joined by one NUL byte each (no trailing NUL).
std::string encodePropertyPath(PropertyPath path);

// Raw value; nullopt when the host answers NotFound (no such attribute here) or
// SerializationFailure (value not representable); `status` tells which.
std::optional<HostBuffer> getProperty(PropertyPath path, WasmResult* status = nullptr);
inline std::optional<HostBuffer> getProperty(std::initializer_list<std::string_view> path,
                                             WasmResult* status = nullptr) {
  return getProperty(PropertyPath(path.begin(), path.size()), status);
}
std::optional<std::string> getPropertyString(std::initializer_list<std::string_view> path);
// nullopt also when the value is not 8 bytes long.
std::optional<int64_t> getPropertyInt64(std::initializer_list<std::string_view> path);
std::optional<uint64_t> getPropertyUint64(std::initializer_list<std::string_view> path);
// nullopt also when the value is not 1 byte long.
std::optional<bool> getPropertyBool(std::initializer_list<std::string_view> path);
// Map/list values (pairs format); nullopt also when malformed.
std::optional<std::vector<HeaderPair>> getPropertyPairs(
    std::initializer_list<std::string_view> path);

// Ok; NotFound without a stream (root context); BadArgument for read-only properties.
WasmResult setProperty(PropertyPath path, std::string_view value);
inline WasmResult setProperty(std::initializer_list<std::string_view> path,
                              std::string_view value) {
  return setProperty(PropertyPath(path.begin(), path.size()), value);
}

}  // namespace meshwasm::sdk
