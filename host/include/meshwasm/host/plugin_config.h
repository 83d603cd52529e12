// What one Proxy-Wasm plugin is configured with (Envoy's PluginConfig / Istio's WasmPlugin).
#pragma once

#include <chrono>
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
  // FailReload: minimum time between a VM failure and its replacement.
  std::chrono::milliseconds reload_backoff{1000};
};

}  // namespace meshwasm::host
