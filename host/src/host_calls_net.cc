// env.proxy_* host calls: HTTP/gRPC callouts, metrics, shared data, shared queues, contexts,
// foreign functions (reference 5.6 - 5.11), and the per-ABI import tables.
#include <zlib.h>

#include <array>
#include <cctype>
#include <mutex>

#include "host_call_util.h"
#include "meshwasm/abi/pairs.h"

namespace meshwasm::host {

std::string lowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void addHostFunction(ImportTable& table, std::string_view module, std::string_view name,
                     std::string_view params, std::string_view results, HostCallback callback,
                     uintptr_t flags) {
  auto types = [](std::string_view s) {
    std::vector<ValueType> v;
    for (char c : s) v.push_back(c == 'L' ? ValueType::I64 : ValueType::I32);
    return v;
  };
  HostFunction f;
  f.module = std::string(module);
  f.name = std::string(name);
  f.type = FunctionType{types(params), types(results)};
  f.callback = callback;
  f.data = reinterpret_cast<void*>(flags);
  table.functions.push_back(std::move(f));
}

namespace {

constexpr uint32_t kIma = static_cast<uint32_t>(WasmResult::InvalidMemoryAccess);

std::optional<std::string> readString(WasmInstance& w, uint64_t ptr, uint64_t len) {
  auto v = w.vm().read(u32(ptr), u32(len));
  if (!v) return std::nullopt;
  return std::string(*v);
}

Headers decodeHeaders(std::string_view buffer) {
  Headers out;
  auto pairs = abi::decodePairs(buffer);
  if (!pairs) return out;
  for (const auto& [k, v] : *pairs) out.emplace_back(lowerCase(k), std::string(v));
  return out;
}

bool writable(WasmInstance& w, uint32_t ptr, uint32_t len) {
  return w.vm().read(ptr, len).has_value();
}

// ---------------------------------------------------------------- HTTP / gRPC callouts

uint32_t proxyHttpCall(WasmInstance& w, const uint64_t* a) {
  auto cluster = readString(w, a[0], a[1]);
  auto headers = readString(w, a[2], a[3]);
  auto body = readString(w, a[4], a[5]);
  auto trailers = readString(w, a[6], a[7]);
  if (!cluster || !headers || !body || !trailers) return kIma;
  if (!writable(w, u32(a[9]), 4)) return kIma;
  uint32_t timeout = u32(a[8]);
  if (timeout >= 0x80000000u) return res(WasmResult::BadArgument);
  Headers h = decodeHeaders(*headers);
  Headers t = decodeHeaders(*trailers);
  auto has = [&](std::string_view k) {
    for (const auto& p : h) {
      if (p.first == k && !p.second.empty()) return true;
    }
    return false;
  };
  if (!has(":method") || !has(":path") || !has(":authority")) {
    return res(WasmResult::BadArgument);
  }
  if (!body->empty()) {
    std::erase_if(h, [](const abi::HeaderPair& p) { return p.first == "content-length"; });
    h.emplace_back("content-length", std::to_string(body->size()));
  }
  if (w.owner() == nullptr) return res(WasmResult::InternalFailure);
  HttpCallRequest request;
  request.token = w.nextHttpCallToken();
  request.cluster = *cluster;
  request.headers = &h;
  request.body = *body;
  request.trailers = &t;
  request.timeout = std::chrono::milliseconds(timeout);
  w.httpCalls()[request.token] = true;
  WasmResult r = w.embedder().httpCall(*w.owner(), request);
  if (r != WasmResult::Ok) {
    w.httpCalls().erase(request.token);
    return res(r);
  }
  if (!w.vm().writeU32(u32(a[9]), request.token)) return kIma;
  return res(WasmResult::Ok);
}

// gRPC callouts go to the embedder (the gateway's h2c client); Envoy's answers for errors:
// unknown cluster ParseFailure, unknown token NotFound, a call token given to send
// BadArgument.
uint32_t startGrpc(WasmInstance& w, const uint64_t* a, bool stream) {
  auto upstream = readString(w, a[0], a[1]);
  auto service = readString(w, a[2], a[3]);
  auto method = readString(w, a[4], a[5]);
  auto metadata = readString(w, a[6], a[7]);
  std::optional<std::string> message;
  uint32_t timeout = 0;
  uint32_t token_ptr = 0;
  if (stream) {
    token_ptr = u32(a[8]);
  } else {
    message = readString(w, a[8], a[9]);
    if (!message) return kIma;
    timeout = u32(a[10]);
    token_ptr = u32(a[11]);
  }
  if (!upstream || !service || !method || !metadata) return kIma;
  if (!writable(w, token_ptr, 4)) return kIma;
  if (timeout >= 0x80000000u) return res(WasmResult::BadArgument);
  if (w.owner() == nullptr) return res(WasmResult::ParseFailure);  // no embedder clusters
  Headers m = decodeHeaders(*metadata);
  GrpcCallRequest request;
  request.token = w.nextGrpcToken(stream);
  request.stream = stream;
  request.upstream = *upstream;
  request.service = *service;
  request.method = *method;
  request.initial_metadata = &m;
  if (message) request.message = *message;
  request.timeout = std::chrono::milliseconds(timeout);
  w.grpcCalls()[request.token] = stream;
  WasmResult r = w.embedder().grpcCall(*w.owner(), request);
  if (r != WasmResult::Ok) {
    w.grpcCalls().erase(request.token);
    return res(r);
  }
  if (!w.vm().writeU32(token_ptr, request.token)) return kIma;
  return res(WasmResult::Ok);
}

uint32_t proxyGrpcCall(WasmInstance& w, const uint64_t* a) {
  return startGrpc(w, a, false);
}

uint32_t proxyGrpcStream(WasmInstance& w, const uint64_t* a) {
  return startGrpc(w, a, true);
}

uint32_t proxyGrpcSend(WasmInstance& w, const uint64_t* a) {
  auto message = w.vm().read(u32(a[1]), u32(a[2]));
  if (!message) return kIma;
  auto it = w.grpcCalls().find(u32(a[0]));
  if (it == w.grpcCalls().end()) return res(WasmResult::NotFound);
  if (!it->second) return res(WasmResult::BadArgument);  // a unary call, not a stream
  if (w.owner() == nullptr) return res(WasmResult::NotFound);
  return res(w.embedder().grpcSend(*w.owner(), it->first, *message, u32(a[3]) != 0));
}

uint32_t proxyGrpcCancel(WasmInstance& w, const uint64_t* a) {
  const uint32_t token = u32(a[0]);
  auto it = w.grpcCalls().find(token);
  if (it == w.grpcCalls().end()) return res(WasmResult::NotFound);
  w.grpcCalls().erase(it);  // no callback follows a cancel
  if (w.owner() == nullptr) return res(WasmResult::NotFound);
  return res(w.embedder().grpcCancel(*w.owner(), token));
}

uint32_t proxyGrpcClose(WasmInstance& w, const uint64_t* a) {
  const uint32_t token = u32(a[0]);
  auto it = w.grpcCalls().find(token);
  if (it == w.grpcCalls().end()) return res(WasmResult::NotFound);
  if (!it->second) w.grpcCalls().erase(it);  // closing a call cancels it
  if (w.owner() == nullptr) return res(WasmResult::NotFound);
  return res(w.embedder().grpcClose(*w.owner(), token));
}

// ---------------------------------------------------------------- metrics

uint32_t proxyDefineMetric(WasmInstance& w, const uint64_t* a) {
  uint32_t type = u32(a[0]);
  if (type > abi::kMaxMetricType) return res(WasmResult::BadArgument);
  auto name = readString(w, a[1], a[2]);
  if (!name) return kIma;
  if (!writable(w, u32(a[3]), 4)) return kIma;
  auto* metric = w.shared().defineMetric(static_cast<abi::MetricType>(type), *name);
  uint32_t id = w.addMetric(static_cast<abi::MetricType>(type), metric);
  if (!w.vm().writeU32(u32(a[3]), id)) return kIma;
  return res(WasmResult::Ok);
}

uint32_t proxyIncrementMetric(WasmInstance& w, const uint64_t* a) {
  auto* metric = w.findMetric(u32(a[0]));
  if (metric == nullptr) return res(WasmResult::NotFound);
  return res(w.shared().incrementMetric(metric, static_cast<int64_t>(a[1])));
}

uint32_t proxyRecordMetric(WasmInstance& w, const uint64_t* a) {
  auto* metric = w.findMetric(u32(a[0]));
  if (metric == nullptr) return res(WasmResult::NotFound);
  return res(w.shared().recordMetric(metric, a[1]));
}

uint32_t proxyGetMetric(WasmInstance& w, const uint64_t* a) {
  auto* metric = w.findMetric(u32(a[0]));
  if (metric == nullptr) return res(WasmResult::NotFound);
  uint64_t value = 0;
  WasmResult r = w.shared().getMetric(metric, &value);
  if (r != WasmResult::Ok) return res(r);
  if (!w.vm().writeU64(u32(a[1]), value)) return kIma;
  return res(WasmResult::Ok);
}

// ---------------------------------------------------------------- shared data

uint32_t proxyGetSharedData(WasmInstance& w, const uint64_t* a) {
  auto key = readString(w, a[0], a[1]);
  if (!key) return kIma;
  std::string value;
  uint32_t cas = 0;
  WasmResult r = w.shared().getSharedData(w.config().vm_id, *key, &value, &cas);
  if (r != WasmResult::Ok) return res(r);
  if (!writable(w, u32(a[4]), 4)) return kIma;
  r = w.writeOutBuffer(value, u32(a[2]), u32(a[3]));
  if (r != WasmResult::Ok) return res(r);
  if (!w.vm().writeU32(u32(a[4]), cas)) return kIma;
  return res(WasmResult::Ok);
}

uint32_t proxySetSharedData(WasmInstance& w, const uint64_t* a) {
  auto key = readString(w, a[0], a[1]);
  auto value = readString(w, a[2], a[3]);
  if (!key || !value) return kIma;
  return res(w.shared().setSharedData(w.config().vm_id, *key, *value, u32(a[4])));
}

// ---------------------------------------------------------------- shared queues

uint32_t proxyRegisterSharedQueue(WasmInstance& w, const uint64_t* a) {
  auto name = readString(w, a[0], a[1]);
  if (!name) return kIma;
  if (!writable(w, u32(a[2]), 4)) return kIma;
  SharedState::QueueNotifier notifier;
  if (w.owner() != nullptr) notifier = w.owner()->queueNotifier();
  uint32_t token = w.shared().registerQueue(w.config().vm_id, *name, std::move(notifier));
  if (!w.vm().writeU32(u32(a[2]), token)) return kIma;
  return res(WasmResult::Ok);
}

uint32_t proxyResolveSharedQueue(WasmInstance& w, const uint64_t* a) {
  auto vm_id = readString(w, a[0], a[1]);
  auto name = readString(w, a[2], a[3]);
  if (!vm_id || !name) return kIma;
  if (!writable(w, u32(a[4]), 4)) return kIma;
  auto token =
      w.shared().resolveQueue(vm_id->empty() ? std::string_view(w.config().vm_id) : *vm_id, *name);
  if (!token) return res(WasmResult::NotFound);
  if (!w.vm().writeU32(u32(a[4]), *token)) return kIma;
  return res(WasmResult::Ok);
}

uint32_t proxyEnqueueSharedQueue(WasmInstance& w, const uint64_t* a) {
  auto value = readString(w, a[1], a[2]);
  if (!value) return kIma;
  return res(w.shared().enqueue(u32(a[0]), *value));
}

uint32_t proxyDequeueSharedQueue(WasmInstance& w, const uint64_t* a) {
  if (!writable(w, u32(a[1]), 4) || !writable(w, u32(a[2]), 4)) return kIma;
  std::string value;
  WasmResult r = w.shared().dequeue(u32(a[0]), &value);
  if (r != WasmResult::Ok) return res(r);
  return res(w.writeOutBuffer(value, u32(a[1]), u32(a[2])));
}

// ---------------------------------------------------------------- contexts, FFI

uint32_t proxySetEffectiveContext(WasmInstance& w, const uint64_t* a) {
  return res(w.setEffective(u32(a[0])) ? WasmResult::Ok : WasmResult::BadArgument);
}

uint32_t proxyDone(WasmInstance& w, const uint64_t*) {
  Context* root = w.rootContext();
  if (root == nullptr || !root->pending_done) return res(WasmResult::NotFound);
  root->pending_done = false;
  w.setRootDeletePending(true);
  return res(WasmResult::Ok);
}

WasmResult zlibCompress(std::string_view in, std::string* out) {
  uLongf size = compressBound(static_cast<uLong>(in.size()));
  out->resize(size);
  if (compress(reinterpret_cast<Bytef*>(out->data()), &size,
               reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size())) != Z_OK) {
    return WasmResult::SerializationFailure;
  }
  out->resize(size);
  return WasmResult::Ok;
}

WasmResult zlibUncompress(std::string_view in, std::string* out) {
  uLongf size = std::max<uLongf>(static_cast<uLongf>(in.size()) * 2, 256);
  for (int i = 0; i < 12; ++i) {
    out->resize(size);
    int r = uncompress(reinterpret_cast<Bytef*>(out->data()), &size,
                       reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()));
    if (r == Z_OK) {
      out->resize(size);
      return WasmResult::Ok;
    }
    if (r != Z_BUF_ERROR || size > (64u << 20)) break;
    size = static_cast<uLongf>(out->size()) * 2;
  }
  return WasmResult::SerializationFailure;
}

uint32_t proxyCallForeignFunction(WasmInstance& w, const uint64_t* a) {
  auto name = readString(w, a[0], a[1]);
  auto args = readString(w, a[2], a[3]);
  if (!name || !args) return kIma;
  std::string out;
  WasmResult r;
  if (*name == "compress") {
    r = zlibCompress(*args, &out);
  } else if (*name == "uncompress") {
    r = zlibUncompress(*args, &out);
  } else if (*name == "clear_route_cache") {
    Context* ctx = w.current();
    if (ctx != nullptr && ctx->stream != nullptr && ctx->stream->callbacks != nullptr) {
      ctx->stream->callbacks->clearRouteCache();
    }
    r = WasmResult::Ok;
  } else {
    return res(WasmResult::NotFound);
  }
  if (r != WasmResult::Ok) return res(r);
  if (u32(a[4]) == 0) return res(WasmResult::Ok);  // results discarded
  return res(w.writeOutBuffer(out, u32(a[4]), u32(a[5])));
}

}  // namespace

void addProxyNetFunctions(ImportTable& t) {
  auto add = [&](std::string_view name, std::string_view params, HostCallback cb) {
    addHostFunction(t, "env", name, params, "I", cb, 0);
  };
  add("proxy_http_call", "IIIIIIIIII", hostCall<proxyHttpCall>);
  add("proxy_grpc_call", "IIIIIIIIIIII", hostCall<proxyGrpcCall>);
  add("proxy_grpc_stream", "IIIIIIIII", hostCall<proxyGrpcStream>);
  add("proxy_grpc_send", "IIII", hostCall<proxyGrpcSend>);
  add("proxy_grpc_cancel", "I", hostCall<proxyGrpcCancel>);
  add("proxy_grpc_close", "I", hostCall<proxyGrpcClose>);
  add("proxy_define_metric", "IIII", hostCall<proxyDefineMetric>);
  add("proxy_increment_metric", "IL", hostCall<proxyIncrementMetric>);
  add("proxy_record_metric", "IL", hostCall<proxyRecordMetric>);
  add("proxy_get_metric", "II", hostCall<proxyGetMetric>);
  add("proxy_get_shared_data", "IIIII", hostCall<proxyGetSharedData>);
  add("proxy_set_shared_data", "IIIII", hostCall<proxySetSharedData>);
  add("proxy_register_shared_queue", "III", hostCall<proxyRegisterSharedQueue>);
  add("proxy_resolve_shared_queue", "IIIII", hostCall<proxyResolveSharedQueue>);
  add("proxy_enqueue_shared_queue", "III", hostCall<proxyEnqueueSharedQueue>);
  add("proxy_dequeue_shared_queue", "III", hostCall<proxyDequeueSharedQueue>);
  add("proxy_set_effective_context", "I", hostCall<proxySetEffectiveContext>);
  add("proxy_done", "", hostCall<proxyDone>);
  add("proxy_call_foreign_function", "IIIIII", hostCall<proxyCallForeignFunction>);
}

const ImportTable& importTable(AbiVersion version) {
  static std::once_flag once;
  static std::array<ImportTable, 3> tables;
  std::call_once(once, [] {
    for (auto v : {AbiVersion::V0_1_0, AbiVersion::V0_2_0, AbiVersion::V0_2_1}) {
      ImportTable& t = tables[static_cast<size_t>(v)];
      addProxyFunctions(t, v);
      addProxyNetFunctions(t);
      addWasiFunctions(t, "wasi_snapshot_preview1");
      addWasiFunctions(t, "wasi_unstable");
    }
  });
  return tables[static_cast<size_t>(version)];
}

}  // namespace meshwasm::host
