// http_config's configuration: {"headers": {"<name>": "<value>", ...}}, parsed strictly.
// Pure C++ (no SDK types), tested natively.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshwasm/abi/status.h"

namespace meshwasm::examples {

struct HttpConfig {
  // In configuration order; names lower-cased (as the proxy stores them).
  std::vector<std::pair<std::string, std::string>> headers;
};

// Errors name the offending place, e.g.
//   `headers."X Bad": not a valid header name` or `byte 12: expected '"'`.
StatusOr<HttpConfig> parseHttpConfig(std::string_view json);

}  // namespace meshwasm::examples
