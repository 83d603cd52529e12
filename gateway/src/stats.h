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
  // The same, for stats that are counters (Prometheus type "counter").
  void addCounterSource(Source source);

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
  std::vector<Source> counter_sources_;
};

// The listener's HTTP stats ("http.ingress_http.*"). Each worker counts in its own instance
// (no cache line written by two workers per request); /stats shows the sums (publish()).
struct alignas(64) HttpStats {
  Stats::Counter rq_total{0};
  Stats::Counter rq_1xx{0};
  Stats::Counter rq_2xx{0};
  Stats::Counter rq_3xx{0};
  Stats::Counter rq_4xx{0};
  Stats::Counter rq_5xx{0};
  Stats::Gauge rq_active{0};
  Stats::Counter cx_total{0};
  Stats::Gauge cx_active{0};
  Stats::Counter rq_timeout{0};
  Stats::Counter cx_protocol_error{0};
  Stats::Counter rq_rx_reset{0};
  // Only the owning worker's thread writes these, so an update is a plain load and store, not a
  // locked read-modify-write; readers on other threads still see whole values.
  template <typename T>
  static void add(std::atomic<T>& stat, T delta) {
    stat.store(stat.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  static void add(Stats::Counter& stat) { add<uint64_t>(stat, 1); }
  static void add(Stats::Gauge& stat) { add<int64_t>(stat, 1); }
  void countResponse(int status);
  // Registers the sums over `all` (which must outlive `stats`' renderings) under Envoy's names.
  static void publish(Stats& stats, std::vector<const HttpStats*> all);
};

}  // namespace meshwasm::gateway
