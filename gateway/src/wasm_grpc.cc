// The worker embedder's gRPC callouts (proxy_grpc_call / proxy_grpc_stream): one h2c client
// per cluster on the worker's io_context. The built-in `httpbin` cluster answers gRPC through
// the service of grpc_service.h, served on a loopback port of this worker, so a call to it
// crosses a real HTTP/2 connection like any other cluster's.
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "grpc_service.h"
#include "grpc_wire.h"
#include "h2c_client.h"
#include "wasm_filter.h"

namespace meshwasm::gateway {

struct WorkerEmbedder::GrpcState {
  std::unique_ptr<GrpcServer> httpbin_service;  // started by the first call to `httpbin`
  std::map<std::string, std::unique_ptr<H2cClient>, std::less<>> clients;  // by cluster
  struct Call {
    H2cClient* client = nullptr;
    uint64_t id = 0;
  };
  std::map<std::pair<host::PluginVm*, uint32_t>, Call> calls;
  bool stopped = false;

  // Closes every connection while the worker's io_context still exists; no events follow.
  void stop() {
    stopped = true;
    calls.clear();
    clients.clear();
    if (httpbin_service) httpbin_service->stop();
    httpbin_service.reset();
  }
};

void WorkerEmbedder::stopGrpc() {
  if (grpc_) grpc_->stop();
}

WorkerEmbedder::GrpcState& WorkerEmbedder::grpc() {
  if (!grpc_) grpc_ = std::make_shared<GrpcState>();
  return *grpc_;
}

abi::WasmResult WorkerEmbedder::grpcCall(host::PluginVm& vm, const host::GrpcCallRequest& request) {
  const ClusterConfig* cluster = worker_.clusters.cluster(request.upstream);
  if (cluster == nullptr) return abi::WasmResult::ParseFailure;  // Envoy: unknown cluster
  GrpcState& state = grpc();
  if (state.stopped) return abi::WasmResult::InternalFailure;  // the worker is stopping
  auto it = state.clients.find(request.upstream);
  if (it == state.clients.end()) {
    std::string host = cluster->host;
    uint16_t port = cluster->port;
    if (cluster->builtin_httpbin) {
      if (!state.httpbin_service) {
        auto server = GrpcServer::start(worker_.io, "127.0.0.1", 0);
        if (!server) return abi::WasmResult::InternalFailure;
        state.httpbin_service = std::move(*server);
      }
      host = "127.0.0.1";
      port = state.httpbin_service->port();
    }
    it = state.clients
             .emplace(std::string(request.upstream),
                      std::make_unique<H2cClient>(worker_.io, host, port, cluster->connect_timeout))
             .first;
  }
  H2cClient* client = it->second.get();

  GrpcCallOptions options;
  options.authority = std::string(request.upstream);
  options.service = std::string(request.service);
  options.method = std::string(request.method);
  if (request.initial_metadata != nullptr) {
    options.metadata.assign(request.initial_metadata->begin(), request.initial_metadata->end());
  }
  options.timeout = request.timeout;

  // Events reach the VM while it lives; GrpcState owns the clients, so none arrive after it.
  const auto key = std::make_pair(&vm, request.token);
  std::weak_ptr<host::PluginVm> weak = vm.weak_from_this();
  const uint32_t token = request.token;
  GrpcCallEvents events;
  events.on_initial_metadata = [weak, token](GrpcMetadata metadata) {
    if (auto vm = weak.lock()) vm->onGrpcReceiveInitialMetadata(token, metadata);
  };
  events.on_message = [weak, token](std::string message) {
    if (auto vm = weak.lock()) vm->onGrpcReceive(token, message);
  };
  events.on_trailing_metadata = [weak, token](GrpcMetadata metadata) {
    if (auto vm = weak.lock()) vm->onGrpcReceiveTrailingMetadata(token, metadata);
  };
  events.on_close = [weak, token, key, weak_state = std::weak_ptr<GrpcState>(grpc_)](
                        uint32_t status, std::string message) {
    if (auto state = weak_state.lock()) state->calls.erase(key);
    if (auto vm = weak.lock()) vm->onGrpcClose(token, status, message);
  };
  const uint64_t id = client->start(std::move(options), std::move(events));
  state.calls[key] = GrpcState::Call{client, id};
  if (!request.stream) client->send(id, request.message, /*end_stream=*/true);
  return abi::WasmResult::Ok;
}

abi::WasmResult WorkerEmbedder::grpcSend(host::PluginVm& vm, uint32_t token,
                                         std::string_view message, bool end_stream) {
  if (!grpc_) return abi::WasmResult::NotFound;
  auto it = grpc_->calls.find(std::make_pair(&vm, token));
  if (it == grpc_->calls.end()) return abi::WasmResult::NotFound;
  // After a half-close the stream takes no more messages (Envoy: the send fails).
  return it->second.client->send(it->second.id, message, end_stream)
             ? abi::WasmResult::Ok
             : abi::WasmResult::InternalFailure;
}

abi::WasmResult WorkerEmbedder::grpcCancel(host::PluginVm& vm, uint32_t token) {
  if (!grpc_) return abi::WasmResult::NotFound;
  auto it = grpc_->calls.find(std::make_pair(&vm, token));
  if (it == grpc_->calls.end()) return abi::WasmResult::NotFound;
  it->second.client->cancel(it->second.id);
  grpc_->calls.erase(it);
  return abi::WasmResult::Ok;
}

abi::WasmResult WorkerEmbedder::grpcClose(host::PluginVm& vm, uint32_t token) {
  if (!grpc_) return abi::WasmResult::NotFound;
  auto it = grpc_->calls.find(std::make_pair(&vm, token));
  if (it == grpc_->calls.end()) return abi::WasmResult::NotFound;
  // The host already forgot a closed unary call (closing cancels it); a stream half-closes.
  if (!it->second.client->halfClose(it->second.id)) {
    it->second.client->cancel(it->second.id);
    grpc_->calls.erase(it);
  }
  return abi::WasmResult::Ok;
}

}  // namespace meshwasm::gateway
