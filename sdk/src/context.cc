// Default callbacks of the context classes and the callouts owned by root contexts.
#include "meshwasm/sdk/context.h"
#include "imports.h"
#include "meshwasm/abi/pairs.h"
#include "meshwasm/sdk/log.h"
#include "meshwasm/sdk/stream_control.h"

namespace meshwasm::sdk {
namespace {

// Ok plus the statuses the callout functions document; the rest breaks the host contract.
WasmResult checkCall(std::string_view call, uint32_t raw) {
  const auto result = static_cast<WasmResult>(raw);
  switch (result) {
    case WasmResult::Ok:
    case WasmResult::NotFound:
    case WasmResult::BadArgument:
    case WasmResult::ParseFailure:
    case WasmResult::InternalFailure:
    case WasmResult::Unimplemented: return result;
    default: hostContractViolation(call, result);
  }
}

}  // namespace

// ------------------------------------------------------------------ defaults

RootContext::~RootContext() = default;
bool RootContext::onVmStart(size_t) {
  return true;
}
bool RootContext::onConfigure(size_t) {
  return true;
}
bool RootContext::onValidateConfiguration(size_t) {
  return true;
}
void RootContext::onTick() {}
void RootContext::onQueueReady(uint32_t) {}
void RootContext::onForeignFunction(uint32_t, size_t) {}

FilterHeadersStatus HttpContext::onRequestHeaders(uint32_t, bool) {
  return FilterHeadersStatus::Continue;
}
FilterDataStatus HttpContext::onRequestBody(size_t, bool) {
  return FilterDataStatus::Continue;
}
FilterTrailersStatus HttpContext::onRequestTrailers(uint32_t) {
  return FilterTrailersStatus::Continue;
}
FilterMetadataStatus HttpContext::onRequestMetadata(uint32_t) {
  return FilterMetadataStatus::Continue;
}
FilterHeadersStatus HttpContext::onResponseHeaders(uint32_t, bool) {
  return FilterHeadersStatus::Continue;
}
FilterDataStatus HttpContext::onResponseBody(size_t, bool) {
  return FilterDataStatus::Continue;
}
FilterTrailersStatus HttpContext::onResponseTrailers(uint32_t) {
  return FilterTrailersStatus::Continue;
}
FilterMetadataStatus HttpContext::onResponseMetadata(uint32_t) {
  return FilterMetadataStatus::Continue;
}

FilterStatus StreamContext::onNewConnection() {
  return FilterStatus::Continue;
}
FilterStatus StreamContext::onDownstreamData(size_t, bool) {
  return FilterStatus::Continue;
}
FilterStatus StreamContext::onUpstreamData(size_t, bool) {
  return FilterStatus::Continue;
}
void StreamContext::onDownstreamConnectionClose(PeerType) {}
void StreamContext::onUpstreamConnectionClose(PeerType) {}

// ------------------------------------------------------------------ callouts

RootContext::PendingCall* RootContext::findCall(uint32_t token) {
  for (auto& call : calls_) {
    if (call.token == token) return &call;
  }
  return nullptr;
}

void RootContext::eraseCall(uint32_t token) {
  for (auto it = calls_.begin(); it != calls_.end(); ++it) {
    if (it->token == token) {
      calls_.erase(it);
      return;
    }
  }
}

bool RootContext::enterOrigin(const PendingCall& call) {
  if (call.origin == 0 || call.origin == id()) return true;
  if (setEffectiveContext(call.origin) != WasmResult::Ok) {
    logDebug("meshwasm sdk: dropping the answer to callout " + toDecimal(call.token) +
             ": context " + toDecimal(call.origin) + " is gone");
    return false;
  }
  return true;
}

WasmResult RootContext::httpCall(std::string_view cluster, const std::vector<HeaderPair>& headers,
                                 std::string_view body, const std::vector<HeaderPair>& trailers,
                                 uint32_t timeout_ms, HttpCallCallback callback, uint32_t* token,
                                 uint32_t origin_context_id) {
  const std::string encoded_headers = abi::encodePairs(headers);
  const std::string encoded_trailers = abi::encodePairs(trailers);
  uint32_t new_token = 0;
  const WasmResult result = checkCall(
      "proxy_http_call",
      proxy_http_call(cluster.data(), cluster.size(), encoded_headers.data(),
                      encoded_headers.size(), body.data(), body.size(), encoded_trailers.data(),
                      encoded_trailers.size(), timeout_ms, &new_token));
  if (result != WasmResult::Ok) return result;
  if (token != nullptr) *token = new_token;
  calls_.push_back(PendingCall{new_token, origin_context_id, false, std::move(callback), {}});
  return result;
}

WasmResult RootContext::grpcCall(std::string_view upstream, std::string_view service,
                                 std::string_view method,
                                 const std::vector<HeaderPair>& initial_metadata,
                                 std::string_view message, uint32_t timeout_ms,
                                 GrpcCallbacks callbacks, uint32_t* token,
                                 uint32_t origin_context_id) {
  const std::string metadata = abi::encodePairs(initial_metadata);
  uint32_t new_token = 0;
  const WasmResult result =
      checkCall("proxy_grpc_call",
                proxy_grpc_call(upstream.data(), upstream.size(), service.data(), service.size(),
                                method.data(), method.size(), metadata.data(), metadata.size(),
                                message.data(), message.size(), timeout_ms, &new_token));
  if (result != WasmResult::Ok) return result;
  if (token != nullptr) *token = new_token;
  calls_.push_back(PendingCall{new_token, origin_context_id, true, {}, std::move(callbacks)});
  return result;
}

WasmResult RootContext::grpcStream(std::string_view upstream, std::string_view service,
                                   std::string_view method,
                                   const std::vector<HeaderPair>& initial_metadata,
                                   GrpcCallbacks callbacks, uint32_t* token,
                                   uint32_t origin_context_id) {
  const std::string metadata = abi::encodePairs(initial_metadata);
  uint32_t new_token = 0;
  const WasmResult result = checkCall(
      "proxy_grpc_stream", proxy_grpc_stream(upstream.data(), upstream.size(), service.data(),
                                             service.size(), method.data(), method.size(),
                                             metadata.data(), metadata.size(), &new_token));
  if (result != WasmResult::Ok) return result;
  if (token != nullptr) *token = new_token;
  calls_.push_back(PendingCall{new_token, origin_context_id, false, {}, std::move(callbacks)});
  return result;
}

WasmResult RootContext::grpcSend(uint32_t token, std::string_view message, bool end_stream) {
  return checkCall("proxy_grpc_send",
                   proxy_grpc_send(token, message.data(), message.size(), end_stream ? 1 : 0));
}

WasmResult RootContext::grpcCancel(uint32_t token) {
  const WasmResult result = checkCall("proxy_grpc_cancel", proxy_grpc_cancel(token));
  eraseCall(token);  // the host sends no further callbacks for it
  return result;
}

WasmResult RootContext::grpcClose(uint32_t token) {
  return checkCall("proxy_grpc_close", proxy_grpc_close(token));
}

void RootContext::onHttpCallResponse(uint32_t token, uint32_t num_headers, size_t body_size,
                                     uint32_t num_trailers) {
  PendingCall* call = findCall(token);
  if (call == nullptr) return;
  PendingCall taken = std::move(*call);
  eraseCall(token);
  if (taken.http && enterOrigin(taken)) taken.http(num_headers, body_size, num_trailers);
}

void RootContext::onGrpcReceiveInitialMetadata(uint32_t token, uint32_t num_elements) {
  PendingCall* call = findCall(token);
  if (call == nullptr || !call->grpc.on_initial_metadata || !enterOrigin(*call)) return;
  auto on_initial_metadata = call->grpc.on_initial_metadata;
  on_initial_metadata(num_elements);
}

void RootContext::onGrpcReceive(uint32_t token, size_t message_size) {
  PendingCall* call = findCall(token);
  if (call == nullptr) return;
  if (call->unary_grpc) {  // a unary call's message is its last callback
    PendingCall taken = std::move(*call);
    eraseCall(token);
    if (taken.grpc.on_message && enterOrigin(taken)) taken.grpc.on_message(message_size);
    return;
  }
  // Copy: the callback may issue callouts, which can move calls_.
  auto on_message = call->grpc.on_message;
  if (on_message && enterOrigin(*call)) on_message(message_size);
}

void RootContext::onGrpcReceiveTrailingMetadata(uint32_t token, uint32_t num_elements) {
  PendingCall* call = findCall(token);
  if (call == nullptr || !call->grpc.on_trailing_metadata || !enterOrigin(*call)) return;
  auto on_trailing_metadata = call->grpc.on_trailing_metadata;
  on_trailing_metadata(num_elements);
}

void RootContext::onGrpcClose(uint32_t token, GrpcStatus status) {
  PendingCall* call = findCall(token);
  if (call == nullptr) return;
  PendingCall taken = std::move(*call);
  eraseCall(token);
  if (taken.grpc.on_close && enterOrigin(taken)) taken.grpc.on_close(status);
}

}  // namespace meshwasm::sdk
