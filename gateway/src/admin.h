// The admin listener (Envoy's admin API subset): /ready, /stats, /stats/prometheus,
// POST /logging?wasm=LEVEL|level=LEVEL, /plugins, POST /quitquitquit. One request per
// connection, served on the main thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <string>

#include "meshwasm/abi/status.h"
#include "plugin_chain.h"
#include "stats.h"

namespace meshwasm::gateway {

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=UTF-8";
  std::string body;
};

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, Stats& stats, PluginChain* chain,
              std::function<void()> quit, const std::atomic<bool>* draining);
  Status bind(const std::string& host, uint16_t port);
  void start();
  void close();
  uint16_t port() const;

  // Routing, exposed for tests: method, target ("/logging?wasm=debug").
  AdminResponse handle(std::string_view method, std::string_view target);

 private:
  void accept();
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Stats& stats_;
  PluginChain* chain_;
  std::function<void()> quit_;
  const std::atomic<bool>* draining_;
  std::string no_plugin_level_ = "info";
};

}  // namespace meshwasm::gateway
