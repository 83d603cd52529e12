// Between the AOT engine and the auto engine (not for embedders).
#pragma once

#include <atomic>
#include <memory>
#include <string_view>

#include "meshwasm/abi/status.h"
#include "meshwasm/host/vm.h"
#include "wasm2c_engine.h"

namespace meshwasm::host {

// AOT compile (or cache lookup) + load; `cancel` stops running compiler processes.
StatusOr<std::shared_ptr<const CompiledModule>> compileAotModule(std::string_view bytes,
                                                                 const AotOptions& options,
                                                                 const std::atomic<bool>* cancel);

}  // namespace meshwasm::host
