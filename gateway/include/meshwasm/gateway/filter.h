// The gateway's HTTP filter-chain seam, shaped like Envoy's: each request runs through a
// chain of stream filters (request side in order, response side in reverse order) in front of
// the router. A Proxy-Wasm plugin is one such filter (wasm_filter.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "meshwasm/gateway/header_map.h"

namespace meshwasm::gateway {

// Results of header callbacks (Envoy's Http::FilterHeadersStatus).
enum class HeadersStatus {
  Continue,
  StopIteration,                 // headers held; treated as StopAllIterationAndWatermark
  StopAllIterationAndBuffer,     // headers and body held (body buffered, up to the limit)
  StopAllIterationAndWatermark,  // same here: the gateway buffers up to the limit
};

// Results of body callbacks (Envoy's Http::FilterDataStatus).
enum class DataStatus {
  Continue,                   // pass everything buffered so far on
  StopIterationAndBuffer,     // keep it; the next call sees the accumulated buffer
  StopIterationAndWatermark,  // same here
  StopIterationNoBuffer,      // the filter took the chunk; it is dropped from the stream
};

enum class TrailersStatus { Continue, StopIteration };

// Response flags of the access log (Envoy's %RESPONSE_FLAGS%), as a bit set.
enum ResponseFlag : uint32_t {
  kNoFlags = 0,
  kUpstreamConnectionFailure = 1u << 0,      // UF
  kUpstreamConnectionTermination = 1u << 1,  // UC
  kUpstreamRequestTimeout = 1u << 2,         // UT
  kDownstreamConnectionTermination = 1u << 3,  // DC
  kNoClusterFound = 1u << 4,                 // NC
  kStreamIdleTimeout = 1u << 5,              // SI
};
std::string responseFlagsToString(uint32_t flags);  // "UF,UT" or "-"

// What the access log and properties know about one request.
struct StreamInfo {
  std::chrono::system_clock::time_point start_time;
  std::chrono::steady_clock::time_point start_steady;
  std::string request_id;
  std::string protocol = "HTTP/1.1";
  std::string downstream_local_address;   // "127.0.0.1:8080"
  std::string downstream_remote_address;  // "127.0.0.1:53422"
  uint64_t bytes_received = 0;            // request body bytes from downstream
  uint64_t bytes_sent = 0;                // response body bytes to downstream
  int response_code = 0;
  std::string response_code_details;
  uint32_t response_flags = kNoFlags;
  std::string route_name = "default";
  std::string upstream_cluster;
  std::string upstream_host;
  std::optional<std::chrono::milliseconds> upstream_service_time;
  bool reset = false;  // the stream ended without a complete response
};

// Operations a filter may ask of its stream. Calls made while one of the filter's callbacks
// runs take effect right after that callback returns (as in Envoy's Proxy-Wasm host).
class FilterCallbacks {
 public:
  virtual ~FilterCallbacks() = default;
  virtual void continueDecoding() = 0;
  virtual void continueEncoding() = 0;
  // A reply generated here. From the request side it runs back through the response side of
  // this filter and the ones before it; from the response side it is sent directly (or the
  // stream is reset when response headers already left).
  virtual void sendLocalReply(int status, std::string body, HeaderMap headers,
                              std::string details) = 0;
  // A complete reply (headers with ":status", the final body) that already ran through this
  // filter's own response side: it goes on through the response side of the filters before
  // this one, or straight downstream when it is too late for them.
  // The arguments are moved from.
  virtual void sendPreparedReply(HeaderMap&& headers, std::string&& body,
                                 std::string&& details) = 0;
  virtual void resetStream(std::string details) = 0;
  virtual StreamInfo& streamInfo() = 0;
  // The stream's maps while they exist (nullptr otherwise).
  virtual HeaderMap* requestHeaders() = 0;
  virtual HeaderMap* requestTrailers() = 0;
  virtual HeaderMap* responseHeaders() = 0;
  virtual HeaderMap* responseTrailers() = 0;
  // The body buffered for this filter on each side (what the current body callback sees).
  virtual std::string* requestBody() = 0;
  virtual std::string* responseBody() = 0;
  // Whether response headers already went downstream.
  virtual bool responseHeadersSent() const = 0;
};

class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  virtual void setCallbacks(FilterCallbacks& callbacks) { callbacks_ = &callbacks; }

  virtual HeadersStatus decodeHeaders(HeaderMap&, bool /*end_stream*/) {
    return HeadersStatus::Continue;
  }
  virtual DataStatus decodeData(std::string&, bool /*end_stream*/) { return DataStatus::Continue; }
  virtual TrailersStatus decodeTrailers(HeaderMap&) { return TrailersStatus::Continue; }
  virtual HeadersStatus encodeHeaders(HeaderMap&, bool /*end_stream*/) {
    return HeadersStatus::Continue;
  }
  virtual DataStatus encodeData(std::string&, bool /*end_stream*/) { return DataStatus::Continue; }
  virtual TrailersStatus encodeTrailers(HeaderMap&) { return TrailersStatus::Continue; }
  // Access-log time (before onDestroy); maps are readable.
  virtual void onLog() {}
  // The stream is gone (completed or reset); called exactly once.
  virtual void onDestroy() {}

 protected:
  FilterCallbacks* callbacks_ = nullptr;
};

// Creates a worker's filter instance for each new stream.
using FilterFactory = std::function<std::unique_ptr<StreamFilter>()>;

}  // namespace meshwasm::gateway
