// One JSON line per request with the fields of Istio's default JSON access-log format, written
// to stdout (buffered like Envoy's file sink and flushed periodically and at exit).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "meshwasm/gateway/filter.h"
#include "meshwasm/gateway/header_map.h"

namespace meshwasm::gateway {

// The JSON object for one request (no trailing newline). `request` may be null (the request
// never got as far as complete headers).
std::string formatAccessLog(const StreamInfo& info, const HeaderMap* request);

class AccessLog {
 public:
  explicit AccessLog(std::FILE* out) : out_(out) {}
  void write(const std::string& line);
  void flush();

 private:
  std::mutex mutex_;
  std::FILE* out_;
  std::string buffer_;
};

}  // namespace meshwasm::gateway
