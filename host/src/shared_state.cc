// SharedState: process-wide shared data, queues and metrics (reference 5.8 - 5.10).
#include "meshwasm/host/shared_state.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <thread>

namespace meshwasm::host {

using abi::WasmResult;

namespace {

// Counters and histograms are sharded: each thread that updates metrics adds to its own shard
// (its own cache line), so worker threads counting the same metric do not pass one cache line
// back and forth on every request; a read sums the shards. Gauges are one shared value:
// proxy_record_metric sets it, which shards could not do atomically.
struct alignas(64) MetricShard {
  std::atomic<uint64_t> value{0};  // counter: sum of its increments (wraps as u64)
  std::atomic<uint64_t> sample_count{0};
  std::atomic<uint64_t> sample_sum{0};
};

// Threads are numbered on their first metric update, in that order: the first few threads
// (the workers) get shards of their own; beyond the shard count threads share shards (still
// exact, the updates are atomic, only slower).
std::atomic<uint32_t> g_next_metric_thread{0};
thread_local uint32_t t_metric_thread = UINT32_MAX;

uint32_t metricThread() {
  uint32_t n = t_metric_thread;
  if (n == UINT32_MAX) [[unlikely]] {
    n = g_next_metric_thread.fetch_add(1, std::memory_order_relaxed);
    t_metric_thread = n;
  }
  return n;
}

// A power of two: the core count, at least 4 and at most 64.
uint32_t metricShardCount() {
  static const uint32_t count =
      std::bit_ceil(std::clamp<uint32_t>(std::thread::hardware_concurrency(), 4u, 64u));
  return count;
}

}  // namespace

struct SharedState::Metric {
  std::string name;
  abi::MetricType type = abi::MetricType::Counter;
  uint32_t shard_mask = 0;
  std::unique_ptr<MetricShard[]> shards;  // counters and histograms
  alignas(64) std::atomic<int64_t> gauge{0};

  MetricShard& shard() { return shards[metricThread() & shard_mask]; }
  // Sums of the shards.
  uint64_t total(std::atomic<uint64_t> MetricShard::*field) const {
    uint64_t sum = 0;
    for (uint32_t i = 0; i <= shard_mask; ++i) {
      sum += (shards[i].*field).load(std::memory_order_relaxed);
    }
    return sum;
  }
};

SharedState::SharedState() = default;
SharedState::~SharedState() = default;

WasmResult SharedState::getSharedData(std::string_view vm_id, std::string_view key,
                                      std::string* value, uint32_t* cas) const {
  std::lock_guard<std::mutex> lock(data_mutex_);
  auto vm = data_.find(vm_id);
  if (vm == data_.end()) return WasmResult::NotFound;
  auto it = vm->second.find(key);
  if (it == vm->second.end()) return WasmResult::NotFound;
  *value = it->second.value;
  *cas = it->second.cas;
  return WasmResult::Ok;
}

WasmResult SharedState::setSharedData(std::string_view vm_id, std::string_view key,
                                      std::string_view value, uint32_t cas) {
  std::lock_guard<std::mutex> lock(data_mutex_);
  auto vm = data_.find(vm_id);
  if (vm == data_.end()) vm = data_.emplace(std::string(vm_id), decltype(vm->second)()).first;
  auto it = vm->second.find(key);
  if (it == vm->second.end()) {
    it = vm->second.emplace(std::string(key), Entry()).first;
  } else if (cas != 0 && cas != it->second.cas) {
    return WasmResult::CasMismatch;
  }
  if (++next_cas_ == 0) ++next_cas_;  // cas values are never 0
  it->second.value = std::string(value);
  it->second.cas = next_cas_;
  return WasmResult::Ok;
}

uint32_t SharedState::registerQueue(std::string_view vm_id, std::string_view name,
                                    QueueNotifier notifier) {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  auto key = std::make_pair(std::string(vm_id), std::string(name));
  auto it = queue_tokens_.find(key);
  uint32_t token;
  if (it == queue_tokens_.end()) {
    token = next_queue_token_++;
    queue_tokens_.emplace(std::move(key), token);
    queues_[token].token = token;
  } else {
    token = it->second;
  }
  queues_[token].notifier = std::make_shared<QueueNotifier>(std::move(notifier));
  return token;
}

std::optional<uint32_t> SharedState::resolveQueue(std::string_view vm_id,
                                                  std::string_view name) const {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  auto it = queue_tokens_.find(std::make_pair(std::string(vm_id), std::string(name)));
  if (it == queue_tokens_.end()) return std::nullopt;
  return it->second;
}

WasmResult SharedState::enqueue(uint32_t token, std::string_view value) {
  std::shared_ptr<QueueNotifier> notifier;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    auto it = queues_.find(token);
    if (it == queues_.end()) return WasmResult::NotFound;
    it->second.items.emplace_back(value);
    notifier = it->second.notifier;
  }
  if (notifier && *notifier) (*notifier)(token);
  return WasmResult::Ok;
}

WasmResult SharedState::dequeue(uint32_t token, std::string* value) {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  auto it = queues_.find(token);
  if (it == queues_.end()) return WasmResult::NotFound;
  Queue& q = it->second;
  if (q.head >= q.items.size()) return WasmResult::Empty;
  *value = std::move(q.items[q.head++]);
  if (q.head > 64 && q.head * 2 > q.items.size()) {
    q.items.erase(q.items.begin(), q.items.begin() + static_cast<ptrdiff_t>(q.head));
    q.head = 0;
  }
  return WasmResult::Ok;
}

SharedState::Metric* SharedState::defineMetric(abi::MetricType type, std::string_view name) {
  std::lock_guard<std::mutex> lock(metric_mutex_);
  std::string key(name);
  key += '\0';
  key += static_cast<char>('0' + static_cast<int>(type));
  auto it = metrics_.find(key);
  if (it == metrics_.end()) {
    auto m = std::make_unique<Metric>();
    m->name = std::string(name);
    m->type = type;
    if (type != abi::MetricType::Gauge) {
      m->shard_mask = metricShardCount() - 1;
      m->shards = std::make_unique<MetricShard[]>(metricShardCount());
    }
    it = metrics_.emplace(std::move(key), std::move(m)).first;
  }
  return it->second.get();
}

abi::MetricType SharedState::metricType(const Metric* metric) {
  return metric->type;
}

WasmResult SharedState::incrementMetric(Metric* m, int64_t delta) {
  switch (m->type) {
    case abi::MetricType::Counter:
      if (delta <= 0) return WasmResult::BadArgument;
      m->shard().value.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
      return WasmResult::Ok;
    case abi::MetricType::Gauge: m->gauge.fetch_add(delta); return WasmResult::Ok;
    case abi::MetricType::Histogram: return WasmResult::BadArgument;
  }
  return WasmResult::BadArgument;
}

WasmResult SharedState::recordMetric(Metric* m, uint64_t value) {
  switch (m->type) {
    case abi::MetricType::Counter:
      m->shard().value.fetch_add(value, std::memory_order_relaxed);
      return WasmResult::Ok;
    case abi::MetricType::Gauge: m->gauge.store(static_cast<int64_t>(value)); return WasmResult::Ok;
    case abi::MetricType::Histogram: {
      MetricShard& shard = m->shard();
      shard.sample_count.fetch_add(1, std::memory_order_relaxed);
      shard.sample_sum.fetch_add(value, std::memory_order_relaxed);
      return WasmResult::Ok;
    }
  }
  return WasmResult::BadArgument;
}

WasmResult SharedState::getMetric(const Metric* m, uint64_t* value) const {
  switch (m->type) {
    case abi::MetricType::Counter: *value = m->total(&MetricShard::value); return WasmResult::Ok;
    case abi::MetricType::Gauge:
      *value = static_cast<uint64_t>(m->gauge.load());
      return WasmResult::Ok;
    case abi::MetricType::Histogram: return WasmResult::BadArgument;
  }
  return WasmResult::BadArgument;
}

std::vector<MetricSnapshot> SharedState::metrics() const {
  std::lock_guard<std::mutex> lock(metric_mutex_);
  std::vector<MetricSnapshot> out;
  out.reserve(metrics_.size());
  for (const auto& [key, m] : metrics_) {
    MetricSnapshot s;
    s.name = m->name;
    s.type = m->type;
    if (m->type == abi::MetricType::Gauge) {
      s.value = m->gauge.load();
    } else {
      s.value = static_cast<int64_t>(m->total(&MetricShard::value));
      s.sample_count = m->total(&MetricShard::sample_count);
      s.sample_sum = m->total(&MetricShard::sample_sum);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace meshwasm::host
