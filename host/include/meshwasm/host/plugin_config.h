// What one Proxy-Wasm plugin is configured with (Envoy's PluginConfig / Istio's WasmPlugin).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshwasm/abi/enums.h"

namespace meshwasm::host {

// What happens to requests once the plugin's VM trapped (reference 10.1, 10.2).
enum class FailStrategy : uint8_t {
  FailClose,   // 503, empty body, details "wasm_fail_stream" (gRPC status 14); the default
  FailOpen,    // the filter is skipped: requests continue as if it returned Continue
  FailReload,  // a new VM (start + configure) on the next request after a backoff;
               // requests in between behave as FailClose
};

std::string_view toString(FailStrategy strategy);  // "FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"

struct PluginConfig {
  std::string name;              // plugin_name property, log prefix (Istio: <ns>.<name>)
  std::string root_id;           // plugin_root_id property
  std::string vm_id;             // plugin_vm_id property; key of shared data and queues
  std::string configuration;     // buffer 7, size passed to proxy_on_configure
  std::string vm_configuration;  // buffer 6, size passed to proxy_on_vm_start
  FailStrategy fail_strategy = FailStrategy::FailClose;
  // Initial level of the plugin's logger: what proxy_get_log_level answers and the threshold
  // below which guest log lines are dropped. Changeable at run time (Plugin::setLogLevel).
  abi::LogLevel log_level = abi::LogLevel::Info;
  // WASI environment (environ_get): only these, nothing from the host's environment.
  std::vector<std::pair<std::string, std::string>> environment_variables;
  // FailReload, Envoy's `reload_config.backoff`: a request that finds the worker's VM failed
  // gets a new VM once a jittered wait has passed since that worker's last VM load (its first
  // VM, then every reload attempt); requests before that are answered fail-closed.
  // Base interval (Envoy `base_interval`, default 1 s). Without reload_max_backoff the wait is
  // Envoy's: drawn per request in [base, 1.5 * base), never growing. 0: reload at once.
  std::chrono::milliseconds reload_backoff{1000};
  // meshwasm extension (Envoy's wasm filter ignores `max_interval`): when set, the wait follows
  // Envoy's jittered exponential backoff instead: one wait per failure in [0, interval), the
  // interval doubling from reload_backoff up to this after each failed reload and going back
  // to reload_backoff after a successful one. Must not be below reload_backoff.
  std::optional<std::chrono::milliseconds> reload_max_backoff;
  // Tests: the random source of the jitter (uniform 64-bit values; empty: a generator seeded
  // from std::random_device for each PluginVm) and the clock (empty: steady_clock::now).
  std::function<uint64_t()> reload_random;
  std::function<std::chrono::steady_clock::time_point()> reload_clock;
};

}  // namespace meshwasm::host
