// The upstream connection pool against a scripted loopback server: reuse, a pooled connection's
// outstanding read noticing an upstream close or stray bytes, what is never pooled, and the
// failures (UF refused, UC reset, UT timeout).
#include "upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace meshwasm::gateway {
namespace {

using namespace std::chrono_literals;

// One accepted connection of the scripted server: blocking calls; a receive gives up after 5 s
// or when the server stops.
class ServerConn {
 public:
  ServerConn(int fd, const std::atomic<bool>& stopping) : fd_(fd), stopping_(stopping) {
    timeval tv{0, 20000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~ServerConn() { close(); }
  // The next request head ("" when the peer closed or nothing came).
  std::string readRequest() {
    while (true) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = buf_.substr(0, end + 4);
        buf_.erase(0, end + 4);
        return head;
      }
      char tmp[4096];
      ssize_t n = receive(tmp, sizeof tmp);
      if (n <= 0) return "";
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  void send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // True when the peer closed (a read returns 0) within the receive timeout.
  bool peerClosed() {
    char tmp[256];
    while (true) {
      ssize_t n = receive(tmp, sizeof tmp);
      if (n == 0) return true;
      if (n < 0) return false;
    }
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  ssize_t receive(char* data, size_t size) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (true) {
      ssize_t n = ::recv(fd_, data, size, 0);
      if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return n;
      if (stopping_.load() || std::chrono::steady_clock::now() > deadline) return -1;
    }
  }

  int fd_;
  const std::atomic<bool>& stopping_;
  std::string buf_;
};

// Accepts on 127.0.0.1 (free port) and runs `script` for each connection on its own thread.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<void(ServerConn&, int index)> script)
      : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] {
      for (int index = 0;; ++index) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        accepted_.fetch_add(1);
        std::lock_guard<std::mutex> lock(mutex_);
        handlers_.emplace_back([this, c, index] {
          ServerConn conn(c, stopping_);
          script_(conn, index);
        });
      }
    });
  }
  ~ScriptedServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    ::close(fd_);
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& t : handlers_) t.join();
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  std::function<void(ServerConn&, int)> script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> handlers_;
};

// A port with nothing listening (bound, then closed).
uint16_t closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

const std::string kTeapot =
    "HTTP/1.1 418 I'm a teapot\r\ncontent-length: 6\r\ncontent-type: text/plain\r\n\r\nteapot";

// Counts the event brackets the upstream opens and closes.
struct CountingBatch : EventBatch {
  void enterEvent() override { ++entered; }
  void leaveEvent() override { ++left; }
  int entered = 0;
  int left = 0;
};

// What one request reported.
struct Recorder : UpstreamCallbacks {
  void onUpstreamHeaders(HeaderMap h, bool end_stream) override {
    status = std::string(h.get(":status").value_or(""));
    events.push_back("headers");
    if (end_stream) done = true;
  }
  void onUpstreamData(std::string_view data, bool end_stream) override {
    body.append(data);
    if (end_stream) done = true;
  }
  void onUpstreamTrailers(HeaderMap) override { done = true; }
  void onUpstreamFailure(UpstreamFailure f, bool) override {
    failure = f;
    done = true;
  }
  EventBatch* eventBatch() override { return &batch; }

  std::string status;
  std::string body;
  std::vector<std::string> events;
  std::optional<UpstreamFailure> failure;
  bool done = false;
  CountingBatch batch;
};

class UpstreamPool : public ::testing::Test {
 protected:
  void configure(uint16_t port, std::chrono::milliseconds timeout = 5000ms, size_t max_idle = 64) {
    ClusterConfig c;
    c.name = "backend";
    c.host = "127.0.0.1";
    c.port = port;
    c.timeout = timeout;
    c.max_idle_connections = max_idle;
    config_.clusters.push_back(c);
    cm_ = std::make_unique<ClusterManager>(io_, config_, stats_);
  }

  HeaderMap get(std::string method = "GET") {
    HeaderMap h;
    h.add(":method", method);
    h.add(":path", "/status/418");
    h.add(":authority", "backend");
    return h;
  }

  // Sends one request and runs the loop until it completed or failed.
  std::shared_ptr<UpstreamRequest> send(Recorder& r, std::string method = "GET") {
    auto request = cm_->newRequest("backend", r, UpstreamContext{"127.0.0.1"});
    if (!request) return nullptr;
    request->sendHeaders(get(std::move(method)), true);
    runUntil([&] { return r.done; });
    return request;
  }

  void runUntil(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!condition() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(5ms);
      if (io_.stopped()) io_.restart();
    }
  }

  uint64_t counter(const std::string& name) { return stats_.counter(name).load(); }

  boost::asio::io_context io_;
  GatewayConfig config_;
  Stats stats_;
  std::unique_ptr<ClusterManager> cm_;
};

TEST_F(UpstreamPool, KeepAliveConnectionIsReusedForTheNextRequest) {
  ScriptedServer server([](ServerConn& c, int) {
    while (!c.readRequest().empty()) c.send(kTeapot);
  });
  configure(server.port());
  for (int i = 0; i < 3; ++i) {
    Recorder r;
    auto request = send(r);
    ASSERT_TRUE(request);
    EXPECT_EQ(r.status, "418");
    EXPECT_EQ(r.body, "teapot");
    EXPECT_FALSE(r.failure);
    EXPECT_EQ(r.batch.entered, r.batch.left);
    EXPECT_GE(r.batch.entered, 1);
    EXPECT_EQ(request->upstreamHost(), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(cm_->idleCount("backend"), 1u);
  }
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(counter("cluster.backend.upstream_cx_total"), 1u);
  EXPECT_EQ(counter("cluster.backend.upstream_rq_total"), 3u);
}

TEST_F(UpstreamPool, UpstreamClosingAPooledConnectionTakesItOutOfThePool) {
  ScriptedServer server([](ServerConn& c, int) {
    if (c.readRequest().empty()) return;
    c.send(kTeapot);  // keep-alive by the headers, then closed while idle
    c.close();
  });
  configure(server.port());
  Recorder first;
  send(first);
  EXPECT_EQ(first.status, "418");
  // The pooled connection's outstanding read sees the close.
  runUntil([&] { return cm_->idleCount("backend") == 0; });
  EXPECT_EQ(cm_->idleCount("backend"), 0u);
  Recorder second;
  send(second);
  EXPECT_FALSE(second.failure);
  EXPECT_EQ(second.status, "418");
  EXPECT_EQ(second.body, "teapot");
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(UpstreamPool, StrayBytesOnAPooledConnectionTakeItOutOfThePool) {
  ScriptedServer server([](ServerConn& c, int index) {
    if (c.readRequest().empty()) return;
    c.send(kTeapot);
    if (index == 0) {
      std::this_thread::sleep_for(50ms);
      c.send("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");  // nobody asked
    }
    c.peerClosed();
  });
  configure(server.port());
  Recorder first;
  send(first);
  EXPECT_EQ(first.status, "418");
  runUntil([&] { return cm_->idleCount("backend") == 0; });
  EXPECT_EQ(cm_->idleCount("backend"), 0u);
  Recorder second;
  send(second);
  EXPECT_EQ(second.status, "418");
  EXPECT_EQ(second.body, "teapot");
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(UpstreamPool, ConnectionCloseLeftoverBytesAndAFullPoolAreNotPooled) {
  ScriptedServer server([](ServerConn& c, int index) {
    if (c.readRequest().empty()) return;
    if (index == 0) {
      c.send("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok");
    } else {
      c.send(kTeapot + "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");  // one too many
    }
    c.peerClosed();
  });
  configure(server.port());
  Recorder closing;
  send(closing);
  EXPECT_EQ(closing.status, "200");
  EXPECT_EQ(closing.body, "ok");
  EXPECT_EQ(cm_->idleCount("backend"), 0u);
  Recorder leftover;
  send(leftover);
  EXPECT_EQ(leftover.status, "418");
  EXPECT_EQ(leftover.body, "teapot");
  EXPECT_EQ(cm_->idleCount("backend"), 0u);
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(UpstreamPool, PoolOfSizeZeroKeepsNothing) {
  ScriptedServer server([](ServerConn& c, int) {
    if (c.readRequest().empty()) return;
    c.send(kTeapot);
    c.peerClosed();
  });
  configure(server.port(), 5000ms, 0);
  for (int i = 0; i < 2; ++i) {
    Recorder r;
    send(r);
    EXPECT_EQ(r.body, "teapot");
    EXPECT_EQ(cm_->idleCount("backend"), 0u);
  }
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(UpstreamPool, HeadAndInformationalResponsesKeepTheConnectionInStep) {
  ScriptedServer server([](ServerConn& c, int) {
    std::string head = c.readRequest();
    if (head.rfind("HEAD ", 0) != 0) return;
    c.send("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n");  // no body: HEAD
    if (c.readRequest().empty()) return;
    c.send("HTTP/1.1 100 Continue\r\n\r\n" + kTeapot);
    if (c.readRequest().empty()) return;
    c.send("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    c.peerClosed();
  });
  configure(server.port());
  Recorder head;
  send(head, "HEAD");
  EXPECT_EQ(head.status, "200");
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(cm_->idleCount("backend"), 1u);
  Recorder informational;
  send(informational);
  EXPECT_EQ(informational.status, "418");
  EXPECT_EQ(informational.events, std::vector<std::string>{"headers"});
  EXPECT_EQ(informational.body, "teapot");
  Recorder chunked;
  send(chunked);
  EXPECT_EQ(chunked.status, "200");
  EXPECT_EQ(chunked.body, "abc");
  EXPECT_EQ(cm_->idleCount("backend"), 1u);
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(UpstreamPool, BodyReadToEofIsDeliveredAndNotPooled) {
  ScriptedServer server([](ServerConn& c, int) {
    if (c.readRequest().empty()) return;
    c.send("HTTP/1.1 200 OK\r\n\r\nuntil the end");
    c.close();
  });
  configure(server.port());
  Recorder r;
  send(r);
  EXPECT_FALSE(r.failure);
  EXPECT_EQ(r.status, "200");
  EXPECT_EQ(r.body, "until the end");
  EXPECT_EQ(cm_->idleCount("backend"), 0u);
}

TEST_F(UpstreamPool, RefusedConnectIsAConnectFailure) {
  configure(closedPort());
  Recorder r;
  send(r);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, UpstreamFailure::ConnectFailure);
  EXPECT_EQ(counter("cluster.backend.upstream_cx_connect_fail"), 1u);
}

TEST_F(UpstreamPool, ConnectTimeoutIsAConnectFailure) {
  // A listener whose accept queue is full: further SYNs are dropped, so connects hang.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listener, 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(f, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(f);
  }
  ClusterConfig c;
  c.name = "backend";
  c.host = "127.0.0.1";
  c.port = ntohs(addr.sin_port);
  c.connect_timeout = 150ms;
  config_.clusters.push_back(c);
  cm_ = std::make_unique<ClusterManager>(io_, config_, stats_);
  Recorder r;
  auto started = std::chrono::steady_clock::now();
  send(r);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, UpstreamFailure::ConnectFailure);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 140ms);
  EXPECT_EQ(counter("cluster.backend.upstream_cx_connect_fail"), 1u);
  for (int f : fillers) ::close(f);
  ::close(listener);
}

TEST_F(UpstreamPool, CloseMidResponseIsAReset) {
  ScriptedServer server([](ServerConn& c, int) {
    if (c.readRequest().empty()) return;
    c.send("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial");
    c.close();
  });
  configure(server.port());
  Recorder r;
  send(r);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, UpstreamFailure::Reset);
  EXPECT_EQ(r.status, "200");
  EXPECT_EQ(cm_->idleCount("backend"), 0u);
}

TEST_F(UpstreamPool, NoResponseWithinTheTimeoutIsATimeoutOnAReusedConnectionToo) {
  ScriptedServer server([](ServerConn& c, int) {
    if (c.readRequest().empty()) return;
    c.send(kTeapot);
    if (c.readRequest().empty()) return;  // the second request gets no answer
    c.peerClosed();
  });
  configure(server.port(), 200ms);
  Recorder first;
  send(first);
  EXPECT_EQ(first.body, "teapot");
  Recorder second;
  send(second);
  ASSERT_TRUE(second.failure);
  EXPECT_EQ(*second.failure, UpstreamFailure::Timeout);
  EXPECT_EQ(counter("cluster.backend.upstream_rq_timeout"), 1u);
  EXPECT_EQ(cm_->idleCount("backend"), 0u);
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(UpstreamPool, CancelledRequestClosesItsConnection) {
  std::atomic<bool> closed{false};
  ScriptedServer server([&](ServerConn& c, int) {
    if (c.readRequest().empty()) return;
    closed = c.peerClosed();
  });
  configure(server.port());
  Recorder r;
  auto request = cm_->newRequest("backend", r, UpstreamContext{"127.0.0.1"});
  request->sendHeaders(get(), true);
  runUntil([&] { return server.accepted() == 1; });
  io_.run_for(50ms);
  request->cancel();
  request.reset();
  runUntil([&] { return closed.load(); });
  EXPECT_TRUE(closed.load());
  EXPECT_FALSE(r.done);
  EXPECT_EQ(cm_->idleCount("backend"), 0u);
}

TEST_F(UpstreamPool, CloseIdleClosesThePooledConnections) {
  std::atomic<bool> closed{false};
  ScriptedServer server([&](ServerConn& c, int) {
    if (c.readRequest().empty()) return;
    c.send(kTeapot);
    closed = c.peerClosed();
  });
  configure(server.port());
  Recorder r;
  send(r);
  EXPECT_EQ(cm_->idleCount("backend"), 1u);
  cm_->closeIdle();
  EXPECT_EQ(cm_->idleCount("backend"), 0u);
  runUntil([&] { return closed.load(); });
  EXPECT_TRUE(closed.load());
}

TEST_F(UpstreamPool, DestroyingTheManagerWithPooledConnectionsIsSafe) {
  ScriptedServer server([](ServerConn& c, int) {
    if (c.readRequest().empty()) return;
    c.send(kTeapot);
    c.peerClosed();
  });
  configure(server.port());
  Recorder r;
  send(r);
  EXPECT_EQ(cm_->idleCount("backend"), 1u);
  cm_.reset();        // the pooled connection's read is still queued in io_
  io_.run_for(20ms);  // its aborted completion runs without the manager
  SUCCEED();
}

TEST_F(UpstreamPool, UnknownClusterGetsNoRequest) {
  configure(closedPort());
  Recorder r;
  EXPECT_EQ(cm_->newRequest("nope", r, UpstreamContext{}), nullptr);
}

// A receiver may be destroyed by its own last callback (an HTTP call's collector is): the
// event's closing bracket goes to its batch, which outlives it, never to the receiver.
TEST(UpstreamEvents, ReceiverDestroyedInItsLastCallbackIsNotCalledAgain) {
  ScriptedServer server([](ServerConn& c, int) {
    while (!c.readRequest().empty()) c.send(kTeapot);
  });
  boost::asio::io_context io;
  GatewayConfig config;
  ClusterConfig cluster;
  cluster.name = "backend";
  cluster.host = "127.0.0.1";
  cluster.port = server.port();
  config.clusters.push_back(cluster);
  Stats stats;
  ClusterManager cm(io, config, stats);

  struct SelfDestroying : UpstreamCallbacks {
    CountingBatch* batch = nullptr;
    std::unique_ptr<SelfDestroying>* owner = nullptr;
    bool* done = nullptr;
    void onUpstreamHeaders(HeaderMap, bool) override {}
    void onUpstreamData(std::string_view, bool end_stream) override {
      if (!end_stream) return;
      *done = true;
      owner->reset();  // gone before the event ends
    }
    void onUpstreamTrailers(HeaderMap) override {}
    void onUpstreamFailure(UpstreamFailure, bool) override {
      *done = true;
      owner->reset();
    }
    EventBatch* eventBatch() override { return batch; }
  };
  CountingBatch batch;
  bool done = false;
  auto receiver = std::make_unique<SelfDestroying>();
  receiver->batch = &batch;
  receiver->owner = &receiver;
  receiver->done = &done;
  auto request = cm.newRequest("backend", *receiver, UpstreamContext{"127.0.0.1"});
  ASSERT_TRUE(request);
  HeaderMap h;
  h.add(":method", "GET");
  h.add(":path", "/status/418");
  h.add(":authority", "backend");
  request->sendHeaders(h, true);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.run_for(5ms);
    if (io.stopped()) io.restart();
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(receiver, nullptr);
  EXPECT_GE(batch.entered, 1);
  EXPECT_EQ(batch.entered, batch.left);
  request.reset();
}

}  // namespace
}  // namespace meshwasm::gateway
