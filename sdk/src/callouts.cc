// HTTP and gRPC callouts owned by root contexts: issuing them, and routing each answer by its
// token to the callbacks given, with the issuing context made effective again.
#include <utility>

#include "call_table.h"
#include "imports.h"
#include "meshwasm/abi/pairs.h"
#include "meshwasm/sdk/log.h"
#include "meshwasm/sdk/stream_control.h"

namespace meshwasm::sdk {
namespace {

using PendingCall = CallTable::PendingCall;

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

PendingCall* findCall(CallTable* table, uint32_t token) {
  for (auto& call : table->calls) {
    if (call.token == token) return &call;
  }
  return nullptr;
}

// Removes the call and hands it over (the callback may issue new callouts, which can move
// the vector).
PendingCall takeCall(CallTable* table, PendingCall* call) {
  PendingCall taken = std::move(*call);
  table->calls.erase(table->calls.begin() + (call - table->calls.data()));
  return taken;
}

// Makes the call's origin effective; false when it is gone (the answer is dropped).
bool enterOrigin(const RootContext& root, const PendingCall& call) {
  if (call.origin == 0 || call.origin == root.id()) return true;
  if (setEffectiveContext(call.origin) != WasmResult::Ok) {
    logDebug("meshwasm sdk: dropping the answer to callout " + toDecimal(call.token) +
             ": context " + toDecimal(call.origin) + " is gone");
    return false;
  }
  return true;
}

}  // namespace

struct CallRouting {
  static CallTable* table(RootContext& root) { return root.calls_; }

  static void destroy(CallTable* table) { delete table; }
  static size_t pending(const CallTable* table) { return table->calls.size(); }

  static void httpResponse(RootContext& root, uint32_t token, uint32_t num_headers,
                           size_t body_size, uint32_t num_trailers) {
    CallTable* calls = table(root);
    PendingCall* call = findCall(calls, token);
    if (call == nullptr) return;
    PendingCall taken = takeCall(calls, call);
    if (taken.http && enterOrigin(root, taken)) taken.http(num_headers, body_size, num_trailers);
  }

  static void grpcInitialMetadata(RootContext& root, uint32_t token, uint32_t num_elements) {
    PendingCall* call = findCall(table(root), token);
    if (call == nullptr || !call->grpc.on_initial_metadata || !enterOrigin(root, *call)) return;
    auto callback = call->grpc.on_initial_metadata;  // copy: see takeCall
    callback(num_elements);
  }

  static void grpcMessage(RootContext& root, uint32_t token, size_t message_size) {
    CallTable* calls = table(root);
    PendingCall* call = findCall(calls, token);
    if (call == nullptr) return;
    if (call->unary_grpc) {  // a unary call's message is its last callback
      PendingCall taken = takeCall(calls, call);
      if (taken.grpc.on_message && enterOrigin(root, taken)) taken.grpc.on_message(message_size);
      return;
    }
    auto callback = call->grpc.on_message;
    if (callback && enterOrigin(root, *call)) callback(message_size);
  }

  static void grpcTrailingMetadata(RootContext& root, uint32_t token, uint32_t num_elements) {
    PendingCall* call = findCall(table(root), token);
    if (call == nullptr || !call->grpc.on_trailing_metadata || !enterOrigin(root, *call)) return;
    auto callback = call->grpc.on_trailing_metadata;
    callback(num_elements);
  }

  static void grpcClose(RootContext& root, uint32_t token, GrpcStatus status) {
    CallTable* calls = table(root);
    PendingCall* call = findCall(calls, token);
    if (call == nullptr) return;
    PendingCall taken = takeCall(calls, call);
    if (taken.grpc.on_close && enterOrigin(root, taken)) taken.grpc.on_close(status);
  }
};

namespace {
constexpr CallOps kCallOps = {
    &CallRouting::destroy,      &CallRouting::pending,
    &CallRouting::httpResponse, &CallRouting::grpcInitialMetadata,
    &CallRouting::grpcMessage,  &CallRouting::grpcTrailingMetadata,
    &CallRouting::grpcClose,
};
}  // namespace

CallTable& CallTable::of(RootContext& root) {
  if (root.calls_ == nullptr) root.calls_ = new CallTable{&kCallOps, {}};
  return *root.calls_;
}

void CallTable::add(RootContext& root, PendingCall call) {
  of(root).calls.push_back(std::move(call));
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
  CallTable::add(*this, PendingCall{new_token, origin_context_id, false, std::move(callback), {}});
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
  CallTable::add(*this, PendingCall{new_token, origin_context_id, true, {}, std::move(callbacks)});
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
  CallTable::add(*this, PendingCall{new_token, origin_context_id, false, {}, std::move(callbacks)});
  return result;
}

WasmResult RootContext::grpcSend(uint32_t token, std::string_view message, bool end_stream) {
  return checkCall("proxy_grpc_send",
                   proxy_grpc_send(token, message.data(), message.size(), end_stream ? 1 : 0));
}

WasmResult RootContext::grpcCancel(uint32_t token) {
  const WasmResult result = checkCall("proxy_grpc_cancel", proxy_grpc_cancel(token));
  if (calls_ != nullptr) {  // the host sends no further callbacks for it
    if (PendingCall* call = findCall(calls_, token)) takeCall(calls_, call);
  }
  return result;
}

WasmResult RootContext::grpcClose(uint32_t token) {
  return checkCall("proxy_grpc_close", proxy_grpc_close(token));
}

}  // namespace meshwasm::sdk
