#include "filter_manager.h"

#include <cctype>
#include <utility>

namespace meshwasm::gateway {

namespace {
constexpr size_t kNoFilter = static_cast<size_t>(-1);
}

void buildLocalReply(int status, std::string& body, HeaderMap& headers, bool head_request) {
  HeaderMap out;
  // Room for the reply's own entries and the date and server the connection manager adds.
  out.entries().reserve(headers.size() + 5);
  out.add(":status", std::to_string(status));
  for (auto& [k, v] : headers.entries()) {
    if (k == ":status") continue;
    out.add(k, v);
  }
  if (body.empty()) {
    out.remove("content-length");
    out.remove("content-type");
  } else {
    out.set("content-length", std::to_string(body.size()));
    if (!out.has("content-type")) out.add("content-type", "text/plain");
  }
  if (head_request) body.clear();
  headers = std::move(out);
}

void FilterManager::Callbacks::reply(Deferred::Kind kind, int status, std::string& body,
                                     HeaderMap& headers, std::string& details) {
  if (m_.callback_depth_ > 0 && m_.current_filter_ == index_) m_.current_sent_local_reply_ = true;
  bool from_encode = m_.encode_.active;
  if (m_.callback_depth_ > 0) {
    // Queued with its payload (constructed in place, not assigned into a default entry).
    m_.deferred_.emplace_back(kind, index_, from_encode, status, std::move(body),
                              std::move(headers), std::move(details));
  } else if (kind == Deferred::Kind::PreparedReply) {
    m_.doPreparedReply(index_, from_encode, body, headers, details);
  } else {
    m_.doLocalReply(index_, from_encode, status, body, headers, details);
  }
}

void FilterManager::Callbacks::continueDecoding() {
  if (!m_.queue(Deferred::Kind::ContinueDecoding, index_)) m_.resume(m_.decode_, index_);
}

void FilterManager::Callbacks::continueEncoding() {
  if (!m_.queue(Deferred::Kind::ContinueEncoding, index_)) m_.resume(m_.encode_, index_);
}

void FilterManager::Callbacks::sendLocalReply(int status, std::string body, HeaderMap headers,
                                              std::string details) {
  reply(Deferred::Kind::LocalReply, status, body, headers, details);
}

void FilterManager::Callbacks::sendPreparedReply(HeaderMap&& headers, std::string&& body,
                                                 std::string&& details) {
  reply(Deferred::Kind::PreparedReply, 0, body, headers, details);
}

void FilterManager::Callbacks::resetStream(std::string details) {
  if (Deferred* d = m_.queue(Deferred::Kind::Reset, index_)) {
    d->details = std::move(details);
  } else {
    m_.doReset(details);
  }
}

StreamInfo& FilterManager::Callbacks::streamInfo() {
  return m_.info_;
}
HeaderMap* FilterManager::Callbacks::requestHeaders() {
  return m_.request_headers_ ? &*m_.request_headers_ : nullptr;
}
HeaderMap* FilterManager::Callbacks::requestTrailers() {
  return m_.request_trailers_ ? &*m_.request_trailers_ : nullptr;
}
HeaderMap* FilterManager::Callbacks::responseHeaders() {
  return m_.response_headers_ ? &*m_.response_headers_ : nullptr;
}
HeaderMap* FilterManager::Callbacks::responseTrailers() {
  return m_.response_trailers_ ? &*m_.response_trailers_ : nullptr;
}
std::string* FilterManager::Callbacks::requestBody() {
  return bodyOf(m_.decode_);
}
std::string* FilterManager::Callbacks::responseBody() {
  return bodyOf(m_.encode_);
}
bool FilterManager::Callbacks::responseHeadersSent() const {
  return m_.response_headers_sent_;
}

std::string* FilterManager::Callbacks::bodyOf(Direction& dir) {
  size_t pos = m_.positionOf(dir, index_);
  if (pos == kNoFilter) return nullptr;
  return &dir.slots[pos].data;
}

FilterManager::FilterManager(FilterList filters, FilterChainSink& sink, StreamInfo& info,
                             size_t buffer_limit)
    : filters_(std::move(filters)), sink_(sink), info_(info), buffer_limit_(buffer_limit) {
  bindCallbacks();
}

FilterManager::FilterManager(const std::vector<FilterFactory>& factories, FilterChainSink& sink,
                             StreamInfo& info, size_t buffer_limit)
    : sink_(sink), info_(info), buffer_limit_(buffer_limit), factories_(&factories) {
  finished_ = true;  // no stream before beginStream()
}

void FilterManager::buildFilters() {
  for (const auto& factory : *factories_) {
    if (auto f = factory()) filters_.push_back(std::move(f));
  }
  bindCallbacks();
  filters_built_ = true;
  for (auto& f : filters_) {
    if (auto* reusable = dynamic_cast<ReusableStreamFilter*>(f.get())) reusable_.push_back(reusable);
  }
  keep_filters_ = reusable_.size() == filters_.size();
}

void FilterManager::beginStream() {
  if (!filters_built_) buildFilters();
  finished_ = false;
  for (ReusableStreamFilter* f : reusable_) f->beginStream();
}

void FilterManager::endStream() {
  finish();
  for (ReusableStreamFilter* f : reusable_) f->endStream();
  if (!keep_filters_ && factories_) {
    // Made for this stream only: the next one gets new filters.
    reusable_.clear();
    callbacks_.clear();
    filters_.clear();
    filters_built_ = false;
  }
  request_headers_.reset();
  request_trailers_.reset();
  response_headers_.reset();
  response_trailers_.reset();
  decode_.slots.clear();  // frees what a stopped filter left buffered
  encode_.slots.clear();
  for (Direction* dir : {&decode_, &encode_}) {
    dir->count = 0;
    dir->descending = false;
    dir->active = false;
    dir->aborted = false;
  }
  head_request_ = false;
  response_headers_sent_ = false;
  local_reply_ = false;
  reset_ = false;
  finished_ = true;  // until the next beginStream()
  reply_status_known_ = false;
  reply_status_.reset();
  callback_depth_ = 0;
  current_filter_.reset();
  current_sent_local_reply_ = false;
  deferred_.clear();
}

void FilterManager::bindCallbacks() {
  decode_.encode = false;
  encode_.encode = true;
  callbacks_.reserve(filters_.size());
  for (size_t i = 0; i < filters_.size(); ++i) {
    callbacks_.emplace_back(*this, i);
    filters_[i]->setCallbacks(callbacks_[i]);
  }
}

FilterManager::~FilterManager() {
  finish();
}

FilterManager::Deferred* FilterManager::queue(Deferred::Kind kind, size_t filter_index) {
  if (callback_depth_ == 0) return nullptr;
  Deferred& d = deferred_.emplace_back();
  d.kind = kind;
  d.filter_index = filter_index;
  return &d;
}

void FilterManager::execute(Deferred& d) {
  switch (d.kind) {
    case Deferred::Kind::ContinueDecoding: resume(decode_, d.filter_index); return;
    case Deferred::Kind::ContinueEncoding: resume(encode_, d.filter_index); return;
    case Deferred::Kind::LocalReply:
      doLocalReply(d.filter_index, d.from_encode, d.status, d.body, d.headers, d.details);
      return;
    case Deferred::Kind::PreparedReply:
      doPreparedReply(d.filter_index, d.from_encode, d.body, d.headers, d.details);
      return;
    case Deferred::Kind::Reset: doReset(d.details); return;
  }
}

void FilterManager::runDeferred() {
  while (callback_depth_ == 0 && !deferred_.empty()) {
    // Out of the queue first: what it runs may queue more.
    Deferred d = std::move(deferred_.front());
    deferred_.erase(deferred_.begin());
    execute(d);
  }
}

size_t FilterManager::positionOf(const Direction& dir, size_t filter_index) const {
  if (filter_index >= dir.count) return kNoFilter;
  return dir.descending ? dir.count - 1 - filter_index : filter_index;
}

void FilterManager::start(Direction& dir, size_t count, bool descending) {
  dir.count = count;
  dir.descending = descending;
  dir.slots.assign(count + 1, Slot{});
  dir.active = true;
  dir.aborted = false;
}

// ------------------------------------------------------------------ entry points

void FilterManager::decodeHeaders(HeaderMap headers, bool end_stream) {
  bool head_request = headers.get(":method") == "HEAD";
  decodeHeaders(std::move(headers), end_stream, head_request);
}

void FilterManager::decodeHeaders(HeaderMap headers, bool end_stream, bool head_request) {
  if (reset_ || decode_.active) return;
  head_request_ = head_request;
  request_headers_ = std::move(headers);
  start(decode_, filters_.size(), false);
  Slot& s = decode_.slots[0];
  s.headers_pending = true;
  s.end_stream = end_stream;
  pump(decode_, 0);
}

void FilterManager::decodeData(std::string_view data, bool end_stream) {
  if (reset_ || !decode_.active || decode_.aborted) return;
  Slot& s = decode_.slots[0];
  if (s.end_stream) return;
  s.data.append(data);
  s.data_pending = true;
  s.end_stream = end_stream;
  pump(decode_, 0);
}

void FilterManager::decodeTrailers(HeaderMap trailers) {
  if (reset_ || !decode_.active || decode_.aborted) return;
  Slot& s = decode_.slots[0];
  if (s.end_stream) return;
  request_trailers_ = std::move(trailers);
  s.trailers_pending = true;
  s.end_stream = true;
  pump(decode_, 0);
}

void FilterManager::encodeHeaders(HeaderMap headers, bool end_stream) {
  if (reset_ || encode_.active) return;
  response_headers_ = std::move(headers);
  reply_status_known_ = false;
  start(encode_, filters_.size(), true);
  Slot& s = encode_.slots[0];
  s.headers_pending = true;
  s.end_stream = end_stream;
  pump(encode_, 0);
}

void FilterManager::encodeData(std::string_view data, bool end_stream) {
  if (reset_ || !encode_.active || encode_.aborted) return;
  Slot& s = encode_.slots[0];
  if (s.end_stream) return;
  s.data.append(data);
  s.data_pending = true;
  s.end_stream = end_stream;
  pump(encode_, 0);
}

void FilterManager::encodeTrailers(HeaderMap trailers) {
  if (reset_ || !encode_.active || encode_.aborted) return;
  Slot& s = encode_.slots[0];
  if (s.end_stream) return;
  response_trailers_ = std::move(trailers);
  s.trailers_pending = true;
  s.end_stream = true;
  pump(encode_, 0);
}

void FilterManager::sendLocalReply(int status, std::string body, std::string details) {
  if (reset_ || finished_) return;
  bool from_encode = encode_.active;
  if (Deferred* d = queue(Deferred::Kind::LocalReply, kNoFilter)) {
    d->from_encode = from_encode;
    d->status = status;
    d->body = std::move(body);
    d->details = std::move(details);
  } else {
    HeaderMap headers;
    doLocalReply(kNoFilter, from_encode, status, body, headers, details);
  }
}

void FilterManager::markReset() {
  reset_ = true;
  info_.reset = true;
}

void FilterManager::finish() {
  if (finished_) return;
  finished_ = true;
  for (auto& f : filters_) f->onLog();
  for (auto& f : filters_) f->onDestroy();
}

// ------------------------------------------------------------------ iteration

void FilterManager::pump(Direction& dir, size_t pos) {
  // Headers go through every filter before any body does, then trailers (Envoy's order).
  for (int phase = 0; phase < 3; ++phase) {
    for (size_t p = pos; p < dir.slots.size(); ++p) {
      if (reset_ || dir.aborted) return;
      const Slot& s = dir.slots[p];
      if (!s.headers_pending && !s.data_pending && !s.trailers_pending) continue;  // nothing to do
      if (p + 1 == dir.slots.size()) {
        deliverToSink(dir, phase);
      } else {
        processSlot(dir, p, phase);
      }
    }
  }
}

void FilterManager::enterCallback(size_t filter_index) {
  ++callback_depth_;
  current_filter_ = filter_index;
  current_sent_local_reply_ = false;
}

void FilterManager::leaveCallback() {
  --callback_depth_;
  current_filter_.reset();
}

bool FilterManager::processSlot(Direction& dir, size_t pos, int phase) {
  Slot& s = dir.slots[pos];
  if (s.stop != Stop::None) return false;
  size_t index = dir.filterAt(pos);
  StreamFilter& filter = *filters_[index];
  auto next = [&]() -> Slot& { return dir.slots[pos + 1]; };

  if (phase == 0 && s.headers_pending) {
    bool eos = s.end_stream && s.data.empty() && !s.trailers_pending;
    s.headers_pending = false;
    HeaderMap& headers = dir.encode ? *response_headers_ : *request_headers_;
    enterCallback(index);
    HeadersStatus st =
        dir.encode ? filter.encodeHeaders(headers, eos) : filter.decodeHeaders(headers, eos);
    bool replied = current_sent_local_reply_;
    leaveCallback();
    if (replied || st != HeadersStatus::Continue) {
      s.stop = Stop::Headers;
    } else {
      s.headers_done = true;
      next().headers_pending = true;
      if (eos) {
        next().end_stream = true;
        s.end_passed = true;
        s.data_pending = false;
      }
    }
    runDeferred();
    if (s.stop != Stop::None || reset_ || dir.aborted) {
      if (s.stop == Stop::Headers && s.data.size() > buffer_limit_) overLimit(dir);
      return false;
    }
  }

  if (!s.headers_done) return false;

  if (phase >= 1 && s.data_pending && !s.end_passed &&
      (!s.data.empty() || (s.end_stream && !s.trailers_pending))) {
    bool eos = s.end_stream && !s.trailers_pending;
    s.data_pending = false;
    enterCallback(index);
    DataStatus st = dir.encode ? filter.encodeData(s.data, eos) : filter.decodeData(s.data, eos);
    bool replied = current_sent_local_reply_;
    leaveCallback();
    if (replied) {
      s.stop = Stop::Data;
    } else if (st == DataStatus::Continue) {
      next().data.append(s.data);
      s.data.clear();
      next().data_pending = true;
      s.holding = false;
      if (eos) {
        next().end_stream = true;
        s.end_passed = true;
      }
    } else if (st == DataStatus::StopIterationNoBuffer) {
      s.data.clear();
      if (eos) s.stop = Stop::Data;
    } else {
      s.holding = true;
      if (eos) s.stop = Stop::Data;
    }
    runDeferred();
    if (reset_ || dir.aborted) return false;
    if (s.holding && s.data.size() > buffer_limit_) {
      overLimit(dir);
      return false;
    }
    if (s.stop != Stop::None) return false;
  }

  if (phase == 2 && s.trailers_pending && s.stop == Stop::None) {
    s.trailers_pending = false;
    HeaderMap& trailers = dir.encode ? *response_trailers_ : *request_trailers_;
    enterCallback(index);
    TrailersStatus st =
        dir.encode ? filter.encodeTrailers(trailers) : filter.decodeTrailers(trailers);
    bool replied = current_sent_local_reply_;
    leaveCallback();
    if (replied || st != TrailersStatus::Continue) {
      s.stop = Stop::Trailers;
    } else {
      if (!s.data.empty()) {
        next().data.append(s.data);
        s.data.clear();
        next().data_pending = true;
      }
      s.holding = false;
      next().trailers_pending = true;
      next().end_stream = true;
      s.end_passed = true;
    }
    runDeferred();
  }
  return !reset_ && !dir.aborted;
}

void FilterManager::deliverToSink(Direction& dir, int phase) {
  Slot& s = dir.slots.back();
  if (phase == 0 && s.headers_pending) {
    s.headers_pending = false;
    s.headers_done = true;
    bool eos = s.end_stream && s.data.empty() && !s.trailers_pending;
    if (dir.encode) {
      response_headers_sent_ = true;
      std::optional<int> status =
          reply_status_known_ ? reply_status_ : statusCode(*response_headers_);
      if (status) info_.response_code = *status;
      sink_.respondHeaders(*response_headers_, eos);
    } else {
      sink_.routeHeaders(*request_headers_, eos);
    }
    if (eos) {
      s.end_passed = true;
      s.data_pending = false;
    }
    if (reset_ || dir.aborted) return;
  }
  if (!s.headers_done || phase == 0) return;
  if (s.data_pending && !s.end_passed) {
    s.data_pending = false;
    bool eos = s.end_stream && !s.trailers_pending;
    if (!s.data.empty() || eos) {
      std::string data = std::move(s.data);
      s.data.clear();
      if (eos) s.end_passed = true;
      if (dir.encode) {
        sink_.respondData(data, eos);
      } else {
        sink_.routeData(data, eos);
      }
      if (reset_ || dir.aborted) return;
    }
  }
  if (phase == 2 && s.trailers_pending) {
    s.trailers_pending = false;
    s.end_passed = true;
    if (dir.encode) {
      sink_.respondTrailers(*response_trailers_);
    } else {
      sink_.routeTrailers(*request_trailers_);
    }
  }
}

void FilterManager::resume(Direction& dir, size_t filter_index) {
  if (reset_ || !dir.active || dir.aborted) return;
  size_t pos = positionOf(dir, filter_index);
  if (pos == kNoFilter) return;
  Slot& s = dir.slots[pos];
  Slot& next = dir.slots[pos + 1];
  switch (s.stop) {
    case Stop::None:
      if (!s.holding) return;
      [[fallthrough]];
    case Stop::Data:
      s.stop = Stop::None;
      s.holding = false;
      if (!s.data.empty() || (s.end_stream && !s.trailers_pending)) {
        next.data.append(s.data);
        s.data.clear();
        next.data_pending = true;
        if (s.end_stream && !s.trailers_pending) {
          next.end_stream = true;
          s.end_passed = true;
        }
      }
      s.data_pending = false;
      break;
    case Stop::Headers:
      s.stop = Stop::None;
      s.headers_done = true;
      next.headers_pending = true;
      if (s.end_stream && s.data.empty() && !s.trailers_pending) {
        next.end_stream = true;
        s.end_passed = true;
      } else {
        s.data_pending = !s.data.empty();
      }
      break;
    case Stop::Trailers:
      s.stop = Stop::None;
      if (!s.data.empty()) {
        next.data.append(s.data);
        s.data.clear();
        next.data_pending = true;
      }
      next.trailers_pending = true;
      next.end_stream = true;
      s.end_passed = true;
      break;
  }
  pump(dir, pos);
}

// ------------------------------------------------------------------ replies and resets

void FilterManager::doPreparedReply(size_t filter_index, bool from_encode, std::string& body,
                                    HeaderMap& headers, std::string& details) {
  if (reset_ || finished_) return;
  // Replies made by the host start with a three-digit ":status": read it there.
  std::optional<int> status;
  const auto& entries = headers.entries();
  if (!entries.empty() && entries.front().first == ":status" &&
      entries.front().second.size() == 3) {
    const char* d = entries.front().second.data();
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (digit(d[0]) && digit(d[1]) && digit(d[2])) {
      status = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    }
  }
  if (!status) status = statusCode(headers);
  reply_status_ = status;
  doLocalReply(filter_index, from_encode, status.value_or(500), body, headers, details, true);
}

void FilterManager::doLocalReply(size_t filter_index, bool from_encode, int status,
                                 std::string& body, HeaderMap& headers, std::string& details,
                                 bool prepared) {
  if (reset_ || finished_) return;
  for (char& c : details) {
    if (std::isspace(static_cast<unsigned char>(c))) c = '_';
  }
  info_.response_code_details = std::move(details);
  if (!prepared) reply_status_ = status;  // what statusCode reads from buildLocalReply's map
  if (prepared) {
    if (head_request_) body.clear();
  } else {
    buildLocalReply(status, body, headers, head_request_);
  }
  local_reply_ = true;
  if (decode_.active) decode_.aborted = true;
  sink_.abortUpstream();
  if (response_headers_sent_) {
    std::string reset_details = info_.response_code_details;
    doReset(reset_details);
    return;
  }
  if (from_encode || encode_.active || filter_index == kNoFilter) {
    if (encode_.active || from_encode) {
      // Too late for the filters: straight to the client.
      encode_.aborted = true;
      response_headers_ = std::move(headers);
      response_trailers_.reset();
      response_headers_sent_ = true;
      info_.response_code = status;
      sink_.respondHeaders(*response_headers_, body.empty());
      if (!body.empty() && !reset_) sink_.respondData(body, true);
      return;
    }
    filter_index = filters_.empty() ? kNoFilter : filters_.size() - 1;
  }
  size_t count = 0;
  if (filter_index != kNoFilter) {
    // The filters before this one, in reverse order; a prepared reply already passed this
    // filter's own response side.
    count = prepared ? filter_index : filter_index + 1;
  }
  response_headers_ = std::move(headers);
  reply_status_known_ = count == 0;  // no filter sees (and may change) the headers
  start(encode_, count, true);
  Slot& s = encode_.slots[0];
  s.headers_pending = true;
  s.data = std::move(body);
  s.data_pending = !s.data.empty();
  s.end_stream = true;
  pump(encode_, 0);
}

void FilterManager::doReset(const std::string& details) {
  if (reset_ || finished_) return;
  if (!details.empty() && info_.response_code_details.empty()) {
    info_.response_code_details = details;
  }
  markReset();
  sink_.abortUpstream();
  sink_.resetDownstream(details);
}

void FilterManager::overLimit(Direction& dir) {
  HeaderMap headers;
  if (!dir.encode) {
    std::string body = "Payload Too Large";
    std::string details = "request_payload_too_large";
    doLocalReply(kNoFilter, false, 413, body, headers, details);
  } else if (!response_headers_sent_) {
    std::string body = "Internal Server Error";
    std::string details = "response_payload_too_large";
    doLocalReply(kNoFilter, true, 500, body, headers, details);
  } else {
    doReset("response_payload_too_large");
  }
}

}  // namespace meshwasm::gateway
