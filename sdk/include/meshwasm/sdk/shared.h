// The process-wide key-value store (compare-and-swap) and shared queues, both scoped by vm_id.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "meshwasm/sdk/common.h"

namespace meshwasm::sdk {

struct SharedData {
  HostBuffer value;
  uint32_t cas = 0;  // pass back to setSharedData to update only if nobody wrote in between
};

// nullopt when the key is absent (NotFound).
std::optional<SharedData> getSharedData(std::string_view key, WasmResult* status = nullptr);
// cas 0 writes unconditionally; otherwise CasMismatch when the key changed since it was read.
WasmResult setSharedData(std::string_view key, std::string_view value, uint32_t cas = 0);

// Registers (or re-registers) a queue of this VM; its ready notifications go to the current
// root context (RootContext::onQueueReady).
std::optional<uint32_t> registerSharedQueue(std::string_view name, WasmResult* status = nullptr);
// Finds a queue registered by `vm_id` ("" = this VM); nullopt when not registered.
std::optional<uint32_t> resolveSharedQueue(std::string_view vm_id, std::string_view name,
                                           WasmResult* status = nullptr);
// Ok, or NotFound for an unknown token.
WasmResult enqueueSharedQueue(uint32_t token, std::string_view value);
// Next item; nullopt when the queue is empty (status Empty) or unknown (NotFound).
std::optional<HostBuffer> dequeueSharedQueue(uint32_t token, WasmResult* status = nullptr);

}  // namespace meshwasm::sdk
