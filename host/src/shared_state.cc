// SharedState: process-wide shared data, queues and metrics (reference 5.8 - 5.10).
#include "meshwasm/host/shared_state.h"

#include <atomic>

namespace meshwasm::host {

using abi::WasmResult;

struct SharedState::Metric {
  std::string name;
  abi::MetricType type = abi::MetricType::Counter;
  std::atomic<int64_t> value{0};
  std::atomic<uint64_t> sample_count{0};
  std::atomic<uint64_t> sample_sum{0};
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
      m->value.fetch_add(delta);
      return WasmResult::Ok;
    case abi::MetricType::Gauge: m->value.fetch_add(delta); return WasmResult::Ok;
    case abi::MetricType::Histogram: return WasmResult::BadArgument;
  }
  return WasmResult::BadArgument;
}

WasmResult SharedState::recordMetric(Metric* m, uint64_t value) {
  switch (m->type) {
    case abi::MetricType::Counter:
      m->value.fetch_add(static_cast<int64_t>(value));
      return WasmResult::Ok;
    case abi::MetricType::Gauge: m->value.store(static_cast<int64_t>(value)); return WasmResult::Ok;
    case abi::MetricType::Histogram:
      m->sample_count.fetch_add(1);
      m->sample_sum.fetch_add(value);
      return WasmResult::Ok;
  }
  return WasmResult::BadArgument;
}

WasmResult SharedState::getMetric(const Metric* m, uint64_t* value) const {
  if (m->type == abi::MetricType::Histogram) return WasmResult::BadArgument;
  *value = static_cast<uint64_t>(m->value.load());
  return WasmResult::Ok;
}

std::vector<MetricSnapshot> SharedState::metrics() const {
  std::lock_guard<std::mutex> lock(metric_mutex_);
  std::vector<MetricSnapshot> out;
  for (const auto& [key, m] : metrics_) {
    MetricSnapshot s;
    s.name = m->name;
    s.type = m->type;
    s.value = m->value.load();
    s.sample_count = m->sample_count.load();
    s.sample_sum = m->sample_sum.load();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace meshwasm::host
