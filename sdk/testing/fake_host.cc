// FakeHost: the host side of every env.proxy_* import, in-process, plus the verbs and queries
// of fake_host.h. Behaviour follows Envoy where a test can observe it (see the header).
#include "meshwasm/sdk/testing/fake_host.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "exports.h"
#include "imports.h"
#include "meshwasm/abi/pairs.h"

namespace meshwasm::sdk::testing {
namespace {

uint32_t ok() {
  return static_cast<uint32_t>(WasmResult::Ok);
}
uint32_t fail(WasmResult result) {
  return static_cast<uint32_t>(result);
}

std::string lower(std::string_view in) {
  std::string out(in);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string joinPath(const std::vector<std::string>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i != 0) out.push_back('\0');
    out += path[i];
  }
  return out;
}

Headers decodeGuestPairs(std::string_view data) {
  Headers out;
  auto decoded = abi::decodePairs(data);
  if (!decoded) return out;  // Envoy treats a malformed buffer as an empty map
  for (const auto& [k, v] : *decoded) out.emplace_back(std::string(k), std::string(v));
  return out;
}

const Headers kNoHeaders;
const std::string kNoBytes;

}  // namespace

struct FakeHost::State {
  struct Context {
    uint32_t id = 0;
    uint32_t root = 0;  // own id for root contexts
    bool is_root = false;
    bool deleted = false;
    std::string root_id;
    Headers maps[4];  // request headers, request trailers, response headers, response trailers
    std::string buffers[4];  // request body, response body, downstream data, upstream data
    bool buffering[4] = {false, false, false, false};
    std::optional<LocalResponse> local_response;
    int continues[4] = {0, 0, 0, 0};
    int closes[4] = {0, 0, 0, 0};
    uint32_t tick_period = 0;
    bool pending_done = false;
    bool done_called = false;
    std::map<std::string, std::string> properties;  // set by the guest
  };

  std::map<uint32_t, Context> contexts;
  uint32_t next_context_id = 1;
  uint32_t effective = 0;
  bool in_callback = false;

  std::string vm_configuration;
  std::string vm_id;
  std::string plugin_name;
  std::map<std::string, std::string> properties;  // set by the test
  LogLevel log_level = LogLevel::Trace;
  uint64_t now_ns = 1700000000000000000ull;
  std::map<std::string, ForeignFunction> foreign_functions;
  std::optional<WasmResult> http_call_failure;

  // Readable only inside particular callbacks.
  std::optional<std::string> plugin_configuration;
  const Headers* call_response_headers = nullptr;
  const Headers* call_response_trailers = nullptr;
  const std::string* call_response_body = nullptr;
  const Headers* grpc_initial = nullptr;
  const Headers* grpc_trailing = nullptr;
  const std::string* grpc_message = nullptr;
  const std::string* call_data = nullptr;
  uint32_t status_code = 0;
  std::string status_message;

  std::vector<LogEntry> logs;
  std::vector<HttpCallRecord> http_calls;
  std::vector<GrpcCallRecord> grpc_calls;
  uint32_t next_call = 1;

  std::map<std::string, MetricRecord, std::less<>> metrics;
  std::map<uint32_t, std::string> metric_ids;
  uint32_t next_metric = 1;

  std::map<std::string, std::pair<std::string, uint32_t>, std::less<>> shared;
  uint32_t next_cas = 1;
  struct Queue {
    std::string name;
    uint32_t root = 0;
    std::deque<std::string> items;
  };
  std::map<uint32_t, Queue> queues;
  uint32_t next_queue = 1;
  std::vector<uint32_t> ready;  // tokens with an undelivered notification

  std::map<void*, size_t> outstanding;
  size_t total_allocations = 0;
  size_t unknown_releases = 0;

  Context* find(uint32_t id) {
    auto it = contexts.find(id);
    return (it == contexts.end() || it->second.deleted) ? nullptr : &it->second;
  }
  Context& get(uint32_t id) {
    Context* context = find(id);
    if (context == nullptr) {
      std::fprintf(stderr, "FakeHost: no live context %u\n", id);
      std::abort();
    }
    return *context;
  }
  Context* current() { return find(effective); }

  // Copies `data` into guest memory through the guest's allocator, as a host does.
  uint32_t handOut(std::string_view data, char** ptr, size_t* size) {
    if (data.empty()) {
      *ptr = nullptr;
      *size = 0;
      return ok();
    }
    void* memory = proxy_on_memory_allocate(data.size());
    if (memory == nullptr) return fail(WasmResult::InvalidMemoryAccess);
    std::memcpy(memory, data.data(), data.size());
    outstanding[memory] = data.size();
    ++total_allocations;
    *ptr = static_cast<char*>(memory);
    *size = data.size();
    return ok();
  }

  // Runs a callback with `id` as the current context; a root context that called proxy_done
  // while pending is deleted right after, as Envoy does.
  template <typename F>
  auto run(uint32_t id, F&& callback) {
    const uint32_t saved = effective;
    const bool saved_in = in_callback;
    effective = id;
    in_callback = true;
    auto restore = [&] {
      effective = saved;
      in_callback = saved_in;
      status_code = 0;
      status_message.clear();
      if (Context* c = find(id); c != nullptr && c->done_called) {
        c->done_called = false;
        proxy_on_delete(id);
        c->deleted = true;
      }
    };
    if constexpr (std::is_void_v<decltype(callback())>) {
      callback();
      restore();
    } else {
      auto result = callback();
      restore();
      return result;
    }
  }

  Headers* map(uint32_t type) {
    Context* c = current();
    if (type <= 3) {
      if (c == nullptr || c->is_root) return nullptr;
      return &c->maps[type];
    }
    return nullptr;
  }

  const Headers* readMap(uint32_t type) {
    switch (type) {
      case 4: return grpc_initial;
      case 5: return grpc_trailing;
      case 6: return call_response_headers;
      case 7: return call_response_trailers;
      default: return map(type);
    }
  }

  uint32_t owningRoot() {
    Context* c = current();
    return c == nullptr ? 0 : c->root;
  }
};

namespace {
FakeHost::State* g_state = nullptr;
}  // namespace

// ---------------------------------------------------------------- setup

FakeHost::FakeHost() : state_(std::make_unique<State>()) {
  if (g_state != nullptr) {
    std::fprintf(stderr, "FakeHost: only one FakeHost may exist at a time\n");
    std::abort();
  }
  g_state = state_.get();
}

FakeHost::~FakeHost() {
  // Streams first, then roots, as a host tears a VM down.
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& [id, context] : state_->contexts) {
      if (!context.deleted && context.is_root == (pass == 1)) {
        state_->run(id, [&] { proxy_on_delete(id); });
        context.deleted = true;
      }
    }
  }
  g_state = nullptr;
}

void FakeHost::setVmConfiguration(std::string configuration) {
  state_->vm_configuration = std::move(configuration);
}
void FakeHost::setVmId(std::string vm_id) {
  state_->vm_id = std::move(vm_id);
}
void FakeHost::setPluginName(std::string name) {
  state_->plugin_name = std::move(name);
}
void FakeHost::setProperty(const std::vector<std::string>& path, std::string value) {
  state_->properties[joinPath(path)] = std::move(value);
}
void FakeHost::setLogLevel(LogLevel level) {
  state_->log_level = level;
}
void FakeHost::setTimeNanoseconds(uint64_t nanoseconds) {
  state_->now_ns = nanoseconds;
}
void FakeHost::registerForeignFunction(std::string name, ForeignFunction function) {
  state_->foreign_functions[std::move(name)] = std::move(function);
}
void FakeHost::failHttpCalls(std::optional<WasmResult> status) {
  state_->http_call_failure = status;
}

// ---------------------------------------------------------------- verbs

uint32_t FakeHost::createRootContext(std::string_view root_id,
                                     std::string_view plugin_configuration) {
  const uint32_t id = state_->next_context_id++;
  State::Context& context = state_->contexts[id];
  context.id = id;
  context.root = id;
  context.is_root = true;
  context.root_id = std::string(root_id);
  state_->plugin_configuration = std::string(plugin_configuration);
  state_->run(id, [&] { proxy_on_context_create(id, 0); });
  state_->plugin_configuration.reset();
  return id;
}

bool FakeHost::startVm(uint32_t root_context_id) {
  state_->get(root_context_id);
  return state_->run(root_context_id, [&] {
    return proxy_on_vm_start(root_context_id,
                             static_cast<uint32_t>(state_->vm_configuration.size()));
  }) != 0;
}

bool FakeHost::configure(uint32_t root_context_id, std::string_view configuration) {
  state_->get(root_context_id);
  state_->plugin_configuration = std::string(configuration);
  const bool result = state_->run(root_context_id, [&] {
    return proxy_on_configure(root_context_id, static_cast<uint32_t>(configuration.size()));
  }) != 0;
  state_->plugin_configuration.reset();
  return result;
}

bool FakeHost::validateConfiguration(uint32_t root_context_id, std::string_view configuration) {
  state_->plugin_configuration = std::string(configuration);
  const bool result = state_->run(root_context_id, [&] {
    return proxy_on_validate_configuration(root_context_id,
                                           static_cast<uint32_t>(configuration.size()));
  }) != 0;
  state_->plugin_configuration.reset();
  return result;
}

uint32_t FakeHost::startPlugin(std::string_view configuration, std::string_view root_id) {
  const uint32_t root = createRootContext(root_id, configuration);
  if (!startVm(root) || !configure(root, configuration)) return 0;
  return root;
}

uint32_t FakeHost::createHttpContext(uint32_t root_context_id) {
  state_->get(root_context_id);
  const uint32_t id = state_->next_context_id++;
  State::Context& context = state_->contexts[id];
  context.id = id;
  context.root = root_context_id;
  state_->run(id, [&] { proxy_on_context_create(id, root_context_id); });
  return id;
}

uint32_t FakeHost::createStreamContext(uint32_t root_context_id) {
  return createHttpContext(root_context_id);  // the ABI does not tell them apart
}

FilterHeadersStatus FakeHost::requestHeaders(uint32_t context_id, Headers headers,
                                             bool end_of_stream) {
  auto& context = state_->get(context_id);
  for (auto& [k, v] : headers) k = lower(k);
  context.maps[0] = std::move(headers);
  const auto n = static_cast<uint32_t>(context.maps[0].size());
  return static_cast<FilterHeadersStatus>(state_->run(
      context_id, [&] { return proxy_on_request_headers(context_id, n, end_of_stream ? 1 : 0); }));
}

namespace {
template <typename Call>
FilterDataStatus feedBody(FakeHost::State& state, uint32_t context_id, int slot,
                          std::string_view chunk, bool end_of_stream, Call call) {
  auto& context = state.get(context_id);
  if (context.buffering[slot]) {
    context.buffers[slot].append(chunk);
  } else {
    context.buffers[slot] = std::string(chunk);
  }
  const auto size = static_cast<uint32_t>(context.buffers[slot].size());
  const auto result = static_cast<FilterDataStatus>(
      state.run(context_id, [&] { return call(context_id, size, end_of_stream ? 1u : 0u); }));
  if (FakeHost::State::Context* c = state.find(context_id)) {
    c->buffering[slot] = result == FilterDataStatus::StopIterationAndBuffer;
  }
  return result;
}
}  // namespace

FilterDataStatus FakeHost::requestBody(uint32_t context_id, std::string_view chunk,
                                       bool end_of_stream) {
  return feedBody(*state_, context_id, 0, chunk, end_of_stream, proxy_on_request_body);
}

FilterTrailersStatus FakeHost::requestTrailers(uint32_t context_id, Headers trailers) {
  auto& context = state_->get(context_id);
  for (auto& [k, v] : trailers) k = lower(k);
  context.maps[1] = std::move(trailers);
  const auto n = static_cast<uint32_t>(context.maps[1].size());
  return static_cast<FilterTrailersStatus>(
      state_->run(context_id, [&] { return proxy_on_request_trailers(context_id, n); }));
}

uint32_t FakeHost::requestMetadata(uint32_t context_id, uint32_t num_elements) {
  return state_->run(context_id,
                     [&] { return proxy_on_request_metadata(context_id, num_elements); });
}

FilterHeadersStatus FakeHost::responseHeaders(uint32_t context_id, Headers headers,
                                              bool end_of_stream) {
  auto& context = state_->get(context_id);
  for (auto& [k, v] : headers) k = lower(k);
  context.maps[2] = std::move(headers);
  const auto n = static_cast<uint32_t>(context.maps[2].size());
  return static_cast<FilterHeadersStatus>(state_->run(
      context_id, [&] { return proxy_on_response_headers(context_id, n, end_of_stream ? 1 : 0); }));
}

FilterDataStatus FakeHost::responseBody(uint32_t context_id, std::string_view chunk,
                                        bool end_of_stream) {
  return feedBody(*state_, context_id, 1, chunk, end_of_stream, proxy_on_response_body);
}

FilterTrailersStatus FakeHost::responseTrailers(uint32_t context_id, Headers trailers) {
  auto& context = state_->get(context_id);
  for (auto& [k, v] : trailers) k = lower(k);
  context.maps[3] = std::move(trailers);
  const auto n = static_cast<uint32_t>(context.maps[3].size());
  return static_cast<FilterTrailersStatus>(
      state_->run(context_id, [&] { return proxy_on_response_trailers(context_id, n); }));
}

uint32_t FakeHost::responseMetadata(uint32_t context_id, uint32_t num_elements) {
  return state_->run(context_id,
                     [&] { return proxy_on_response_metadata(context_id, num_elements); });
}

FilterStatus FakeHost::newConnection(uint32_t context_id) {
  state_->get(context_id);
  return static_cast<FilterStatus>(
      state_->run(context_id, [&] { return proxy_on_new_connection(context_id); }));
}

FilterStatus FakeHost::downstreamData(uint32_t context_id, std::string_view data,
                                      bool end_of_stream) {
  auto& context = state_->get(context_id);
  context.buffers[2] = std::string(data);
  const auto size = static_cast<uint32_t>(data.size());
  return static_cast<FilterStatus>(state_->run(context_id, [&] {
    return proxy_on_downstream_data(context_id, size, end_of_stream ? 1 : 0);
  }));
}

FilterStatus FakeHost::upstreamData(uint32_t context_id, std::string_view data,
                                    bool end_of_stream) {
  auto& context = state_->get(context_id);
  context.buffers[3] = std::string(data);
  const auto size = static_cast<uint32_t>(data.size());
  return static_cast<FilterStatus>(state_->run(
      context_id, [&] { return proxy_on_upstream_data(context_id, size, end_of_stream ? 1 : 0); }));
}

void FakeHost::downstreamConnectionClose(uint32_t context_id, PeerType peer) {
  state_->get(context_id);
  state_->run(context_id, [&] {
    proxy_on_downstream_connection_close(context_id, static_cast<uint32_t>(peer));
  });
}

void FakeHost::upstreamConnectionClose(uint32_t context_id, PeerType peer) {
  state_->get(context_id);
  state_->run(context_id,
              [&] { proxy_on_upstream_connection_close(context_id, static_cast<uint32_t>(peer)); });
}

void FakeHost::logContext(uint32_t context_id) {
  state_->get(context_id);
  state_->run(context_id, [&] { proxy_on_log(context_id); });
}

bool FakeHost::doneContext(uint32_t context_id) {
  auto& context = state_->get(context_id);
  const bool result = state_->run(context_id, [&] { return proxy_on_done(context_id); }) != 0;
  if (context.is_root && !result) context.pending_done = true;
  return result;
}

void FakeHost::deleteContext(uint32_t context_id) {
  state_->get(context_id);
  state_->run(context_id, [&] { proxy_on_delete(context_id); });
  if (auto* context = state_->find(context_id)) context->deleted = true;
}

void FakeHost::completeHttpContext(uint32_t context_id) {
  logContext(context_id);
  doneContext(context_id);
  deleteContext(context_id);
}

void FakeHost::tick(uint32_t root_context_id) {
  state_->get(root_context_id);
  state_->run(root_context_id, [&] { proxy_on_tick(root_context_id); });
}

void FakeHost::foreignFunction(uint32_t root_context_id, uint32_t function_id, std::string data) {
  state_->call_data = &data;
  state_->run(root_context_id, [&] {
    proxy_on_foreign_function(root_context_id, function_id, static_cast<uint32_t>(data.size()));
  });
  state_->call_data = nullptr;
}

size_t FakeHost::deliverQueueReady() {
  std::vector<uint32_t> ready;
  ready.swap(state_->ready);
  for (uint32_t token : ready) {
    const uint32_t root = state_->queues[token].root;
    if (state_->find(root) == nullptr) continue;
    state_->run(root, [&] { proxy_on_queue_ready(root, token); });
  }
  return ready.size();
}

void FakeHost::httpCallResponse(uint32_t token, Headers headers, std::string body,
                                Headers trailers) {
  uint32_t root = 0;
  for (const auto& call : state_->http_calls) {
    if (call.token == token) root = call.root_context_id;
  }
  if (state_->find(root) == nullptr) return;
  state_->call_response_headers = &headers;
  state_->call_response_trailers = &trailers;
  state_->call_response_body = &body;
  state_->run(root, [&] {
    proxy_on_http_call_response(root, token, static_cast<uint32_t>(headers.size()),
                                static_cast<uint32_t>(body.size()),
                                static_cast<uint32_t>(trailers.size()));
  });
  state_->call_response_headers = nullptr;
  state_->call_response_trailers = nullptr;
  state_->call_response_body = nullptr;
}

void FakeHost::httpCallFailure(uint32_t token) {
  uint32_t root = 0;
  for (const auto& call : state_->http_calls) {
    if (call.token == token) root = call.root_context_id;
  }
  if (state_->find(root) == nullptr) return;
  state_->run(root, [&] {
    state_->status_code = static_cast<uint32_t>(WasmResult::BrokenConnection);
    state_->status_message = "reset";
    proxy_on_http_call_response(root, token, 0, 0, 0);
  });
}

namespace {
GrpcCallRecord* findGrpc(FakeHost::State& state, uint32_t token) {
  for (auto& call : state.grpc_calls) {
    if (call.token == token) return &call;
  }
  return nullptr;
}
}  // namespace

void FakeHost::grpcReceiveInitialMetadata(uint32_t token, Headers metadata) {
  GrpcCallRecord* call = findGrpc(*state_, token);
  if (call == nullptr) return;
  const uint32_t root = call->root_context_id;
  state_->grpc_initial = &metadata;
  state_->run(root, [&] {
    proxy_on_grpc_receive_initial_metadata(root, token, static_cast<uint32_t>(metadata.size()));
  });
  state_->grpc_initial = nullptr;
}

void FakeHost::grpcReceive(uint32_t token, std::string message) {
  GrpcCallRecord* call = findGrpc(*state_, token);
  if (call == nullptr) return;
  const uint32_t root = call->root_context_id;
  state_->grpc_message = &message;
  state_->run(root,
              [&] { proxy_on_grpc_receive(root, token, static_cast<uint32_t>(message.size())); });
  state_->grpc_message = nullptr;
}

void FakeHost::grpcReceiveTrailingMetadata(uint32_t token, Headers metadata) {
  GrpcCallRecord* call = findGrpc(*state_, token);
  if (call == nullptr) return;
  const uint32_t root = call->root_context_id;
  state_->grpc_trailing = &metadata;
  state_->run(root, [&] {
    proxy_on_grpc_receive_trailing_metadata(root, token, static_cast<uint32_t>(metadata.size()));
  });
  state_->grpc_trailing = nullptr;
}

void FakeHost::grpcClose(uint32_t token, int32_t status, std::string message) {
  GrpcCallRecord* call = findGrpc(*state_, token);
  if (call == nullptr) return;
  const uint32_t root = call->root_context_id;
  state_->run(root, [&] {
    state_->status_code = static_cast<uint32_t>(status);
    state_->status_message = message;
    proxy_on_grpc_close(root, token, static_cast<uint32_t>(status));
  });
}

// ---------------------------------------------------------------- queries

namespace {
const FakeHost::State::Context* lookup(const FakeHost::State& state, uint32_t id) {
  auto it = state.contexts.find(id);
  return it == state.contexts.end() ? nullptr : &it->second;
}
}  // namespace

const LocalResponse* FakeHost::localResponse(uint32_t context_id) const {
  const auto* c = lookup(*state_, context_id);
  return (c == nullptr || !c->local_response) ? nullptr : &*c->local_response;
}
const Headers& FakeHost::requestHeadersOf(uint32_t id) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? kNoHeaders : c->maps[0];
}
const Headers& FakeHost::requestTrailersOf(uint32_t id) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? kNoHeaders : c->maps[1];
}
const Headers& FakeHost::responseHeadersOf(uint32_t id) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? kNoHeaders : c->maps[2];
}
const Headers& FakeHost::responseTrailersOf(uint32_t id) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? kNoHeaders : c->maps[3];
}
const std::string& FakeHost::requestBodyOf(uint32_t id) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? kNoBytes : c->buffers[0];
}
const std::string& FakeHost::responseBodyOf(uint32_t id) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? kNoBytes : c->buffers[1];
}
const std::string& FakeHost::downstreamDataOf(uint32_t id) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? kNoBytes : c->buffers[2];
}
const std::string& FakeHost::upstreamDataOf(uint32_t id) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? kNoBytes : c->buffers[3];
}
int FakeHost::continueCount(uint32_t id, StreamType stream) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? 0 : c->continues[static_cast<uint32_t>(stream)];
}
int FakeHost::closeCount(uint32_t id, StreamType stream) const {
  const auto* c = lookup(*state_, id);
  return c == nullptr ? 0 : c->closes[static_cast<uint32_t>(stream)];
}
std::optional<std::string> FakeHost::propertyOf(uint32_t id,
                                                const std::vector<std::string>& path) const {
  const auto* c = lookup(*state_, id);
  if (c == nullptr) return std::nullopt;
  auto it = c->properties.find(joinPath(path));
  if (it == c->properties.end()) return std::nullopt;
  return it->second;
}
const std::vector<LogEntry>& FakeHost::logs() const {
  return state_->logs;
}
std::vector<std::string> FakeHost::logMessages(LogLevel level) const {
  std::vector<std::string> out;
  for (const auto& entry : state_->logs) {
    if (entry.level == level) out.push_back(entry.message);
  }
  return out;
}
void FakeHost::clearLogs() {
  state_->logs.clear();
}
std::optional<MetricRecord> FakeHost::metric(std::string_view name) const {
  auto it = state_->metrics.find(name);
  if (it == state_->metrics.end()) return std::nullopt;
  return it->second;
}
std::optional<uint64_t> FakeHost::metricValue(std::string_view name) const {
  auto record = metric(name);
  if (!record) return std::nullopt;
  return record->value;
}
const std::vector<HttpCallRecord>& FakeHost::httpCalls() const {
  return state_->http_calls;
}
const std::vector<GrpcCallRecord>& FakeHost::grpcCalls() const {
  return state_->grpc_calls;
}
uint32_t FakeHost::tickPeriodMilliseconds(uint32_t root) const {
  const auto* c = lookup(*state_, root);
  return c == nullptr ? 0 : c->tick_period;
}
bool FakeHost::pendingDone(uint32_t root) const {
  const auto* c = lookup(*state_, root);
  return c != nullptr && c->pending_done && !c->deleted;
}
bool FakeHost::deleted(uint32_t id) const {
  const auto* c = lookup(*state_, id);
  return c != nullptr && c->deleted;
}
std::optional<std::pair<std::string, uint32_t>> FakeHost::sharedData(std::string_view key) const {
  auto it = state_->shared.find(key);
  if (it == state_->shared.end()) return std::nullopt;
  return it->second;
}
size_t FakeHost::queueSize(std::string_view name) const {
  for (const auto& [token, queue] : state_->queues) {
    if (queue.name == name) return queue.items.size();
  }
  return 0;
}
size_t FakeHost::outstandingAllocations() const {
  return state_->outstanding.size();
}
size_t FakeHost::totalAllocations() const {
  return state_->total_allocations;
}
size_t FakeHost::unknownReleases() const {
  return state_->unknown_releases;
}

}  // namespace meshwasm::sdk::testing

// ================================================================ the imports

using meshwasm::abi::LogLevel;
using meshwasm::abi::WasmResult;
using meshwasm::sdk::testing::FakeHost;
using meshwasm::sdk::testing::g_state;
using meshwasm::sdk::testing::GrpcCallRecord;
using meshwasm::sdk::testing::Headers;
using meshwasm::sdk::testing::HttpCallRecord;
using meshwasm::sdk::testing::LocalResponse;
using meshwasm::sdk::testing::LogEntry;
using meshwasm::sdk::testing::MetricRecord;
namespace t = meshwasm::sdk::testing;

#define FAKE_HOST_STATE()                                              \
  if (g_state == nullptr) return t::fail(WasmResult::InternalFailure); \
  FakeHost::State& s = *g_state

extern "C" {

void meshwasm_fake_host_release(void* data) {
  if (g_state != nullptr) {
    auto it = g_state->outstanding.find(data);
    if (it == g_state->outstanding.end()) {
      ++g_state->unknown_releases;
    } else {
      g_state->outstanding.erase(it);
    }
  }
  std::free(data);
}

uint32_t proxy_log(uint32_t level, const char* message, size_t message_size) {
  if (level > meshwasm::abi::kMaxLogLevel) return t::fail(WasmResult::BadArgument);
  if (g_state == nullptr) {
    std::fprintf(stderr, "wasm log (no FakeHost): %.*s\n", static_cast<int>(message_size), message);
    return t::ok();
  }
  g_state->logs.push_back(LogEntry{static_cast<LogLevel>(level), std::string(message, message_size),
                                   g_state->effective});
  return t::ok();
}

uint32_t proxy_get_log_level(uint32_t* level) {
  FAKE_HOST_STATE();
  *level = static_cast<uint32_t>(s.log_level);
  return t::ok();
}

uint32_t proxy_get_current_time_nanoseconds(uint64_t* nanoseconds) {
  FAKE_HOST_STATE();
  *nanoseconds = s.now_ns;
  return t::ok();
}

uint32_t proxy_set_tick_period_milliseconds(uint32_t period) {
  FAKE_HOST_STATE();
  if (auto* root = s.find(s.owningRoot())) root->tick_period = period;
  return t::ok();
}

uint32_t proxy_get_property(const char* path, size_t path_size, char** value, size_t* value_size) {
  FAKE_HOST_STATE();
  std::string key(path, path_size);
  if (!key.empty() && key.back() == '\0') key.pop_back();  // a trailing NUL is accepted
  auto* current = s.current();
  if (current != nullptr) {
    auto it = current->properties.find(key);
    if (it != current->properties.end()) return s.handOut(it->second, value, value_size);
    if (key == "plugin_root_id") return s.handOut(s.get(current->root).root_id, value, value_size);
  }
  if (key == "plugin_name") return s.handOut(s.plugin_name, value, value_size);
  if (key == "plugin_vm_id") return s.handOut(s.vm_id, value, value_size);
  auto it = s.properties.find(key);
  if (it == s.properties.end()) return t::fail(WasmResult::NotFound);
  return s.handOut(it->second, value, value_size);
}

uint32_t proxy_set_property(const char* path, size_t path_size, const char* value,
                            size_t value_size) {
  FAKE_HOST_STATE();
  auto* current = s.current();
  if (current == nullptr || current->is_root) return t::fail(WasmResult::NotFound);
  std::string key(path, path_size);
  if (!key.empty() && key.back() == '\0') key.pop_back();
  current->properties[key] = std::string(value, value_size);
  return t::ok();
}

uint32_t proxy_get_header_map_pairs(uint32_t map, char** data, size_t* size) {
  FAKE_HOST_STATE();
  if (map > meshwasm::abi::kMaxMapType) return t::fail(WasmResult::BadArgument);
  const Headers* headers = s.readMap(map);
  if (headers == nullptr || headers->empty()) return s.handOut({}, data, size);
  return s.handOut(meshwasm::abi::encodePairs(*headers), data, size);
}

uint32_t proxy_set_header_map_pairs(uint32_t map, const char* data, size_t size) {
  FAKE_HOST_STATE();
  Headers* headers = s.map(map);
  if (headers == nullptr) return t::fail(WasmResult::BadArgument);
  *headers = t::decodeGuestPairs(std::string_view(data, size));
  for (auto& [k, v] : *headers) k = t::lower(k);
  return t::ok();
}

uint32_t proxy_get_header_map_value(uint32_t map, const char* key, size_t key_size, char** value,
                                    size_t* value_size) {
  FAKE_HOST_STATE();
  if (map > meshwasm::abi::kMaxMapType) return t::fail(WasmResult::BadArgument);
  const Headers* headers = s.readMap(map);
  if (headers == nullptr) return t::fail(WasmResult::BadArgument);
  const std::string wanted = t::lower(std::string_view(key, key_size));
  for (const auto& [k, v] : *headers) {
    if (k == wanted) return s.handOut(v, value, value_size);  // first value only
  }
  return t::fail(WasmResult::NotFound);
}

uint32_t proxy_add_header_map_value(uint32_t map, const char* key, size_t key_size,
                                    const char* value, size_t value_size) {
  FAKE_HOST_STATE();
  Headers* headers = s.map(map);
  if (headers == nullptr) return t::fail(WasmResult::BadArgument);
  headers->emplace_back(t::lower(std::string_view(key, key_size)), std::string(value, value_size));
  return t::ok();
}

uint32_t proxy_replace_header_map_value(uint32_t map, const char* key, size_t key_size,
                                        const char* value, size_t value_size) {
  FAKE_HOST_STATE();
  Headers* headers = s.map(map);
  if (headers == nullptr) return t::fail(WasmResult::BadArgument);
  const std::string name = t::lower(std::string_view(key, key_size));
  bool replaced = false;
  for (auto it = headers->begin(); it != headers->end();) {
    if (it->first != name) {
      ++it;
    } else if (!replaced) {
      it->second = std::string(value, value_size);
      replaced = true;
      ++it;
    } else {
      it = headers->erase(it);
    }
  }
  if (!replaced) headers->emplace_back(name, std::string(value, value_size));
  return t::ok();
}

uint32_t proxy_remove_header_map_value(uint32_t map, const char* key, size_t key_size) {
  FAKE_HOST_STATE();
  Headers* headers = s.map(map);
  if (headers == nullptr) return t::fail(WasmResult::BadArgument);
  const std::string name = t::lower(std::string_view(key, key_size));
  std::erase_if(*headers, [&](const auto& entry) { return entry.first == name; });
  return t::ok();
}

uint32_t proxy_get_header_map_size(uint32_t map, uint32_t* size) {
  FAKE_HOST_STATE();
  if (map > meshwasm::abi::kMaxMapType) return t::fail(WasmResult::BadArgument);
  const Headers* headers = s.readMap(map);
  if (headers == nullptr) return t::fail(WasmResult::BadArgument);
  size_t bytes = 0;
  for (const auto& [k, v] : *headers) bytes += k.size() + v.size();
  *size = static_cast<uint32_t>(bytes);
  return t::ok();
}

namespace {
// The buffer `type` of the current callback, nullptr when not available (NotFound).
std::string* bufferOf(FakeHost::State& s, uint32_t type, bool* read_only) {
  *read_only = type >= 4;
  auto* c = s.current();
  switch (type) {
    case 0:
    case 1:
    case 2:
    case 3: return (c == nullptr || c->is_root) ? nullptr : &c->buffers[type];
    case 4: return const_cast<std::string*>(s.call_response_body);
    case 5: return const_cast<std::string*>(s.grpc_message);
    case 6: return &s.vm_configuration;
    case 7: return s.plugin_configuration ? &*s.plugin_configuration : nullptr;
    case 8: return const_cast<std::string*>(s.call_data);
    default: return nullptr;
  }
}
}  // namespace

uint32_t proxy_get_buffer_bytes(uint32_t buffer, uint32_t start, uint32_t max_size, char** data,
                                size_t* size) {
  FAKE_HOST_STATE();
  if (buffer > meshwasm::abi::kMaxBufferType) return t::fail(WasmResult::BadArgument);
  bool read_only = false;
  std::string* bytes = bufferOf(s, buffer, &read_only);
  if (bytes == nullptr) return t::fail(WasmResult::NotFound);
  if (start >= bytes->size()) return s.handOut({}, data, size);
  return s.handOut(std::string_view(*bytes).substr(start, max_size), data, size);
}

uint32_t proxy_get_buffer_status(uint32_t buffer, uint32_t* size, uint32_t* flags) {
  FAKE_HOST_STATE();
  if (buffer > meshwasm::abi::kMaxBufferType) return t::fail(WasmResult::BadArgument);
  bool read_only = false;
  std::string* bytes = bufferOf(s, buffer, &read_only);
  if (bytes == nullptr) return t::fail(WasmResult::NotFound);
  *size = static_cast<uint32_t>(bytes->size());
  *flags = 0;
  return t::ok();
}

uint32_t proxy_set_buffer_bytes(uint32_t buffer, uint32_t start, uint32_t size, const char* data,
                                size_t data_size) {
  FAKE_HOST_STATE();
  if (buffer > meshwasm::abi::kMaxBufferType) return t::fail(WasmResult::BadArgument);
  bool read_only = false;
  std::string* bytes = bufferOf(s, buffer, &read_only);
  if (bytes == nullptr) return t::fail(WasmResult::NotFound);
  if (read_only) return t::fail(WasmResult::BadArgument);
  const std::string value(data, data_size);
  if (start == 0) {
    bytes->erase(0, size);  // size >= length drops everything
    bytes->insert(0, value);
  } else if (start >= bytes->size()) {
    bytes->append(value);
  } else {
    return t::fail(WasmResult::BadArgument);
  }
  return t::ok();
}

uint32_t proxy_continue_stream(uint32_t stream) {
  FAKE_HOST_STATE();
  if (stream > meshwasm::abi::kMaxStreamType) return t::fail(WasmResult::BadArgument);
  if (stream == static_cast<uint32_t>(meshwasm::abi::StreamType::Upstream)) {
    return t::fail(WasmResult::Unimplemented);
  }
  auto* c = s.current();
  if (c != nullptr && !c->is_root) ++c->continues[stream];
  return t::ok();
}

uint32_t proxy_close_stream(uint32_t stream) {
  FAKE_HOST_STATE();
  if (stream > meshwasm::abi::kMaxStreamType) return t::fail(WasmResult::BadArgument);
  auto* c = s.current();
  if (c != nullptr && !c->is_root) ++c->closes[stream];
  return t::ok();
}

uint32_t proxy_send_local_response(uint32_t status_code, const char* details, size_t details_size,
                                   const char* body, size_t body_size, const char* headers,
                                   size_t headers_size, int32_t grpc_status) {
  FAKE_HOST_STATE();
  auto* c = s.current();
  if (c == nullptr || c->is_root) return t::ok();  // Envoy: silently nothing from a root
  LocalResponse response;
  response.status = status_code;
  response.details = std::string(details, details_size);
  response.body = std::string(body, body_size);
  response.headers = t::decodeGuestPairs(std::string_view(headers, headers_size));
  response.grpc_status = grpc_status;
  c->local_response = std::move(response);
  return t::ok();
}

uint32_t proxy_get_status(uint32_t* code, char** message, size_t* message_size) {
  FAKE_HOST_STATE();
  *code = s.status_code;
  return s.handOut(s.status_message, message, message_size);
}

uint32_t proxy_http_call(const char* upstream, size_t upstream_size, const char* headers,
                         size_t headers_size, const char* body, size_t body_size,
                         const char* trailers, size_t trailers_size, uint32_t timeout_ms,
                         uint32_t* token) {
  FAKE_HOST_STATE();
  if (s.http_call_failure) return t::fail(*s.http_call_failure);
  if (timeout_ms >= 0x80000000u) return t::fail(WasmResult::BadArgument);
  HttpCallRecord call;
  call.headers = t::decodeGuestPairs(std::string_view(headers, headers_size));
  bool method = false, path = false, authority = false;
  for (auto& [k, v] : call.headers) {
    k = t::lower(k);
    method |= k == ":method";
    path |= k == ":path";
    authority |= k == ":authority";
  }
  if (!method || !path || !authority) return t::fail(WasmResult::BadArgument);
  call.token = 4 * s.next_call++;
  call.root_context_id = s.owningRoot();
  call.context_id = s.effective;
  call.cluster = std::string(upstream, upstream_size);
  call.body = std::string(body, body_size);
  call.trailers = t::decodeGuestPairs(std::string_view(trailers, trailers_size));
  call.timeout_ms = timeout_ms;
  *token = call.token;
  s.http_calls.push_back(std::move(call));
  return t::ok();
}

uint32_t proxy_grpc_call(const char* upstream, size_t upstream_size, const char* service,
                         size_t service_size, const char* method, size_t method_size,
                         const char* metadata, size_t metadata_size, const char* message,
                         size_t message_size, uint32_t timeout_ms, uint32_t* token) {
  FAKE_HOST_STATE();
  GrpcCallRecord call;
  call.token = 4 * s.next_call++ + 1;
  call.root_context_id = s.owningRoot();
  call.upstream = std::string(upstream, upstream_size);
  call.service = std::string(service, service_size);
  call.method = std::string(method, method_size);
  call.initial_metadata = t::decodeGuestPairs(std::string_view(metadata, metadata_size));
  call.message = std::string(message, message_size);
  call.timeout_ms = timeout_ms;
  *token = call.token;
  s.grpc_calls.push_back(std::move(call));
  return t::ok();
}

uint32_t proxy_grpc_stream(const char* upstream, size_t upstream_size, const char* service,
                           size_t service_size, const char* method, size_t method_size,
                           const char* metadata, size_t metadata_size, uint32_t* token) {
  FAKE_HOST_STATE();
  GrpcCallRecord call;
  call.token = 4 * s.next_call++ + 2;
  call.root_context_id = s.owningRoot();
  call.stream = true;
  call.upstream = std::string(upstream, upstream_size);
  call.service = std::string(service, service_size);
  call.method = std::string(method, method_size);
  call.initial_metadata = t::decodeGuestPairs(std::string_view(metadata, metadata_size));
  *token = call.token;
  s.grpc_calls.push_back(std::move(call));
  return t::ok();
}

uint32_t proxy_grpc_send(uint32_t token, const char* message, size_t message_size,
                         uint32_t end_stream) {
  FAKE_HOST_STATE();
  GrpcCallRecord* call = t::findGrpc(s, token);
  if (call == nullptr) return t::fail(WasmResult::NotFound);
  if (!call->stream) return t::fail(WasmResult::BadArgument);
  call->sent.emplace_back(message, message_size);
  call->end_stream_sent |= end_stream != 0;
  return t::ok();
}

uint32_t proxy_grpc_cancel(uint32_t token) {
  FAKE_HOST_STATE();
  GrpcCallRecord* call = t::findGrpc(s, token);
  if (call == nullptr) return t::fail(WasmResult::NotFound);
  call->cancelled = true;
  return t::ok();
}

uint32_t proxy_grpc_close(uint32_t token) {
  FAKE_HOST_STATE();
  GrpcCallRecord* call = t::findGrpc(s, token);
  if (call == nullptr) return t::fail(WasmResult::NotFound);
  call->closed = true;
  return t::ok();
}

uint32_t proxy_define_metric(uint32_t type, const char* name, size_t name_size,
                             uint32_t* metric_id) {
  FAKE_HOST_STATE();
  if (type > meshwasm::abi::kMaxMetricType) return t::fail(WasmResult::BadArgument);
  const std::string metric_name(name, name_size);
  auto [it, inserted] = s.metrics.try_emplace(metric_name);
  if (inserted) it->second.type = static_cast<meshwasm::abi::MetricType>(type);
  const uint32_t id = (s.next_metric++ << 2) | type;  // same name: same stat, a new id
  s.metric_ids[id] = metric_name;
  *metric_id = id;
  return t::ok();
}

uint32_t proxy_increment_metric(uint32_t metric_id, int64_t offset) {
  FAKE_HOST_STATE();
  auto id = s.metric_ids.find(metric_id);
  if (id == s.metric_ids.end()) return t::fail(WasmResult::NotFound);
  MetricRecord& metric = s.metrics[id->second];
  switch (metric.type) {
    case meshwasm::abi::MetricType::Counter:
      if (offset <= 0) return t::fail(WasmResult::BadArgument);
      metric.value += static_cast<uint64_t>(offset);
      return t::ok();
    case meshwasm::abi::MetricType::Gauge:
      metric.value += static_cast<uint64_t>(offset);
      return t::ok();
    default: return t::fail(WasmResult::BadArgument);
  }
}

uint32_t proxy_record_metric(uint32_t metric_id, uint64_t value) {
  FAKE_HOST_STATE();
  auto id = s.metric_ids.find(metric_id);
  if (id == s.metric_ids.end()) return t::fail(WasmResult::NotFound);
  MetricRecord& metric = s.metrics[id->second];
  switch (metric.type) {
    case meshwasm::abi::MetricType::Counter: metric.value += value; break;
    case meshwasm::abi::MetricType::Gauge: metric.value = value; break;
    default: metric.samples.push_back(value); break;
  }
  return t::ok();
}

uint32_t proxy_get_metric(uint32_t metric_id, uint64_t* value) {
  FAKE_HOST_STATE();
  auto id = s.metric_ids.find(metric_id);
  if (id == s.metric_ids.end()) return t::fail(WasmResult::NotFound);
  const MetricRecord& metric = s.metrics[id->second];
  if (metric.type == meshwasm::abi::MetricType::Histogram) {
    return t::fail(WasmResult::BadArgument);
  }
  *value = metric.value;
  return t::ok();
}

uint32_t proxy_get_shared_data(const char* key, size_t key_size, char** value, size_t* value_size,
                               uint32_t* cas) {
  FAKE_HOST_STATE();
  auto it = s.shared.find(std::string_view(key, key_size));
  if (it == s.shared.end()) return t::fail(WasmResult::NotFound);
  *cas = it->second.second;
  return s.handOut(it->second.first, value, value_size);
}

uint32_t proxy_set_shared_data(const char* key, size_t key_size, const char* value,
                               size_t value_size, uint32_t cas) {
  FAKE_HOST_STATE();
  auto it = s.shared.find(std::string_view(key, key_size));
  if (it != s.shared.end() && cas != 0 && cas != it->second.second) {
    return t::fail(WasmResult::CasMismatch);
  }
  s.shared[std::string(key, key_size)] = {std::string(value, value_size), s.next_cas++};
  return t::ok();
}

uint32_t proxy_register_shared_queue(const char* name, size_t name_size, uint32_t* token) {
  FAKE_HOST_STATE();
  const std::string queue_name(name, name_size);
  for (auto& [id, queue] : s.queues) {
    if (queue.name == queue_name) {
      queue.root = s.owningRoot();  // the last registrant receives the notifications
      *token = id;
      return t::ok();
    }
  }
  const uint32_t id = s.next_queue++;
  s.queues[id] = FakeHost::State::Queue{queue_name, s.owningRoot(), {}};
  *token = id;
  return t::ok();
}

uint32_t proxy_resolve_shared_queue(const char* vm_id, size_t vm_id_size, const char* name,
                                    size_t name_size, uint32_t* token) {
  FAKE_HOST_STATE();
  const std::string_view vm(vm_id, vm_id_size);
  if (!vm.empty() && vm != s.vm_id) return t::fail(WasmResult::NotFound);
  for (auto& [id, queue] : s.queues) {
    if (queue.name == std::string_view(name, name_size)) {
      *token = id;
      return t::ok();
    }
  }
  return t::fail(WasmResult::NotFound);
}

uint32_t proxy_enqueue_shared_queue(uint32_t token, const char* data, size_t data_size) {
  FAKE_HOST_STATE();
  auto it = s.queues.find(token);
  if (it == s.queues.end()) return t::fail(WasmResult::NotFound);
  it->second.items.emplace_back(data, data_size);
  s.ready.push_back(token);
  return t::ok();
}

uint32_t proxy_dequeue_shared_queue(uint32_t token, char** data, size_t* data_size) {
  FAKE_HOST_STATE();
  auto it = s.queues.find(token);
  if (it == s.queues.end()) return t::fail(WasmResult::NotFound);
  if (it->second.items.empty()) return t::fail(WasmResult::Empty);
  std::string item = std::move(it->second.items.front());
  it->second.items.pop_front();
  return s.handOut(item, data, data_size);
}

uint32_t proxy_set_effective_context(uint32_t context_id) {
  FAKE_HOST_STATE();
  if (s.find(context_id) == nullptr) return t::fail(WasmResult::BadArgument);
  s.effective = context_id;
  return t::ok();
}

uint32_t proxy_done() {
  FAKE_HOST_STATE();
  auto* root = s.find(s.owningRoot());
  if (root == nullptr || !root->pending_done) return t::fail(WasmResult::NotFound);
  root->pending_done = false;
  root->done_called = true;
  return t::ok();
}

uint32_t proxy_call_foreign_function(const char* name, size_t name_size, const char* args,
                                     size_t args_size, char** results, size_t* results_size) {
  FAKE_HOST_STATE();
  auto it = s.foreign_functions.find(std::string(name, name_size));
  if (it == s.foreign_functions.end()) return t::fail(WasmResult::NotFound);
  std::string result;
  const WasmResult status = it->second(std::string_view(args, args_size), &result);
  if (results != nullptr && status == WasmResult::Ok) {
    const uint32_t handed = s.handOut(result, results, results_size);
    if (handed != t::ok()) return handed;
  }
  return static_cast<uint32_t>(status);
}

}  // extern "C"
