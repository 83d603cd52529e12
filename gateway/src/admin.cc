#include "admin.h"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <memory>

#include "http_codec.h"

namespace meshwasm::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string queryValue(std::string_view query, std::string_view key) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    size_t eq = part.find('=');
    if (part.substr(0, eq) == key) {
      return eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1));
    }
    start = amp + 1;
  }
  return "";
}

bool isLevelName(std::string_view l) {
  return l == "trace" || l == "debug" || l == "info" || l == "warning" || l == "warn" ||
         l == "error" || l == "critical" || l == "off";
}

bool hasKey(std::string_view query, std::string_view key) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    if (part.substr(0, part.find('=')) == key) return true;
    start = amp + 1;
  }
  return false;
}

struct AdminConnection : std::enable_shared_from_this<AdminConnection> {
  explicit AdminConnection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  asio::streambuf in{64 * 1024};
  std::string out;
};

}  // namespace

AdminServer::AdminServer(asio::io_context& io, Stats& stats, PluginChain* chain,
                         std::function<void()> quit, const std::atomic<bool>* draining)
    : io_(io),
      acceptor_(io),
      stats_(stats),
      chain_(chain),
      quit_(std::move(quit)),
      draining_(draining) {}

Status AdminServer::bind(const std::string& host, uint16_t port) {
  error_code ec;
  auto fail = [&](const error_code& e) {
    return Status::error("cannot listen on " + host + ":" + std::to_string(port) +
                         " (admin): " + e.message());
  };
  auto address = asio::ip::make_address(host, ec);
  if (ec) return fail(ec);
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail(ec);
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) return fail(ec);
  acceptor_.listen(64, ec);
  if (ec) return fail(ec);
  return Status::ok();
}

uint16_t AdminServer::port() const {
  error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void AdminServer::start() { accept(); }

void AdminServer::close() {
  error_code ignored;
  acceptor_.close(ignored);
}

void AdminServer::accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec) {
      if (!acceptor_.is_open()) return;
    } else {
      auto conn = std::make_shared<AdminConnection>(std::move(socket));
      asio::async_read_until(
          conn->socket, conn->in, "\r\n\r\n", [this, conn](const error_code& rec, size_t) {
            if (rec) return;
            std::string head(asio::buffers_begin(conn->in.data()),
                             asio::buffers_end(conn->in.data()));
            size_t sp1 = head.find(' ');
            size_t sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
            AdminResponse r;
            if (sp2 == std::string::npos) {
              r = AdminResponse{400, "text/plain; charset=UTF-8", "Bad Request\n"};
            } else {
              r = handle(std::string_view(head).substr(0, sp1),
                         std::string_view(head).substr(sp1 + 1, sp2 - sp1 - 1));
            }
            HeaderMap h;
            h.add(":status", std::to_string(r.status));
            h.add("content-type", r.content_type);
            h.add("content-length", std::to_string(r.body.size()));
            h.add("cache-control", "no-cache, max-age=0");
            conn->out = encodeResponseHead(h, false, true) + r.body;
            asio::async_write(conn->socket, asio::buffer(conn->out),
                              [conn](const error_code&, size_t) {
                                error_code ignored;
                                conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
                                conn->socket.close(ignored);
                              });
          });
    }
    accept();
  });
}

AdminResponse AdminServer::handle(std::string_view method, std::string_view target) {
  std::string_view path = target;
  std::string_view query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  AdminResponse r;
  if (path == "/ready") {
    bool draining = draining_ && draining_->load();
    r.status = draining ? 503 : 200;
    r.body = draining ? "DRAINING\n" : "LIVE\n";
    return r;
  }
  if (path == "/stats") {
    r.body = stats_.renderText();
    return r;
  }
  if (path == "/stats/prometheus") {
    r.content_type = "text/plain; version=0.0.4";
    r.body = stats_.renderPrometheus();
    return r;
  }
  if (path == "/plugins") {
    r.content_type = "application/json";
    r.body = (chain_ ? chain_->pluginsJson() : std::string("[]")) + "\n";
    return r;
  }
  if (path == "/logging") {
    if (method != "POST") {
      r.status = 405;
      r.body = "This endpoint requires POST\n";
      return r;
    }
    std::string level;
    if (hasKey(query, "wasm")) level = queryValue(query, "wasm");
    if (hasKey(query, "level")) level = queryValue(query, "level");
    bool ok = !level.empty() || query.empty();
    if (ok && !level.empty()) ok = chain_ ? chain_->setLogLevel(level) : isLevelName(level);
    if (!ok) {
      r.status = 400;
      r.body = "invalid log level '" + level +
               "' (trace, debug, info, warning, error, critical, off)\n";
      return r;
    }
    if (!chain_ && !level.empty()) no_plugin_level_ = level;
    r.body = "active loggers:\n  wasm: " + (chain_ ? chain_->logLevel() : no_plugin_level_) +
             "\n";
    return r;
  }
  if (path == "/quitquitquit") {
    if (method != "POST") {
      r.status = 405;
      r.body = "This endpoint requires POST\n";
      return r;
    }
    r.body = "OK\n";
    if (quit_) quit_();
    return r;
  }
  if (path == "/" || path == "/help") {
    r.body =
        "admin commands are:\n"
        "  /ready: print server state, return 200 if LIVE, otherwise 503\n"
        "  /stats: print server stats\n"
        "  /stats/prometheus: print server stats in prometheus format\n"
        "  /logging (POST): change the wasm log level: ?wasm=debug or ?level=debug\n"
        "  /plugins: loaded Proxy-Wasm plugins (name, sha256, engine, state)\n"
        "  /quitquitquit (POST): drain and exit\n";
    return r;
  }
  r.status = 404;
  r.body = "invalid path. admin commands are listed at /help\n";
  return r;
}

}  // namespace meshwasm::gateway
