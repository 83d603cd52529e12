// env.proxy_* host calls: logging, time, timers, properties, header maps, buffers, stream
// control, local replies (reference 5.1 - 5.5, 8, 12). Every guest pointer is checked; every
// enum is range-checked before anything else happens.
#include <chrono>

#include "host_call_util.h"
#include "meshwasm/abi/pairs.h"

namespace meshwasm::host {

namespace {

constexpr uint32_t kIma = static_cast<uint32_t>(WasmResult::InvalidMemoryAccess);

// Copies guest bytes (views die when the guest allocator grows memory).
std::optional<std::string> readString(WasmInstance& w, uint64_t ptr, uint64_t len) {
  auto v = w.vm().read(u32(ptr), u32(len));
  if (!v) return std::nullopt;
  return std::string(*v);
}

StreamState* currentStream(WasmInstance& w) {
  Context* ctx = w.current();
  return ctx ? ctx->stream : nullptr;
}

// name == lowerCase(key), without building the lower-cased key.
bool equalsLowerCased(std::string_view name, std::string_view key) {
  if (name.size() != key.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (name[i] != c) return false;
  }
  return true;
}

Headers decodeHeaders(std::string_view buffer) {
  Headers out;
  auto pairs = abi::decodePairs(buffer);
  if (!pairs) return out;  // malformed: an empty map (reference 4.1)
  out.reserve(pairs->size());
  for (const auto& [k, v] : *pairs) out.emplace_back(lowerCase(k), std::string(v));
  return out;
}

// ---------------------------------------------------------------- logging, time, timers

uint32_t proxyLog(WasmInstance& w, const uint64_t* a) {
  auto msg = w.vm().read(u32(a[1]), u32(a[2]));
  if (!msg) return kIma;
  if (u32(a[0]) > abi::kMaxLogLevel) return res(WasmResult::BadArgument);
  // The view stays valid: logging never calls into the guest (no memory growth).
  w.guestLog(static_cast<abi::LogLevel>(u32(a[0])), *msg);
  return res(WasmResult::Ok);
}

uint32_t proxyGetLogLevel(WasmInstance& w, const uint64_t* a) {
  if (!w.vm().writeU32(u32(a[0]), static_cast<uint32_t>(w.plugin().logLevel()))) return kIma;
  return res(WasmResult::Ok);
}

uint32_t proxyGetCurrentTimeNanoseconds(WasmInstance& w, const uint64_t* a) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  if (!w.vm().writeU64(u32(a[0]), static_cast<uint64_t>(ns))) return kIma;
  return res(WasmResult::Ok);
}

uint32_t proxySetTickPeriodMilliseconds(WasmInstance& w, const uint64_t* a) {
  std::chrono::milliseconds period(u32(a[0]));
  w.setTickPeriod(period);
  if (w.owner() != nullptr) w.embedder().setTickPeriod(*w.owner(), period);
  return res(WasmResult::Ok);
}

// ---------------------------------------------------------------- properties

uint32_t proxyGetProperty(WasmInstance& w, const uint64_t* a) {
  auto path = readString(w, a[0], a[1]);
  if (!path) return kIma;
  std::string value;
  WasmResult r = lookupProperty(w, *path, &value);
  if (r != WasmResult::Ok) return res(r);
  return res(w.writeOutBuffer(value, u32(a[2]), u32(a[3])));
}

uint32_t proxySetProperty(WasmInstance& w, const uint64_t* a) {
  auto path = readString(w, a[0], a[1]);
  auto value = readString(w, a[2], a[3]);
  if (!path || !value) return kIma;
  StreamState* s = currentStream(w);
  if (s == nullptr) return res(WasmResult::NotFound);
  if (!path->empty() && path->back() == '\0') path->pop_back();
  s->custom_properties[*path] = std::move(*value);
  return res(WasmResult::Ok);
}

// ---------------------------------------------------------------- header maps

struct MapRef {
  Headers* map = nullptr;         // writable maps
  const Headers* view = nullptr;  // readable (same as map when writable)
  bool writable = false;
  bool in_log = false;
};

// nullopt: map type out of range.
std::optional<MapRef> resolveMap(WasmInstance& w, uint32_t type) {
  if (type > abi::kMaxMapType) return std::nullopt;
  MapRef ref;
  if (type <= 3) {
    StreamState* s = currentStream(w);
    if (s == nullptr) return ref;
    ref.in_log = s->in_log;
    if (s->maps[type] != nullptr && s->readable[type]) {
      ref.view = s->maps[type];
      if (s->writable[type]) {
        ref.map = s->maps[type];
        ref.writable = true;
      }
    }
    return ref;
  }
  if (type == 6 || type == 7) {
    const HttpCallResponse* r = w.scope().call_response;
    if (r != nullptr) ref.view = type == 6 ? &r->headers : &r->trailers;
  }
  if ((type == 4 || type == 5) && w.scope().grpc_metadata != nullptr &&
      w.scope().grpc_metadata_type == type) {
    ref.view = w.scope().grpc_metadata;  // only inside the gRPC metadata callbacks
  }
  return ref;
}

uint32_t proxyGetHeaderMapPairs(WasmInstance& w, const uint64_t* a) {
  auto ref = resolveMap(w, u32(a[0]));
  if (!ref) return res(WasmResult::BadArgument);
  if (ref->view == nullptr || ref->view->empty()) {
    return res(w.writeOutBuffer({}, u32(a[1]), u32(a[2])));
  }
  return res(w.writeOutPairs(*ref->view, u32(a[1]), u32(a[2])));
}

uint32_t proxySetHeaderMapPairs(WasmInstance& w, const uint64_t* a) {
  auto ref = resolveMap(w, u32(a[0]));
  if (!ref) return res(WasmResult::BadArgument);
  auto buffer = w.vm().read(u32(a[1]), u32(a[2]));
  if (!buffer) return kIma;
  if (!ref->writable) return res(WasmResult::BadArgument);
  *ref->map = decodeHeaders(*buffer);
  return res(WasmResult::Ok);
}

uint32_t proxyGetHeaderMapValue(WasmInstance& w, const uint64_t* a) {
  auto ref = resolveMap(w, u32(a[0]));
  if (!ref) return res(WasmResult::BadArgument);
  auto key = w.vm().read(u32(a[1]), u32(a[2]));
  if (!key) return kIma;
  if (ref->view == nullptr) {
    return res(ref->in_log ? WasmResult::NotFound : WasmResult::BadArgument);
  }
  for (const auto& [name, value] : *ref->view) {
    if (equalsLowerCased(name, *key)) {
      // The map's value is passed as is: the guest allocator that writeOutBuffer calls may
      // move guest memory (`key` is not used after it), but runs restricted to imports that
      // cannot change a header map (Phase::Allocator).
      return res(w.writeOutBuffer(value, u32(a[3]), u32(a[4])));
    }
  }
  if (w.abi() == AbiVersion::V0_1_0) return res(w.writeOutBuffer({}, u32(a[3]), u32(a[4])));
  return res(WasmResult::NotFound);
}

uint32_t proxyAddHeaderMapValue(WasmInstance& w, const uint64_t* a) {
  auto ref = resolveMap(w, u32(a[0]));
  if (!ref) return res(WasmResult::BadArgument);
  auto key = readString(w, a[1], a[2]);
  auto value = readString(w, a[3], a[4]);
  if (!key || !value) return kIma;
  if (!ref->writable) return res(WasmResult::BadArgument);
  ref->map->emplace_back(lowerCase(*key), std::move(*value));
  return res(WasmResult::Ok);
}

uint32_t proxyReplaceHeaderMapValue(WasmInstance& w, const uint64_t* a) {
  auto ref = resolveMap(w, u32(a[0]));
  if (!ref) return res(WasmResult::BadArgument);
  auto key = readString(w, a[1], a[2]);
  auto value = readString(w, a[3], a[4]);
  if (!key || !value) return kIma;
  if (!ref->writable) return res(WasmResult::BadArgument);
  std::string k = lowerCase(*key);
  Headers& m = *ref->map;
  bool replaced = false;
  for (auto it = m.begin(); it != m.end();) {
    if (it->first == k) {
      if (!replaced) {
        it->second = *value;
        replaced = true;
        ++it;
      } else {
        it = m.erase(it);
      }
    } else {
      ++it;
    }
  }
  if (!replaced) m.emplace_back(std::move(k), std::move(*value));
  return res(WasmResult::Ok);
}

uint32_t proxyRemoveHeaderMapValue(WasmInstance& w, const uint64_t* a) {
  auto ref = resolveMap(w, u32(a[0]));
  if (!ref) return res(WasmResult::BadArgument);
  auto key = w.vm().read(u32(a[1]), u32(a[2]));
  if (!key) return kIma;
  if (!ref->writable) return res(WasmResult::BadArgument);
  std::string k = lowerCase(*key);
  std::erase_if(*ref->map, [&](const abi::HeaderPair& p) { return p.first == k; });
  return res(WasmResult::Ok);
}

uint32_t proxyGetHeaderMapSize(WasmInstance& w, const uint64_t* a) {
  auto ref = resolveMap(w, u32(a[0]));
  if (!ref) return res(WasmResult::BadArgument);
  if (ref->view == nullptr) return res(WasmResult::BadArgument);
  uint64_t size = 0;
  for (const auto& [k, v] : *ref->view) size += k.size() + v.size();
  if (!w.vm().writeU32(u32(a[1]), static_cast<uint32_t>(size))) return kIma;
  return res(WasmResult::Ok);
}

// ---------------------------------------------------------------- buffers

struct BufferRef {
  WasmResult status = WasmResult::Ok;
  std::string_view bytes;
  std::string* body = nullptr;  // writable HTTP body
};

BufferRef resolveBuffer(WasmInstance& w, uint32_t type) {
  BufferRef b;
  switch (static_cast<abi::BufferType>(type)) {
    case abi::BufferType::HttpRequestBody:
    case abi::BufferType::HttpResponseBody: {
      StreamState* s = currentStream(w);
      if (s != nullptr && s->bodies[type] != nullptr) {
        b.body = s->bodies[type];
        b.bytes = *b.body;
      }
      return b;  // outside body callbacks: Ok but empty
    }
    case abi::BufferType::HttpCallResponseBody:
      if (w.scope().call_response == nullptr) {
        b.status = WasmResult::NotFound;
      } else {
        b.bytes = w.scope().call_response->body;
      }
      return b;
    case abi::BufferType::VmConfiguration: b.bytes = w.config().vm_configuration; return b;
    case abi::BufferType::PluginConfiguration:
      if (!w.scope().plugin_config) {
        b.status = WasmResult::NotFound;
      } else {
        b.bytes = w.config().configuration;
      }
      return b;
    case abi::BufferType::CallData:
      if (!w.scope().has_call_data) {
        b.status = WasmResult::NotFound;
      } else {
        b.bytes = w.scope().call_data;
      }
      return b;
    case abi::BufferType::GrpcReceiveBuffer:
      if (!w.scope().grpc_message) {
        b.status = WasmResult::NotFound;
      } else {
        b.bytes = *w.scope().grpc_message;
      }
      return b;
    default:  // TCP data: not available in HTTP/root callbacks
      b.status = WasmResult::NotFound;
      return b;
  }
}

uint32_t proxyGetBufferBytes(WasmInstance& w, const uint64_t* a) {
  uint32_t type = u32(a[0]);
  if (type > abi::kMaxBufferType) return res(WasmResult::BadArgument);
  BufferRef b = resolveBuffer(w, type);
  if (b.status != WasmResult::Ok) return res(b.status);
  uint64_t start = u32(a[1]);
  uint64_t max = u32(a[2]);
  if (start >= b.bytes.size()) return res(w.writeOutBuffer({}, u32(a[3]), u32(a[4])));
  std::string copy(b.bytes.substr(start, std::min<uint64_t>(max, b.bytes.size() - start)));
  return res(w.writeOutBuffer(copy, u32(a[3]), u32(a[4])));
}

uint32_t proxyGetBufferStatus(WasmInstance& w, const uint64_t* a) {
  uint32_t type = u32(a[0]);
  if (type > abi::kMaxBufferType) return res(WasmResult::BadArgument);
  BufferRef b = resolveBuffer(w, type);
  if (b.status != WasmResult::Ok) return res(b.status);
  if (!w.vm().writeU32(u32(a[1]), static_cast<uint32_t>(b.bytes.size())) ||
      !w.vm().writeU32(u32(a[2]), 0)) {
    return kIma;
  }
  return res(WasmResult::Ok);
}

uint32_t proxySetBufferBytes(WasmInstance& w, const uint64_t* a) {
  uint32_t type = u32(a[0]);
  if (type > abi::kMaxBufferType) return res(WasmResult::BadArgument);
  auto value = readString(w, a[3], a[4]);
  if (!value) return kIma;
  if (type > 1) {
    BufferRef b = resolveBuffer(w, type);
    if (b.status != WasmResult::Ok) return res(b.status);
    return res(WasmResult::BadArgument);  // read-only buffers
  }
  BufferRef b = resolveBuffer(w, type);
  if (b.body == nullptr) return res(WasmResult::NotFound);
  std::string& body = *b.body;
  uint64_t start = u32(a[1]);
  uint64_t size = u32(a[2]);
  if (start == 0) {
    body.erase(0, std::min<uint64_t>(size, body.size()));
    body.insert(0, *value);
  } else if (start >= body.size()) {
    body.append(*value);
  } else {
    return res(WasmResult::BadArgument);
  }
  return res(WasmResult::Ok);
}

// ---------------------------------------------------------------- stream control

uint32_t proxyContinueStream(WasmInstance& w, const uint64_t* a) {
  uint32_t type = u32(a[0]);
  if (type > abi::kMaxStreamType) return res(WasmResult::BadArgument);
  if (type == 3) return res(WasmResult::Unimplemented);
  StreamState* s = currentStream(w);
  if (s == nullptr || type == 2) return res(WasmResult::Ok);
  (type == 0 ? s->continue_request : s->continue_response) = true;
  return res(WasmResult::Ok);
}

uint32_t proxyCloseStream(WasmInstance& w, const uint64_t* a) {
  uint32_t type = u32(a[0]);
  if (type > abi::kMaxStreamType) return res(WasmResult::BadArgument);
  StreamState* s = currentStream(w);
  if (s == nullptr || type >= 2) return res(WasmResult::Ok);
  s->close_stream = true;
  return res(WasmResult::Ok);
}

uint32_t proxySendLocalResponse(WasmInstance& w, const uint64_t* a) {
  auto details = readString(w, a[1], a[2]);
  auto body = readString(w, a[3], a[4]);
  auto headers = w.vm().read(u32(a[5]), u32(a[6]));
  if (!details || !body || !headers) return kIma;
  StreamState* s = currentStream(w);
  if (s == nullptr) return res(WasmResult::Ok);  // root context: nothing happens
  StreamState::PendingReply& p = s->pending_reply.emplace();
  p.status = u32(a[0]);
  p.details = std::move(*details);
  p.body = std::move(*body);
  // The same bytes as last time decode to the same map: a copy of it, without decoding and
  // lower-casing again. Small buffers only (the memo keeps its copy).
  constexpr size_t kMemoMaxBytes = 1024;
  auto& memo = w.replyHeadersMemo();
  if (memo.valid && memo.pairs == *headers) {
    if (!memo.headers.empty()) {
      // Lent instead of copied: the reply gives them back when it used them unchanged (see
      // HttpStreamImpl::replyThroughResponsePath).
      p.headers = std::move(memo.headers);
      memo.headers.clear();
      memo.valid = false;
      memo.lent = p.memo_lend = ++memo.lends;
    }
  } else {
    p.headers = decodeHeaders(*headers);
    if (headers->size() <= kMemoMaxBytes) {
      memo.pairs.assign(*headers);
      memo.headers = p.headers;
      memo.valid = true;
      memo.lent = 0;
    }
  }
  p.grpc_status = u32(a[7]);
  return res(WasmResult::Ok);
}

uint32_t proxyGetStatus(WasmInstance& w, const uint64_t* a) {
  if (!w.vm().writeU32(u32(a[0]), w.lastStatusCode())) return kIma;
  std::string message = w.lastStatusMessage();
  return res(w.writeOutBuffer(message, u32(a[1]), u32(a[2])));
}

// ---------------------------------------------------------------- ABI 0.1.0 only

uint32_t proxyGetConfiguration(WasmInstance& w, const uint64_t* a) {
  std::string copy =
      w.scope().plugin_config ? w.config().configuration : w.config().vm_configuration;
  return res(w.writeOutBuffer(copy, u32(a[0]), u32(a[1])));
}

uint32_t proxyContinueRequest(WasmInstance& w, const uint64_t*) {
  if (StreamState* s = currentStream(w)) s->continue_request = true;
  return res(WasmResult::Ok);
}

uint32_t proxyContinueResponse(WasmInstance& w, const uint64_t*) {
  if (StreamState* s = currentStream(w)) s->continue_response = true;
  return res(WasmResult::Ok);
}

uint32_t proxyClearRouteCache(WasmInstance& w, const uint64_t*) {
  if (StreamState* s = currentStream(w); s != nullptr && s->callbacks != nullptr) {
    s->callbacks->clearRouteCache();
  }
  return res(WasmResult::Ok);
}

// ---------------------------------------------------------------- env extras

uint32_t pthreadEqual(WasmInstance&, const uint64_t* a) {
  return u32(a[0]) == u32(a[1]);
}
uint32_t notifyMemoryGrowth(WasmInstance&, const uint64_t*) {
  return 0;
}

}  // namespace

void addProxyFunctions(ImportTable& t, AbiVersion version) {
  constexpr uintptr_t kStart = kAllowedInStart;
  constexpr uintptr_t kBoth = kAllowedInStart | kAllowedInAllocator;
  auto add = [&](std::string_view name, std::string_view params, HostCallback cb,
                 uintptr_t flags = 0) { addHostFunction(t, "env", name, params, "I", cb, flags); };
  add("proxy_log", "III", hostCall<proxyLog>, kBoth);
  if (version == AbiVersion::V0_2_1) add("proxy_get_log_level", "I", hostCall<proxyGetLogLevel>);
  add("proxy_get_current_time_nanoseconds", "I", hostCall<proxyGetCurrentTimeNanoseconds>);
  add("proxy_set_tick_period_milliseconds", "I", hostCall<proxySetTickPeriodMilliseconds>);
  add("proxy_get_property", "IIII", hostCall<proxyGetProperty>);
  add("proxy_set_property", "IIII", hostCall<proxySetProperty>);
  add("proxy_get_header_map_pairs", "III", hostCall<proxyGetHeaderMapPairs>);
  add("proxy_set_header_map_pairs", "III", hostCall<proxySetHeaderMapPairs>);
  add("proxy_get_header_map_value", "IIIII", hostCall<proxyGetHeaderMapValue>);
  add("proxy_add_header_map_value", "IIIII", hostCall<proxyAddHeaderMapValue>);
  add("proxy_replace_header_map_value", "IIIII", hostCall<proxyReplaceHeaderMapValue>);
  add("proxy_remove_header_map_value", "III", hostCall<proxyRemoveHeaderMapValue>);
  add("proxy_get_header_map_size", "II", hostCall<proxyGetHeaderMapSize>);
  add("proxy_get_buffer_bytes", "IIIII", hostCall<proxyGetBufferBytes>);
  add("proxy_get_buffer_status", "III", hostCall<proxyGetBufferStatus>);
  add("proxy_set_buffer_bytes", "IIIII", hostCall<proxySetBufferBytes>);
  add("proxy_send_local_response", "IIIIIIII", hostCall<proxySendLocalResponse>);
  add("proxy_get_status", "III", hostCall<proxyGetStatus>);
  if (version == AbiVersion::V0_1_0) {
    add("proxy_get_configuration", "II", hostCall<proxyGetConfiguration>);
    add("proxy_continue_request", "", hostCall<proxyContinueRequest>);
    add("proxy_continue_response", "", hostCall<proxyContinueResponse>);
    add("proxy_clear_route_cache", "", hostCall<proxyClearRouteCache>);
  } else {
    add("proxy_continue_stream", "I", hostCall<proxyContinueStream>);
    add("proxy_close_stream", "I", hostCall<proxyCloseStream>);
  }
  add("pthread_equal", "II", hostCall<pthreadEqual>);
  addHostFunction(t, "env", "emscripten_notify_memory_growth", "I", "",
                  hostCall<notifyMemoryGrowth, true>, kStart);
}

}  // namespace meshwasm::host
