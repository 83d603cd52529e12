// FakeHost: the verbs and queries of fake_host.h. The host side of the imports is in
// fake_host_imports.cc; both share the state of fake_host_state.h.
#include "meshwasm/sdk/testing/fake_host.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fake_host_state.h"

namespace meshwasm::sdk::testing {

using namespace detail;  // NOLINT(google-build-using-namespace): the FakeHost's own helpers

namespace detail {
FakeHost::State* g_state = nullptr;
}  // namespace detail
using detail::g_state;

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
