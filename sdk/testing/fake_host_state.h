// Internal to the FakeHost: its state, shared by the verbs/queries (fake_host.cc) and the
// host side of every import (fake_host_imports.cc).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exports.h"
#include "imports.h"
#include "meshwasm/abi/pairs.h"
#include "meshwasm/sdk/testing/fake_host.h"

namespace meshwasm::sdk::testing {
namespace detail {

inline uint32_t ok() {
  return static_cast<uint32_t>(WasmResult::Ok);
}
inline uint32_t fail(WasmResult result) {
  return static_cast<uint32_t>(result);
}

inline std::string lower(std::string_view in) {
  std::string out(in);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

inline std::string joinPath(const std::vector<std::string>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i != 0) out.push_back('\0');
    out += path[i];
  }
  return out;
}

inline Headers decodeGuestPairs(std::string_view data) {
  Headers out;
  auto decoded = abi::decodePairs(data);
  if (!decoded) return out;  // Envoy treats a malformed buffer as an empty map
  for (const auto& [k, v] : *decoded) out.emplace_back(std::string(k), std::string(v));
  return out;
}

inline const Headers kNoHeaders;
inline const std::string kNoBytes;

}  // namespace detail

struct FakeHost::State {
  // Small helpers of fake_host_state.h used by the members below.
  static uint32_t ok() { return detail::ok(); }
  static uint32_t fail(WasmResult result) { return detail::fail(result); }

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

namespace detail {
// The FakeHost the imports act on (one at a time).
extern FakeHost::State* g_state;

inline GrpcCallRecord* findGrpc(FakeHost::State& state, uint32_t token) {
  for (auto& call : state.grpc_calls) {
    if (call.token == token) return &call;
  }
  return nullptr;
}
}  // namespace detail
}  // namespace meshwasm::sdk::testing
