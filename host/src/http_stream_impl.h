// HttpStreamImpl: Envoy's HTTP Wasm filter behaviour for one stream (internal).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "meshwasm/host/http_stream.h"
#include "meshwasm/host/plugin_config.h"
#include "wasm_instance.h"

namespace meshwasm::host {

// Builds the reply Envoy sends for proxy_send_local_response (reference 8).
LocalReply buildLocalReply(StreamState::PendingReply pending, bool grpc_request);
// The same into a fresh `reply`, taking the pending reply's strings.
void fillLocalReply(StreamState::PendingReply& pending, bool grpc_request, LocalReply& reply);
// With `memo` (may be null): a reply like the last one remembered gets a copy of its headers.
// Returns true when it did (the pending reply's headers are left as they were).
bool fillLocalReply(StreamState::PendingReply& pending, bool grpc_request, LocalReply& reply,
                    LocalReplyMemo* memo);
// Envoy's reply for a failed VM: 503, empty body, gRPC 14, details "wasm_fail_stream".
LocalReply failStreamReply(bool grpc_request);

class alignas(64) HttpStreamImpl : public HttpStream {
 public:
  HttpStreamImpl(std::shared_ptr<WasmInstance> instance, StreamCallbacks* callbacks,
                 FailStrategy strategy);
  ~HttpStreamImpl() override;

  FilterAction onRequestHeaders(Headers& headers, bool end_stream) override;
  FilterAction onRequestBody(std::string& body, bool end_stream, Headers* trailers) override;
  FilterAction onRequestTrailers(Headers& trailers) override;
  FilterAction onResponseHeaders(Headers& headers, bool end_stream) override;
  FilterAction onResponseBody(std::string& body, bool end_stream, Headers* trailers) override;
  FilterAction onResponseTrailers(Headers& trailers) override;
  void onComplete() override;

  const LocalReply* localReply() const override { return reply_ ? &*reply_ : nullptr; }
  LocalReply takeLocalReply() override;
  void setSentResponseHeaders(Headers& headers) override { state_.response_headers = &headers; }
  std::string_view responseCodeDetails() const override { return details_; }
  bool vmFailed() const override { return vm_failed_; }
  uint32_t contextId() const override { return context_id_; }

  // Deferred actions requested from another context's callback (after an HTTP call, a tick).
  void applyDeferred();

 private:
  enum class Stage {
    RequestHeaders,
    RequestBody,
    RequestTrailers,
    ResponseHeaders,
    ResponseBody,
    ResponseTrailers
  };

  bool usable();  // VM alive; records vm_failed_
  std::optional<FilterAction> failedAction();
  FilterAction failNow();
  bool ensureContext();
  bool call(ExportFunction fn, std::string_view name, std::initializer_list<uint64_t> args,
            uint64_t* result) {
    return call(fn, name, args, args.size(), result);
  }
  // With the first `count` of `args` only.
  bool call(ExportFunction fn, std::string_view name, std::initializer_list<uint64_t> args,
            size_t count, uint64_t* result);
  // The request headers readable and writable in the callbacks that follow.
  void openRequestHeaders(Headers& headers);
  FilterAction finish(FilterAction action, Stage stage);
  // Runs a local reply through the plugin's response callbacks (reply from the request
  // path) and stores it in reply_.
  // Takes state_.pending_reply, which must be set.
  void replyThroughResponsePath();
  // Its steps: the reply built and its response headers opened, args[0..2] for
  // proxy_on_response_headers (false: no stream context, no callbacks to run); before
  // proxy_on_response_body: the headers closed, args for the body (false: not called);
  // after the calls, `done` of which returned.
  bool openReply(uint64_t args[3]);
  bool openReplyBody(uint64_t args[3], bool* body_called);
  void closeReply(size_t done, bool body_called);
  size_t responseHeadersArgs() const { return instance_->abi() == AbiVersion::V0_1_0 ? 2u : 3u; }
  void closeRequestMaps();

  std::shared_ptr<WasmInstance> instance_;
  StreamCallbacks* callbacks_;
  FailStrategy strategy_;
  StreamState state_;
  Context* ctx_ = nullptr;
  uint32_t context_id_ = 0;
  std::optional<LocalReply> reply_;
  Headers reply_headers_;  // while a local reply runs through response callbacks
  std::string details_;
  bool vm_failed_ = false;
  bool completed_ = false;
  bool response_started_ = false;
  bool response_headers_sent_ = false;
  bool in_callback_ = false;
};

}  // namespace meshwasm::host
