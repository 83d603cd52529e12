// The Proxy-Wasm filter: one host::HttpStream per request on the worker's PluginVm, adapted to
// the gateway's filter chain; and the worker's host::Embedder (logs, ticks, http calls, posts).
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "meshwasm/gateway/filter.h"
#include "meshwasm/host/plugin.h"
#include "worker.h"

namespace meshwasm::gateway {

// Envoy's wasm log line: "<RFC3339 time> <level> envoy wasm wasm log<prefix>: <message>".
std::string formatPluginLog(const host::LogRecord& record);
std::string_view logLevelName(abi::LogLevel level);
bool parseLogLevel(std::string_view name, abi::LogLevel* level);

// Per-plugin counters shared by every worker (admin /plugins and /stats).
struct PluginCounters {
  std::atomic<uint64_t> vms_created{0};
  std::atomic<uint64_t> vms_refused{0};  // start/configure failed on a worker
  std::atomic<uint64_t> vm_failures{0};  // streams that found the VM failed (trap)
  std::atomic<uint64_t> fail_streams{0};  // requests answered 503 wasm_fail_stream
  std::atomic<bool> failed{false};
};

class WorkerEmbedder final : public host::Embedder {
 public:
  explicit WorkerEmbedder(Worker& worker);
  ~WorkerEmbedder() override;
  void log(const host::LogRecord& record) override;
  void setTickPeriod(host::PluginVm& vm, std::chrono::milliseconds period) override;
  abi::WasmResult httpCall(host::PluginVm& vm, const host::HttpCallRequest& request) override;
  bool post(std::function<void()> task) override;
  // gRPC callouts over h2c (wasm_grpc.cc).
  abi::WasmResult grpcCall(host::PluginVm& vm, const host::GrpcCallRequest& request) override;
  abi::WasmResult grpcSend(host::PluginVm& vm, uint32_t token, std::string_view message,
                           bool end_stream) override;
  abi::WasmResult grpcCancel(host::PluginVm& vm, uint32_t token) override;
  abi::WasmResult grpcClose(host::PluginVm& vm, uint32_t token) override;
  // Closes the gRPC connections (on the worker's thread, before its io_context goes away).
  void stopGrpc();
  void stopTimers();

 private:
  struct Tick {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::chrono::milliseconds period{0};
    std::weak_ptr<host::PluginVm> vm;
  };
  void armTick(host::PluginVm* key);
  Worker& worker_;
  struct CallRegistry;  // in-flight http calls, cancelled at shutdown
  std::shared_ptr<CallRegistry> calls_;
  std::map<host::PluginVm*, Tick> ticks_;
  struct GrpcState;  // h2c clients per cluster, calls in flight (wasm_grpc.cc)
  GrpcState& grpc();
  std::shared_ptr<GrpcState> grpc_;
};

// The filter factory for one plugin on one worker (nullptr filters when no VM runs there).
FilterFactory makeWasmFilterFactory(std::shared_ptr<host::PluginVm> vm, Worker& worker,
                                    std::shared_ptr<PluginCounters> counters);

}  // namespace meshwasm::gateway
