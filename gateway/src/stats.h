// Process-wide counters and gauges with Envoy's names, shared by every worker (atomics), and
// their two admin renderings (Envoy text and Prometheus).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshwasm::gateway {

class Stats {
 public:
  using Counter = std::atomic<uint64_t>;
  using Gauge = std::atomic<int64_t>;

  // The stat of that name, created on first use; the reference stays valid for the process.
  Counter& counter(std::string_view name);
  Gauge& gauge(std::string_view name);
  // Extra stats computed at render time (plugin metrics, plugin states).
  using Source = std::function<void(std::vector<std::pair<std::string, int64_t>>* out)>;
  void addSource(Source source);

  // "name: value" lines sorted by name (Envoy's /stats).
  std::string renderText() const;
  // Prometheus text exposition (Envoy's /stats/prometheus naming: envoy_ prefix, dots -> _).
  std::string renderPrometheus() const;

 private:
  std::vector<std::pair<std::string, int64_t>> collect(std::map<std::string, bool>* counters) const;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters_;
  std::map<std::string, std::unique_ptr<Gauge>, std::less<>> gauges_;
  std::vector<Source> sources_;
};

// The listener's HTTP stats ("http.ingress_http.*"), resolved once.
struct HttpStats {
  explicit HttpStats(Stats& stats);
  Stats::Counter& rq_total;
  Stats::Counter& rq_1xx;
  Stats::Counter& rq_2xx;
  Stats::Counter& rq_3xx;
  Stats::Counter& rq_4xx;
  Stats::Counter& rq_5xx;
  Stats::Gauge& rq_active;
  Stats::Counter& cx_total;
  Stats::Gauge& cx_active;
  Stats::Counter& rq_timeout;
  Stats::Counter& cx_protocol_error;
  Stats::Counter& rq_rx_reset;
  void countResponse(int status);
};

}  // namespace meshwasm::gateway
