// gRPC over HTTP/2, the parts independent of the transport: length-prefixed message framing,
// the grpc-timeout header, grpc-message percent-encoding, and HTTP status -> gRPC status.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meshwasm::gateway {

// gRPC status codes used by the gateway's client and service.
inline constexpr uint32_t kGrpcOk = 0;
inline constexpr uint32_t kGrpcUnknown = 2;
inline constexpr uint32_t kGrpcInvalidArgument = 3;
inline constexpr uint32_t kGrpcDeadlineExceeded = 4;
inline constexpr uint32_t kGrpcResourceExhausted = 8;
inline constexpr uint32_t kGrpcUnimplemented = 12;
inline constexpr uint32_t kGrpcInternal = 13;
inline constexpr uint32_t kGrpcUnavailable = 14;

// Upper bound of one message the gateway accepts (client and service).
inline constexpr size_t kGrpcMaxMessageSize = 4 * 1024 * 1024;

// One uncompressed message: flag byte 0, 4-byte big-endian length, the bytes.
std::string grpcFrame(std::string_view message);

// Splits a DATA byte stream into messages. Feed bytes as they arrive; take complete
// messages with next(). A compressed message or one over kGrpcMaxMessageSize makes the
// reader fail (error() says why) and it stays failed.
class GrpcMessageReader {
 public:
  void feed(std::string_view bytes);
  std::optional<std::string> next();
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Bytes of an incomplete message still buffered (a stream ending here was truncated).
  size_t pending() const { return buffer_.size() - offset_; }

 private:
  std::string buffer_;
  size_t offset_ = 0;
  std::string error_;
};

// "5000m" style value (at most 8 digits, unit H M S m u n); nullopt when malformed.
std::optional<std::chrono::milliseconds> parseGrpcTimeout(std::string_view value);
// Milliseconds as a grpc-timeout value ("250m"; values over 8 digits in seconds).
std::string formatGrpcTimeout(std::chrono::milliseconds timeout);

// grpc-message encoding: bytes outside 0x20-0x7E and '%' become %XX.
std::string grpcPercentEncode(std::string_view text);
// Lenient decoding: invalid escapes stay as they are.
std::string grpcPercentDecode(std::string_view text);

// Status of a call whose HTTP response was not 200 (gRPC's HTTP mapping).
uint32_t grpcStatusFromHttp(uint32_t http_status);

}  // namespace meshwasm::gateway
