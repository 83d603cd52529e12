// Header, trailer and metadata maps of the current context.
//
// Absent and empty are different things: a single-value lookup answers std::nullopt only
// when the host says NotFound (or the map is not available in this callback); a header sent
// with an empty value is an empty HostBuffer (the host writes pointer 0 / length 0 then).
// Envoy's single-value call returns only the FIRST value of a repeated header; every value
// is available through the pairs call (HeaderMap::values, getHeaderMapValues).
// Keys are compared in lower case, as Envoy stores them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/sdk/common.h"

namespace meshwasm::sdk {

// A whole map fetched with one pairs call: owns the host buffer, hands out views into it.
class HeaderMap {
 public:
  HeaderMap() = default;
  HeaderMap(HostBuffer buffer, std::vector<HeaderView> entries)
      : buffer_(std::move(buffer)), entries_(std::move(entries)) {}

  // One entry per occurrence, in the host's order.
  const std::vector<HeaderView>& entries() const { return entries_; }
  std::span<const HeaderView> span() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // First value of `key` (as the single-value host call answers), nullopt if absent.
  std::optional<std::string_view> first(std::string_view key) const;
  // Every value of `key`, in order.
  std::vector<std::string_view> values(std::string_view key) const;
  // Owning copy of every entry.
  std::vector<HeaderPair> copy() const;

 private:
  HostBuffer buffer_;
  std::vector<HeaderView> entries_;
};

// The whole map. A map the host cannot provide now is empty; `status` (if given) receives the
// host's answer (Ok, or NotFound / BadArgument from hosts stricter than Envoy).
HeaderMap getHeaderMap(MapType map, WasmResult* status = nullptr);
std::vector<HeaderPair> getHeaderMapPairs(MapType map);
std::vector<std::string> getHeaderMapValues(MapType map, std::string_view key);
// First value of `key`. nullopt: absent (NotFound) or map not available now (BadArgument);
// `status` tells which.
std::optional<HostBuffer> getHeaderMapValue(MapType map, std::string_view key,
                                            WasmResult* status = nullptr);
// Envoy answers the sum of key and value lengths (not the entry count).
std::optional<uint32_t> getHeaderMapByteSize(MapType map, WasmResult* status = nullptr);

// Modifications answer Ok, or BadArgument when the map is not modifiable in this callback.
WasmResult setHeaderMapPairs(MapType map, std::span<const HeaderView> pairs);
WasmResult setHeaderMapPairs(MapType map, const std::vector<HeaderPair>& pairs);
WasmResult addHeaderMapValue(MapType map, std::string_view key, std::string_view value);
WasmResult replaceHeaderMapValue(MapType map, std::string_view key, std::string_view value);
WasmResult removeHeaderMapValue(MapType map, std::string_view key);

// Shorthands per map.
#define MESHWASM_SDK_MAP_SHORTHANDS(Name, type)                                                    \
  inline HeaderMap get##Name##Map() {                                                              \
    return getHeaderMap(type);                                                                     \
  }                                                                                                \
  inline std::vector<HeaderPair> get##Name##Pairs() {                                              \
    return getHeaderMapPairs(type);                                                                \
  }                                                                                                \
  inline std::optional<HostBuffer> get##Name(std::string_view key, WasmResult* status = nullptr) { \
    return getHeaderMapValue(type, key, status);                                                   \
  }                                                                                                \
  inline std::vector<std::string> get##Name##Values(std::string_view key) {                        \
    return getHeaderMapValues(type, key);                                                          \
  }                                                                                                \
  inline WasmResult set##Name##Pairs(const std::vector<HeaderPair>& pairs) {                       \
    return setHeaderMapPairs(type, pairs);                                                         \
  }                                                                                                \
  inline WasmResult add##Name(std::string_view key, std::string_view value) {                      \
    return addHeaderMapValue(type, key, value);                                                    \
  }                                                                                                \
  inline WasmResult replace##Name(std::string_view key, std::string_view value) {                  \
    return replaceHeaderMapValue(type, key, value);                                                \
  }                                                                                                \
  inline WasmResult remove##Name(std::string_view key) {                                           \
    return removeHeaderMapValue(type, key);                                                        \
  }

MESHWASM_SDK_MAP_SHORTHANDS(RequestHeader, MapType::HttpRequestHeaders)
MESHWASM_SDK_MAP_SHORTHANDS(RequestTrailer, MapType::HttpRequestTrailers)
MESHWASM_SDK_MAP_SHORTHANDS(ResponseHeader, MapType::HttpResponseHeaders)
MESHWASM_SDK_MAP_SHORTHANDS(ResponseTrailer, MapType::HttpResponseTrailers)
MESHWASM_SDK_MAP_SHORTHANDS(HttpCallResponseHeader, MapType::HttpCallResponseHeaders)
MESHWASM_SDK_MAP_SHORTHANDS(HttpCallResponseTrailer, MapType::HttpCallResponseTrailers)
MESHWASM_SDK_MAP_SHORTHANDS(GrpcInitialMetadata, MapType::GrpcReceiveInitialMetadata)
MESHWASM_SDK_MAP_SHORTHANDS(GrpcTrailingMetadata, MapType::GrpcReceiveTrailingMetadata)
#undef MESHWASM_SDK_MAP_SHORTHANDS

}  // namespace meshwasm::sdk
