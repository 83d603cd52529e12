// `meshwasm run`: the local gateway. Workers (one io_context each) serve HTTP/1.1 through the
// plugin chain to the route's cluster; the main thread accepts connections, serves the admin
// listener, flushes the access log and handles SIGINT/SIGTERM (graceful drain).
#pragma once

#include <cstdint>
#include <memory>

#include "meshwasm/abi/status.h"
#include "meshwasm/gateway/config.h"

namespace meshwasm::gateway {

class Gateway {
 public:
  // Loads the plugins (a failing plugin refuses the start) and binds both listeners ("cannot
  // listen on 127.0.0.1:8080: Address already in use"). Nothing is served before run().
  static StatusOr<std::unique_ptr<Gateway>> create(GatewayConfig config);
  virtual ~Gateway() = default;

  virtual uint16_t listenPort() const = 0;
  virtual uint16_t adminPort() const = 0;
  // Serves until SIGINT/SIGTERM, POST /quitquitquit on the admin listener or stop(); then
  // drains in-flight requests (bounded by drain_timeout) and shuts the plugins down.
  // Returns the process exit code.
  virtual int run() = 0;
  // Thread-safe.
  virtual void stop() = 0;
};

}  // namespace meshwasm::gateway
