// The wabt interpreter engine (Debian's libwabt 1.0.32). This header does not include wabt.
#pragma once

#include <memory>

#include "meshwasm/host/vm.h"

namespace meshwasm::host {

// Engine name "interp". Compiled modules are immutable and may be shared between threads;
// each Vm has its own wabt Store and Thread and must stay on one thread.
//
// Limits: linear memory is capped at abi::kMaxMemoryPages (1 GiB; memory.grow beyond answers
// -1, a module whose initial memory is larger is refused); tables at 10,000,000 elements.
// The interpreter's stacks are fixed by wabt 1.0.32 (about 1,600 call frames and 4,096 value
// slots per Vm, shared by nested calls); exhausting them is the trap "call stack exhausted".
// Guest -> host -> guest nesting is limited to kMaxNestedCalls. There is no fuel or timeout:
// a guest that loops forever blocks its thread (as with V8 in Envoy). Features: the wabt
// defaults (MVP, mutable globals, sign extension, saturating conversions, multi-value, bulk
// memory, reference types, SIMD) plus tail calls; threads/shared memory are refused.
std::unique_ptr<Engine> makeWabtEngine();

}  // namespace meshwasm::host
