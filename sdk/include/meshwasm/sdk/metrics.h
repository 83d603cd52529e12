// Counters, gauges and histograms (Envoy names them `wasmcustom.<name>`).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "meshwasm/sdk/common.h"

namespace meshwasm::sdk {

class Metric {
 public:
  // Defines (or finds) the metric. Call from onVmStart/onConfigure or later, never from a
  // static constructor (the host forbids it while the module starts).
  static std::optional<Metric> define(MetricType type, std::string_view name,
                                      WasmResult* status = nullptr);
  Metric() = default;
  Metric(MetricType type, uint32_t id) : type_(type), id_(id) {}

  MetricType type() const { return type_; }
  uint32_t id() const { return id_; }
  bool defined() const { return id_ != 0; }

  // Counter: delta > 0; gauge: add or subtract; histogram: BadArgument.
  WasmResult increment(int64_t delta = 1) const;
  // Counter: adds; gauge: sets; histogram: records a sample.
  WasmResult record(uint64_t value) const;
  // Counter/gauge value; nullopt for histograms (BadArgument) or unknown ids (NotFound).
  std::optional<uint64_t> get(WasmResult* status = nullptr) const;

 private:
  MetricType type_ = MetricType::Counter;
  uint32_t id_ = 0;
};

inline std::optional<Metric> defineCounter(std::string_view name) {
  return Metric::define(MetricType::Counter, name);
}
inline std::optional<Metric> defineGauge(std::string_view name) {
  return Metric::define(MetricType::Gauge, name);
}
inline std::optional<Metric> defineHistogram(std::string_view name) {
  return Metric::define(MetricType::Histogram, name);
}

}  // namespace meshwasm::sdk
