// Vocabulary shared by every part of the SDK: the ABI enums, the host-owned buffer type and
// the "broken host contract" exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "meshwasm/abi/enums.h"

namespace meshwasm::sdk {

using abi::BufferType;
using abi::FilterDataStatus;
using abi::FilterHeadersStatus;
using abi::FilterMetadataStatus;
using abi::FilterStatus;
using abi::FilterTrailersStatus;
using abi::GrpcStatus;
using abi::LogLevel;
using abi::MapType;
using abi::MetricType;
using abi::PeerType;
using abi::StreamType;
using abi::WasmResult;

using HeaderView = std::pair<std::string_view, std::string_view>;
using HeaderPair = std::pair<std::string, std::string>;

// A buffer the host allocated inside the guest (through the guest's allocator) and handed
// over: the guest owns it and this type frees it. Empty results carry no allocation
// (the host writes pointer 0 and length 0), so data() may be null when size() is 0.
class HostBuffer {
 public:
  HostBuffer() = default;
  HostBuffer(char* data, size_t size) : data_(data), size_(size) {}
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  HostBuffer(HostBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  HostBuffer& operator=(HostBuffer&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~HostBuffer() { reset(); }

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const {
    return size_ == 0 ? std::string_view() : std::string_view(data_, size_);
  }
  std::string toString() const { return std::string(view()); }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  bool operator==(std::string_view other) const { return view() == other; }

  // Frees the buffer now (idempotent).
  void reset();

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
};

// The host broke its side of the ABI (a status the call cannot return, a malformed buffer):
// logs `message` at critical, then traps (natively: std::abort).
[[noreturn]] void hostContractViolation(std::string_view call, WasmResult status);
[[noreturn]] void fatal(std::string_view message);

// Decimal text of an unsigned / signed integer without pulling in stdio.
std::string toDecimal(uint64_t value);
std::string toDecimal(int64_t value);
inline std::string toDecimal(uint32_t value) {
  return toDecimal(uint64_t{value});
}
inline std::string toDecimal(int32_t value) {
  return toDecimal(int64_t{value});
}

}  // namespace meshwasm::sdk
