// What the host needs from the outside world (the gateway, `meshwasm replay`, tests).
//
// Narrow interfaces whose defaults answer "unimplemented": an embedder overrides only what it
// supports. Every method is called on the thread that owns the PluginVm (or HttpStream) that
// triggers it, never concurrently for one PluginVm.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshwasm/abi/enums.h"
#include "meshwasm/abi/pairs.h"

namespace meshwasm::host {

class PluginVm;

// A header map in order, one entry per occurrence, names lower-case (the host lower-cases
// what the guest sends; the embedder lower-cases what it receives from the network).
using Headers = std::vector<abi::HeaderPair>;

// One guest log line (proxy_log or WASI fd_write), already filtered by the plugin's level.
struct LogRecord {
  abi::LogLevel level = abi::LogLevel::Info;
  std::string_view plugin_name;  // PluginConfig::name
  std::string_view root_id;
  std::string_view vm_id;
  // Envoy's prefix rules (reference 9.2): stream contexts " <name> <root_id> <vm_id>", root
  // contexts " <root_id> <vm_id>", start functions/allocator "" (empty components omitted).
  std::string_view prefix;
  std::string_view message;  // exactly what the guest logged
  // True for the host's own lines about the plugin ("Function: X failed: <trap>", start
  // and configure failures); these are always delivered, whatever the plugin's level.
  bool from_host = false;
};

// proxy_http_call, already validated (cluster name, :method/:path/:authority present).
struct HttpCallRequest {
  uint32_t token = 0;                // 4, 8, 12, ... per VM
  std::string_view cluster;          // Envoy cluster name
  const Headers* headers = nullptr;  // lower-case names, incl. pseudo-headers
  std::string_view body;
  const Headers* trailers = nullptr;     // may be empty
  std::chrono::milliseconds timeout{0};  // 0 = none
};

struct HttpCallResponse {
  Headers headers;  // incl. ":status"
  std::string body;
  Headers trailers;
};

// proxy_grpc_call / proxy_grpc_stream, already validated (guest memory readable).
struct GrpcCallRequest {
  uint32_t token = 0;         // calls 5, 9, 13, ...; streams 6, 10, 14, ... per VM
  bool stream = false;        // proxy_grpc_stream (no message, no timeout)
  std::string_view upstream;  // cluster name (Envoy first tries a serialized GrpcService)
  std::string_view service;
  std::string_view method;
  const Headers* initial_metadata = nullptr;
  std::string_view message;              // unary request message
  std::chrono::milliseconds timeout{0};  // 0 = none
};

// Per-process/per-worker services. One Embedder may serve many PluginVms of one worker.
class Embedder {
 public:
  virtual ~Embedder() = default;

  // A guest log line. Default: dropped.
  virtual void log(const LogRecord& record) { (void)record; }

  // The root context of `vm` asked for proxy_on_tick every `period` (0 = stop). The embedder
  // calls vm.onTick() on this thread each period (first after one period). Default: ignored
  // (no ticks), proxy_set_tick_period_milliseconds still answers Ok as in Envoy.
  virtual void setTickPeriod(PluginVm& vm, std::chrono::milliseconds period) {
    (void)vm;
    (void)period;
  }

  // Starts an HTTP call to a cluster. On Ok the embedder later calls
  // vm.onHttpCallResponse(token, response) on this thread exactly once (nullptr response =
  // reset/failed). Unknown cluster: BadArgument; refused: InternalFailure.
  virtual abi::WasmResult httpCall(PluginVm& vm, const HttpCallRequest& request) {
    (void)vm;
    (void)request;
    return abi::WasmResult::Unimplemented;
  }

  // Starts a gRPC call or stream. On Ok the embedder later delivers, on this thread,
  // vm.onGrpcReceiveInitialMetadata / onGrpcReceive / onGrpcReceiveTrailingMetadata and
  // finally vm.onGrpcClose (the host passes on what Envoy would: a unary call's message, or
  // its close on failure). Unknown cluster: ParseFailure (Envoy's answer); the default
  // knows no cluster.
  virtual abi::WasmResult grpcCall(PluginVm& vm, const GrpcCallRequest& request) {
    (void)vm;
    (void)request;
    return abi::WasmResult::ParseFailure;
  }
  // A message on a stream (end_stream half-closes after it). NotFound: unknown token.
  virtual abi::WasmResult grpcSend(PluginVm& vm, uint32_t token, std::string_view message,
                                   bool end_stream) {
    (void)vm;
    (void)token;
    (void)message;
    (void)end_stream;
    return abi::WasmResult::NotFound;
  }
  // Cancel: reset, no further callbacks. Close: calls are cancelled, streams half-closed.
  virtual abi::WasmResult grpcCancel(PluginVm& vm, uint32_t token) {
    (void)vm;
    (void)token;
    return abi::WasmResult::NotFound;
  }
  virtual abi::WasmResult grpcClose(PluginVm& vm, uint32_t token) {
    (void)vm;
    (void)token;
    return abi::WasmResult::NotFound;
  }

  // Runs `task` later on this embedder's thread (used to deliver proxy_on_queue_ready on the
  // registrant's thread, never inline). May be called from ANY thread. Return false if the
  // task cannot be scheduled (it is then dropped). Default: false.
  virtual bool post(std::function<void()> task) {
    (void)task;
    return false;
  }

  // Process/listener-level properties (xds.*, node, cluster_name, ...), encoded per
  // reference 4.3 (see properties.h helpers). `path` is dotted ("xds.cluster_name").
  // Default: not found.
  virtual std::optional<std::string> property(std::string_view path) {
    (void)path;
    return std::nullopt;
  }
};

// What the host asks of ONE HTTP stream outside the callback currently running on it
// (e.g. from proxy_on_http_call_response, a tick, a queue callback). Defaults do nothing.
class StreamCallbacks {
 public:
  virtual ~StreamCallbacks() = default;
  // proxy_continue_stream(0/1) while the request/response is paused: resume it.
  virtual void continueRequest() {}
  virtual void continueResponse() {}
  // proxy_close_stream or a local reply that can no longer be sent: reset the stream
  // (details in HttpStream::responseCodeDetails(), "wasm_close_stream").
  virtual void resetStream() {}
  // A local reply decided outside the stream's own callbacks (e.g. after an HTTP call).
  // It already went through the plugin's response callbacks; send it downstream.
  virtual void sendLocalReply() {}
  // Stream/connection properties (source.address, source.port, destination.*,
  // connection.id, connection.mtls, route_name, xds.route_name, request.protocol,
  // request.time, upstream.*, response.code_details ...), dotted path, encoded per 4.3.
  // Request/response header-derived properties are computed by the host itself.
  virtual std::optional<std::string> property(std::string_view path) {
    (void)path;
    return std::nullopt;
  }
  // Foreign function "clear_route_cache".
  virtual void clearRouteCache() {}
};

}  // namespace meshwasm::host
