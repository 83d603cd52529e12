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

void Stats::addCounterSource(Source source) {
  std::lock_guard<std::mutex> lock(mutex_);
  counter_sources_.push_back(std::move(source));
}

std::vector<std::pair<std::string, int64_t>> Stats::collect(
    std::map<std::string, bool>* is_counter) const {
  std::vector<std::pair<std::string, int64_t>> out;
  std::vector<Source> sources;
  std::vector<Source> counter_sources;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [k, v] : counters_) {
      out.emplace_back(k, static_cast<int64_t>(v->load(std::memory_order_relaxed)));
      if (is_counter) (*is_counter)[k] = true;
    }
    for (const auto& [k, v] : gauges_) out.emplace_back(k, v->load(std::memory_order_relaxed));
    sources = sources_;
    counter_sources = counter_sources_;
  }
  for (const auto& s : counter_sources) {
    size_t first = out.size();
    s(&out);
    if (is_counter) {
      for (size_t i = first; i < out.size(); ++i) (*is_counter)[out[i].first] = true;
    }
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

void HttpStats::publish(Stats& stats, std::vector<const HttpStats*> all) {
  using Field = Stats::Counter HttpStats::*;
  static const std::pair<const char*, Field> kCounters[] = {
      {"http.ingress_http.downstream_rq_total", &HttpStats::rq_total},
      {"http.ingress_http.downstream_rq_1xx", &HttpStats::rq_1xx},
      {"http.ingress_http.downstream_rq_2xx", &HttpStats::rq_2xx},
      {"http.ingress_http.downstream_rq_3xx", &HttpStats::rq_3xx},
      {"http.ingress_http.downstream_rq_4xx", &HttpStats::rq_4xx},
      {"http.ingress_http.downstream_rq_5xx", &HttpStats::rq_5xx},
      {"http.ingress_http.downstream_cx_total", &HttpStats::cx_total},
      {"http.ingress_http.downstream_rq_timeout", &HttpStats::rq_timeout},
      {"http.ingress_http.downstream_cx_protocol_error", &HttpStats::cx_protocol_error},
      {"http.ingress_http.downstream_rq_rx_reset", &HttpStats::rq_rx_reset},
  };
  stats.addCounterSource([all](std::vector<std::pair<std::string, int64_t>>* out) {
    for (const auto& [name, field] : kCounters) {
      uint64_t sum = 0;
      for (const HttpStats* h : all) sum += (h->*field).load(std::memory_order_relaxed);
      out->emplace_back(name, static_cast<int64_t>(sum));
    }
  });
  stats.addSource([all](std::vector<std::pair<std::string, int64_t>>* out) {
    int64_t rq_active = 0, cx_active = 0;
    for (const HttpStats* h : all) {
      rq_active += h->rq_active.load(std::memory_order_relaxed);
      cx_active += h->cx_active.load(std::memory_order_relaxed);
    }
    out->emplace_back("http.ingress_http.downstream_rq_active", rq_active);
    out->emplace_back("http.ingress_http.downstream_cx_active", cx_active);
  });
}

void HttpStats::countResponse(int status) {
  switch (status / 100) {
    case 1: add(rq_1xx); break;
    case 2: add(rq_2xx); break;
    case 3: add(rq_3xx); break;
    case 4: add(rq_4xx); break;
    case 5: add(rq_5xx); break;
    default: break;
  }
}

}  // namespace meshwasm::gateway
