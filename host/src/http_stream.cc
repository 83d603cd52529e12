// HttpStreamImpl: callback order, return-code mapping, deferred local replies and stream
// control, header visibility per phase and fail strategies, as Envoy's HTTP Wasm filter.
#include <charconv>

#include "host_call_util.h"
#include "http_stream_impl.h"

namespace meshwasm::host {

std::string_view toString(FilterAction action) {
  switch (action) {
    case FilterAction::Continue: return "Continue";
    case FilterAction::StopAllIterationAndWatermark: return "StopAllIterationAndWatermark";
    case FilterAction::StopAllIterationAndBuffer: return "StopAllIterationAndBuffer";
    case FilterAction::StopIterationAndBuffer: return "StopIterationAndBuffer";
    case FilterAction::StopIterationAndWatermark: return "StopIterationAndWatermark";
    case FilterAction::StopIterationNoBuffer: return "StopIterationNoBuffer";
    case FilterAction::StopIteration: return "StopIteration";
    case FilterAction::LocalReply: return "LocalReply";
    case FilterAction::Reset: return "Reset";
  }
  return "?";
}

namespace {

StreamCallbacks& noCallbacks() {
  static StreamCallbacks callbacks;
  return callbacks;
}

// Reference 6.2.
FilterAction headersAction(uint64_t r) {
  switch (static_cast<uint32_t>(r)) {
    case 0:
    case 2: return FilterAction::Continue;
    case 3: return FilterAction::StopAllIterationAndBuffer;
    default: return FilterAction::StopAllIterationAndWatermark;
  }
}

FilterAction dataAction(uint64_t r) {
  switch (static_cast<uint32_t>(r)) {
    case 0: return FilterAction::Continue;
    case 1: return FilterAction::StopIterationAndBuffer;
    case 2: return FilterAction::StopIterationAndWatermark;
    default: return FilterAction::StopIterationNoBuffer;
  }
}

FilterAction trailersAction(uint64_t r) {
  return static_cast<uint32_t>(r) == 0 ? FilterAction::Continue : FilterAction::StopIteration;
}

const std::string* findHeader(const Headers& h, std::string_view key) {
  for (const auto& [k, v] : h) {
    if (k == key) return &v;
  }
  return nullptr;
}

void setHeader(Headers& h, std::string_view key, std::string value) {
  for (auto& [k, v] : h) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  h.emplace_back(std::string(key), std::move(value));
}

void removeHeader(Headers& h, std::string_view key) {
  std::erase_if(h, [&](const abi::HeaderPair& p) { return p.first == key; });
}

uint32_t grpcStatusFromHttp(uint32_t code) {
  switch (code) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429:
    case 502:
    case 503:
    case 504: return 14;
    default: return 2;
  }
}

std::string percentEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e || c == '%') {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Lower-cases `s` where it is and hands it on (moved).
std::string&& lowerCaseInPlace(std::string& s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return std::move(s);
}

std::string decimal(uint64_t value) {
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  return std::string(digits, static_cast<size_t>(end - digits));
}

bool isGrpc(const Headers& headers) {
  const std::string* ct = findHeader(headers, "content-type");
  return ct != nullptr && ct->starts_with("application/grpc");
}

}  // namespace

void fillLocalReply(StreamState::PendingReply& p, bool grpc_request, LocalReply& r) {
  fillLocalReply(p, grpc_request, r, nullptr);
}

bool fillLocalReply(StreamState::PendingReply& p, bool grpc_request, LocalReply& r,
                    LocalReplyMemo* memo) {
  r.status = p.status;
  r.grpc_status = static_cast<int32_t>(p.grpc_status);
  r.details = std::move(p.details);
  for (char& c : r.details) {
    // std::isspace's set in the C locale (the host never changes the locale).
    if (c == ' ' || (c >= '\t' && c <= '\r')) c = '_';
  }
  Headers& h = r.headers;
  if (!grpc_request && memo != nullptr && memo->valid && memo->status == p.status &&
      memo->body_size == p.body.size() && memo->plugin_headers == p.headers) {
    // The same reply as last time: its headers as they were made then.
    h.reserve(memo->reply_headers.size() + 2);
    h.assign(memo->reply_headers.begin(), memo->reply_headers.end());
    r.body = std::move(p.body);
    return true;
  }
  const bool remember = !grpc_request && memo != nullptr && p.headers.size() <= kMemoMaxHeaders;
  if (remember) {
    memo->valid = false;
    memo->plugin_headers = p.headers;
  }
  // :status, the plugin's headers, the content-length / content-type that may follow, and the
  // date and server a connection manager adds on the way out (as Envoy's does), so the reply's
  // vector is allocated once.
  h.reserve(p.headers.size() + 5);
  if (!grpc_request) {
    h.emplace_back(":status", decimal(p.status));
    bool has_length = false;
    bool has_type = false;
    for (auto& [k, v] : p.headers) {
      lowerCaseInPlace(k);
      has_length = has_length || k == "content-length";
      has_type = has_type || k == "content-type";
      h.emplace_back(std::move(k), std::move(v));
    }
    // The searches below only run when the plugin set one of these headers itself.
    if (!p.body.empty()) {
      if (has_length) {
        setHeader(h, "content-length", decimal(p.body.size()));
      } else {
        h.emplace_back("content-length", decimal(p.body.size()));
      }
      if (!has_type) h.emplace_back("content-type", "text/plain");
      r.body = std::move(p.body);
    } else {
      if (has_length) removeHeader(h, "content-length");
      if (has_type) removeHeader(h, "content-type");
    }
    if (remember) {
      memo->status = p.status;
      memo->body_size = r.body.size();
      memo->reply_headers = h;
      memo->valid = true;
    }
    return false;
  }
  h.emplace_back(":status", "200");
  for (auto& [k, v] : p.headers) h.emplace_back(lowerCaseInPlace(k), std::move(v));
  removeHeader(h, "content-length");
  setHeader(h, "content-type", "application/grpc");
  uint32_t grpc = p.grpc_status <= 16 ? p.grpc_status : grpcStatusFromHttp(p.status);
  setHeader(h, "grpc-status", std::to_string(grpc));
  if (!p.body.empty()) setHeader(h, "grpc-message", percentEncode(p.body));
  return false;
}

LocalReply buildLocalReply(StreamState::PendingReply p, bool grpc_request) {
  LocalReply r;
  fillLocalReply(p, grpc_request, r);
  return r;
}

LocalReply failStreamReply(bool grpc_request) {
  StreamState::PendingReply p;
  p.status = 503;
  p.details = "wasm_fail_stream";
  p.grpc_status = 14;
  return buildLocalReply(std::move(p), grpc_request);
}

HttpStreamImpl::HttpStreamImpl(std::shared_ptr<WasmInstance> instance, StreamCallbacks* callbacks,
                               FailStrategy strategy)
    : instance_(std::move(instance)),
      callbacks_(callbacks ? callbacks : &noCallbacks()),
      strategy_(strategy) {
  state_.callbacks = callbacks_;
  state_.owner = this;
}

HttpStreamImpl::~HttpStreamImpl() {
  // The embedder's header maps may already be gone: the callbacks run without them (a local
  // reply's headers belong to the stream and stay readable).
  state_.request_headers = state_.response_trailers = nullptr;
  if (!reply_ || state_.response_headers != &reply_->headers) state_.response_headers = nullptr;
  for (auto*& map : state_.maps) map = nullptr;
  onComplete();
}

bool HttpStreamImpl::usable() {
  if (!instance_ || !instance_->hasVm() || instance_->failed()) {
    vm_failed_ = true;
    return false;
  }
  return true;
}

FilterAction HttpStreamImpl::failNow() {
  vm_failed_ = true;
  if (strategy_ == FailStrategy::FailOpen) return FilterAction::Continue;
  details_ = "wasm_fail_stream";
  if (response_headers_sent_) return FilterAction::Reset;
  reply_ = failStreamReply(state_.is_grpc);
  return FilterAction::LocalReply;
}

std::optional<FilterAction> HttpStreamImpl::failedAction() {
  if (usable()) return std::nullopt;
  return failNow();
}

bool HttpStreamImpl::ensureContext() {
  if (ctx_ != nullptr) return true;
  ctx_ = instance_->createStreamContext(&state_);
  context_id_ = ctx_->id;
  return call(instance_->exports().on_context_create, "proxy_on_context_create",
              {ctx_->id, ctx_->root_id}, nullptr);
}

bool HttpStreamImpl::call(ExportFunction fn, std::string_view name,
                          std::initializer_list<uint64_t> args, size_t count, uint64_t* result) {
  in_callback_ = true;
  bool ok =
      instance_->callGuest(fn, name, ctx_, std::span<const uint64_t>(args.begin(), count), result);
  in_callback_ = false;
  if (!ok) vm_failed_ = true;
  return ok;
}

void HttpStreamImpl::openRequestHeaders(Headers& headers) {
  state_.maps[0] = &headers;
  state_.readable[0] = state_.writable[0] = true;
}

void HttpStreamImpl::closeRequestMaps() {
  state_.readable[0] = state_.writable[0] = false;
  state_.maps[0] = nullptr;
  state_.readable[1] = state_.writable[1] = false;
  state_.maps[1] = nullptr;
}

FilterAction HttpStreamImpl::finish(FilterAction action, Stage stage) {
  instance_->applyTouchedStreams(&state_);
  bool request_stage = stage == Stage::RequestHeaders || stage == Stage::RequestBody ||
                       stage == Stage::RequestTrailers;
  if (state_.close_stream) {
    state_.close_stream = false;
    details_ = "wasm_close_stream";
    return FilterAction::Reset;
  }
  if (state_.pending_reply) {
    if (request_stage) {
      replyThroughResponsePath();
      return FilterAction::LocalReply;
    }
    StreamState::PendingReply p = std::move(*state_.pending_reply);
    state_.pending_reply.reset();
    if (!response_headers_sent_) {
      reply_ = buildLocalReply(std::move(p), state_.is_grpc);
      details_ = reply_->details;
      state_.response_headers = &reply_->headers;
      return FilterAction::LocalReply;
    }
    details_ = buildLocalReply(std::move(p), state_.is_grpc).details;
    return FilterAction::Reset;
  }
  if (request_stage && state_.continue_request) action = FilterAction::Continue;
  if (!request_stage && state_.continue_response) action = FilterAction::Continue;
  state_.continue_request = state_.continue_response = false;
  switch (stage) {
    case Stage::RequestHeaders:
    case Stage::RequestBody:
    case Stage::RequestTrailers:
      if (action == FilterAction::Continue) closeRequestMaps();
      break;
    case Stage::ResponseHeaders:
    case Stage::ResponseBody:
    case Stage::ResponseTrailers:
      if (action == FilterAction::Continue) {
        response_headers_sent_ = true;
        state_.readable[2] = state_.writable[2] = false;
        state_.maps[2] = nullptr;
        state_.readable[3] = state_.writable[3] = false;
        state_.maps[3] = nullptr;
      }
      break;
  }
  return action;
}

bool HttpStreamImpl::openReply(uint64_t args[3]) {
  // Built in place from the pending reply, which is gone before the response callbacks run
  // (they may send another).
  StreamState::PendingReply& pending = *state_.pending_reply;
  if (fillLocalReply(pending, state_.is_grpc, reply_.emplace(), &instance_->localReplyMemo()) &&
      pending.memo_lend != 0) {
    // Headers lent by proxy_send_local_response's memo, unchanged: back to it unless a decode
    // refilled it meanwhile.
    auto& memo = instance_->replyHeadersMemo();
    if (memo.lent == pending.memo_lend) {
      memo.headers = std::move(pending.headers);
      memo.valid = true;
      memo.lent = 0;
    }
  }
  state_.pending_reply.reset();
  details_ = reply_->details;
  response_started_ = true;
  closeRequestMaps();
  state_.response_headers = &reply_->headers;
  if (ctx_ == nullptr) return false;
  state_.maps[2] = &reply_->headers;
  state_.readable[2] = state_.writable[2] = true;
  args[0] = ctx_->id;
  args[1] = reply_->headers.size();
  args[2] = reply_->body.empty() ? 1u : 0u;
  return true;
}

bool HttpStreamImpl::openReplyBody(uint64_t args[3], bool* body_called) {
  state_.maps[2] = nullptr;
  state_.readable[2] = state_.writable[2] = false;
  if (state_.pending_reply) return false;
  *body_called = true;
  state_.bodies[1] = &reply_->body;
  args[1] = reply_->body.size();
  args[2] = 1;
  return true;
}

void HttpStreamImpl::replyThroughResponsePath() {
  uint64_t args[3];
  if (!openReply(args)) return;
  const bool eos = args[2] != 0;
  const auto& e = instance_->exports();
  // proxy_on_response_headers, then, for a reply with a body, the response headers closed and
  // (unless the plugin sent another reply) proxy_on_response_body, as one guest call sequence.
  bool body_called = false;
  if (e.on_response_headers == kNoExport && (eos || e.on_response_body == kNoExport)) {
    // No callback to run (a plugin without response callbacks): the sequence's steps without
    // entering the guest. As callGuest, a failed VM fails the first call.
    if (instance_->failed()) return closeReply(0, false);
    if (!eos) openReplyBody(args, &body_called);
    return closeReply(eos ? 1 : 2, body_called);
  }
  auto open_body = [&](size_t) { return openReplyBody(args, &body_called); };
  const WasmInstance::GuestCall calls[2] = {{e.on_response_headers, "proxy_on_response_headers"},
                                            {e.on_response_body, "proxy_on_response_body"}};
  const size_t counts[2] = {responseHeadersArgs(), 3};
  uint64_t results[2] = {0, 0};
  in_callback_ = true;
  const size_t done = instance_->callGuestSequence(std::span(calls, eos ? 1 : 2), ctx_, args,
                                                   counts, results, open_body);
  in_callback_ = false;
  closeReply(done, body_called);
}

void HttpStreamImpl::closeReply(size_t done, bool body_called) {
  state_.maps[2] = nullptr;
  state_.readable[2] = state_.writable[2] = false;
  const bool ok = done == (body_called ? 2u : 1u);
  if (!ok) vm_failed_ = true;
  if (body_called) {
    state_.bodies[1] = nullptr;
    state_.pending_reply.reset();
  } else if (ok && state_.pending_reply) {
    // A reply sent from the response headers of a local reply goes out directly.
    StreamState::PendingReply p = std::move(*state_.pending_reply);
    state_.pending_reply.reset();
    reply_ = buildLocalReply(std::move(p), state_.is_grpc);
    details_ = reply_->details;
    state_.response_headers = &reply_->headers;
    response_headers_sent_ = true;
    return;
  }
  state_.continue_request = state_.continue_response = false;
  response_headers_sent_ = true;
  if (!ok && strategy_ != FailStrategy::FailOpen) {
    reply_ = failStreamReply(state_.is_grpc);
    details_ = "wasm_fail_stream";
    state_.response_headers = &reply_->headers;
  }
}

FilterAction HttpStreamImpl::onRequestHeaders(Headers& headers, bool end_stream) {
  state_.request_headers = &headers;
  state_.is_grpc = isGrpc(headers);
  if (auto a = failedAction()) return *a;
  const auto& e = instance_->exports();
  const size_t header_args = instance_->abi() == AbiVersion::V0_1_0 ? 2 : 3;
  uint64_t results[2] = {0, 0};
  bool ok = false;
  if (ctx_ == nullptr) {
    // A new stream context: proxy_on_context_create, then (once it returned) the request
    // headers opened and proxy_on_request_headers, as one guest call sequence. When the
    // plugin sent a local reply from proxy_on_request_headers and nothing else waits (no
    // close, no other stream touched), the reply's response callbacks (finish() ->
    // replyThroughResponsePath()) run in the same sequence: the same steps in the same order.
    ctx_ = instance_->createStreamContext(&state_);
    context_id_ = ctx_->id;
    uint64_t args[3] = {ctx_->id, ctx_->root_id, 0};
    bool reply_open = false;
    bool reply_eos = false;
    bool body_called = false;
    auto step = [&](size_t i) {
      if (i == 1) {
        openRequestHeaders(headers);
        args[1] = headers.size();
        args[2] = end_stream ? 1u : 0u;
        return true;
      }
      if (i == 2) {
        if (!state_.pending_reply || state_.close_stream || !instance_->touchedStreams().empty()) {
          return false;
        }
        reply_open = openReply(args);
        reply_eos = args[2] != 0;
        return reply_open;
      }
      return !reply_eos && openReplyBody(args, &body_called);
    };
    const WasmInstance::GuestCall calls[4] = {{e.on_context_create, "proxy_on_context_create"},
                                              {e.on_request_headers, "proxy_on_request_headers"},
                                              {e.on_response_headers, "proxy_on_response_headers"},
                                              {e.on_response_body, "proxy_on_response_body"}};
    const size_t counts[4] = {2, header_args, responseHeadersArgs(), 3};
    // Only when every callback is exported (one engine sequence); else two sequences, as
    // before.
    const bool with_reply = e.on_response_headers != kNoExport && e.on_response_body != kNoExport;
    uint64_t sequence_results[4] = {0, 0, 0, 0};
    in_callback_ = true;
    const size_t done = instance_->callGuestSequence(std::span(calls, with_reply ? 4 : 2), ctx_,
                                                     args, counts, sequence_results, step);
    in_callback_ = false;
    if (reply_open) {
      closeReply(done - 2, body_called);
      return FilterAction::LocalReply;
    }
    results[1] = sequence_results[1];
    ok = done >= 2;
    if (!ok) vm_failed_ = true;
  } else {
    openRequestHeaders(headers);
    ok = call(e.on_request_headers, "proxy_on_request_headers",
              {ctx_->id, headers.size(), end_stream ? 1u : 0u}, header_args, &results[1]);
  }
  if (!ok) return failNow();
  return finish(headersAction(results[1]), Stage::RequestHeaders);
}

FilterAction HttpStreamImpl::onRequestBody(std::string& body, bool end_stream, Headers* trailers) {
  if (auto a = failedAction()) return *a;
  if (ctx_ == nullptr) return FilterAction::Continue;
  state_.bodies[0] = &body;
  if (end_stream && trailers != nullptr && trailers->empty()) {
    state_.maps[1] = trailers;
    state_.readable[1] = state_.writable[1] = true;
  }
  uint64_t r = 0;
  bool ok = call(instance_->exports().on_request_body, "proxy_on_request_body",
                 {ctx_->id, body.size(), end_stream ? 1u : 0u}, &r);
  state_.bodies[0] = nullptr;
  state_.maps[1] = nullptr;
  state_.readable[1] = state_.writable[1] = false;
  if (!ok) return failNow();
  return finish(dataAction(r), Stage::RequestBody);
}

FilterAction HttpStreamImpl::onRequestTrailers(Headers& trailers) {
  if (auto a = failedAction()) return *a;
  if (ctx_ == nullptr) return FilterAction::Continue;
  state_.maps[1] = &trailers;
  state_.readable[1] = state_.writable[1] = true;
  uint64_t r = 0;
  bool ok = call(instance_->exports().on_request_trailers, "proxy_on_request_trailers",
                 {ctx_->id, trailers.size()}, &r);
  if (!ok) return failNow();
  FilterAction a = finish(trailersAction(r), Stage::RequestTrailers);
  return a;
}

FilterAction HttpStreamImpl::onResponseHeaders(Headers& headers, bool end_stream) {
  response_started_ = true;
  state_.response_headers = &headers;
  if (auto a = failedAction()) return *a;
  if (ctx_ == nullptr) return FilterAction::Continue;
  closeRequestMaps();
  state_.maps[2] = &headers;
  state_.readable[2] = state_.writable[2] = true;
  uint64_t r = 0;
  const auto& e = instance_->exports();
  bool ok =
      instance_->abi() == AbiVersion::V0_1_0
          ? call(e.on_response_headers, "proxy_on_response_headers", {ctx_->id, headers.size()}, &r)
          : call(e.on_response_headers, "proxy_on_response_headers",
                 {ctx_->id, headers.size(), end_stream ? 1u : 0u}, &r);
  if (!ok) return failNow();
  return finish(headersAction(r), Stage::ResponseHeaders);
}

FilterAction HttpStreamImpl::onResponseBody(std::string& body, bool end_stream, Headers* trailers) {
  if (auto a = failedAction()) return *a;
  if (ctx_ == nullptr) return FilterAction::Continue;
  state_.bodies[1] = &body;
  if (end_stream && trailers != nullptr && trailers->empty()) {
    state_.maps[3] = trailers;
    state_.readable[3] = state_.writable[3] = true;
    state_.response_trailers = trailers;
  }
  uint64_t r = 0;
  bool ok = call(instance_->exports().on_response_body, "proxy_on_response_body",
                 {ctx_->id, body.size(), end_stream ? 1u : 0u}, &r);
  state_.bodies[1] = nullptr;
  state_.maps[3] = nullptr;
  state_.readable[3] = state_.writable[3] = false;
  if (!ok) return failNow();
  return finish(dataAction(r), Stage::ResponseBody);
}

FilterAction HttpStreamImpl::onResponseTrailers(Headers& trailers) {
  state_.response_trailers = &trailers;
  if (auto a = failedAction()) return *a;
  if (ctx_ == nullptr) return FilterAction::Continue;
  state_.maps[3] = &trailers;
  state_.readable[3] = state_.writable[3] = true;
  uint64_t r = 0;
  bool ok = call(instance_->exports().on_response_trailers, "proxy_on_response_trailers",
                 {ctx_->id, trailers.size()}, &r);
  if (!ok) return failNow();
  return finish(trailersAction(r), Stage::ResponseTrailers);
}

void HttpStreamImpl::onComplete() {
  if (completed_) return;
  completed_ = true;
  if (!usable()) {
    if (ctx_ != nullptr && instance_) instance_->removeContext(context_id_);
    ctx_ = nullptr;
    return;
  }
  // A stream the plugin never saw (rejected earlier in the chain): Envoy creates the context
  // at log time (reference 7.7).
  if (ctx_ == nullptr && !ensureContext()) {
    instance_->removeContext(context_id_);
    ctx_ = nullptr;
    return;
  }
  state_.in_log = true;
  for (int i = 0; i < 4; ++i) {
    state_.maps[i] = nullptr;
    state_.readable[i] = state_.writable[i] = false;
  }
  state_.bodies[0] = state_.bodies[1] = nullptr;
  state_.maps[0] = state_.request_headers;
  state_.maps[2] = state_.response_headers;
  state_.maps[3] = state_.response_trailers;
  for (int i : {0, 2, 3}) state_.readable[i] = state_.maps[i] != nullptr;
  const auto& e = instance_->exports();
  uint32_t id = ctx_->id;
  // proxy_on_log, then proxy_on_done, then proxy_on_delete, each only after the one before
  // returned.
  const WasmInstance::GuestCall calls[3] = {
      {e.on_log, "proxy_on_log"}, {e.on_done, "proxy_on_done"}, {e.on_delete, "proxy_on_delete"}};
  const uint64_t args[1] = {id};
  uint64_t results[3] = {0, 0, 0};
  in_callback_ = true;
  if (instance_->callGuests(calls, ctx_, args, results) != 3) vm_failed_ = true;
  in_callback_ = false;
  instance_->applyTouchedStreams(&state_);
  instance_->removeContext(id);
  ctx_ = nullptr;
}

LocalReply HttpStreamImpl::takeLocalReply() {
  LocalReply taken = std::move(*reply_);
  reply_->headers.clear();
  reply_->body.clear();
  reply_->details.clear();
  // The moved headers are the embedder's now: proxy_on_log reads the map it names through
  // setSentResponseHeaders().
  if (state_.response_headers == &reply_->headers) state_.response_headers = nullptr;
  return taken;
}

void HttpStreamImpl::applyDeferred() {
  if (completed_ || in_callback_) return;
  if (state_.close_stream) {
    state_.close_stream = false;
    details_ = "wasm_close_stream";
    callbacks_->resetStream();
    return;
  }
  if (state_.pending_reply) {
    if (!response_started_) {
      replyThroughResponsePath();
      callbacks_->sendLocalReply();
      return;
    }
    StreamState::PendingReply p = std::move(*state_.pending_reply);
    state_.pending_reply.reset();
    if (!response_headers_sent_) {
      reply_ = buildLocalReply(std::move(p), state_.is_grpc);
      details_ = reply_->details;
      state_.response_headers = &reply_->headers;
      callbacks_->sendLocalReply();
    } else {
      details_ = buildLocalReply(std::move(p), state_.is_grpc).details;
      callbacks_->resetStream();
    }
    return;
  }
  if (state_.continue_request) {
    state_.continue_request = false;
    closeRequestMaps();
    callbacks_->continueRequest();
  }
  if (state_.continue_response) {
    state_.continue_response = false;
    state_.readable[2] = state_.writable[2] = false;
    state_.maps[2] = nullptr;
    callbacks_->continueResponse();
  }
}

}  // namespace meshwasm::host
