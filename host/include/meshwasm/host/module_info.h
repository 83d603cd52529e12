// What a Proxy-Wasm module is, read from its import and export sections the way Envoy reads
// them (reference sections 1.1-1.4, 5.0, 6, 12). Engine independent.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/status.h"
#include "meshwasm/host/vm.h"

namespace meshwasm::host {

enum class AbiVersion : uint8_t { V0_1_0, V0_2_0, V0_2_1 };

// "0.1.0", "0.2.0", "0.2.1".
std::string_view toString(AbiVersion version);

// The first function export named proxy_abi_version_0_1_0 / _0_2_0 / _0_2_1 in export order;
// nullopt when there is none. The marker's signature is not checked.
std::optional<AbiVersion> detectAbiVersion(const CompiledModule& module);

// The exact type Envoy requires of a known callback export under `version`, or nullptr when
// the name is not a callback the host looks up for that version (e.g.
// proxy_on_foreign_function under 0.1.0). Covers the proxy_on_* callbacks,
// proxy_validate_configuration and Envoy's envoy_on_resolve_dns / envoy_on_stats_update; not
// the start functions or the allocator.
const FunctionType* expectedCallbackType(AbiVersion version, std::string_view name);

// The names expectedCallbackType knows for `version`, in a fixed order.
std::vector<std::string_view> knownCallbacks(AbiVersion version);

struct ModuleInfo {
  AbiVersion abi_version = AbiVersion::V0_2_1;
  // Start functions to call, in order (reference 1.2): e.g. {"_initialize", "main"},
  // {"_initialize", "__main_void"}, {"_initialize"}, {"_start"} or {}.
  // "main" is called with (0, 0); its result and __main_void's are ignored.
  std::vector<std::string> start_functions;
  // "malloc" when exported, otherwise "proxy_on_memory_allocate"; (i32) -> i32.
  std::string allocator;
  // True when the module imports its memory (the engine creates it) instead of exporting it.
  bool imports_memory = false;
  // Known callbacks (see expectedCallbackType) the module exports, all with the right type,
  // in knownCallbacks order.
  std::vector<std::string> callbacks;

  bool hasCallback(std::string_view name) const;
};

// Checks, in this order, and fails with the first error:
//   no ABI marker        -> "Missing or unknown Proxy-Wasm ABI version"
//   no memory            -> "Wasm module must export or import one memory"
//   start functions      -> "Bad function signature for: main" (also _initialize, _start,
//                           __main_void)
//   allocator signature  -> "Bad function signature for: malloc" (or proxy_on_memory_allocate)
//   callback signatures  -> "Bad function signature for: proxy_on_request_headers"
//   no allocator         -> "Wasm module is missing malloc function"
// Imports are not checked here (Engine::instantiate does, against the host's table).
StatusOr<ModuleInfo> inspectModule(const CompiledModule& module);

}  // namespace meshwasm::host
