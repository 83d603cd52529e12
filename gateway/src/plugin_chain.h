// The Proxy-Wasm plugins of a gateway: loaded and checked once (a canary VM on the main
// thread, as Envoy does), then one VM per plugin per worker, each exposed as a filter factory.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "meshwasm/abi/status.h"
#include "meshwasm/gateway/config.h"
#include "stats.h"

namespace meshwasm::gateway {

struct Worker;

class PluginChain {
 public:
  virtual ~PluginChain() = default;
  // On the worker's thread, before it serves: fills worker.filter_factories in chain order.
  virtual void startWorker(Worker& worker) = 0;
  // On the worker's thread once it stopped serving: root contexts shut down (proxy_on_done).
  virtual void stopWorker(Worker& worker) = 0;
  // [{"name":..., "sha256":..., "engine":..., "state":..., ...}]
  virtual std::string pluginsJson() const = 0;
  // Changes every plugin's log level at run time; false for an unknown level name.
  virtual bool setLogLevel(std::string_view level) = 0;
  virtual std::string logLevel() const = 0;
};

// Loads every plugin of the configuration (files or oci:// images). Errors name the plugin:
// "plugin 'header_auth' (build/wasm/header_auth.wasm): <reason>".
StatusOr<std::unique_ptr<PluginChain>> loadPluginChain(const GatewayConfig& config, Stats& stats);

}  // namespace meshwasm::gateway
