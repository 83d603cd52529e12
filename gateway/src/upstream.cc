#include "upstream.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <vector>

#include "http_codec.h"
#include "httpbin.h"
#include "socket_reader.h"

namespace meshwasm::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

class UpstreamConnection;

struct ClusterManager::Cluster {
  explicit Cluster(ClusterConfig c) : config(std::move(c)) {}

  // The most recently pooled idle connection, or nullptr.
  std::shared_ptr<UpstreamConnection> takeIdle();
  // Pools a connection whose response completed cleanly (closes it when the pool is full).
  void release(std::shared_ptr<UpstreamConnection> connection);
  void removeIdle(UpstreamConnection& connection);
  void closeIdle();

  ClusterConfig config;
  bool configured = true;  // false: only counted (counters() of a cluster not in the config)
  tcp::endpoint endpoint;
  std::string host;  // endpoint text for the access log: "127.0.0.1:8000"
  bool counters_ready = false;
  ClusterCounters counters;
  // Connect deadlines: every connect of a cluster has the same timeout.
  std::unique_ptr<DeadlineQueue> connect_deadlines;
  std::vector<std::shared_ptr<UpstreamConnection>> idle;
};

namespace {
class TcpUpstreamRequest;
}  // namespace

// One connection to a cluster, used by one request at a time. Its read stays outstanding while
// it is open: the bytes go to the request using it, and while it is pooled any completion (the
// upstream closed it, an error, unexpected bytes) takes it out of the pool. So a reused
// connection needs no probe, and its request is sent before any new read is armed. It keeps the
// read buffer and the response decoder from one request to the next.
class UpstreamConnection final : public MessageCallbacks,
                                 public std::enable_shared_from_this<UpstreamConnection> {
 public:
  UpstreamConnection(ClusterManager::Cluster& cluster, asio::io_context& io)
      : socket(io),
        reader(socket, &UpstreamConnection::readDone, this),
        decoder(MessageDecoder::forResponses(*this)),
        cluster_(cluster) {}

  void read() {
    if (reading) return;
    reading = true;
    // Always tried first: a pooled connection's FIN may come with the response's last bytes,
    // and the try notices it before the connection is used again.
    reader.start(asio::buffer(buffer), shared_from_this(), SocketReader::Wait::TryFirst);
  }
  void close() {
    if (idle) cluster_.removeIdle(*this);
    user = nullptr;
    error_code ignored;
    socket.close(ignored);
  }

  // MessageCallbacks: the response events go to the request using the connection.
  void onHeaders(HeaderMap headers, bool end_stream) override;
  void onData(std::string_view data, bool end_stream) override;
  void onTrailers(HeaderMap trailers) override;

  ReactorSocket socket;
  SocketReader reader;
  std::unique_ptr<MessageDecoder> decoder;
  std::string in;                      // received bytes the decoder has not taken yet
  TcpUpstreamRequest* user = nullptr;  // nullptr while pooled or closed
  size_t idle_index = 0;               // position in the cluster's idle list
  bool idle = false;
  bool reading = false;
  std::array<char, 16384> buffer;  // not zeroed

 private:
  static void readDone(void* connection, const error_code& ec, size_t n) {
    static_cast<UpstreamConnection*>(connection)->onRead(ec, n);
  }
  void onRead(const error_code& ec, size_t n);

  ClusterManager::Cluster& cluster_;
};

namespace {

class TcpUpstreamRequest final : public UpstreamRequest,
                                 public DeadlineQueue::Entry,
                                 public std::enable_shared_from_this<TcpUpstreamRequest> {
 public:
  TcpUpstreamRequest(ClusterManager::Cluster& cluster, UpstreamCallbacks& cb)
      : cluster_(cluster), counters_(cluster.counters), cb_(&cb), connect_deadline_(*this) {}
  ~TcpUpstreamRequest() override {
    if (conn_ && conn_->user == this) conn_->close();
  }

  void start(asio::io_context& io) {
    counters_.rq_total->fetch_add(1, std::memory_order_relaxed);
    conn_ = cluster_.takeIdle();
    if (conn_) {
      // Its read is outstanding since it was pooled: the response arrives through it.
      conn_->user = this;
      connected_ = true;
      return;
    }
    counters_.cx_total->fetch_add(1, std::memory_order_relaxed);
    conn_ = std::make_shared<UpstreamConnection>(cluster_, io);
    conn_->user = this;
    if (cluster_.config.connect_timeout.count() > 0) {
      cluster_.connect_deadlines->add(
          connect_deadline_, std::chrono::steady_clock::now() + cluster_.config.connect_timeout);
    }
    conn_->socket.async_connect(
        cluster_.endpoint, [self = shared_from_this(), conn = conn_,  // conn outlives the mark
                            connecting = SocketReader::OtherOperation(conn_->reader)](
                               const error_code& ec) {
          DeadlineQueue::remove(self->connect_deadline_);
          if (self->done()) return;
          if (ec) {
            self->fail(UpstreamFailure::ConnectFailure);
            return;
          }
          UpstreamConnection& c = *self->conn_;
          error_code ignored;
          c.socket.set_option(tcp::no_delay(true), ignored);
          c.socket.non_blocking(true, ignored);  // writes are direct non-blocking sends
          self->connected_ = true;
          self->flush();  // the request goes out before the read is armed
          if (!self->closed_) c.read();
        });
  }

  void sendHeaders(const HeaderMap& headers, bool end_stream) override {
    RequestHeadInfo info = scanRequestHead(headers);  // one pass for everything below
    chunked_ = !end_stream && !info.has_content_length;
    if (conn_) conn_->decoder->setHeadResponse(info.method == "HEAD");
    appendRequestHead(out_, headers, info, chunked_);
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
  std::string upstreamHost() const override { return cluster_.host; }

  // Response events, from the connection's decoder.
  void onHeaders(HeaderMap headers, bool end_stream) {
    // The response decoder puts :status first.
    std::string_view status;
    if (!headers.empty()) status = headers.entries().front().second;
    if (status.size() == 3 && status[0] == '1' && status != "101") {
      informational_ = true;  // 100 Continue and friends are not forwarded
      return;
    }
    headers_received_ = true;
    if (end_stream) finishResponse();
    if (cb_) cb_->onUpstreamHeaders(std::move(headers), end_stream);
  }
  void onData(std::string_view data, bool end_stream) {
    if (end_stream) finishResponse();
    if (cb_) cb_->onUpstreamData(data, end_stream);
  }
  void onTrailers(HeaderMap trailers) {
    finishResponse();
    if (cb_) cb_->onUpstreamTrailers(std::move(trailers));
  }

  // A read of the connection completed while this request uses it.
  void onConnectionRead(UpstreamConnection& c, const error_code& ec, size_t n) {
    if (closed_ || failed_) return;
    auto self = shared_from_this();  // the receiver may drop this request during the event
    EventGuard event(cb_ ? cb_->eventBatch() : nullptr);
    if (ec) {
      if (ec == asio::error::eof && c.decoder->started() && !response_done_ &&
          c.decoder->feedEof()) {
        close();
        return;
      }
      if (!response_done_) fail(UpstreamFailure::Reset);
      close();
      return;
    }
    c.in.append(c.buffer.data(), n);
    while (!c.in.empty() && !response_done_ && !failed_ && !closed_) {
      size_t consumed = 0;
      DecodeResult r = c.decoder->feed(c.in, &consumed);
      c.in.erase(0, consumed);
      if (r != DecodeResult::Ok) {
        fail(UpstreamFailure::Reset);
        return;
      }
      if (informational_ && c.decoder->complete()) {
        informational_ = false;
        c.decoder->reset();
        continue;
      }
      if (consumed == 0) break;
    }
    if (failed_ || closed_) return;
    if (response_done_) {
      bool reusable = c.decoder->keepAlive() && request_done_ && c.in.empty() && !writing_;
      if (reusable) {
        closed_ = true;
        c.user = nullptr;
        c.decoder->reset();
        cluster_.release(std::move(conn_));
      } else {
        close();
      }
      return;
    }
    if (cb_ == nullptr) {
      close();
      return;
    }
    c.read();
  }

 private:
  // Brackets one read event on the receiver's batch (see UpstreamCallbacks::eventBatch).
  class EventGuard {
   public:
    explicit EventGuard(EventBatch* batch) : batch_(batch) {
      if (batch_) batch_->enterEvent();
    }
    ~EventGuard() {
      if (batch_) batch_->leaveEvent();
    }
    EventGuard(const EventGuard&) = delete;
    EventGuard& operator=(const EventGuard&) = delete;

   private:
    EventBatch* batch_;
  };

  class ConnectDeadline final : public DeadlineQueue::Entry {
   public:
    explicit ConnectDeadline(TcpUpstreamRequest& request) : request_(request) {}
    void onDeadline() override {
      if (!request_.connected_) request_.fail(UpstreamFailure::ConnectFailure);
    }

   private:
    TcpUpstreamRequest& request_;
  };

  bool done() const { return closed_ || failed_ || (cb_ == nullptr && !response_done_); }

  void requestComplete() {
    request_done_ = true;
    if (cluster_.config.timeout.count() > 0) {
      counters_.deadlines->add(*this, std::chrono::steady_clock::now() + cluster_.config.timeout);
    }
  }

  void onDeadline() override {
    if (response_done_ || closed_ || failed_) return;
    auto self = shared_from_this();
    counters_.rq_timeout->fetch_add(1, std::memory_order_relaxed);
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
    size_t n = sendNow(conn_->socket.native_handle(), write_buf_.data(), write_buf_.size(), wec);
    if (wec && wec != asio::error::would_block && wec != asio::error::try_again) {
      write_buf_.clear();
      writing_ = true;  // nothing more is written
      auto self = shared_from_this();
      asio::post(conn_->socket.get_executor(), [self] {
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
    asio::async_write(conn_->socket, asio::buffer(write_buf_) + n,
                      [self, conn = conn_,  // conn outlives the mark
                       other = SocketReader::OtherOperation(conn_->reader)](
                          const error_code& ec, size_t) {
                        self->writing_ = false;
                        self->write_buf_.clear();
                        if (ec) {
                          if (!self->response_done_) self->fail(UpstreamFailure::Reset);
                          return;
                        }
                        self->flush();
                      });
  }

  void fail(UpstreamFailure failure) {
    if (failed_ || response_done_) return;
    failed_ = true;
    if (failure == UpstreamFailure::ConnectFailure) {
      counters_.cx_connect_fail->fetch_add(1, std::memory_order_relaxed);
    }
    close();
    UpstreamCallbacks* cb = cb_;
    cb_ = nullptr;
    if (cb) cb->onUpstreamFailure(failure, headers_received_);
  }

  // Closes the connection (kept until this request goes: a write may still use its socket).
  void close() {
    if (closed_) return;
    closed_ = true;
    DeadlineQueue::remove(connect_deadline_);
    DeadlineQueue::remove(*this);
    if (conn_) conn_->close();
  }

  ClusterManager::Cluster& cluster_;
  const ClusterManager::ClusterCounters& counters_;
  UpstreamCallbacks* cb_;
  std::shared_ptr<UpstreamConnection> conn_;
  ConnectDeadline connect_deadline_;
  std::string out_;
  std::string write_buf_;
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

DeadlineQueue::Entry::~Entry() {
  DeadlineQueue::remove(*this);
}

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
    // Only the queue's destruction cancels the wait: `this` is gone then.
    if (ec == asio::error::operation_aborted) return;
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

void UpstreamConnection::onRead(const error_code& ec, size_t n) {
  reading = false;
  if (user != nullptr) {
    user->onConnectionRead(*this, ec, n);
    return;
  }
  // Pooled (or already closed): the upstream closed it, it failed, or it sent bytes nobody asked
  // for. None of that is usable for the next request.
  if (ec == asio::error::operation_aborted && !idle) return;
  close();
}

void UpstreamConnection::onHeaders(HeaderMap headers, bool end_stream) {
  if (user) user->onHeaders(std::move(headers), end_stream);
}
void UpstreamConnection::onData(std::string_view data, bool end_stream) {
  if (user) user->onData(data, end_stream);
}
void UpstreamConnection::onTrailers(HeaderMap trailers) {
  if (user) user->onTrailers(std::move(trailers));
}

std::shared_ptr<UpstreamConnection> ClusterManager::Cluster::takeIdle() {
  if (idle.empty()) return nullptr;
  std::shared_ptr<UpstreamConnection> c = std::move(idle.back());
  idle.pop_back();
  c->idle = false;
  return c;
}

void ClusterManager::Cluster::release(std::shared_ptr<UpstreamConnection> connection) {
  if (idle.size() >= config.max_idle_connections) {
    connection->close();
    return;
  }
  connection->idle = true;
  connection->idle_index = idle.size();
  connection->read();  // notices a close by the upstream while pooled
  idle.push_back(std::move(connection));
}

void ClusterManager::Cluster::removeIdle(UpstreamConnection& connection) {
  size_t i = connection.idle_index;
  connection.idle = false;
  if (i >= idle.size() || idle[i].get() != &connection) return;
  if (i + 1 != idle.size()) {
    idle[i] = std::move(idle.back());
    idle[i]->idle_index = i;
  }
  idle.pop_back();  // may destroy `connection` when no read holds it
}

void ClusterManager::Cluster::closeIdle() {
  std::vector<std::shared_ptr<UpstreamConnection>> closing;
  closing.swap(idle);
  for (auto& c : closing) {
    c->idle = false;
    c->close();
  }
}

ClusterManager::ClusterManager(asio::io_context& io, const GatewayConfig& config, Stats& stats)
    : io_(io), config_(config), stats_(stats) {
  for (const auto& c : config_.clusters) find(c.name);
}

ClusterManager::~ClusterManager() {
  closeIdle();
}

ClusterManager::Cluster* ClusterManager::find(std::string_view name) {
  if (last_ && name == last_name_) return last_;
  auto it = clusters_.find(name);
  if (it != clusters_.end()) {
    if (!it->second->configured) return nullptr;
    last_name_ = name;
    last_ = it->second.get();
    return last_;
  }
  const ClusterConfig* c = findCluster(config_, name);
  if (c == nullptr) return nullptr;
  auto cluster = std::make_unique<Cluster>(*c);
  if (!c->builtin_httpbin) {
    error_code ec;
    auto address = asio::ip::make_address(c->host, ec);
    if (!ec) {
      cluster->endpoint = tcp::endpoint(address, c->port);
    } else {
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(c->host, std::to_string(c->port), ec);
      if (!ec && !results.empty()) cluster->endpoint = results.begin()->endpoint();
    }
    cluster->host =
        cluster->endpoint.address().to_string() + ":" + std::to_string(cluster->endpoint.port());
  }
  return clusters_.emplace(std::string(name), std::move(cluster)).first->second.get();
}

ClusterManager::Cluster& ClusterManager::ready(Cluster& cluster) {
  if (cluster.counters_ready) return cluster;
  cluster.counters_ready = true;
  const ClusterConfig& config = cluster.config;
  const std::string prefix =
      config.builtin_httpbin ? std::string("cluster.httpbin.") : "cluster." + config.name + ".";
  ClusterCounters& c = cluster.counters;
  c.rq_total = &stats_.counter(prefix + "upstream_rq_total");
  if (!config.builtin_httpbin) {
    c.cx_connect_fail = &stats_.counter(prefix + "upstream_cx_connect_fail");
    c.rq_timeout = &stats_.counter(prefix + "upstream_rq_timeout");
    c.cx_total = &stats_.counter(prefix + "upstream_cx_total");
    c.deadlines = std::make_unique<DeadlineQueue>(io_);
    cluster.connect_deadlines = std::make_unique<DeadlineQueue>(io_);
  }
  return cluster;
}

const ClusterConfig* ClusterManager::cluster(std::string_view name) const {
  return findCluster(config_, name);
}

std::shared_ptr<UpstreamRequest> ClusterManager::newRequest(std::string_view name,
                                                            UpstreamCallbacks& callbacks,
                                                            const UpstreamContext& context) {
  Cluster* found = find(name);
  if (found == nullptr) return nullptr;
  Cluster& c = ready(*found);
  if (c.config.builtin_httpbin) {
    c.counters.rq_total->fetch_add(1, std::memory_order_relaxed);
    return newHttpbinRequest(io_, callbacks, context);
  }
  auto request = std::make_shared<TcpUpstreamRequest>(c, callbacks);
  request->start(io_);
  return request;
}

const ClusterManager::ClusterCounters& ClusterManager::counters(const ClusterConfig& cluster) {
  Cluster* c = find(cluster.name);
  if (c == nullptr) {  // not in the configuration: counted under its name all the same
    auto it = clusters_.find(cluster.name);
    if (it == clusters_.end()) {
      it = clusters_.emplace(cluster.name, std::make_unique<Cluster>(cluster)).first;
      it->second->configured = false;
    }
    c = it->second.get();
  }
  return ready(*c).counters;
}

void ClusterManager::closeIdle() {
  for (auto& [name, cluster] : clusters_) cluster->closeIdle();
}

size_t ClusterManager::idleCount(std::string_view name) const {
  auto it = clusters_.find(name);
  return it == clusters_.end() ? 0 : it->second->idle.size();
}

}  // namespace meshwasm::gateway
