// One request/response exchange on a downstream connection: the filter chain, the router to
// the upstream cluster, and the response encoder towards the client.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "filter_manager.h"
#include "upstream.h"

namespace meshwasm::gateway {

class Session;

// Length of a request id written by writeRequestId.
constexpr size_t kRequestIdSize = 36;
// Writes a new random UUID version 4 (RFC 4122: 8-4-4-4-12 lower-case hex digits, version
// nibble 4, variant bits 10) into out[0..35], from a per-thread generator seeded by
// std::random_device; what the connection manager puts into a missing x-request-id.
void writeRequestId(char* out);

// A connection's streams run one after another through one ActiveStream (and one filter chain):
// begin() and end() bracket each request; between them it holds nothing of the previous one.
class ActiveStream final : public FilterChainSink, public UpstreamCallbacks {
 public:
  explicit ActiveStream(Session& session);
  ~ActiveStream() override;

  // A new request starts (before decodeHeaders).
  void begin();
  // The request is over (after finalize()): its upstream request, filter state, maps and
  // buffers go.
  void end();

  void decodeHeaders(HeaderMap headers, bool end_stream);
  void decodeData(std::string_view data, bool end_stream);
  void decodeTrailers(HeaderMap trailers);
  void codecError(int status, std::string body);
  void streamIdleTimeout();
  void downstreamDisconnected();
  // Access log and filter teardown (onLog, onDestroy).
  void finalize();
  // The request's header map once decoded (after finalize() nothing reads it any more).
  HeaderMap* requestHeaders() { return fm_->requestHeaders(); }

  // FilterChainSink
  void routeHeaders(HeaderMap& headers, bool end_stream) override;
  void routeData(std::string& data, bool end_stream) override;
  void routeTrailers(HeaderMap& trailers) override;
  void respondHeaders(HeaderMap& headers, bool end_stream) override;
  void respondData(std::string& data, bool end_stream) override;
  void respondTrailers(HeaderMap& trailers) override;
  void abortUpstream() override;
  void resetDownstream(const std::string& details) override;

  // UpstreamCallbacks
  void onUpstreamHeaders(HeaderMap headers, bool end_stream) override;
  void onUpstreamData(std::string_view data, bool end_stream) override;
  void onUpstreamTrailers(HeaderMap trailers) override;
  void onUpstreamFailure(UpstreamFailure failure, bool headers_received) override;
  EventBatch* eventBatch() override;

 private:
  void complete();

  Session& session_;
  StreamInfo info_;
  // Buffers of the strings the connection manager adds that do not fit a std::string inline,
  // kept from one request to the next: a request's generated x-request-id value and
  // x-forwarded-proto name, its response's date value. They go out in the maps and are taken
  // back when the request is over (finalize(), end()), so they cost no allocation per request.
  // Where each entry went (kNotAdded: not added by this stream).
  static constexpr size_t kNotAdded = static_cast<size_t>(-1);
  std::string spare_request_id_;
  std::string spare_forwarded_proto_;
  std::string spare_date_;
  size_t request_id_at_ = kNotAdded;
  size_t forwarded_proto_at_ = kNotAdded;
  size_t date_at_ = kNotAdded;
  std::optional<FilterManager> fm_;  // in place: one allocation less per request
  std::shared_ptr<UpstreamRequest> upstream_;
  std::chrono::steady_clock::time_point upstream_start_;
  bool chunked_ = false;
  bool response_complete_ = false;
  bool routed_ = false;
};

}  // namespace meshwasm::gateway
