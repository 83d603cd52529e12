#include "meshwasm/gateway/gateway.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "access_log.h"
#include "admin.h"
#include "plugin_chain.h"
#include "session.h"
#include "worker.h"

namespace meshwasm::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

void Worker::adopt(tcp::socket socket) {
  if (draining) {
    error_code ignored;
    socket.close(ignored);
    return;
  }
  auto session = std::make_shared<Session>(*this, std::move(socket));
  session->start();
}

void Worker::closeAll() {
  std::vector<Session*> copy(sessions.begin(), sessions.end());
  for (Session* s : copy) {
    if (sessions.count(s)) s->abort();
  }
}

void Worker::drain() {
  draining = true;
  std::vector<Session*> copy(sessions.begin(), sessions.end());
  for (Session* s : copy) {
    if (sessions.count(s)) s->drain();
  }
}

namespace {

// Connections accepted per readiness of the listener before it is waited for again.
constexpr int kAcceptBatch = 64;

// A descriptor on its way from the acceptor to a worker: closed if it never gets there (a
// worker stopped before running the hand-over).
struct AcceptedFd {
  explicit AcceptedFd(int fd) : fd(fd) {}
  AcceptedFd(const AcceptedFd&) = delete;
  AcceptedFd& operator=(const AcceptedFd&) = delete;
  ~AcceptedFd() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

Status bindAcceptor(tcp::acceptor& acceptor, const std::string& host, uint16_t port,
                    const char* what) {
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  auto fail = [&](const error_code& e) {
    return Status::error(std::string("cannot listen on ") + host + ":" + std::to_string(port) +
                         " (" + what + "): " + e.message());
  };
  if (ec) return fail(ec);
  tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail(ec);
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) return fail(ec);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec);
  acceptor.non_blocking(true, ec);  // accept4() is called when the listener is readable
  if (ec) return fail(ec);
  return Status::ok();
}

class GatewayImpl final : public Gateway {
 public:
  explicit GatewayImpl(GatewayConfig config)
      : config_(std::move(config)),
        access_log_(stdout),
        acceptor_(io_),
        signals_(io_, SIGINT, SIGTERM),
        flush_timer_(io_),
        drain_timer_(io_),
        accept_retry_(io_) {}

  Status init() {
    int n = config_.workers > 0 ? config_.workers
                                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (!config_.plugins.empty()) {
      auto chain = loadPluginChain(config_, stats_);
      if (!chain) return chain.status();
      chain_ = std::move(chain.value());
    }
    if (Status s = bindAcceptor(acceptor_, config_.listen_host, config_.listen_port, "listener");
        !s) {
      return s;
    }
    protocol_ = acceptor_.local_endpoint().protocol();
    admin_ = std::make_unique<AdminServer>(io_, stats_, chain_.get(), [this] { stop(); },
                                           &draining_);
    if (Status s = admin_->bind(config_.admin_host, config_.admin_port); !s) return s;
    for (int i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, config_, stats_,
                                                  config_.access_log ? &access_log_ : nullptr));
    }
    std::vector<const HttpStats*> http_stats;
    for (const auto& w : workers_) http_stats.push_back(&w->http_stats);
    HttpStats::publish(stats_, std::move(http_stats));
    stats_.gauge("server.concurrency").store(n);
    return Status::ok();
  }

  uint16_t listenPort() const override { return acceptor_.local_endpoint().port(); }
  uint16_t adminPort() const override { return admin_->port(); }

  int run() override {
    std::vector<std::thread> threads;
    std::atomic<int> started{0};
    for (auto& w : workers_) {
      threads.emplace_back([this, &w, &started] {
        if (chain_) chain_->startWorker(*w);
        started.fetch_add(1);
        auto guard = asio::make_work_guard(w->io);
        w->io.run();
        w->io.restart();
        w->io.poll();  // completes the handlers of connections closed at shutdown
        w->clusters.closeIdle();
      });
    }
    while (started.load() < static_cast<int>(workers_.size())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    stats_.gauge("server.live").store(1);
    signals_.async_wait([this](const error_code& ec, int) {
      if (!ec) beginShutdown();
    });
    accept();
    admin_->start();
    armFlush();
    io_.run();
    // Workers are idle (or the drain time ran out): plugins shut down on their threads.
    for (auto& w : workers_) {
      asio::post(w->io, [this, &w] {
        w->closeAll();
        if (chain_) chain_->stopWorker(*w);
        w->filter_factories.clear();
        w->io.stop();
      });
    }
    for (auto& t : threads) t.join();
    access_log_.flush();
    std::fprintf(stderr, "meshwasm run: stopped\n");
    return 0;
  }

  void stop() override {
    asio::post(io_, [this] { beginShutdown(); });
  }

 private:
  // Accepts on the main thread with accept4() itself and hands the bare descriptor to a worker,
  // which registers it with its own reactor: a worker's io_context is built for one thread
  // (BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO), so no other thread may register sockets with it.
  void accept() {
    acceptor_.async_wait(tcp::acceptor::wait_read, [this](const error_code& ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      for (int i = 0; i < kAcceptBatch; ++i) {
        int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          // Out of descriptors or memory: try again shortly instead of spinning.
          std::fprintf(stderr, "meshwasm run: accept failed: %s\n", std::strerror(errno));
          accept_retry_.expires_after(std::chrono::milliseconds(50));
          accept_retry_.async_wait([this](const error_code& e) {
            if (!e) accept();
          });
          return;
        }
        Worker& w = *workers_[next_worker_++ % workers_.size()];
        auto accepted = std::make_shared<AcceptedFd>(fd);
        asio::post(w.io, [&w, accepted, protocol = protocol_] {
          tcp::socket socket(w.io);
          error_code assign_ec;
          socket.assign(protocol, accepted->fd, assign_ec);
          if (assign_ec) return;  // AcceptedFd closes it
          accepted->fd = -1;
          w.adopt(std::move(socket));
        });
      }
      accept();
    });
  }

  void armFlush() {
    flush_timer_.expires_after(std::chrono::milliseconds(200));
    flush_timer_.async_wait([this](const error_code& ec) {
      if (ec) return;
      access_log_.flush();
      armFlush();
    });
  }

  void beginShutdown() {
    if (draining_.exchange(true)) return;
    std::fprintf(stderr, "meshwasm run: draining (up to %lld ms)\n",
                 static_cast<long long>(config_.drain_timeout.count()));
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    signals_.cancel(ignored);
    for (auto& w : workers_) {
      asio::post(w->io, [&w] { w->drain(); });
    }
    drain_deadline_ = std::chrono::steady_clock::now() + config_.drain_timeout;
    pollDrained();
  }

  void pollDrained() {
    // Asks every worker how many connections it still has.
    auto remaining = std::make_shared<std::atomic<size_t>>(0);
    auto pending = std::make_shared<std::atomic<size_t>>(workers_.size());
    for (auto& w : workers_) {
      asio::post(w->io, [this, &w, remaining, pending] {
        remaining->fetch_add(w->sessions.size());
        if (pending->fetch_sub(1) == 1) {
          asio::post(io_, [this, remaining] { onDrainPoll(remaining->load()); });
        }
      });
    }
  }

  void onDrainPoll(size_t remaining) {
    if (remaining == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
      if (remaining) std::fprintf(stderr, "meshwasm run: %zu connections cut at drain timeout\n",
                                  remaining);
      flush_timer_.cancel();
      admin_->close();
      io_.stop();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](const error_code& ec) {
      if (!ec) pollDrained();
    });
  }

  GatewayConfig config_;
  Stats stats_;
  AccessLog access_log_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer flush_timer_;
  asio::steady_timer drain_timer_;
  asio::steady_timer accept_retry_;
  tcp protocol_ = tcp::v4();
  std::unique_ptr<PluginChain> chain_;
  std::unique_ptr<AdminServer> admin_;
  std::vector<std::unique_ptr<Worker>> workers_;
  size_t next_worker_ = 0;
  std::atomic<bool> draining_{false};
  std::chrono::steady_clock::time_point drain_deadline_;
};

}  // namespace

StatusOr<std::unique_ptr<Gateway>> Gateway::create(GatewayConfig config) {
  if (Status s = finalizeConfig(&config); !s) return s;
  auto gateway = std::make_unique<GatewayImpl>(std::move(config));
  if (Status s = gateway->init(); !s) return s;
  return std::unique_ptr<Gateway>(std::move(gateway));
}

}  // namespace meshwasm::gateway
