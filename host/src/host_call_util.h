// Helpers shared by the host-call implementations (internal).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "meshwasm/abi/enums.h"
#include "wasm_instance.h"

namespace meshwasm::host {

using abi::WasmResult;

// A host call implementation: arguments as raw slots, the i32 result.
using HostImpl = uint32_t (*)(WasmInstance& w, const uint64_t* args);

inline uint32_t u32(uint64_t slot) {
  return static_cast<uint32_t>(slot);
}
inline uint32_t res(WasmResult r) {
  return static_cast<uint32_t>(r);
}

// Runs `impl` after the restricted-phase check; a trap recorded by the implementation (e.g.
// the guest allocator trapped) becomes this call's trap.
template <HostImpl impl, bool kVoid = false>
bool hostCall(HostCallFrame& frame, const uint64_t* args, uint64_t* results, std::string* trap) {
  auto* w = static_cast<WasmInstance*>(frame.host_data);
  if (!w->allowed(reinterpret_cast<uintptr_t>(frame.function_data))) {
    *trap = "restricted_callback";
    return false;
  }
  uint32_t r = impl(*w, args);
  if (w->hasPendingTrap()) [[unlikely]] {
    *trap = std::move(*w->takePendingTrap());
    return false;
  }
  if constexpr (!kVoid) results[0] = r;
  return true;
}

// Adds one function; `params`/`results` are strings of 'I' (i32) and 'L' (i64).
void addHostFunction(ImportTable& table, std::string_view module, std::string_view name,
                     std::string_view params, std::string_view results, HostCallback callback,
                     uintptr_t flags);

void addProxyFunctions(ImportTable& table, AbiVersion version);      // host_calls.cc
void addProxyNetFunctions(ImportTable& table);                       // host_calls_net.cc
void addWasiFunctions(ImportTable& table, std::string_view module);  // wasi.cc

std::string lowerCase(std::string_view s);
// The property value at `path` (segments), or the status to answer (NotFound, ...).
WasmResult lookupProperty(WasmInstance& w, std::string_view raw_path, std::string* value);

}  // namespace meshwasm::host
