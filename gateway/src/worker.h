// One worker thread: its io_context, upstream clusters, filter factories and connections.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "access_log.h"
#include "meshwasm/gateway/config.h"
#include "meshwasm/gateway/filter.h"
#include "stats.h"
#include "upstream.h"

namespace meshwasm::gateway {

class Session;

struct Worker {
  Worker(int id, const GatewayConfig& config, Stats& stats, AccessLog* access_log)
      : id(id),
        config(config),
        stats(stats),
        access_log(access_log),
        clusters(io, config, stats) {}

  int id;
  std::set<Session*> sessions;  // declared before io: sessions may die while io is destroyed
  // Only this worker's thread runs `io` and touches its sockets (other threads only post to it
  // or hand it accepted sockets): no locking around socket operations.
  boost::asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  const GatewayConfig& config;
  Stats& stats;
  HttpStats http_stats;  // this worker's share of the listener stats
  AccessLog* access_log;
  ClusterManager clusters;
  // One factory per plugin in chain order, built on this worker's thread.
  std::vector<FilterFactory> filter_factories;
  bool draining = false;

  // Accepts a connection onto this worker (called on the worker's thread).
  void adopt(boost::asio::ip::tcp::socket socket);
  // Starts draining: idle connections close now, active ones after their response.
  void drain();
  // Cuts every connection now (streams end as resets; plugins see their end callbacks).
  void closeAll();
};

}  // namespace meshwasm::gateway
