// Encodings of property values returned by proxy_get_property (reference 4.3), for
// embedders answering Embedder::property / StreamCallbacks::property.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "meshwasm/host/embedder.h"

namespace meshwasm::host {

inline std::string encodeStringProperty(std::string_view v) {
  return std::string(v);
}
std::string encodeIntProperty(int64_t v);    // 8 bytes LE
std::string encodeUintProperty(uint64_t v);  // 8 bytes LE
std::string encodeDoubleProperty(double v);  // 8 bytes IEEE-754 LE
std::string encodeBoolProperty(bool v);      // 1 byte
std::string encodeTimestampProperty(std::chrono::system_clock::time_point t);  // int64 ns
std::string encodeDurationProperty(std::chrono::nanoseconds d);                // int64 ns
std::string encodeMapProperty(const Headers& entries);                         // pairs format

}  // namespace meshwasm::host
