#include "grpc_wire.h"

namespace meshwasm::gateway {

std::string grpcFrame(std::string_view message) {
  std::string frame;
  frame.reserve(5 + message.size());
  const auto size = static_cast<uint32_t>(message.size());
  frame.push_back('\0');
  frame.push_back(static_cast<char>(size >> 24));
  frame.push_back(static_cast<char>(size >> 16));
  frame.push_back(static_cast<char>(size >> 8));
  frame.push_back(static_cast<char>(size));
  frame.append(message);
  return frame;
}

void GrpcMessageReader::feed(std::string_view bytes) {
  if (failed()) return;
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<std::string> GrpcMessageReader::next() {
  if (failed() || buffer_.size() - offset_ < 5) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
  if (p[0] != 0) {
    error_ = p[0] == 1 ? "compressed gRPC messages are not supported" : "bad gRPC frame flag";
    return std::nullopt;
  }
  const uint32_t size =
      (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) | uint32_t{p[4]};
  if (size > kGrpcMaxMessageSize) {
    error_ = "gRPC message of " + std::to_string(size) + " bytes is over the limit";
    return std::nullopt;
  }
  if (buffer_.size() - offset_ - 5 < size) return std::nullopt;
  std::string message = buffer_.substr(offset_ + 5, size);
  offset_ += 5 + size;
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > 65536 && offset_ * 2 > buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return message;
}

std::optional<std::chrono::milliseconds> parseGrpcTimeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  uint64_t amount = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    amount = amount * 10 + static_cast<uint64_t>(c - '0');
  }
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  switch (value.back()) {
    case 'H': return duration_cast<milliseconds>(std::chrono::hours(amount));
    case 'M': return duration_cast<milliseconds>(std::chrono::minutes(amount));
    case 'S': return duration_cast<milliseconds>(std::chrono::seconds(amount));
    case 'm': return milliseconds(amount);
    case 'u': return duration_cast<milliseconds>(std::chrono::microseconds(amount));
    case 'n': return duration_cast<milliseconds>(std::chrono::nanoseconds(amount));
    default: return std::nullopt;
  }
}

std::string formatGrpcTimeout(std::chrono::milliseconds timeout) {
  const int64_t ms = timeout.count() < 0 ? 0 : timeout.count();
  if (ms <= 99999999) return std::to_string(ms) + "m";
  const int64_t seconds = (ms + 999) / 1000;
  if (seconds <= 99999999) return std::to_string(seconds) + "S";
  const int64_t hours = (seconds + 3599) / 3600;
  return std::to_string(hours > 99999999 ? 99999999 : hours) + "H";
}

std::string grpcPercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b <= 0x7e && b != '%') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string grpcPercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hexValue(text[i + 1]);
      const int low = hexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

uint32_t grpcStatusFromHttp(uint32_t http_status) {
  switch (http_status) {
    case 400: return kGrpcInternal;
    case 401: return 16;  // Unauthenticated
    case 403: return 7;   // PermissionDenied
    case 404: return kGrpcUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504: return kGrpcUnavailable;
    default: return kGrpcUnknown;
  }
}

}  // namespace meshwasm::gateway
