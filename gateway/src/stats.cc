#include "stats.h"

#include <algorithm>

namespace meshwasm::gateway {

Stats::Counter& Stats::counter(std::string_view name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = counters_.find(name);
  if (it == counters_.end()) {
    it = counters_.emplace(std::string(name), std::make_unique<Counter>(0)).first;
  }
  return *it->second;
}

Stats::Gauge& Stats::gauge(std::string_view name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = gauges_.find(name);
  if (it == gauges_.end()) {
    it = gauges_.emplace(std::string(name), std::make_unique<Gauge>(0)).first;
  }
  return *it->second;
}

void Stats::addSource(Source source) {
  std::lock_guard<std::mutex> lock(mutex_);
  sources_.push_back(std::move(source));
}

std::vector<std::pair<std::string, int64_t>> Stats::collect(
    std::map<std::string, bool>* is_counter) const {
  std::vector<std::pair<std::string, int64_t>> out;
  std::vector<Source> sources;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [k, v] : counters_) {
      out.emplace_back(k, static_cast<int64_t>(v->load(std::memory_order_relaxed)));
      if (is_counter) (*is_counter)[k] = true;
    }
    for (const auto& [k, v] : gauges_) out.emplace_back(k, v->load(std::memory_order_relaxed));
    sources = sources_;
  }
  for (const auto& s : sources) s(&out);
  std::sort(out.begin(), out.end());
  return out;
}

std::string Stats::renderText() const {
  std::string text;
  for (const auto& [k, v] : collect(nullptr)) {
    text += k + ": " + std::to_string(v) + "\n";
  }
  return text;
}

std::string Stats::renderPrometheus() const {
  std::map<std::string, bool> is_counter;
  std::string text;
  for (const auto& [k, v] : collect(&is_counter)) {
    std::string name = "envoy_";
    for (char c : k) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      name.push_back(ok ? c : '_');
    }
    bool counter = is_counter.count(k) > 0;
    text += "# TYPE " + name + (counter ? " counter\n" : " gauge\n");
    text += name + " " + std::to_string(v) + "\n";
  }
  return text;
}

HttpStats::HttpStats(Stats& s)
    : rq_total(s.counter("http.ingress_http.downstream_rq_total")),
      rq_1xx(s.counter("http.ingress_http.downstream_rq_1xx")),
      rq_2xx(s.counter("http.ingress_http.downstream_rq_2xx")),
      rq_3xx(s.counter("http.ingress_http.downstream_rq_3xx")),
      rq_4xx(s.counter("http.ingress_http.downstream_rq_4xx")),
      rq_5xx(s.counter("http.ingress_http.downstream_rq_5xx")),
      rq_active(s.gauge("http.ingress_http.downstream_rq_active")),
      cx_total(s.counter("http.ingress_http.downstream_cx_total")),
      cx_active(s.gauge("http.ingress_http.downstream_cx_active")),
      rq_timeout(s.counter("http.ingress_http.downstream_rq_timeout")),
      cx_protocol_error(s.counter("http.ingress_http.downstream_cx_protocol_error")),
      rq_rx_reset(s.counter("http.ingress_http.downstream_rq_rx_reset")) {}

void HttpStats::countResponse(int status) {
  switch (status / 100) {
    case 1: rq_1xx.fetch_add(1, std::memory_order_relaxed); break;
    case 2: rq_2xx.fetch_add(1, std::memory_order_relaxed); break;
    case 3: rq_3xx.fetch_add(1, std::memory_order_relaxed); break;
    case 4: rq_4xx.fetch_add(1, std::memory_order_relaxed); break;
    case 5: rq_5xx.fetch_add(1, std::memory_order_relaxed); break;
    default: break;
  }
}

}  // namespace meshwasm::gateway
