// The wabt interpreter engine (Debian's libwabt 1.0.32). This header does not include wabt.
#pragma once

#include <memory>

#include "meshwasm/host/vm.h"

namespace meshwasm::host {

// Engine name "interp". Compiled modules are immutable and may be shared between threads;
// each Vm has its own wabt Store and Thread and must stay on one thread.
std::unique_ptr<Engine> makeWabtEngine();

}  // namespace meshwasm::host
