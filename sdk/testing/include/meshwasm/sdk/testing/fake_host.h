// FakeHost: an in-process Proxy-Wasm host for native unit tests of guest code.
//
// It defines the same env.proxy_* functions the SDK imports in a .wasm, so plugin code is
// compiled natively unchanged and driven through the real dispatcher (the proxy_on_* exports).
// Verbs drive callbacks as Envoy would call them; queries read what the guest did (local
// reply, headers and bodies after the callbacks, logs, metrics, callouts, allocations).
//
// Envoy behaviour it reproduces: lower-case keys on single-key map calls, first value of a
// repeated header, pointer 0 / length 0 for empty results, the plugin configuration readable
// only while the root context is created and configured, call-response maps and buffers
// only inside their callbacks, header maps unavailable in root contexts, Envoy's
// set_buffer_bytes rules, metric id / type encoding, shared data CAS, queue tokens.
// It does not enforce Envoy's per-phase windows for request/response maps of a stream.
//
// One FakeHost exists at a time (the imports reach it through a process-wide pointer). Every
// buffer it hands to the guest is allocated with the guest's allocator export and counted;
// the SDK releases it through the FakeHost, so tests can check that nothing leaks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/enums.h"

namespace meshwasm::sdk::testing {

using abi::FilterDataStatus;
using abi::FilterHeadersStatus;
using abi::FilterStatus;
using abi::FilterTrailersStatus;
using abi::LogLevel;
using abi::MetricType;
using abi::PeerType;
using abi::StreamType;
using abi::WasmResult;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct LogEntry {
  LogLevel level;
  std::string message;
  uint32_t context_id;  // effective context when the guest logged (0 = none)
};

struct LocalResponse {
  uint32_t status = 0;
  std::string details;
  std::string body;
  Headers headers;
  int32_t grpc_status = -1;
};

struct HttpCallRecord {
  uint32_t token = 0;
  uint32_t root_context_id = 0;  // owner of the call
  uint32_t context_id = 0;       // context that issued it
  std::string cluster;
  Headers headers;
  std::string body;
  Headers trailers;
  uint32_t timeout_ms = 0;
};

struct GrpcCallRecord {
  uint32_t token = 0;
  uint32_t root_context_id = 0;
  bool stream = false;
  std::string upstream;
  std::string service;
  std::string method;
  Headers initial_metadata;
  std::string message;            // unary request message
  std::vector<std::string> sent;  // stream messages
  bool end_stream_sent = false;
  bool closed = false;
  bool cancelled = false;
  uint32_t timeout_ms = 0;
};

struct MetricRecord {
  MetricType type = MetricType::Counter;
  uint64_t value = 0;             // counter / gauge
  std::vector<uint64_t> samples;  // histogram
};

using ForeignFunction = std::function<WasmResult(std::string_view args, std::string* result)>;

class FakeHost {
 public:
  FakeHost();
  ~FakeHost();  // deletes the guest contexts still alive (proxy_on_delete)
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // ------------------------------------------------------------ setup
  void setVmConfiguration(std::string configuration);
  void setVmId(std::string vm_id);
  void setPluginName(std::string name);
  // A property readable by every context; path segments as the guest sends them.
  void setProperty(const std::vector<std::string>& path, std::string value);
  void setLogLevel(LogLevel level);
  void setTimeNanoseconds(uint64_t nanoseconds);
  void registerForeignFunction(std::string name, ForeignFunction function);
  // Answer of proxy_http_call when set (e.g. BadArgument for an unknown cluster).
  void failHttpCalls(std::optional<WasmResult> status);

  // ------------------------------------------------------------ verbs
  // proxy_on_context_create(id, 0), with plugin_root_id = root_id and the plugin
  // configuration readable. Returns the new root context id.
  uint32_t createRootContext(std::string_view root_id = "",
                             std::string_view plugin_configuration = "");
  bool startVm(uint32_t root_context_id);                                    // proxy_on_vm_start
  bool configure(uint32_t root_context_id, std::string_view configuration);  // proxy_on_configure
  bool validateConfiguration(uint32_t root_context_id, std::string_view configuration);
  // Create + vm start + configure; 0 when either callback answers false.
  uint32_t startPlugin(std::string_view configuration = "", std::string_view root_id = "");

  uint32_t createHttpContext(uint32_t root_context_id);
  uint32_t createStreamContext(uint32_t root_context_id);

  FilterHeadersStatus requestHeaders(uint32_t context_id, Headers headers,
                                     bool end_of_stream = true);
  // Appends `chunk` to the body when the previous body callback asked to buffer, else the
  // buffer holds just `chunk`.
  FilterDataStatus requestBody(uint32_t context_id, std::string_view chunk, bool end_of_stream);
  FilterTrailersStatus requestTrailers(uint32_t context_id, Headers trailers);
  uint32_t requestMetadata(uint32_t context_id, uint32_t num_elements);
  FilterHeadersStatus responseHeaders(uint32_t context_id, Headers headers,
                                      bool end_of_stream = false);
  FilterDataStatus responseBody(uint32_t context_id, std::string_view chunk, bool end_of_stream);
  FilterTrailersStatus responseTrailers(uint32_t context_id, Headers trailers);
  uint32_t responseMetadata(uint32_t context_id, uint32_t num_elements);

  FilterStatus newConnection(uint32_t context_id);
  FilterStatus downstreamData(uint32_t context_id, std::string_view data, bool end_of_stream);
  FilterStatus upstreamData(uint32_t context_id, std::string_view data, bool end_of_stream);
  void downstreamConnectionClose(uint32_t context_id, PeerType peer);
  void upstreamConnectionClose(uint32_t context_id, PeerType peer);

  void logContext(uint32_t context_id);   // proxy_on_log
  bool doneContext(uint32_t context_id);  // proxy_on_done; a root answering false is pending
  void deleteContext(uint32_t context_id);
  // proxy_on_log, proxy_on_done, proxy_on_delete (Envoy's order for HTTP streams).
  void completeHttpContext(uint32_t context_id);

  void tick(uint32_t root_context_id);
  void foreignFunction(uint32_t root_context_id, uint32_t function_id, std::string data);
  // Delivers proxy_on_queue_ready for every enqueue since the last delivery.
  size_t deliverQueueReady();
  void httpCallResponse(uint32_t token, Headers headers, std::string body, Headers trailers = {});
  // The call was reset: num_headers 0, proxy_get_status answers BrokenConnection "reset".
  void httpCallFailure(uint32_t token);
  void grpcReceiveInitialMetadata(uint32_t token, Headers metadata);
  void grpcReceive(uint32_t token, std::string message);
  void grpcReceiveTrailingMetadata(uint32_t token, Headers metadata);
  void grpcClose(uint32_t token, int32_t status, std::string message = "");

  // ------------------------------------------------------------ queries
  const LocalResponse* localResponse(uint32_t context_id) const;
  const Headers& requestHeadersOf(uint32_t context_id) const;
  const Headers& requestTrailersOf(uint32_t context_id) const;
  const Headers& responseHeadersOf(uint32_t context_id) const;
  const Headers& responseTrailersOf(uint32_t context_id) const;
  const std::string& requestBodyOf(uint32_t context_id) const;
  const std::string& responseBodyOf(uint32_t context_id) const;
  const std::string& downstreamDataOf(uint32_t context_id) const;
  const std::string& upstreamDataOf(uint32_t context_id) const;
  int continueCount(uint32_t context_id, StreamType stream) const;
  int closeCount(uint32_t context_id, StreamType stream) const;
  std::optional<std::string> propertyOf(uint32_t context_id,
                                        const std::vector<std::string>& path) const;

  const std::vector<LogEntry>& logs() const;
  std::vector<std::string> logMessages(LogLevel level) const;
  void clearLogs();

  std::optional<MetricRecord> metric(std::string_view name) const;
  std::optional<uint64_t> metricValue(std::string_view name) const;

  const std::vector<HttpCallRecord>& httpCalls() const;
  const std::vector<GrpcCallRecord>& grpcCalls() const;
  uint32_t tickPeriodMilliseconds(uint32_t root_context_id) const;
  bool pendingDone(uint32_t root_context_id) const;
  bool deleted(uint32_t context_id) const;
  std::optional<std::pair<std::string, uint32_t>> sharedData(std::string_view key) const;
  size_t queueSize(std::string_view name) const;

  // Buffers handed to the guest and not released yet; all handed out; releases of pointers
  // the FakeHost never handed out.
  size_t outstandingAllocations() const;
  size_t totalAllocations() const;
  size_t unknownReleases() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace meshwasm::sdk::testing
