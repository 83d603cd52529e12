// One started VM of a plugin with its contexts: the state every host call works on.
// Internal to the host library (tests include it through the src/ include path).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/enums.h"
#include "meshwasm/host/embedder.h"
#include "meshwasm/host/http_stream.h"
#include "meshwasm/host/plugin.h"
#include "meshwasm/host/shared_state.h"
#include "meshwasm/host/vm.h"

namespace meshwasm::host {

class HttpStreamImpl;

// Where the guest's callbacks run; restricted phases allow only some imports (ref 1.7).
enum class Phase : uint8_t { Normal, Start, Allocator };

// Import flags kept in HostFunction::data.
inline constexpr uintptr_t kAllowedInStart = 1;
inline constexpr uintptr_t kAllowedInAllocator = 2;

// The per-stream state host calls read and change (owned by HttpStreamImpl).
struct StreamState {
  // Maps 0..3: request headers, request trailers, response headers, response trailers.
  Headers* maps[4] = {nullptr, nullptr, nullptr, nullptr};
  bool readable[4] = {false, false, false, false};
  bool writable[4] = {false, false, false, false};
  // Kept for proxy_on_log and request.* / response.* properties.
  Headers* request_headers = nullptr;
  Headers* response_headers = nullptr;
  Headers* response_trailers = nullptr;
  // Buffers 0/1 while a body callback runs (nullptr otherwise: empty).
  std::string* bodies[2] = {nullptr, nullptr};
  bool in_log = false;  // proxy_on_log: maps read-only; missing map -> NotFound
  bool is_grpc = false;

  // Deferred actions, applied after the current callback returns.
  struct PendingReply {
    uint32_t status = 0;
    std::string details;
    std::string body;
    Headers headers;
    uint32_t grpc_status = 0xFFFFFFFFu;
    // `headers` are WasmInstance::ReplyHeadersMemo's, lent (moved here) under this number; 0:
    // the reply's own.
    uint64_t memo_lend = 0;
  };
  std::optional<PendingReply> pending_reply;
  bool continue_request = false;
  bool continue_response = false;
  bool close_stream = false;

  std::map<std::string, std::string, std::less<>> custom_properties;  // proxy_set_property
  StreamCallbacks* callbacks = nullptr;
  HttpStreamImpl* owner = nullptr;
};

// A local reply's headers for a status, body size and the plugin's header list (before
// lower-casing), as fillLocalReply built them: a plugin answers most denials alike.
inline constexpr size_t kMemoMaxHeaders = 16;
struct LocalReplyMemo {
  uint32_t status = 0;
  size_t body_size = 0;
  Headers plugin_headers;
  Headers reply_headers;
  bool valid = false;
};

// Cache-line aligned, as WasmInstance and HttpStreamImpl: these are written on every request
// by their worker thread and must not share a line with another worker's.
struct alignas(64) Context {
  uint32_t id = 0;
  uint32_t root_id = 0;           // 0 for a root context
  StreamState* stream = nullptr;  // stream contexts
  bool pending_done = false;      // root: proxy_on_done returned 0
};

// What is readable only inside particular callbacks.
struct CallScope {
  bool plugin_config = false;                       // buffer 7
  const HttpCallResponse* call_response = nullptr;  // maps 6/7, buffer 4
  bool in_call_response = false;
  std::string_view call_data;  // buffer 8
  bool has_call_data = false;
  const Headers* grpc_metadata = nullptr;  // map 4 or 5 inside the gRPC metadata callbacks
  uint32_t grpc_metadata_type = 0;
  std::optional<std::string_view> grpc_message;  // buffer 5 inside proxy_on_grpc_receive
};

// Exported callbacks, resolved once per Vm.
struct GuestExports {
  ExportFunction malloc = kNoExport;  // malloc, else proxy_on_memory_allocate
  ExportFunction on_context_create = kNoExport, on_vm_start = kNoExport, on_configure = kNoExport,
                 on_tick = kNoExport, on_queue_ready = kNoExport, on_foreign_function = kNoExport;
  ExportFunction on_request_headers = kNoExport, on_request_body = kNoExport,
                 on_request_trailers = kNoExport, on_response_headers = kNoExport,
                 on_response_body = kNoExport, on_response_trailers = kNoExport;
  ExportFunction on_log = kNoExport, on_done = kNoExport, on_delete = kNoExport;
  ExportFunction on_http_call_response = kNoExport;
  ExportFunction on_grpc_close = kNoExport;
  ExportFunction on_grpc_receive_initial_metadata = kNoExport, on_grpc_receive = kNoExport,
                 on_grpc_receive_trailing_metadata = kNoExport;
};

// What an embedder reports about a gRPC callout (PluginVm::onGrpc*).
enum class GrpcEvent : uint8_t { InitialMetadata, Message, TrailingMetadata, Close };

class alignas(64) WasmInstance {
 public:
  WasmInstance(std::shared_ptr<const Plugin> plugin, SharedState* shared, Embedder* embedder,
               PluginVm* owner);
  ~WasmInstance();

  // Instantiates through the plugin's engine (host_data = this).
  Status instantiate();
  // Uses an already-made Vm (tests with a fake Vm).
  void attach(std::unique_ptr<Vm> vm);
  // Start functions (restricted), then root context create, vm_start, configure.
  Status start();

  Vm& vm() { return *vm_; }
  bool hasVm() const { return vm_ != nullptr; }
  bool failed() const { return failed_ || abandoned_ || (vm_ && vm_->failed()); }
  const Plugin& plugin() const { return *plugin_; }
  const PluginConfig& config() const { return plugin_->config(); }
  SharedState& shared() { return *shared_; }
  Embedder& embedder() { return *embedder_; }
  PluginVm* owner() const { return owner_; }
  // The PluginVm is going away (streams may still hold this instance).
  void detachOwner() { owner_ = nullptr; }
  const GuestExports& exports() const { return exports_; }
  AbiVersion abi() const { return plugin_->abiVersion(); }

  // ---- calls into the guest
  // Calls a callback if exported; false when it trapped (the VM is then failed, the
  // failure logged). `result` receives the i32 result when the function has one.
  bool callGuest(ExportFunction fn, std::string_view name, Context* ctx,
                 std::initializer_list<uint64_t> args, uint64_t* result = nullptr) {
    return callGuest(fn, name, ctx, std::span<const uint64_t>(args.begin(), args.size()), result);
  }
  bool callGuest(ExportFunction fn, std::string_view name, Context* ctx,
                 std::span<const uint64_t> args, uint64_t* result = nullptr);
  // callGuest() for callbacks that take the same arguments, one after another on `ctx` while
  // each returns: the same steps around every call (effective context, the VM's state checked
  // before it, a trap failing the VM under that callback's name), with the engine's set-up
  // shared. results[i] receives call i's i32 result (left alone without one). Returns how many
  // calls returned (a callback that is not exported counts as returned, as in callGuest).
  struct GuestCall {
    ExportFunction fn;
    std::string_view name;
  };
  // At most kMaxGuestCalls calls.
  size_t callGuests(std::span<const GuestCall> calls, Context* ctx, std::span<const uint64_t> args,
                    uint64_t* results);
  // callGuests() for callbacks that take different arguments, with the caller's own step
  // between them: call i takes the first arg_counts[i] slots of `args`. Before each later call
  // i, `step(i)` runs first (it may rewrite `args` for call i, or end the sequence by returning
  // false; it must not call into the guest), then callGuest's steps. No step runs after the
  // last call or after a call that failed: the caller undoes what a step set up once the
  // sequence returns. At most kMaxGuestCalls calls.
  static constexpr size_t kMaxGuestCalls = 4;
  template <typename Step>
  size_t callGuestSequence(std::span<const GuestCall> calls, Context* ctx, const uint64_t* args,
                           const size_t* arg_counts, uint64_t* results, Step& step);
  // Allocates `size` bytes in the guest. nullopt + pendingTrap() set when the allocator
  // trapped; 0 when it returned 0 (the caller answers InvalidMemoryAccess).
  std::optional<uint32_t> allocate(uint32_t size);
  // Copies `bytes` into a fresh guest buffer and writes (ptr, len) to the out ptrs. Empty
  // bytes allocate nothing (ptr 0, len 0).
  abi::WasmResult writeOutBuffer(std::string_view bytes, uint32_t ptr_ptr, uint32_t len_ptr);
  // writeOutBuffer(abi::encodePairs(pairs), ...) without the host-side copy: the pairs are
  // encoded straight into the guest buffer. `pairs` must not be empty.
  abi::WasmResult writeOutPairs(const Headers& pairs, uint32_t ptr_ptr, uint32_t len_ptr);

  // ---- host-call state
  Phase phase() const { return phase_; }
  void setPhase(Phase phase) { phase_ = phase; }
  bool allowed(uintptr_t flags) const {
    switch (phase_) {
      case Phase::Normal: return true;
      case Phase::Start: return (flags & kAllowedInStart) != 0;
      case Phase::Allocator: return (flags & kAllowedInAllocator) != 0;
    }
    return false;
  }
  Context* current() { return effective_; }
  Context* currentRoot();
  Context* findContext(uint32_t id);
  bool setEffective(uint32_t id);
  CallScope& scope() { return scope_; }
  void setPendingTrap(std::string message) { pending_trap_ = std::move(message); }
  bool hasPendingTrap() const { return pending_trap_.has_value(); }
  std::optional<std::string> takePendingTrap();
  void markFailed(std::string_view function, std::string_view message);
  const std::string& failure() const { return failure_; }

  // ---- contexts
  Context* rootContext() { return root_; }
  Context* createStreamContext(StreamState* stream);
  void removeContext(uint32_t id);
  // Tests only: the id the next new context is offered (to reach the counter's wrap).
  void setNextContextIdForTesting(uint32_t id) { next_context_id_ = id; }
  // Streams touched through proxy_set_effective_context during a callback that is not
  // theirs; their deferred actions are applied after that callback.
  std::vector<StreamState*>& touchedStreams() { return touched_; }
  void applyTouchedStreams(StreamState* except = nullptr);

  // ---- logs
  void guestLog(abi::LogLevel level, std::string_view message);
  void hostLog(abi::LogLevel level, std::string_view message);

  // ---- root context state
  uint32_t nextHttpCallToken() { return next_http_call_token_ += 4; }
  std::map<uint32_t, bool>& httpCalls() { return http_calls_; }
  // gRPC callouts: token -> is a stream. Calls 5, 9, 13, ...; streams 6, 10, 14, ...
  uint32_t nextGrpcToken(bool stream) {
    return stream ? (next_grpc_stream_token_ += 4) : (next_grpc_call_token_ += 4);
  }
  std::map<uint32_t, bool>& grpcCalls() { return grpc_calls_; }
  // proxy_send_local_response: the last header pairs buffer it decoded and the map it gave
  // (a plugin answers most denials with the same headers, often the same buffer).
  struct ReplyHeadersMemo {
    std::string pairs;
    Headers headers;
    bool valid = false;
    // A pending reply holds `headers` (valid is false meanwhile): the lend's number, 0 when
    // none. They come back when that reply used them unchanged and no decode refilled the memo.
    uint64_t lent = 0;
    uint64_t lends = 0;
  };
  ReplyHeadersMemo& replyHeadersMemo() { return reply_headers_memo_; }
  // The headers of the last local reply (not gRPC) fillLocalReply built.
  LocalReplyMemo& localReplyMemo() { return local_reply_memo_; }
  uint32_t& lastStatusCode() { return status_code_; }
  std::string& lastStatusMessage() { return status_message_; }
  std::chrono::milliseconds tickPeriod() const { return tick_period_; }
  void setTickPeriod(std::chrono::milliseconds p) { tick_period_ = p; }
  bool rootDeletePending() const { return root_delete_pending_; }
  void setRootDeletePending(bool v) { root_delete_pending_ = v; }

  // Metric ids of this VM -> process metric.
  uint32_t addMetric(abi::MetricType type, SharedState::Metric* metric);
  SharedState::Metric* findMetric(uint32_t id);

  // Lifecycle used by PluginVm.
  void onTick();
  void onHttpCallResponse(uint32_t token, const HttpCallResponse* response);
  void onQueueReady(uint32_t token);
  void onGrpcEvent(uint32_t token, GrpcEvent event, const Headers* metadata, std::string_view data,
                   uint32_t status);
  void shutdown();
  void abandon() { shut_down_ = abandoned_ = true; }

 private:
  Status runStartFunctions();
  void afterRootCallback();
  // The parameter and result counts of an export, looked up once per export, not on every
  // call (params kUnknown: not looked up yet; kNoShape: no function type).
  struct CallShape {
    uint8_t params = kUnknown;
    uint8_t results = 0;
  };
  static constexpr uint8_t kUnknown = 0xFF;
  static constexpr uint8_t kNoShape = 0xFE;
  CallShape callShape(ExportFunction fn) {
    const auto index = static_cast<size_t>(fn);
    if (index < call_shapes_.size() && call_shapes_[index].params != kUnknown) {
      return call_shapes_[index];
    }
    return lookUpCallShape(fn);
  }
  CallShape lookUpCallShape(ExportFunction fn);
  // Calls `fn` with `args`, the i32/i64 result (if any) in out[0]; false with the error text
  // in call_error_.
  bool callExport(ExportFunction fn, std::span<const uint64_t> args, uint64_t out[1]) {
    const CallShape shape = callShape(fn);
    if (shape.params == args.size() && shape.results <= 1) [[likely]] {
      return vm_->callUnchecked(fn, args.data(), out, &call_error_);
    }
    return callExportChecked(fn, args, out);
  }
  [[gnu::noinline]] bool callExportChecked(ExportFunction fn, std::span<const uint64_t> args,
                                           uint64_t out[1]);

  std::shared_ptr<const Plugin> plugin_;
  SharedState* shared_;
  Embedder* embedder_;
  PluginVm* owner_;
  std::unique_ptr<Vm> vm_;
  GuestExports exports_;
  std::vector<CallShape> call_shapes_;  // by ExportFunction
  std::string call_error_;              // the last failed guest call's error text
  bool failed_ = false;
  std::string failure_;  // "Function: X failed: <trap>"
  bool shut_down_ = false;
  bool abandoned_ = false;
  bool root_deleted_ = false;
  Phase phase_ = Phase::Normal;
  std::optional<std::string> pending_trap_;
  int depth_ = 0;

  uint32_t next_context_id_ = 1;
  // The next context id: never 0 ("no parent" in the ABI) nor the id of a live context, also
  // after the counter wrapped (reference 11, item 16).
  uint32_t newContextId() {
    const uint32_t id = next_context_id_++;
    // Until the counter wraps, every id is above the last live context's: no search.
    if (id != 0 && (contexts_.empty() || contexts_.back()->id < id)) [[likely]] {
      return id;
    }
    return newContextIdAfterWrap(id);
  }
  [[gnu::noinline]] uint32_t newContextIdAfterWrap(uint32_t id);
  // Live contexts sorted by id. Until the id counter wraps, ids are handed out in increasing
  // order, so a new context goes last and the stream contexts of a request's end are near the
  // end.
  std::vector<std::unique_ptr<Context>> contexts_;
  // The last removed stream context, reused by the next createStreamContext.
  std::unique_ptr<Context> spare_context_;
  size_t contextIndex(uint32_t id) const;  // lower bound
  Context* insertContext(std::unique_ptr<Context> context);
  Context* root_ = nullptr;
  Context* effective_ = nullptr;
  Context* callback_ = nullptr;  // the context the running callback was invoked on
  CallScope scope_;
  std::vector<StreamState*> touched_;

  uint32_t next_http_call_token_ = 0;
  std::map<uint32_t, bool> http_calls_;
  uint32_t next_grpc_call_token_ = 1;
  uint32_t next_grpc_stream_token_ = 2;
  std::map<uint32_t, bool> grpc_calls_;
  ReplyHeadersMemo reply_headers_memo_;
  LocalReplyMemo local_reply_memo_;
  uint32_t status_code_ = 0;
  std::string status_message_;
  std::chrono::milliseconds tick_period_{0};
  bool root_delete_pending_ = false;

  bool prefixes_ready_ = false;
  std::string stream_prefix_, root_prefix_;  // Envoy's log prefixes (reference 9.2)

  // Metric ids are 4k + type (k >= 1): metric_ids_[type][k] (nullptr: no such id).
  uint32_t next_metric_id_[3] = {0, 1, 2};
  std::vector<SharedState::Metric*> metric_ids_[3];
};

template <typename Step>
size_t WasmInstance::callGuestSequence(std::span<const GuestCall> calls, Context* ctx,
                                       const uint64_t* args, const size_t* arg_counts,
                                       uint64_t* results, Step& step) {
  // One engine sequence when every callback is exported with a shape callExport calls
  // directly; otherwise callGuest one by one.
  bool direct = calls.size() <= kMaxGuestCalls;
  ExportFunction fns[kMaxGuestCalls];
  for (size_t i = 0; i < calls.size() && direct; ++i) {
    fns[i] = calls[i].fn;
    const CallShape shape = fns[i] == kNoExport ? CallShape{} : callShape(fns[i]);
    direct = fns[i] != kNoExport && shape.params == arg_counts[i] && shape.results <= 1;
  }
  if (!direct) [[unlikely]] {
    for (size_t i = 0; i < calls.size(); ++i) {
      if (i != 0 && !step(i)) return i;
      if (!callGuest(calls[i].fn, calls[i].name, ctx,
                     std::span<const uint64_t>(args, arg_counts[i]), results + i)) {
        return i;
      }
    }
    return calls.size();
  }
  if (failed()) return 0;
  Context* saved = effective_;
  Context* saved_callback = callback_;
  effective_ = ctx;
  callback_ = ctx;
  ++depth_;
  // Before each later call: the caller's step, then what callGuest does after one call and
  // before the next.
  struct Between {
    WasmInstance* self;
    Context* ctx;
    Step* step;
    static bool next(void* p, size_t i) {
      auto* b = static_cast<Between*>(p);
      if (!(*b->step)(i) || b->self->failed()) return false;
      b->self->effective_ = b->ctx;
      b->self->callback_ = b->ctx;
      return true;
    }
  } between{this, ctx, &step};
  bool call_failed = false;
  const size_t done = vm_->callSequenceUnchecked(fns, calls.size(), args, results, &Between::next,
                                                 &between, &call_error_, &call_failed);
  --depth_;
  effective_ = saved;
  callback_ = saved_callback;
  if (call_failed) [[unlikely]] {
    markFailed(calls[done].name, call_error_);
  }
  return done;
}

// The host functions a module of `version` may import (env.proxy_*, env extras, WASI under
// both module names). host_data of the Vm must be the WasmInstance.
const ImportTable& importTable(AbiVersion version);

}  // namespace meshwasm::host
