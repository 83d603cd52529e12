// Limits of the Proxy-Wasm ABI as Envoy's host enforces them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace meshwasm::abi {

// A pairs buffer from the guest with more pairs or bytes than this is treated as empty.
inline constexpr uint32_t kMaxPairs = 1024;
inline constexpr size_t kMaxPairsBytes = 1024 * 1024;
// WASI random_get answers at most this many bytes per call (larger -> INVAL).
inline constexpr uint32_t kMaxRandomBytes = 64 * 1024;
// Frames of a guest backtrace logged after a trap.
inline constexpr uint32_t kMaxBacktraceFrames = 20;
// Default per-stream body buffer limit (413 for requests, 500 for responses beyond it).
inline constexpr size_t kDefaultBufferLimitBytes = 1024 * 1024;
// Linear memory cap per VM: 16384 pages of 64 KiB (1 GiB), as V8 builds of Envoy have it.
inline constexpr uint32_t kMaxMemoryPages = 16384;
inline constexpr uint32_t kWasmPageSize = 64 * 1024;
// "No gRPC status" marker of proxy_send_local_response.
inline constexpr uint32_t kGrpcStatusNotSet = 0xFFFFFFFFu;

}  // namespace meshwasm::abi
