#include "upstream.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>

#include <array>

#include "http_codec.h"
#include "httpbin.h"

namespace meshwasm::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

class TcpUpstreamRequest final : public UpstreamRequest,
                                 public MessageCallbacks,
                                 public DeadlineQueue::Entry,
                                 public std::enable_shared_from_this<TcpUpstreamRequest> {
 public:
  TcpUpstreamRequest(ClusterManager& cm, const ClusterConfig& cluster, tcp::endpoint endpoint,
                     UpstreamCallbacks& cb)
      : cm_(cm),
        cluster_(cluster),
        endpoint_(std::move(endpoint)),
        cb_(&cb),
        socket_(cm.io()),
        connect_timer_(cm.io()),
        deadlines_(*cm.counters(cluster).deadlines),
        decoder_(MessageDecoder::forResponses(*this)),
        rq_total_(*cm.counters(cluster).rq_total),
        cx_connect_fail_(*cm.counters(cluster).cx_connect_fail),
        rq_timeout_(*cm.counters(cluster).rq_timeout),
        cx_total_(*cm.counters(cluster).cx_total) {}

  void start() {
    rq_total_.fetch_add(1, std::memory_order_relaxed);
    if (cm_.takeIdle(cluster_.name, &socket_, &read_buf_)) {
      connected_ = true;
      startRead();
      return;
    }
    cx_total_.fetch_add(1, std::memory_order_relaxed);
    read_buf_ = std::make_unique<ClusterManager::ReadBuffer>();
    auto self = shared_from_this();
    if (cluster_.connect_timeout.count() > 0) {
      connect_timer_.expires_after(cluster_.connect_timeout);
      connect_timer_.async_wait([self](const error_code& ec) {
        if (!ec && !self->connected_) self->fail(UpstreamFailure::ConnectFailure);
      });
    }
    socket_.async_connect(endpoint_, [self](const error_code& ec) {
      self->connect_timer_.cancel();
      if (self->done()) return;
      if (ec) {
        self->fail(UpstreamFailure::ConnectFailure);
        return;
      }
      error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->socket_.non_blocking(true, ignored);  // first writes are direct non-blocking sends
      self->connected_ = true;
      self->startRead();
      self->flush();
    });
  }

  void sendHeaders(const HeaderMap& headers, bool end_stream) override {
    chunked_ = !end_stream && !headers.has("content-length");
    decoder_->setHeadResponse(headers.get(":method") == "HEAD");
    out_ += encodeRequestHead(headers, chunked_);
    if (end_stream) requestComplete();
    flush();
  }
  void sendData(std::string_view data, bool end_stream) override {
    if (chunked_) {
      appendChunk(out_, data);
    } else {
      out_.append(data);
    }
    if (end_stream) {
      if (chunked_) appendLastChunk(out_, nullptr);
      requestComplete();
    }
    flush();
  }
  void sendTrailers(const HeaderMap& trailers) override {
    if (chunked_) appendLastChunk(out_, &trailers);
    requestComplete();
    flush();
  }
  void cancel() override {
    cb_ = nullptr;
    if (!response_done_) close();
  }
  std::string upstreamHost() const override {
    return endpoint_.address().to_string() + ":" + std::to_string(endpoint_.port());
  }

  // MessageCallbacks (response side)
  void onHeaders(HeaderMap headers, bool end_stream) override {
    auto status = headers.get(":status");
    if (status && status->size() == 3 && (*status)[0] == '1' && *status != "101") {
      informational_ = true;  // 100 Continue and friends are not forwarded
      return;
    }
    headers_received_ = true;
    if (end_stream) finishResponse();
    if (cb_) cb_->onUpstreamHeaders(std::move(headers), end_stream);
  }
  void onData(std::string_view data, bool end_stream) override {
    if (end_stream) finishResponse();
    if (cb_) cb_->onUpstreamData(data, end_stream);
  }
  void onTrailers(HeaderMap trailers) override {
    finishResponse();
    if (cb_) cb_->onUpstreamTrailers(std::move(trailers));
  }

 private:
  bool done() const { return closed_ || failed_ || (cb_ == nullptr && !response_done_); }

  void requestComplete() {
    request_done_ = true;
    if (cluster_.timeout.count() > 0) {
      deadlines_.add(*this, std::chrono::steady_clock::now() + cluster_.timeout);
    }
  }

  void onDeadline() override {
    if (response_done_ || closed_ || failed_) return;
    auto self = shared_from_this();
    rq_timeout_.fetch_add(1, std::memory_order_relaxed);
    fail(UpstreamFailure::Timeout);
  }

  void finishResponse() {
    response_done_ = true;
    DeadlineQueue::remove(*this);
  }

  void flush() {
    if (!connected_ || writing_ || out_.empty() || done()) return;
    write_buf_.swap(out_);
    // Send now (one syscall, no completion to dispatch); the asynchronous write takes over only
    // for what the socket did not accept.
    error_code wec;
    size_t n = socket_.write_some(asio::buffer(write_buf_), wec);
    if (wec && wec != asio::error::would_block && wec != asio::error::try_again) {
      write_buf_.clear();
      writing_ = true;  // nothing more is written
      auto self = shared_from_this();
      asio::post(cm_.io(), [self] {
        self->writing_ = false;
        if (!self->response_done_) self->fail(UpstreamFailure::Reset);
      });
      return;
    }
    if (!wec && n == write_buf_.size()) {
      write_buf_.clear();
      if (!out_.empty()) flush();
      return;
    }
    if (wec) n = 0;
    writing_ = true;
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(write_buf_) + n,
                      [self](const error_code& ec, size_t) {
      self->writing_ = false;
      self->write_buf_.clear();
      if (ec) {
        if (!self->response_done_) self->fail(UpstreamFailure::Reset);
        return;
      }
      self->flush();
    });
  }

  void startRead() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(*read_buf_), [self](const error_code& ec, size_t n) {
      self->onRead(ec, n);
    });
  }

  // Brackets one read event for the receiver (see UpstreamCallbacks::enterEvent).
  class EventGuard {
   public:
    explicit EventGuard(UpstreamCallbacks* cb) : cb_(cb) {
      if (cb_) cb_->enterEvent();
    }
    ~EventGuard() {
      if (cb_) cb_->leaveEvent();
    }
    EventGuard(const EventGuard&) = delete;
    EventGuard& operator=(const EventGuard&) = delete;

   private:
    UpstreamCallbacks* cb_;
  };

  void onRead(const error_code& ec, size_t n) {
    if (closed_ || failed_) return;
    EventGuard event(cb_);
    if (ec) {
      if (ec == asio::error::eof && decoder_->started() && !response_done_ && decoder_->feedEof()) {
        close();
        return;
      }
      if (!response_done_) fail(UpstreamFailure::Reset);
      close();
      return;
    }
    in_.append(read_buf_->data(), n);
    while (!in_.empty() && !response_done_ && !failed_) {
      size_t consumed = 0;
      DecodeResult r = decoder_->feed(in_, &consumed);
      in_.erase(0, consumed);
      if (r != DecodeResult::Ok) {
        fail(UpstreamFailure::Reset);
        return;
      }
      if (informational_ && decoder_->complete()) {
        informational_ = false;
        decoder_->reset();
        continue;
      }
      if (consumed == 0) break;
    }
    if (failed_ || closed_) return;
    if (response_done_) {
      bool reusable = decoder_->keepAlive() && request_done_ && in_.empty() && !writing_;
      if (reusable) {
        closed_ = true;
        cm_.release(cluster_.name, std::move(socket_), std::move(read_buf_));
      } else {
        close();
      }
      return;
    }
    if (cb_ == nullptr) {
      close();
      return;
    }
    startRead();
  }

  void fail(UpstreamFailure failure) {
    if (failed_ || response_done_) return;
    failed_ = true;
    if (failure == UpstreamFailure::ConnectFailure) {
      cx_connect_fail_.fetch_add(1, std::memory_order_relaxed);
    }
    close();
    UpstreamCallbacks* cb = cb_;
    cb_ = nullptr;
    if (cb) cb->onUpstreamFailure(failure, headers_received_);
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    connect_timer_.cancel();
    DeadlineQueue::remove(*this);
    socket_.close(ignored);
  }

  ClusterManager& cm_;
  const ClusterConfig& cluster_;
  tcp::endpoint endpoint_;
  UpstreamCallbacks* cb_;
  tcp::socket socket_;
  asio::steady_timer connect_timer_;
  DeadlineQueue& deadlines_;
  std::unique_ptr<MessageDecoder> decoder_;
  Stats::Counter& rq_total_;
  Stats::Counter& cx_connect_fail_;
  Stats::Counter& rq_timeout_;
  Stats::Counter& cx_total_;
  std::string out_;
  std::string write_buf_;
  std::string in_;
  // Not zeroed, and reused with the pooled connection (see ClusterManager::ReadBuffer).
  std::unique_ptr<ClusterManager::ReadBuffer> read_buf_;
  bool connected_ = false;
  bool writing_ = false;
  bool chunked_ = false;
  bool request_done_ = false;
  bool response_done_ = false;
  bool headers_received_ = false;
  bool informational_ = false;
  bool failed_ = false;
  bool closed_ = false;
};

}  // namespace

DeadlineQueue::Entry::~Entry() { DeadlineQueue::remove(*this); }

DeadlineQueue::~DeadlineQueue() {
  while (head_) remove(*head_);
}

void DeadlineQueue::add(Entry& entry, std::chrono::steady_clock::time_point at) {
  remove(entry);
  entry.queue_ = this;
  entry.at_ = at;
  entry.prev_ = tail_;
  entry.next_ = nullptr;
  if (tail_) {
    tail_->next_ = &entry;
  } else {
    head_ = &entry;
  }
  tail_ = &entry;
  if (!waiting_) wait(head_->at_);
}

void DeadlineQueue::remove(Entry& entry) {
  DeadlineQueue* q = entry.queue_;
  if (q == nullptr) return;
  if (entry.prev_) {
    entry.prev_->next_ = entry.next_;
  } else {
    q->head_ = entry.next_;
  }
  if (entry.next_) {
    entry.next_->prev_ = entry.prev_;
  } else {
    q->tail_ = entry.prev_;
  }
  entry.queue_ = nullptr;
  entry.prev_ = entry.next_ = nullptr;
}

void DeadlineQueue::wait(std::chrono::steady_clock::time_point at) {
  waiting_ = true;
  timer_.expires_at(at);
  timer_.async_wait([this](const error_code& ec) {
    waiting_ = false;
    if (!ec) fire();
  });
}

void DeadlineQueue::fire() {
  auto now = std::chrono::steady_clock::now();
  while (head_ && head_->at_ <= now) {
    Entry* e = head_;
    remove(*e);
    e->onDeadline();
  }
  if (head_ && !waiting_) wait(head_->at_);
}

ClusterManager::ClusterManager(asio::io_context& io, const GatewayConfig& config, Stats& stats)
    : io_(io), config_(config), stats_(stats) {
  for (const auto& c : config_.clusters) {
    if (c.builtin_httpbin) continue;
    error_code ec;
    auto address = asio::ip::make_address(c.host, ec);
    if (!ec) {
      endpoints_[c.name] = tcp::endpoint(address, c.port);
      continue;
    }
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(c.host, std::to_string(c.port), ec);
    if (!ec && !results.empty()) endpoints_[c.name] = results.begin()->endpoint();
  }
}

ClusterManager::~ClusterManager() { closeIdle(); }

const ClusterConfig* ClusterManager::cluster(std::string_view name) const {
  return findCluster(config_, name);
}

std::shared_ptr<UpstreamRequest> ClusterManager::newRequest(std::string_view name,
                                                            UpstreamCallbacks& callbacks,
                                                            const UpstreamContext& context) {
  const ClusterConfig* c = cluster(name);
  if (c == nullptr) return nullptr;
  if (c->builtin_httpbin) {
    counters(*c).rq_total->fetch_add(1, std::memory_order_relaxed);
    return newHttpbinRequest(io_, callbacks, context);
  }
  auto ep = endpoints_.find(name);
  tcp::endpoint endpoint = ep != endpoints_.end() ? ep->second : tcp::endpoint();
  auto request = std::make_shared<TcpUpstreamRequest>(*this, *c, endpoint, callbacks);
  request->start();
  return request;
}

const ClusterManager::ClusterCounters& ClusterManager::counters(const ClusterConfig& cluster) {
  auto it = counters_.find(cluster.name);
  if (it != counters_.end()) return it->second;
  const std::string prefix =
      cluster.builtin_httpbin ? std::string("cluster.httpbin.") : "cluster." + cluster.name + ".";
  ClusterCounters c;
  c.rq_total = &stats_.counter(prefix + "upstream_rq_total");
  if (!cluster.builtin_httpbin) {
    c.cx_connect_fail = &stats_.counter(prefix + "upstream_cx_connect_fail");
    c.rq_timeout = &stats_.counter(prefix + "upstream_rq_timeout");
    c.cx_total = &stats_.counter(prefix + "upstream_cx_total");
    c.deadlines = std::make_unique<DeadlineQueue>(io_);
  }
  return counters_.emplace(cluster.name, std::move(c)).first->second;
}

void ClusterManager::release(const std::string& cluster, tcp::socket socket,
                             std::unique_ptr<ReadBuffer> buffer) {
  const ClusterConfig* c = this->cluster(cluster);
  auto& pool = idle_[cluster];
  if (c == nullptr || pool.size() >= c->max_idle_connections) return;
  pool.push_back(IdleConnection{std::move(socket), std::move(buffer)});
}

bool ClusterManager::takeIdle(const std::string& cluster, tcp::socket* socket,
                              std::unique_ptr<ReadBuffer>* buffer) {
  auto it = idle_.find(cluster);
  if (it == idle_.end()) return false;
  auto& pool = it->second;
  while (!pool.empty()) {
    tcp::socket s = std::move(pool.back().socket);
    std::unique_ptr<ReadBuffer> b = std::move(pool.back().buffer);
    pool.pop_back();
    char probe;
    ssize_t n = ::recv(s.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      *socket = std::move(s);
      *buffer = b ? std::move(b) : std::make_unique<ReadBuffer>();
      return true;
    }
    error_code ignored;
    s.close(ignored);  // closed by the peer, or unexpected bytes
  }
  return false;
}

void ClusterManager::closeIdle() {
  for (auto& [name, pool] : idle_) {
    for (auto& idle : pool) {
      error_code ignored;
      idle.socket.close(ignored);
    }
    pool.clear();
  }
}

}  // namespace meshwasm::gateway
