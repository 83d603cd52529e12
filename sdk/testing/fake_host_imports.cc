// FakeHost: the host side of every env.proxy_* import, in-process. Behaviour follows Envoy
// where a test can observe it (see fake_host.h).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fake_host_state.h"

// ================================================================ the imports

using meshwasm::abi::LogLevel;
using meshwasm::abi::WasmResult;
using meshwasm::sdk::testing::FakeHost;
using meshwasm::sdk::testing::GrpcCallRecord;
using meshwasm::sdk::testing::Headers;
using meshwasm::sdk::testing::HttpCallRecord;
using meshwasm::sdk::testing::LocalResponse;
using meshwasm::sdk::testing::LogEntry;
using meshwasm::sdk::testing::MetricRecord;
using meshwasm::sdk::testing::detail::g_state;
namespace t = meshwasm::sdk::testing::detail;

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
