// Process-wide state shared by every VM of every worker: shared data (keyed by vm_id), shared
// queues and metrics (reference 5.8 - 5.10). Thread-safe; create one per process and hand the
// same shared_ptr to every PluginVm.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/enums.h"

namespace meshwasm::host {

struct MetricSnapshot {
  std::string name;  // as the plugin defined it (Envoy's store adds "wasmcustom.")
  abi::MetricType type = abi::MetricType::Counter;
  int64_t value = 0;  // counter (as u64 bits) or gauge
  // Histograms: every recorded sample count and their sum.
  uint64_t sample_count = 0;
  uint64_t sample_sum = 0;
};

class SharedState {
 public:
  SharedState();
  ~SharedState();
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;

  // ---- shared data (proxy_get_shared_data / proxy_set_shared_data)
  // NotFound when absent; otherwise the value and its cas.
  abi::WasmResult getSharedData(std::string_view vm_id, std::string_view key, std::string* value,
                                uint32_t* cas) const;
  // cas 0: unconditional. Non-zero cas must match an existing key's cas (CasMismatch).
  abi::WasmResult setSharedData(std::string_view vm_id, std::string_view key,
                                std::string_view value, uint32_t cas);

  // ---- shared queues
  // Called (outside any lock, on the enqueuing thread) after an item is queued; the
  // registrant posts proxy_on_queue_ready to its own thread.
  using QueueNotifier = std::function<void(uint32_t token)>;
  // Same (vm_id, name) -> same token, items kept; the notifier is replaced (last registrant
  // receives the notifications).
  uint32_t registerQueue(std::string_view vm_id, std::string_view name, QueueNotifier notifier);
  std::optional<uint32_t> resolveQueue(std::string_view vm_id, std::string_view name) const;
  abi::WasmResult enqueue(uint32_t token, std::string_view value);  // NotFound if unknown
  abi::WasmResult dequeue(uint32_t token, std::string* value);      // Empty / NotFound

  // ---- metrics (process-wide by name; ids are per VM and live in the VM)
  // Counters and histograms are kept per updating thread (one cache line each, so workers do
  // not contend on a shared line); getMetric and metrics() return the sum over all threads, as
  // Envoy's one shared counter. A gauge is one shared value: record sets it, increment adds to
  // it, whichever worker does it.
  struct Metric;
  // The metric of that name, created on first use. A name already defined with another type
  // keeps its first type (the returned metric tells which).
  Metric* defineMetric(abi::MetricType type, std::string_view name);
  static abi::MetricType metricType(const Metric* metric);
  abi::WasmResult incrementMetric(Metric* metric, int64_t delta);  // Envoy rules, 5.8
  abi::WasmResult recordMetric(Metric* metric, uint64_t value);
  abi::WasmResult getMetric(const Metric* metric, uint64_t* value) const;
  // Every metric, sorted by name.
  std::vector<MetricSnapshot> metrics() const;

 private:
  struct Entry {
    std::string value;
    uint32_t cas = 0;
  };
  struct Queue {
    uint32_t token = 0;
    std::vector<std::string> items;  // FIFO (front at index head)
    size_t head = 0;
    std::shared_ptr<QueueNotifier> notifier;
  };

  mutable std::mutex data_mutex_;
  std::map<std::string, std::map<std::string, Entry, std::less<>>, std::less<>> data_;
  uint32_t next_cas_ = 0;

  mutable std::mutex queue_mutex_;
  std::map<std::pair<std::string, std::string>, uint32_t> queue_tokens_;
  std::map<uint32_t, Queue> queues_;
  uint32_t next_queue_token_ = 1;

  mutable std::mutex metric_mutex_;
  std::map<std::string, std::unique_ptr<Metric>, std::less<>> metrics_;
};

}  // namespace meshwasm::host
