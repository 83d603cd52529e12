// Upstream clusters of one worker: a connection pool per cluster and one request at a time per
// connection (HTTP/1.1), plus the built-in httpbin reached by direct dispatch. A pooled
// connection keeps its read outstanding, so an upstream closing it is noticed while it idles.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "meshwasm/gateway/config.h"
#include "meshwasm/gateway/header_map.h"
#include "stats.h"

namespace meshwasm::gateway {

enum class UpstreamFailure {
  ConnectFailure,  // UF: refused, unreachable or connect timeout
  Reset,           // UC: the connection closed or failed mid-exchange
  Timeout,         // UT: no complete response within the cluster timeout
};

// Batches what one network event produces (the downstream session of a stream): writes and
// the end of a stream are carried out when the outermost leaveEvent() returns. It keeps itself
// alive from enterEvent() until leaveEvent() returned, whatever the event ends.
class EventBatch {
 public:
  virtual void enterEvent() = 0;
  virtual void leaveEvent() = 0;

 protected:
  ~EventBatch() = default;
};

class UpstreamCallbacks {
 public:
  virtual ~UpstreamCallbacks() = default;
  virtual void onUpstreamHeaders(HeaderMap headers, bool end_stream) = 0;
  virtual void onUpstreamData(std::string_view data, bool end_stream) = 0;
  virtual void onUpstreamTrailers(HeaderMap trailers) = 0;
  // Called at most once, and never after the response completed.
  virtual void onUpstreamFailure(UpstreamFailure failure, bool headers_received) = 0;
  // Where the callbacks of one network event of the upstream connection are batched, or
  // nullptr. Asked before the event; the receiver itself may be gone when the event ends, the
  // batch may not.
  virtual EventBatch* eventBatch() { return nullptr; }
};

// One request to a cluster. Callbacks arrive asynchronously on the worker's thread; after
// cancel() none arrive.
class UpstreamRequest {
 public:
  virtual ~UpstreamRequest() = default;
  virtual void sendHeaders(const HeaderMap& headers, bool end_stream) = 0;
  virtual void sendData(std::string_view data, bool end_stream) = 0;
  virtual void sendTrailers(const HeaderMap& trailers) = 0;
  virtual void cancel() = 0;
  virtual std::string upstreamHost() const = 0;  // "127.0.0.1:8000" or "httpbin"
};

struct UpstreamContext {
  std::string origin;  // downstream client IP (httpbin's "origin")
};

// Response deadlines of one cluster. Every request of a cluster has the same timeout, so
// deadlines arrive in order: a FIFO list and one lazy timer (armed for the oldest entry, left
// running when entries leave) replace a timer armed and cancelled per request.
class DeadlineQueue {
 public:
  class Entry {
   public:
    virtual ~Entry();
    virtual void onDeadline() = 0;

   private:
    friend class DeadlineQueue;
    DeadlineQueue* queue_ = nullptr;
    Entry* prev_ = nullptr;
    Entry* next_ = nullptr;
    std::chrono::steady_clock::time_point at_;
  };

  explicit DeadlineQueue(boost::asio::io_context& io) : timer_(io) {}
  ~DeadlineQueue();
  void add(Entry& entry, std::chrono::steady_clock::time_point at);
  static void remove(Entry& entry);

 private:
  void wait(std::chrono::steady_clock::time_point at);
  void fire();
  boost::asio::steady_timer timer_;
  Entry* head_ = nullptr;
  Entry* tail_ = nullptr;
  bool waiting_ = false;
};

class ClusterManager {
 public:
  ClusterManager(boost::asio::io_context& io, const GatewayConfig& config, Stats& stats);
  ~ClusterManager();

  const ClusterConfig* cluster(std::string_view name) const;
  // nullptr when the cluster is unknown.
  std::shared_ptr<UpstreamRequest> newRequest(std::string_view cluster,
                                              UpstreamCallbacks& callbacks,
                                              const UpstreamContext& context);

  // The cluster's counters, resolved once (the stats registry takes a process-wide lock).
  struct ClusterCounters {
    Stats::Counter* rq_total = nullptr;
    Stats::Counter* cx_connect_fail = nullptr;
    Stats::Counter* rq_timeout = nullptr;
    Stats::Counter* cx_total = nullptr;
    std::unique_ptr<DeadlineQueue> deadlines;
  };
  const ClusterCounters& counters(const ClusterConfig& cluster);

  // One configured cluster of this worker: its endpoint (resolved once, and its text for the
  // access log), counters, deadline queues and pool of idle connections.
  struct Cluster;
  // Closes the pooled idle connections (shutdown).
  void closeIdle();
  // Idle connections pooled for `cluster` (tests).
  size_t idleCount(std::string_view cluster) const;

  boost::asio::io_context& io() { return io_; }
  Stats& stats() { return stats_; }

 private:
  Cluster* find(std::string_view name);  // nullptr when not configured
  Cluster& ready(Cluster& cluster);

  boost::asio::io_context& io_;
  const GatewayConfig& config_;
  Stats& stats_;
  std::map<std::string, std::unique_ptr<Cluster>, std::less<>> clusters_;
  // The configured cluster find() returned last and its name (every request of a route asks
  // for the same one; clusters are never removed, so the pointer stays valid).
  std::string last_name_;
  Cluster* last_ = nullptr;
};

}  // namespace meshwasm::gateway
