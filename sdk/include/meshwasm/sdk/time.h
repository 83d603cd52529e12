// Wall-clock time and the root context's timer.
#pragma once

#include <cstdint>

#include "meshwasm/sdk/common.h"

namespace meshwasm::sdk {

// Nanoseconds since the Unix epoch, as the host's clock says.
uint64_t currentTimeNanoseconds();

// Ticks the current root context every `period_milliseconds` (0 stops the timer): the host
// then calls RootContext::onTick. Always Ok in Envoy.
WasmResult setTickPeriodMilliseconds(uint32_t period_milliseconds);

}  // namespace meshwasm::sdk
