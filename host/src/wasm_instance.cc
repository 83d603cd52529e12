// WasmInstance: one started VM of a plugin, its contexts and the guest calls.
#include "wasm_instance.h"

#include <algorithm>

#include "host_call_util.h"
#include "http_stream_impl.h"
#include "meshwasm/abi/pairs.h"
#include "plugin_details.h"

namespace meshwasm::host {

WasmInstance::WasmInstance(std::shared_ptr<const Plugin> plugin, SharedState* shared,
                           Embedder* embedder, PluginVm* owner)
    : plugin_(std::move(plugin)), shared_(shared), embedder_(embedder), owner_(owner) {}

WasmInstance::~WasmInstance() = default;

Status WasmInstance::instantiate() {
  const auto& d = plugin_->details();
  auto vm = d.engine->instantiate(d.module, importTable(plugin_->abiVersion()), this);
  if (!vm) return vm.status();
  attach(std::move(*vm));
  return Status::ok();
}

void WasmInstance::attach(std::unique_ptr<Vm> vm) {
  vm_ = std::move(vm);
  call_shapes_.clear();
  auto find = [&](std::string_view name) { return vm_->findFunction(name); };
  auto& e = exports_;
  e.malloc = find("malloc");
  if (e.malloc == kNoExport) e.malloc = find("proxy_on_memory_allocate");
  e.on_context_create = find("proxy_on_context_create");
  e.on_vm_start = find("proxy_on_vm_start");
  e.on_configure = find("proxy_on_configure");
  e.on_tick = find("proxy_on_tick");
  e.on_queue_ready = find("proxy_on_queue_ready");
  if (plugin_->abiVersion() != AbiVersion::V0_1_0) {
    e.on_foreign_function = find("proxy_on_foreign_function");
  }
  e.on_request_headers = find("proxy_on_request_headers");
  e.on_request_body = find("proxy_on_request_body");
  e.on_request_trailers = find("proxy_on_request_trailers");
  e.on_response_headers = find("proxy_on_response_headers");
  e.on_response_body = find("proxy_on_response_body");
  e.on_response_trailers = find("proxy_on_response_trailers");
  e.on_log = find("proxy_on_log");
  e.on_done = find("proxy_on_done");
  e.on_delete = find("proxy_on_delete");
  e.on_http_call_response = find("proxy_on_http_call_response");
  e.on_grpc_close = find("proxy_on_grpc_close");
  e.on_grpc_receive_initial_metadata = find("proxy_on_grpc_receive_initial_metadata");
  e.on_grpc_receive = find("proxy_on_grpc_receive");
  e.on_grpc_receive_trailing_metadata = find("proxy_on_grpc_receive_trailing_metadata");
}

Status WasmInstance::runStartFunctions() {
  Phase saved = phase_;
  phase_ = Phase::Start;
  bool ok = true;
  for (const auto& name : plugin_->details().info.start_functions) {
    ExportFunction fn = vm_->findFunction(name);
    if (name == "main") {
      ok = callGuest(fn, name, nullptr, {0, 0});
    } else {
      ok = callGuest(fn, name, nullptr, {});
    }
    if (!ok) break;
  }
  phase_ = saved;
  if (!ok) return Status::error(failure_);
  return Status::ok();
}

Status WasmInstance::start() {
  const auto& cfg = config();
  auto fail = [&](std::string_view what) {
    failed_ = true;
    std::string msg = "Plugin '" + cfg.name + "' " + std::string(what);
    return Status::error(msg);
  };
  if (auto s = runStartFunctions(); !s) return fail("failed to start: " + s.message());

  auto root = std::make_unique<Context>();
  root->id = newContextId();
  root_ = insertContext(std::move(root));
  uint32_t id = root_->id;

  scope_.plugin_config = true;
  bool ok = callGuest(exports_.on_context_create, "proxy_on_context_create", root_, {id, 0});
  scope_.plugin_config = false;
  if (!ok) return fail("failed to start: " + failure_);

  uint64_t r = 1;
  if (!callGuest(exports_.on_vm_start, "proxy_on_vm_start", root_,
                 {id, cfg.vm_configuration.size()}, &r)) {
    return fail("failed to start: " + failure_);
  }
  if (u32(r) == 0) {
    hostLog(abi::LogLevel::Error, "Plugin start failed: proxy_on_vm_start returned false");
    return fail("failed to start: proxy_on_vm_start returned false");
  }
  r = 1;
  scope_.plugin_config = true;
  ok = callGuest(exports_.on_configure, "proxy_on_configure", root_, {id, cfg.configuration.size()},
                 &r);
  scope_.plugin_config = false;
  if (!ok) return fail("failed to configure: " + failure_);
  if (u32(r) == 0) {
    hostLog(abi::LogLevel::Error, "Plugin configure failed: proxy_on_configure returned false");
    return fail("failed to configure: proxy_on_configure returned false");
  }
  applyTouchedStreams();
  return Status::ok();
}

bool WasmInstance::callGuest(ExportFunction fn, std::string_view name, Context* ctx,
                             std::span<const uint64_t> args, uint64_t* result) {
  if (failed()) return false;
  if (fn == kNoExport) return true;
  uint64_t out[1] = {0};
  Context* saved = effective_;
  Context* saved_callback = callback_;
  effective_ = ctx;
  callback_ = ctx;
  ++depth_;
  const CallShape shape = callShape(fn);
  const bool ok = shape.params == args.size() && shape.results <= 1
                      ? vm_->callUnchecked(fn, args.data(), out, &call_error_)
                      : callExportChecked(fn, args, out);
  --depth_;
  effective_ = saved;
  callback_ = saved_callback;
  if (!ok) [[unlikely]] {
    markFailed(name, call_error_);
    return false;
  }
  if (result && shape.results != 0) *result = out[0];
  return true;
}

size_t WasmInstance::callGuests(std::span<const GuestCall> calls, Context* ctx,
                                std::span<const uint64_t> args, uint64_t* results) {
  // callGuestSequence with the same arguments for every call and no step of the caller's.
  size_t counts[kMaxGuestCalls];
  std::fill(std::begin(counts), std::end(counts), args.size());
  auto no_step = [](size_t) { return true; };
  // A callback the module does not export returns at once without entering the guest (as in
  // callGuest). When only one of them is exported, it is called alone: one engine call
  // instead of the per-call fallback of a sequence with missing callbacks.
  size_t exported = calls.size();
  size_t n = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].fn != kNoExport) {
      exported = i;
      ++n;
    }
  }
  if (n == 1 && calls.size() > 1) {
    if (failed()) return 0;  // callGuest's first check, also for a callback not exported
    if (!callGuest(calls[exported].fn, calls[exported].name, ctx, args, results + exported)) {
      return exported;
    }
    // The fallback checks the VM again before a later (missing) callback.
    if (exported + 1 < calls.size() && failed()) return exported + 1;
    return calls.size();
  }
  return callGuestSequence(calls, ctx, args.data(), counts, results, no_step);
}

bool WasmInstance::callExportChecked(ExportFunction fn, std::span<const uint64_t> args,
                                     uint64_t out[1]) {
  // A type the host does not call this way: call() answers with its checks' error text.
  const CallShape shape = callShape(fn);
  const size_t slots = shape.params != kNoShape && shape.results != 0 ? 1 : 0;
  Status st = vm_->call(fn, args, std::span<uint64_t>(out, slots));
  if (st) return true;
  call_error_ = st.message();
  return false;
}

WasmInstance::CallShape WasmInstance::lookUpCallShape(ExportFunction fn) {
  const auto index = static_cast<size_t>(fn);
  if (index >= call_shapes_.size()) call_shapes_.resize(index + 1);
  CallShape shape;
  shape.params = kNoShape;
  if (const FunctionType* type = vm_->functionType(fn);
      type != nullptr && type->params.size() < kNoShape && type->results.size() < kNoShape) {
    shape.params = static_cast<uint8_t>(type->params.size());
    shape.results = static_cast<uint8_t>(type->results.size());
  }
  call_shapes_[index] = shape;
  return shape;
}

std::optional<uint32_t> WasmInstance::allocate(uint32_t size) {
  if (exports_.malloc == kNoExport) return 0;
  Phase saved = phase_;
  phase_ = Phase::Allocator;
  uint64_t in[1] = {size};
  uint64_t out[1] = {0};
  const bool ok = callExport(exports_.malloc, in, out);
  phase_ = saved;
  if (!ok) {
    pending_trap_ = call_error_;
    return std::nullopt;
  }
  return static_cast<uint32_t>(out[0]);
}

abi::WasmResult WasmInstance::writeOutBuffer(std::string_view bytes, uint32_t ptr_ptr,
                                             uint32_t len_ptr) {
  using abi::WasmResult;
  if (bytes.empty()) {
    if (!vm_->writeU32(ptr_ptr, 0) || !vm_->writeU32(len_ptr, 0)) {
      return WasmResult::InvalidMemoryAccess;
    }
    return WasmResult::Ok;
  }
  if (bytes.size() > UINT32_MAX) return WasmResult::InvalidMemoryAccess;
  auto size = static_cast<uint32_t>(bytes.size());
  auto ptr = allocate(size);
  if (!ptr) return WasmResult::InternalFailure;  // the allocator trapped: the call traps
  if (*ptr == 0) return WasmResult::InvalidMemoryAccess;
  if (!vm_->write(*ptr, bytes)) return WasmResult::InvalidMemoryAccess;
  if (!vm_->writeU32(ptr_ptr, *ptr) || !vm_->writeU32(len_ptr, size)) {
    return WasmResult::InvalidMemoryAccess;
  }
  return WasmResult::Ok;
}

abi::WasmResult WasmInstance::writeOutPairs(const Headers& pairs, uint32_t ptr_ptr,
                                            uint32_t len_ptr) {
  using abi::WasmResult;
  const size_t encoded = abi::pairsEncodedSize(pairs);
  if (encoded > UINT32_MAX) return WasmResult::InvalidMemoryAccess;
  auto size = static_cast<uint32_t>(encoded);
  auto ptr = allocate(size);
  if (!ptr) return WasmResult::InternalFailure;  // the allocator trapped: the call traps
  if (*ptr == 0) return WasmResult::InvalidMemoryAccess;
  auto memory = vm_->memory();  // after the allocation, which may have grown it
  if (uint64_t{*ptr} + size > memory.size()) return WasmResult::InvalidMemoryAccess;
  abi::encodePairsInto(pairs, reinterpret_cast<char*>(memory.data()) + *ptr);
  if (!vm_->writeU32(ptr_ptr, *ptr) || !vm_->writeU32(len_ptr, size)) {
    return WasmResult::InvalidMemoryAccess;
  }
  return WasmResult::Ok;
}

Context* WasmInstance::currentRoot() {
  if (effective_ == nullptr) return root_;
  if (effective_->root_id == 0) return effective_;
  return findContext(effective_->root_id);
}

size_t WasmInstance::contextIndex(uint32_t id) const {
  const size_t n = contexts_.size();
  if (n == 0 || contexts_[n - 1]->id < id) return n;
  if (contexts_[n - 1]->id == id) return n - 1;
  return static_cast<size_t>(
      std::lower_bound(contexts_.begin(), contexts_.end(), id,
                       [](const std::unique_ptr<Context>& c, uint32_t v) { return c->id < v; }) -
      contexts_.begin());
}

uint32_t WasmInstance::newContextIdAfterWrap(uint32_t id) {
  // The counter wrapped (or was set below live ids): skip 0 and every id still in use. Live
  // contexts are far fewer than 2^32 - 1, so a free id comes long before the counter is back.
  while (id == 0 || findContext(id) != nullptr) id = next_context_id_++;
  return id;
}

Context* WasmInstance::insertContext(std::unique_ptr<Context> context) {
  // newContextId() never hands out a live context's id: the id is not in the vector.
  Context* raw = context.get();
  const size_t at = contextIndex(raw->id);
  contexts_.insert(contexts_.begin() + static_cast<std::ptrdiff_t>(at), std::move(context));
  return raw;
}

Context* WasmInstance::findContext(uint32_t id) {
  const size_t at = contextIndex(id);
  return at < contexts_.size() && contexts_[at]->id == id ? contexts_[at].get() : nullptr;
}

bool WasmInstance::setEffective(uint32_t id) {
  Context* ctx = findContext(id);
  if (ctx == nullptr) return false;
  effective_ = ctx;
  if (ctx->stream != nullptr && ctx != callback_ &&
      std::find(touched_.begin(), touched_.end(), ctx->stream) == touched_.end()) {
    touched_.push_back(ctx->stream);
  }
  return true;
}

std::optional<std::string> WasmInstance::takePendingTrap() {
  if (!pending_trap_) return std::nullopt;
  auto t = std::move(pending_trap_);
  pending_trap_.reset();
  return t;
}

void WasmInstance::markFailed(std::string_view function, std::string_view message) {
  bool first = !failed_;
  failed_ = true;
  failure_ = "Function: " + std::string(function) + " failed: " + std::string(message);
  if (first) hostLog(abi::LogLevel::Error, failure_);
}

Context* WasmInstance::createStreamContext(StreamState* stream) {
  // The Context of the last removed stream context when there is one: no allocation.
  std::unique_ptr<Context> context = std::move(spare_context_);
  if (context) {
    *context = Context{};
  } else {
    context = std::make_unique<Context>();
  }
  context->id = newContextId();
  context->root_id = root_ ? root_->id : 0;
  context->stream = stream;
  return insertContext(std::move(context));
}

void WasmInstance::removeContext(uint32_t id) {
  const size_t at = contextIndex(id);
  if (at >= contexts_.size() || contexts_[at]->id != id) return;
  Context* context = contexts_[at].get();
  if (context->stream) {
    touched_.erase(std::remove(touched_.begin(), touched_.end(), context->stream), touched_.end());
  }
  if (effective_ == context) effective_ = nullptr;
  std::unique_ptr<Context> removed = std::move(contexts_[at]);
  contexts_.erase(contexts_.begin() + static_cast<std::ptrdiff_t>(at));
  if (!spare_context_ && removed->root_id != 0) spare_context_ = std::move(removed);
}

void WasmInstance::applyTouchedStreams(StreamState* except) {
  while (true) {
    StreamState* next = nullptr;
    for (auto* s : touched_) {
      if (s != except) {
        next = s;
        break;
      }
    }
    if (next == nullptr) break;
    touched_.erase(std::remove(touched_.begin(), touched_.end(), next), touched_.end());
    if (next->owner) next->owner->applyDeferred();
  }
}

namespace {
void appendPart(std::string& out, std::string_view part) {
  if (part.empty()) return;
  out += ' ';
  out += part;
}
}  // namespace

void WasmInstance::guestLog(abi::LogLevel level, std::string_view message) {
  if (static_cast<uint32_t>(level) < static_cast<uint32_t>(plugin_->logLevel())) return;
  const auto& cfg = config();
  if (!prefixes_ready_) {
    appendPart(stream_prefix_, cfg.name);
    appendPart(stream_prefix_, cfg.root_id);
    appendPart(stream_prefix_, cfg.vm_id);
    appendPart(root_prefix_, cfg.root_id);
    appendPart(root_prefix_, cfg.vm_id);
    prefixes_ready_ = true;
  }
  LogRecord record;
  record.level = level;
  record.plugin_name = cfg.name;
  record.root_id = cfg.root_id;
  record.vm_id = cfg.vm_id;
  if (phase_ == Phase::Normal && effective_ != nullptr) {
    record.prefix = effective_->root_id != 0 ? stream_prefix_ : root_prefix_;
  }
  record.message = message;
  embedder_->log(record);
}

void WasmInstance::hostLog(abi::LogLevel level, std::string_view message) {
  const auto& cfg = config();
  LogRecord record;
  record.level = level;
  record.plugin_name = cfg.name;
  record.root_id = cfg.root_id;
  record.vm_id = cfg.vm_id;
  record.message = message;
  record.from_host = true;
  embedder_->log(record);
}

uint32_t WasmInstance::addMetric(abi::MetricType type, SharedState::Metric* metric) {
  auto t = static_cast<uint32_t>(type);
  const uint32_t id = next_metric_id_[t] += 4;
  std::vector<SharedState::Metric*>& ids = metric_ids_[t];
  if (ids.size() <= id >> 2) ids.resize((id >> 2) + 1, nullptr);
  ids[id >> 2] = metric;
  return id;
}

SharedState::Metric* WasmInstance::findMetric(uint32_t id) {
  const uint32_t type = id & 3;
  if (type > 2 || (id >> 2) >= metric_ids_[type].size()) return nullptr;
  return metric_ids_[type][id >> 2];
}

void WasmInstance::afterRootCallback() {
  applyTouchedStreams();
  if (root_delete_pending_ && root_ != nullptr && !failed()) {
    root_delete_pending_ = false;
    callGuest(exports_.on_delete, "proxy_on_delete", root_, {root_->id});
    root_deleted_ = true;
  }
}

void WasmInstance::onTick() {
  if (failed() || root_ == nullptr || root_deleted_) return;
  callGuest(exports_.on_tick, "proxy_on_tick", root_, {root_->id});
  afterRootCallback();
}

void WasmInstance::onHttpCallResponse(uint32_t token, const HttpCallResponse* response) {
  auto it = http_calls_.find(token);
  if (it == http_calls_.end()) return;
  http_calls_.erase(it);
  if (failed() || root_ == nullptr || root_deleted_) return;
  uint64_t nh = 0, bs = 0, nt = 0;
  if (response == nullptr) {
    status_code_ = static_cast<uint32_t>(abi::WasmResult::BrokenConnection);
    status_message_ = "reset";
  } else {
    nh = response->headers.size();
    bs = response->body.size();
    nt = response->trailers.size();
  }
  scope_.call_response = response;
  scope_.in_call_response = true;
  callGuest(exports_.on_http_call_response, "proxy_on_http_call_response", root_,
            {root_->id, token, nh, bs, nt});
  scope_.call_response = nullptr;
  scope_.in_call_response = false;
  status_code_ = 0;
  status_message_.clear();
  afterRootCallback();
}

// Envoy's delivery (reference 5.7): a unary call reports only its message on success (the
// call then ends) or only its close on failure; a stream reports everything until its close.
void WasmInstance::onGrpcEvent(uint32_t token, GrpcEvent event, const Headers* metadata,
                               std::string_view data, uint32_t status) {
  auto it = grpc_calls_.find(token);
  if (it == grpc_calls_.end()) return;
  const bool stream = it->second;
  if (!stream && (event == GrpcEvent::InitialMetadata || event == GrpcEvent::TrailingMetadata)) {
    return;
  }
  if (!stream && event == GrpcEvent::Message) grpc_calls_.erase(it);
  if (event == GrpcEvent::Close) grpc_calls_.erase(token);
  if (failed() || root_ == nullptr || root_deleted_) return;
  const uint64_t root = root_->id;
  switch (event) {
    case GrpcEvent::InitialMetadata:
    case GrpcEvent::TrailingMetadata: {
      const bool initial = event == GrpcEvent::InitialMetadata;
      scope_.grpc_metadata = metadata;
      scope_.grpc_metadata_type = initial ? 4 : 5;
      callGuest(initial ? exports_.on_grpc_receive_initial_metadata
                        : exports_.on_grpc_receive_trailing_metadata,
                initial ? "proxy_on_grpc_receive_initial_metadata"
                        : "proxy_on_grpc_receive_trailing_metadata",
                root_, {root, token, metadata == nullptr ? 0 : metadata->size()});
      scope_.grpc_metadata = nullptr;
      break;
    }
    case GrpcEvent::Message:
      scope_.grpc_message = data;
      callGuest(exports_.on_grpc_receive, "proxy_on_grpc_receive", root_,
                {root, token, data.size()});
      scope_.grpc_message.reset();
      break;
    case GrpcEvent::Close:
      status_code_ = status;
      status_message_ = std::string(data);
      callGuest(exports_.on_grpc_close, "proxy_on_grpc_close", root_, {root, token, status});
      status_code_ = 0;
      status_message_.clear();
      break;
  }
  afterRootCallback();
}

void WasmInstance::onQueueReady(uint32_t token) {
  if (failed() || root_ == nullptr || root_deleted_) return;
  callGuest(exports_.on_queue_ready, "proxy_on_queue_ready", root_, {root_->id, token});
  afterRootCallback();
}

void WasmInstance::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (failed() || root_ == nullptr) return;
  uint64_t r = 1;
  if (!callGuest(exports_.on_done, "proxy_on_done", root_, {root_->id}, &r)) return;
  applyTouchedStreams();
  if (u32(r) != 0) {
    callGuest(exports_.on_delete, "proxy_on_delete", root_, {root_->id});
    root_deleted_ = true;
  } else {
    root_->pending_done = true;
  }
}

}  // namespace meshwasm::host
