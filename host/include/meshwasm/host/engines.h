// Engine factory and the trap texts every engine reports.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "meshwasm/abi/status.h"
#include "meshwasm/host/vm.h"

namespace meshwasm::host {

// Creates an engine by name: "interp" (the wabt interpreter), "aot" (wasm2c ahead-of-time code,
// compiled objects cached on disk) or "auto" (the interpreter until a background AOT compile of
// the module is ready). Unknown names give
// "Unknown Wasm engine: NAME (known: interp, aot, auto)".
StatusOr<std::unique_ptr<Engine>> makeEngine(std::string_view name);

// The engine names makeEngine knows, in preference order.
const std::vector<std::string_view>& engineNames();

// Trap messages, identical for every engine, so host behaviour and logs do not depend on the
// engine. Engines map their own trap reasons onto these; a host function's trap text (see
// HostCallback) is passed through unchanged.
namespace traps {
inline constexpr std::string_view kUnreachable = "unreachable";
inline constexpr std::string_view kCallStackExhausted = "call stack exhausted";
inline constexpr std::string_view kOutOfBoundsMemory = "out of bounds memory access";
inline constexpr std::string_view kOutOfBoundsTable = "out of bounds table access";
inline constexpr std::string_view kIntegerDivideByZero = "integer divide by zero";
inline constexpr std::string_view kIntegerOverflow = "integer overflow";
inline constexpr std::string_view kInvalidConversion = "invalid conversion to integer";
inline constexpr std::string_view kIndirectCallMismatch = "indirect call signature mismatch";
inline constexpr std::string_view kUndefinedElement = "undefined table element";
// The host process could not allocate memory the guest asked for (memory.grow, table.grow).
inline constexpr std::string_view kOutOfMemory = "out of memory";
// A host function called back into the guest (e.g. its allocator) and that call trapped;
// the outer call traps with this prefix followed by the inner trap text.
inline constexpr std::string_view kNestedCallTrapped = "guest call from a host function trapped: ";
// Calls into the guest nested deeper than kMaxNestedCalls (guest -> host -> guest -> ...).
inline constexpr std::string_view kTooManyNestedCalls = "too many nested guest calls";
}  // namespace traps

// Depth limit of guest -> host -> guest re-entrancy (each level uses native stack).
inline constexpr int kMaxNestedCalls = 64;

// Error texts of Vm::call that are not traps (nothing ran; the Vm is not failed by them,
// except kVmFailed which reports an earlier trap).
namespace call_errors {
inline constexpr std::string_view kVmFailed = "Wasm VM failed after an earlier trap";
inline constexpr std::string_view kNoSuchFunction = "no such exported function";
}  // namespace call_errors

}  // namespace meshwasm::host
