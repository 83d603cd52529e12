#include "wasm_filter.h"

#include <boost/asio/post.hpp>

#include <cstdio>
#include <ctime>
#include <set>

#include "filter_manager.h"
#include "meshwasm/host/properties.h"
#include "session.h"

namespace meshwasm::gateway {

namespace asio = boost::asio;
using boost::system::error_code;

// ------------------------------------------------------------------ logs

std::string_view logLevelName(abi::LogLevel level) {
  switch (level) {
    case abi::LogLevel::Trace: return "trace";
    case abi::LogLevel::Debug: return "debug";
    case abi::LogLevel::Info: return "info";
    case abi::LogLevel::Warn: return "warning";
    case abi::LogLevel::Error: return "error";
    case abi::LogLevel::Critical: return "critical";
    case abi::LogLevel::Off: return "off";
  }
  return "info";
}

bool parseLogLevel(std::string_view name, abi::LogLevel* level) {
  static const std::pair<std::string_view, abi::LogLevel> kNames[] = {
      {"trace", abi::LogLevel::Trace}, {"debug", abi::LogLevel::Debug},
      {"info", abi::LogLevel::Info},   {"warning", abi::LogLevel::Warn},
      {"warn", abi::LogLevel::Warn},   {"error", abi::LogLevel::Error},
      {"critical", abi::LogLevel::Critical}, {"off", abi::LogLevel::Off}};
  for (const auto& [n, l] : kNames) {
    if (n == name) {
      *level = l;
      return true;
    }
  }
  return false;
}

std::string formatPluginLog(const host::LogRecord& record) {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(us % 1000000));
  std::string line = stamp;
  line += ' ';
  line += logLevelName(record.level);
  line += " envoy wasm wasm log";
  line += record.prefix;
  line += ": ";
  line += record.message;
  return line;
}

namespace {

std::mutex& logMutex() {
  static std::mutex m;
  return m;
}

// ------------------------------------------------------------------ http calls

class HttpCallCollector;
using CallSet = std::set<HttpCallCollector*>;

class HttpCallCollector final : public UpstreamCallbacks,
                                public std::enable_shared_from_this<HttpCallCollector> {
 public:
  HttpCallCollector(Worker& worker, std::weak_ptr<host::PluginVm> vm, uint32_t token,
                    std::shared_ptr<CallSet> registry)
      : worker_(worker), vm_(std::move(vm)), token_(token), timer_(worker.io),
        registry_(std::move(registry)) {
    registry_->insert(this);
  }
  ~HttpCallCollector() override { registry_->erase(this); }

  bool start(const host::HttpCallRequest& request) {
    request_ = worker_.clusters.newRequest(request.cluster, *this, UpstreamContext{"127.0.0.1"});
    if (!request_) return false;
    self_ = shared_from_this();
    HeaderMap headers(*request.headers);
    if (!request.body.empty()) headers.set("content-length", std::to_string(request.body.size()));
    bool has_trailers = request.trailers && !request.trailers->empty();
    bool has_body = !request.body.empty();
    request_->sendHeaders(headers, !has_body && !has_trailers);
    if (has_body) request_->sendData(request.body, !has_trailers);
    if (has_trailers) request_->sendTrailers(HeaderMap(*request.trailers));
    if (request.timeout.count() > 0) {
      std::weak_ptr<HttpCallCollector> weak = self_;
      timer_.expires_after(request.timeout);
      timer_.async_wait([weak](const error_code& ec) {
        auto self = weak.lock();
        if (!ec && self) self->failWith(504, "upstream request timeout");
      });
    }
    return true;
  }

  void cancel() {
    if (request_) request_->cancel();
    request_.reset();
    timer_.cancel();
    self_.reset();
  }

  void onUpstreamHeaders(HeaderMap headers, bool end_stream) override {
    response_.headers = std::move(headers.entries());
    if (end_stream) deliver(true);
  }
  void onUpstreamData(std::string_view data, bool end_stream) override {
    response_.body.append(data);
    if (end_stream) deliver(true);
  }
  void onUpstreamTrailers(HeaderMap trailers) override {
    response_.trailers = std::move(trailers.entries());
    deliver(true);
  }
  void onUpstreamFailure(UpstreamFailure failure, bool headers_received) override {
    request_.reset();
    if (headers_received) {
      deliver(false);
      return;
    }
    if (failure == UpstreamFailure::Timeout) {
      failWith(504, "upstream request timeout");
    } else {
      failWith(503, failure == UpstreamFailure::ConnectFailure
                        ? "upstream connect error or disconnect/reset before headers. reset "
                          "reason: connection failure"
                        : "upstream connect error or disconnect/reset before headers. reset "
                          "reason: connection termination");
    }
  }

 private:
  void failWith(int status, std::string body) {
    if (request_) request_->cancel();
    request_.reset();
    response_ = host::HttpCallResponse{};
    response_.headers = {{":status", std::to_string(status)},
                         {"content-length", std::to_string(body.size())},
                         {"content-type", "text/plain"}};
    response_.body = std::move(body);
    deliver(true);
  }
  void deliver(bool ok) {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    auto keep = self_;  // this object lives until the callback returned
    self_.reset();
    if (auto vm = vm_.lock()) vm->onHttpCallResponse(token_, ok ? &response_ : nullptr);
  }

  Worker& worker_;
  std::weak_ptr<host::PluginVm> vm_;
  uint32_t token_;
  asio::steady_timer timer_;
  std::shared_ptr<CallSet> registry_;
  std::shared_ptr<UpstreamRequest> request_;
  std::shared_ptr<HttpCallCollector> self_;
  host::HttpCallResponse response_;
  bool done_ = false;
};


// ------------------------------------------------------------------ the filter

// Kept by the connection's filter chain from one request to the next; every request gets its
// own host stream (a new guest context, proxy_on_context_create ... proxy_on_delete, as in
// Envoy), made when the request starts: a VM that FAIL_RELOAD replaced serves it then.
class WasmFilter final : public ReusableStreamFilter, public host::StreamCallbacks {
 public:
  WasmFilter(std::shared_ptr<host::PluginVm> vm, std::shared_ptr<PluginCounters> counters,
             Worker& worker)
      : vm_(std::move(vm)), counters_(std::move(counters)), worker_(worker) {}
  ~WasmFilter() override { endStream(); }

  void beginStream() override {
    counted_failure_ = false;
    stream_ = vm_->newStream(this);
  }
  void endStream() override {
    if (!stream_) return;
    stream_->onComplete();
    stream_.reset();
  }

  HeadersStatus decodeHeaders(HeaderMap& headers, bool end_stream) override {
    return headersStatus(stream_->onRequestHeaders(headers.entries(), end_stream));
  }
  DataStatus decodeData(std::string& data, bool end_stream) override {
    return dataStatus(stream_->onRequestBody(data, end_stream, nullptr));
  }
  TrailersStatus decodeTrailers(HeaderMap& trailers) override {
    return trailersStatus(stream_->onRequestTrailers(trailers.entries()));
  }
  HeadersStatus encodeHeaders(HeaderMap& headers, bool end_stream) override {
    return headersStatus(stream_->onResponseHeaders(headers.entries(), end_stream));
  }
  DataStatus encodeData(std::string& data, bool end_stream) override {
    return dataStatus(stream_->onResponseBody(data, end_stream, nullptr));
  }
  TrailersStatus encodeTrailers(HeaderMap& trailers) override {
    return trailersStatus(stream_->onResponseTrailers(trailers.entries()));
  }
  void onLog() override {
    // A local reply reached the client as the filter manager's map, with the connection
    // manager's edits: proxy_on_log reads that one, not the host's copy.
    if (stream_->localReply()) {
      if (HeaderMap* sent = callbacks_->responseHeaders()) {
        stream_->setSentResponseHeaders(sent->entries());
      }
    }
    stream_->onComplete();
  }
  void onDestroy() override { stream_->onComplete(); }

  // host::StreamCallbacks: requests made outside the stream's own callbacks.
  void continueRequest() override { callbacks_->continueDecoding(); }
  void continueResponse() override { callbacks_->continueEncoding(); }
  void resetStream() override {
    callbacks_->resetStream(std::string(stream_->responseCodeDetails()));
  }
  void sendLocalReply() override { sendReply(); }
  std::optional<std::string> property(std::string_view path) override;

 private:
  void observe(host::FilterAction action) {
    if (!counted_failure_ && stream_->vmFailed()) {
      counted_failure_ = true;
      counters_->vm_failures.fetch_add(1, std::memory_order_relaxed);
      counters_->failed.store(true, std::memory_order_relaxed);
    }
    if (action == host::FilterAction::LocalReply &&
        stream_->responseCodeDetails() == "wasm_fail_stream") {
      counters_->fail_streams.fetch_add(1, std::memory_order_relaxed);
    }
  }
  void sendReply() {
    if (!stream_->localReply()) {
      callbacks_->resetStream("wasm_close_stream");
      return;
    }
    // Handed over, not copied: onLog() names the map it went out as to the stream.
    host::LocalReply reply = stream_->takeLocalReply();
    HeaderMap headers(std::move(reply.headers));
    // The host puts ":status" first; the plugin's response callbacks may have removed it.
    const bool status_first = !headers.empty() && headers.entries().front().first == ":status";
    if (!status_first && !headers.has(":status")) {
      headers.entries().insert(headers.entries().begin(),
                               {":status", std::to_string(reply.status)});
    }
    callbacks_->sendPreparedReply(std::move(headers), std::move(reply.body),
                                  std::move(reply.details));
  }
  // Returns true when the action ended the filter's part (reply or reset requested).
  bool terminal(host::FilterAction action) {
    observe(action);
    if (action == host::FilterAction::LocalReply) {
      sendReply();
      return true;
    }
    if (action == host::FilterAction::Reset) {
      callbacks_->resetStream(std::string(stream_->responseCodeDetails()));
      return true;
    }
    return false;
  }
  HeadersStatus headersStatus(host::FilterAction action) {
    if (terminal(action)) return HeadersStatus::StopAllIterationAndWatermark;
    switch (action) {
      case host::FilterAction::Continue: return HeadersStatus::Continue;
      case host::FilterAction::StopAllIterationAndBuffer:
        return HeadersStatus::StopAllIterationAndBuffer;
      default: return HeadersStatus::StopAllIterationAndWatermark;
    }
  }
  DataStatus dataStatus(host::FilterAction action) {
    if (terminal(action)) return DataStatus::StopIterationNoBuffer;
    switch (action) {
      case host::FilterAction::Continue: return DataStatus::Continue;
      case host::FilterAction::StopIterationAndWatermark:
        return DataStatus::StopIterationAndWatermark;
      case host::FilterAction::StopIterationNoBuffer: return DataStatus::StopIterationNoBuffer;
      default: return DataStatus::StopIterationAndBuffer;
    }
  }
  TrailersStatus trailersStatus(host::FilterAction action) {
    if (terminal(action)) return TrailersStatus::StopIteration;
    return action == host::FilterAction::Continue ? TrailersStatus::Continue
                                                  : TrailersStatus::StopIteration;
  }

  std::shared_ptr<host::PluginVm> vm_;
  std::shared_ptr<PluginCounters> counters_;
  Worker& worker_;
  std::unique_ptr<host::HttpStream> stream_;
  bool counted_failure_ = false;
};

std::pair<std::string, uint16_t> splitAddress(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return {text, 0};
  return {text.substr(0, colon), static_cast<uint16_t>(std::atoi(text.c_str() + colon + 1))};
}

std::optional<std::string> WasmFilter::property(std::string_view path) {
  StreamInfo& info = callbacks_->streamInfo();
  if (path == "source.address") return host::encodeStringProperty(info.downstream_remote_address);
  if (path == "source.port") {
    return host::encodeIntProperty(splitAddress(info.downstream_remote_address).second);
  }
  if (path == "destination.address") {
    return host::encodeStringProperty(info.downstream_local_address);
  }
  if (path == "destination.port") {
    return host::encodeIntProperty(splitAddress(info.downstream_local_address).second);
  }
  if (path == "request.protocol") return host::encodeStringProperty(info.protocol);
  if (path == "request.id") return host::encodeStringProperty(info.request_id);
  if (path == "request.time") return host::encodeTimestampProperty(info.start_time);
  if (path == "route_name" || path == "xds.route_name") {
    return host::encodeStringProperty(info.route_name);
  }
  if (path == "xds.cluster_name" || path == "cluster_name") {
    if (info.upstream_cluster.empty()) return std::nullopt;
    return host::encodeStringProperty(info.upstream_cluster);
  }
  if (path == "upstream.address") {
    if (info.upstream_host.empty()) return std::nullopt;
    return host::encodeStringProperty(info.upstream_host);
  }
  if (path == "response.code_details") {
    return host::encodeStringProperty(info.response_code_details);
  }
  if (path == "response.flags") return host::encodeUintProperty(info.response_flags);
  if (path == "connection.mtls") return host::encodeBoolProperty(false);
  if (path == "connection.requested_server_name") return host::encodeStringProperty("");
  return std::nullopt;
}

}  // namespace

// ------------------------------------------------------------------ embedder

struct WorkerEmbedder::CallRegistry {
  std::shared_ptr<CallSet> calls = std::make_shared<CallSet>();
};

WorkerEmbedder::WorkerEmbedder(Worker& worker)
    : worker_(worker), calls_(std::make_shared<CallRegistry>()) {}

WorkerEmbedder::~WorkerEmbedder() { stopTimers(); }

void WorkerEmbedder::log(const host::LogRecord& record) {
  std::string line = formatPluginLog(record);
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(logMutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void WorkerEmbedder::setTickPeriod(host::PluginVm& vm, std::chrono::milliseconds period) {
  Tick& t = ticks_[&vm];
  if (!t.timer) t.timer = std::make_unique<asio::steady_timer>(worker_.io);
  t.period = period;
  t.vm = vm.weak_from_this();
  t.timer->cancel();
  if (period.count() > 0) armTick(&vm);
}

void WorkerEmbedder::armTick(host::PluginVm* key) {
  auto it = ticks_.find(key);
  if (it == ticks_.end() || it->second.period.count() <= 0) return;
  Tick& t = it->second;
  t.timer->expires_after(t.period);
  t.timer->async_wait([this, key](const error_code& ec) {
    if (ec) return;
    auto it2 = ticks_.find(key);
    if (it2 == ticks_.end()) return;
    auto vm = it2->second.vm.lock();
    if (!vm) {
      ticks_.erase(it2);
      return;
    }
    vm->onTick();  // best effort; re-armed after the callback (reference 9.5)
    armTick(key);
  });
}

abi::WasmResult WorkerEmbedder::httpCall(host::PluginVm& vm, const host::HttpCallRequest& request) {
  if (!worker_.clusters.cluster(request.cluster)) return abi::WasmResult::BadArgument;
  auto collector = std::make_shared<HttpCallCollector>(worker_, vm.weak_from_this(),
                                                       request.token, calls_->calls);
  if (!collector->start(request)) return abi::WasmResult::InternalFailure;
  return abi::WasmResult::Ok;
}

bool WorkerEmbedder::post(std::function<void()> task) {
  asio::post(worker_.io, std::move(task));
  return true;
}

void WorkerEmbedder::stopTimers() {
  stopGrpc();
  for (auto& [k, t] : ticks_) {
    if (t.timer) t.timer->cancel();
  }
  ticks_.clear();
  CallSet& registry = *calls_->calls;
  std::vector<HttpCallCollector*> calls(registry.begin(), registry.end());
  for (auto* c : calls) {
    if (registry.count(c)) c->cancel();
  }
}

FilterFactory makeWasmFilterFactory(std::shared_ptr<host::PluginVm> vm, Worker& worker,
                                    std::shared_ptr<PluginCounters> counters) {
  return [vm = std::move(vm), &worker,
          counters = std::move(counters)]() -> std::unique_ptr<StreamFilter> {
    if (!vm) return nullptr;  // no VM on this worker: the filter is skipped (as in Envoy)
    return std::make_unique<WasmFilter>(vm, counters, worker);
  };
}

}  // namespace meshwasm::gateway
