// Logging at the six Proxy-Wasm levels, and the host's current level.
#pragma once

#include <string_view>

#include "meshwasm/sdk/common.h"

namespace meshwasm::sdk {

// Logs through proxy_log. Returns the host's status (BadArgument only for a level > 5).
WasmResult log(LogLevel level, std::string_view message);
inline void logTrace(std::string_view message) {
  log(LogLevel::Trace, message);
}
inline void logDebug(std::string_view message) {
  log(LogLevel::Debug, message);
}
inline void logInfo(std::string_view message) {
  log(LogLevel::Info, message);
}
inline void logWarn(std::string_view message) {
  log(LogLevel::Warn, message);
}
inline void logError(std::string_view message) {
  log(LogLevel::Error, message);
}
inline void logCritical(std::string_view message) {
  log(LogLevel::Critical, message);
}

// The host's level for plugin logs (Trace..Critical, or Off); it can change at any time.
LogLevel getLogLevel();

// Whether the host keeps messages at `level` now (one proxy_get_log_level call): lets a caller
// skip building a message the host would drop. Ask again in each callback, never cache it.
inline bool logEnabled(LogLevel level) {
  return static_cast<uint32_t>(level) >= static_cast<uint32_t>(getLogLevel());
}

}  // namespace meshwasm::sdk
